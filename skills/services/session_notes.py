"""Writing, signing and reading session notes.

Every rule is checked before anything is written, so a refused note leaves the database
as it was. A note changes only until it is signed; then corrections are addenda.

Units: a contact of `minutes` is billed in units of the organisation's `unit_minutes`
(default 15). Whole units count; the part left over counts as one more unit when it is at
least `unit_threshold` minutes (default 8): 7 minutes → 0 units, 8 → 1, 22 → 1, 23 → 2.
This is the usual "8-minute rule" for 15-minute HCPCS codes such as H0038.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .. import permissions, timeutil
from ..extensions import db
from ..models import Mentee, Organisation, SignoffEvent, Skill, User
from ..models.session_notes import (
    MODES,
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from ..models.signoffs import NOTE_VISIBILITY
from ..transactions import lock_for_write
from . import audit

MAX_MINUTES = 12 * 60
PART_MAX = 2000
PLACE_MAX = 200
ADDENDUM_MAX = 2000
COMMENT_MAX = 1000
# How far back a sign-off may be to be linked to a note of the same day.
LINKABLE_DAYS = 14


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
    """Billing units for `minutes` (the rule in the module docstring)."""
    whole, rest = divmod(minutes, unit_minutes)
    return whole + (1 if rest >= threshold else 0)


def local_now(organisation: Organisation) -> datetime:
    """Now, in the organisation's time zone (the clock its notes are written in)."""
    return timeutil.local_now(organisation)


def minutes_between(starts_at: time, ends_at: time) -> int:
    day = date(2000, 1, 1)
    span = datetime.combine(day, ends_at) - datetime.combine(day, starts_at)
    return int(span.total_seconds()) // 60


def _check(mentee: Mentee, details: NoteDetails, now: datetime) -> int:
    """Refuse details that break a rule; return the minutes of the contact."""
    if details.ends_at <= details.starts_at:
        raise SessionNoteError(
            f"The end time ({details.ends_at:%H:%M}) must be after the start time "
            f"({details.starts_at:%H:%M}). A session past midnight is two notes.",
            "ends_at",
        )
    minutes = minutes_between(details.starts_at, details.ends_at)
    if minutes > MAX_MINUTES:
        raise SessionNoteError(
            f"The session is {minutes // 60} h {minutes % 60} min long; a note covers at most "
            "12 hours. Check the times.",
            "ends_at",
        )
    ends = datetime.combine(details.contact_on, details.ends_at, now.tzinfo)
    if details.contact_on > now.date():
        raise SessionNoteError(
            f"The date ({details.contact_on.isoformat()}) is in the future; use today or an "
            "earlier date.",
            "contact_on",
        )
    if ends > now:
        raise SessionNoteError(
            f"The session ends at {details.ends_at:%H:%M}, which is still in the future; "
            "write the note once it is over.",
            "ends_at",
        )
    if details.contact_on < mentee.start_date:
        raise SessionNoteError(
            f"The date ({details.contact_on.isoformat()}) is before {mentee.name} started on "
            f"{mentee.start_date.isoformat()}.",
            "contact_on",
        )
    if details.mode not in MODES:
        raise SessionNoteError("Choose how you met: in person, phone or video.", "mode")
    if details.note_visibility not in NOTE_VISIBILITY:
        raise SessionNoteError(
            "Choose who can see the note: the mentee, or staff only.", "note_visibility"
        )
    if len(details.place) > PLACE_MAX:
        raise SessionNoteError(f"The place is longer than {PLACE_MAX} characters.", "place")
    for name, label in (
        ("what_we_did", "What we did"),
        ("how_it_went", "How it went"),
        ("next_step", "Next step"),
    ):
        text = getattr(details, name)
        if len(text) > PART_MAX:
            raise SessionNoteError(
                f"“{label}” is {len(text)} characters long; the limit is {PART_MAX}.", name
            )
    if not details.what_we_did.strip():
        raise SessionNoteError("Say what you did together.", "what_we_did")
    return minutes


def _skills(mentee: Mentee, skill_ids: list[int]) -> list[Skill]:
    """The chosen skills, each one the mentee's program uses."""
    wanted = sorted(set(skill_ids))
    found = list(db.session.scalars(select(Skill).where(Skill.id.in_(wanted)))) if wanted else []
    usable = [s for s in found if permissions.skill_in_use(mentee.organisation_id, s)]
    if len(usable) != len(wanted):
        raise SessionNoteError(
            "One of the chosen skills is not in this mentee's program; reload the form.",
            "skill_ids",
        )
    return usable


def _signoffs(mentee: Mentee, mentor: User, details: NoteDetails) -> list[SignoffEvent]:
    """The chosen sign-offs: this mentor's, for this mentee, on the contact date, unlinked."""
    wanted = sorted(set(details.signoff_ids))
    if not wanted:
        return []
    events = list(
        db.session.scalars(
            select(SignoffEvent).where(
                SignoffEvent.id.in_(wanted),
                SignoffEvent.mentee_id == mentee.id,
                SignoffEvent.recorded_by_id == mentor.id,
                SignoffEvent.shown_on == details.contact_on,
                SignoffEvent.id.not_in(select(SessionNoteSignoff.signoff_event_id)),
            )
        )
    )
    if len(events) != len(wanted):
        raise SessionNoteError(
            "Only your own sign-offs for this mentee, made on the date of the session and "
            "not linked to another note, can be linked.",
            "signoff_ids",
        )
    return events


