"""The rules of a session note's content, shared by writing, editing and group notes:
the limits, the unit rule (see services/session_notes.py) and the checks of the details
a mentor enters. Plain Python; messages in the reader's language (`gettext`).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions, timeutil
from ..extensions import db
from ..i18n import local_date, local_time
from ..models import Mentee, Organisation, Skill
from ..models.session_notes import MODES
from ..models.signoffs import NOTE_VISIBILITY

MAX_MINUTES = 12 * 60
PART_MAX = 2000
PLACE_MAX = 200
ADDENDUM_MAX = 2000
COMMENT_MAX = 1000
# How far back a sign-off may be to be linked to a note of the same day.
LINKABLE_DAYS = 14
# The three parts of a note, as the form names them.
PART_LABELS = {
    "what_we_did": _l("What we did"),
    "how_it_went": _l("How it went"),
    "next_step": _l("Next step"),
}


class SessionNoteError(ValueError):
    """A session note rule was broken. `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class NoteDetails:
    """What a mentor enters for one contact; times are the organisation's local time."""

    contact_on: date
    starts_at: time
    ends_at: time
    mode: str
    place: str = ""
    what_we_did: str = ""
    how_it_went: str = ""
    next_step: str = ""
    note_visibility: str = "staff"
    skill_ids: list[int] = field(default_factory=list)
    signoff_ids: list[int] = field(default_factory=list)


def units_for(minutes: int, unit_minutes: int = 15, threshold: int = 8) -> int:
    """Billing units for `minutes`: whole units, plus one for a rest of at least
    `threshold` minutes (the "8-minute rule", services/session_notes.py)."""
    whole, rest = divmod(minutes, unit_minutes)
    return whole + (1 if rest >= threshold else 0)


def local_now(organisation: Organisation) -> datetime:
    """Now, in the organisation's time zone (the clock its notes are written in)."""
    return timeutil.local_now(organisation)


def minutes_between(starts_at: time, ends_at: time) -> int:
    day = date(2000, 1, 1)
    span = datetime.combine(day, ends_at) - datetime.combine(day, starts_at)
    return int(span.total_seconds()) // 60


def check_details(mentee: Mentee, details: NoteDetails, now: datetime) -> int:
    """Refuse details that break a rule; return the minutes of the contact."""
    if details.ends_at <= details.starts_at:
        raise SessionNoteError(
            _(
                "The end time (%(end)s) must be after the start time (%(start)s). A session "
                "past midnight is two notes.",
                end=local_time(details.ends_at),
                start=local_time(details.starts_at),
            ),
            "ends_at",
        )
    minutes = minutes_between(details.starts_at, details.ends_at)
    if minutes > MAX_MINUTES:
        raise SessionNoteError(
            _(
                "The session is %(hours)d h %(minutes)d min long; a note covers at most "
                "12 hours. Check the times.",
                hours=minutes // 60,
                minutes=minutes % 60,
            ),
            "ends_at",
        )
    ends = datetime.combine(details.contact_on, details.ends_at, now.tzinfo)
    if details.contact_on > now.date():
        raise SessionNoteError(
            _(
                "The date (%(date)s) is in the future; use today or an earlier date.",
                date=local_date(details.contact_on),
            ),
            "contact_on",
        )
    if ends > now:
        raise SessionNoteError(
            _(
                "The session ends at %(end)s, which is still in the future; write the note "
                "once it is over.",
                end=local_time(details.ends_at),
            ),
            "ends_at",
        )
    if details.contact_on < mentee.start_date:
        raise SessionNoteError(
            _(
                "The date (%(date)s) is before %(name)s started on %(start)s.",
                date=local_date(details.contact_on),
                name=mentee.name,
                start=local_date(mentee.start_date),
            ),
            "contact_on",
        )
    if details.mode not in MODES:
        raise SessionNoteError(_("Choose how you met: in person, phone or video."), "mode")
    if details.note_visibility not in NOTE_VISIBILITY:
        raise SessionNoteError(
            _("Choose who can see the note: the mentee, or staff only."), "note_visibility"
        )
    if len(details.place) > PLACE_MAX:
        raise SessionNoteError(
            _("The place is longer than %(max)d characters.", max=PLACE_MAX), "place"
        )
    for name, label in PART_LABELS.items():
        text = getattr(details, name)
        if len(text) > PART_MAX:
            raise SessionNoteError(
                _(
                    "“%(part)s” is %(length)d characters long; the limit is %(max)d.",
                    part=label,
                    length=len(text),
                    max=PART_MAX,
                ),
                name,
            )
    if not details.what_we_did.strip():
        raise SessionNoteError(_("Say what you did together."), "what_we_did")
    return minutes


def skills_for(mentee: Mentee, skill_ids: list[int]) -> list[Skill]:
    """The chosen skills, each one the mentee's program uses."""
    wanted = sorted(set(skill_ids))
    found = list(db.session.scalars(select(Skill).where(Skill.id.in_(wanted)))) if wanted else []
    usable = [s for s in found if permissions.skill_in_use(mentee.organisation_id, s)]
    if len(usable) != len(wanted):
        raise SessionNoteError(
            _("One of the chosen skills is not in this mentee's program; reload the form."),
            "skill_ids",
        )
    return usable


def note_values(details: NoteDetails) -> dict:
    """The note's columns from the details, trimmed."""
    return {
        "contact_on": details.contact_on,
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "mode": details.mode,
        "place": details.place.strip(),
        "what_we_did": details.what_we_did.strip(),
        "how_it_went": details.how_it_went.strip(),
        "next_step": details.next_step.strip(),
        "note_visibility": details.note_visibility,
    }
