"""What both sides of the mentee's voice share: the error type and the small checks."""

from flask_babel import lazy_gettext as _l

from ... import permissions
from ...models import Mentee, Skill, User
from ..curriculum_view import reading_language

WORDS_MAX = 500


class VoiceError(ValueError):
    """A rule was broken; `field` names the form field it concerns, if any. Messages are
    lazy strings, read in the language of whoever is shown them."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def require_self(user: User, mentee: Mentee) -> None:
    if not permissions.is_self(user, mentee):
        raise VoiceError(_l("Only the mentee can do this for themself."))


def require_live(skill: Skill) -> None:
    if skill.retired:
        raise VoiceError(
            _l(
                "The skill “%(skill)s” is retired.",
                skill=skill.text_in("title", reading_language()),
            )
        )


def clean_words(text: str | None, field: str) -> str:
    text = (text or "").strip()
    if len(text) > WORDS_MAX:
        raise VoiceError(
            _l(
                "Please keep it to %(max)s characters (now %(length)s).",
                max=WORDS_MAX,
                length=len(text),
            ),
            field,
        )
    return text