def record_note(
    mentee: Mentee,
    mentor: User,
    details: NoteDetails,
    *,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> SessionNote:
    """Record a contact by a mentor currently assigned to the mentee; the caller commits.

    With an idempotency key already used, the earlier note is returned and nothing new
    is written.
    """
    organisation = mentee.organisation
    now = now or local_now(organisation)
    # Writers for this mentee queue here, so the key check below sees the latest commit.
    lock_for_write(Mentee, mentee.id)
    if idempotency_key:
        earlier = db.session.scalar(
            select(SessionNote).where(SessionNote.idempotency_key == idempotency_key)
        )
        if earlier is not None:
            if earlier.mentee_id != mentee.id:
                raise SessionNoteError("This form was already used for another note; reload it.")
            return earlier
    if not permissions.can_sign_off(mentor, mentee):
        raise SessionNoteError(
            "That mentee is not on your caseload (or has been discharged); you can write "
            "notes only for mentees currently assigned to you.",
            "mentee_id",
        )
    minutes = _check(mentee, details, now)
    skills = _skills(mentee, details.skill_ids)
    events = _signoffs(mentee, mentor, details)
    note = SessionNote(
        organisation_id=mentee.organisation_id,
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        minutes=minutes,
        units=units_for(minutes, organisation.unit_minutes, organisation.unit_threshold),
        service_code=organisation.billing_code,
        modifiers=organisation.billing_modifiers,
        sign_by=details.contact_on + timedelta(days=organisation.sign_within_days),
        idempotency_key=idempotency_key or None,
        **_values(details),
    )
    db.session.add(note)
    db.session.flush()
    _link(note, skills, events)
    audit.record(
        "session_note.record",
        mentor,
        mentee=mentee,
        object_type="session_note",
        object_id=note.id,
        minutes=minutes,
        units=note.units,
        signoffs=[e.id for e in events],
    )
    return note


def _values(details: NoteDetails) -> dict:
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


def _link(note: SessionNote, skills: list[Skill], events: list[SignoffEvent]) -> None:
    db.session.add_all(SessionNoteSkill(note_id=note.id, skill_id=s.id) for s in skills)
    db.session.add_all(SessionNoteSignoff(note_id=note.id, signoff_event_id=e.id) for e in events)
    db.session.flush()


def sign_note(note: SessionNote, signer: User, *, now: datetime | None = None) -> SessionNote:
    """The author signs with their name and credential; late if after `sign_by`."""
    lock_for_write(Mentee, note.mentee_id)
    db.session.refresh(note)
    if not permissions.can_sign_session_note(signer, note):
        raise SessionNoteError("Only the mentor who wrote a note can sign it.")
    if note.signed:
        raise SessionNoteError("This note is already signed; add an addendum to correct it.")
    credential = (signer.credential or "").strip()
    if not credential:
        raise SessionNoteError(
            "Add your credential (for example CPS) on your account page before signing.",
            "credential",
        )
    now = now or local_now(note.mentee.organisation)
    note.signed_at = now
    note.signed_on = now.date()
    note.signed_name = signer.display_name
    note.signed_credential = credential
    db.session.flush()
    audit.record(
        "session_note.sign",
        signer,
        mentee=note.mentee,
        object_type="session_note",
        object_id=note.id,
        late=note.late,
    )
    return note


def add_addendum(note: SessionNote, author: User, text: str) -> SessionNoteAddendum:
    """A correction or addition to a signed note, by its author; the note stays as it was."""
    text = text.strip()
    if not permissions.can_sign_session_note(author, note):
        raise SessionNoteError("Only the mentor who wrote a note can add to it.")
    if not note.signed:
        raise SessionNoteError("Sign the note first; until then you can still edit it.")
    if not text:
        raise SessionNoteError("Write the addendum.", "text")
    if len(text) > ADDENDUM_MAX:
        raise SessionNoteError(
            f"The addendum is {len(text)} characters long; the limit is {ADDENDUM_MAX}.", "text"
        )
    addendum = SessionNoteAddendum(note_id=note.id, author_id=author.id, text=text)
    db.session.add(addendum)
    db.session.flush()
    audit.record(
        "session_note.addendum",
        author,
        mentee=note.mentee,
        object_type="session_note",
        object_id=note.id,
        addendum=addendum.id,
    )
    return addendum


def add_comment(note: SessionNote, user: User, words: str) -> SessionNoteComment:
    """The mentee's own words on a note shared with them."""
    words = words.strip()
    if not permissions.can_comment_on_session_note(user, note):
        raise SessionNoteError("You can comment only on notes shared with you.")
    if not words:
        raise SessionNoteError("Write your comment first.", "words")
    if len(words) > COMMENT_MAX:
        raise SessionNoteError(
            f"Your comment is {len(words)} characters long; please keep it under {COMMENT_MAX}.",
            "words",
        )
    comment = SessionNoteComment(note_id=note.id, author_id=user.id, words=words)
    db.session.add(comment)
    db.session.flush()
    audit.record(
        "session_note.comment",
        user,
        mentee=note.mentee,
        object_type="session_note",
        object_id=note.id,
    )
    return comment


CREDENTIAL = re.compile(r"[A-Za-z0-9 .,/()&-]{1,40}")


def set_credential(user: User, credential: str, actor: User) -> bool:
    """Set the credential a person signs notes with (e.g. "CPS"); True if it changed."""
    credential = " ".join(credential.split())
    if credential and not CREDENTIAL.fullmatch(credential):
        raise SessionNoteError(
            "A credential is up to 40 letters, digits, spaces and . , / ( ) & -, like CPS.",
            "credential",
        )
    if (user.credential or "") == credential:
        return False
    old = user.credential or ""
    user.credential = credential or None
    audit.record(
        "user.credential",
        actor,
        object_type="user",
        object_id=user.id,
        old=old,
        new=credential,
    )
    return True
