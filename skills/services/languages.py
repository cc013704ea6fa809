"""The languages the program speaks and each person's choice among them."""

from flask_babel import lazy_gettext as _l

from ..models import User
from . import audit

# By code, each named in itself, as a chooser shows it.
LANGUAGES = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"


class LanguageError(ValueError):
    pass


def set_language(user: User, language: str | None, actor: User | None = None) -> None:
    """Set the language `user` reads the program in (None: their browser's); the caller
    commits."""
    language = language or None
    if language is not None and language not in LANGUAGES:
        raise LanguageError(
            _l(
                "“%(language)s” is not a language the program speaks; choose one of: %(codes)s.",
                language=language,
                codes=", ".join(LANGUAGES),
            )
        )
    if user.language == language:
        return
    old, user.language = user.language, language
    audit.record(
        "user.language", actor, object_type="user", object_id=user.id, old=old, new=language
    )
