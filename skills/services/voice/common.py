"""What both sides of the mentee's voice share: the error type and the small checks."""

from ... import permissions
from ...models import Mentee, Skill, User

WORDS_MAX = 500


class VoiceError(ValueError):
    """A rule was broken; `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def require_self(user: User, mentee: Mentee) -> None:
    if not permissions.is_self(user, mentee):
        raise VoiceError("Only the mentee can do this for themself.")


def require_live(skill: Skill) -> None:
    if skill.retired:
        raise VoiceError(f"The skill “{skill.title}” is retired.")


def clean_words(text: str | None, field: str) -> str:
    text = (text or "").strip()
    if len(text) > WORDS_MAX:
        raise VoiceError(f"Please keep it to {WORDS_MAX} characters (now {len(text)}).", field)
    return text
