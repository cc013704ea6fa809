"""Writing, signing and reading session notes.

Every rule is checked before anything is written, so a refused note leaves the database
as it was. A note changes only until it is signed; then corrections are addenda.

Units: a contact of `minutes` is billed in units of the organisation's `unit_minutes`
(default 15). Whole units count; the part left over counts as one more unit when it is at
least `unit_threshold` minutes (default 8): 7 minutes → 0 units, 8 → 1, 22 → 1, 23 → 2.
This is the usual "8-minute rule" for 15-minute HCPCS codes such as H0038.

A sign-off can be made from the note form: it goes through the sign-off service
(`record_signoff`, with its rules) in the note's own transaction, and is linked to it.
Messages are in the reader's language (`gettext`; English without a request).
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Mentee, SignoffEvent, Skill, User
from ..models.session_notes import (
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from ..transactions import lock_for_write
from . import audit
from .session_note_rules import (
    ADDENDUM_MAX,
    COMMENT_MAX,
    LINKABLE_DAYS,
    MAX_MINUTES,
    PART_LABELS,
    PART_MAX,
    PLACE_MAX,
    NoteDetails,
    SessionNoteError,
    check_details,
    local_now,
    minutes_between,
    note_values,
    skills_for,
    units_for,
)
from .signoffs import SignoffDetails, SignoffError, record_signoff

# The rules are imported from here too (tests, the demo, the views).
__all__ = [
    "ADDENDUM_MAX",
    "COMMENT_MAX",
    "LINKABLE_DAYS",
    "MAX_MINUTES",
    "PART_LABELS",
    "PART_MAX",
    "PLACE_MAX",
    "NewSignoff",
    "NoteDetails",
    "SessionNoteError",
    "add_addendum",
    "add_comment",
    "check_details",
    "local_now",
    "minutes_between",
    "record_note",
    "set_credential",
    "sign_note",
    "skills_for",
    "units_for",
]


@dataclass(frozen=True)
class NewSignoff:
    """A sign-off made from the note form: its date is the contact's."""

    skill_id: int
    level: int
    allow_lower: bool = False


# Where a sign-off rule's message goes on the note form.
SIGNOFF_FIELDS = {
    "level": "signoff_level",
    "shown_on": "contact_on",
    "confirm_lower": "confirm_lower",
    "note_visibility": "note_visibility",
    "place": "place",
}


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
            _(
                "Only your own sign-offs for this mentee, made on the date of the session "
                "and not linked to another note, can be linked."
            ),
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
    signoff: NewSignoff | None = None,
    group_key: str | None = None,
    modifiers: str | None = None,
) -> SessionNote:
    """Record a contact by a mentor currently assigned to the mentee; the caller commits.

    With an idempotency key already used, the earlier note is returned and nothing new
    is written. `signoff` is recorded with the note and linked to it; a group contact
    (services/session_note_groups.py) passes its `group_key` and `modifiers`.
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
                raise SessionNoteError(_("This form was already used for another note; reload it."))
            return earlier
    if not permissions.can_sign_off(mentor, mentee):
        raise SessionNoteError(
            _(
                "That mentee is not on your caseload (or has been discharged); you can write "
                "notes only for mentees currently assigned to you."
            ),
            "mentee_id",
        )
    minutes = check_details(mentee, details, now)
    skills = skills_for(mentee, details.skill_ids)
    events = _signoffs(mentee, mentor, details)
    if signoff is not None:
        event = _record_signoff(mentee, mentor, details, signoff, idempotency_key, now)
        events.append(event)
        if event.skill_id not in {s.id for s in skills}:
            skills.append(event.skill)
    note = SessionNote(
        organisation_id=mentee.organisation_id,
        mentee_id=mentee.id,
        mentor_id=mentor.id,
        minutes=minutes,
        units=units_for(minutes, organisation.unit_minutes, organisation.unit_threshold),
        service_code=organisation.billing_code,
        modifiers=organisation.billing_modifiers if modifiers is None else modifiers,
        sign_by=details.contact_on + timedelta(days=organisation.sign_within_days),
        idempotency_key=idempotency_key or None,
        group_key=group_key,
        **note_values(details),
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
        group=group_key,
    )
    return note


def _record_signoff(
    mentee: Mentee,
    mentor: User,
    details: NoteDetails,
    wanted: NewSignoff,
    idempotency_key: str | None,
    now: datetime,
) -> SignoffEvent:
    """The sign-off made from the note form, by the sign-off service and its rules."""
    skill = db.session.get(Skill, wanted.skill_id)
    if skill is None or not permissions.skill_in_use(mentee.organisation_id, skill):
        raise SessionNoteError(
            _("Choose the skill of the sign-off from the list."), "signoff_skill_id"
        )
    try:
        return record_signoff(
            mentee,
            skill,
            mentor,
            SignoffDetails(
                level=wanted.level,
                shown_on=details.contact_on,
                # The note holds the words; the sign-off is read beside it.
                note_visibility=details.note_visibility,
                place=details.place.strip() or None,
            ),
            idempotency_key=f"{idempotency_key}:signoff" if idempotency_key else None,
            on=now.date(),
            allow_lower=wanted.allow_lower,
        )
    except SignoffError as exc:
        raise SessionNoteError(
            str(exc), SIGNOFF_FIELDS.get(exc.field or "", "signoff_skill_id")
        ) from None


def _link(note: SessionNote, skills: list[Skill], events: list[SignoffEvent]) -> None:
    db.session.add_all(SessionNoteSkill(note_id=note.id, skill_id=s.id) for s in skills)
    db.session.add_all(SessionNoteSignoff(note_id=note.id, signoff_event_id=e.id) for e in events)
    db.session.flush()


def sign_note(note: SessionNote, signer: User, *, now: datetime | None = None) -> SessionNote:
    """The author signs with their name and credential; late if after `sign_by`."""
    lock_for_write(Mentee, note.mentee_id)
    db.session.refresh(note)
    if not permissions.can_sign_session_note(signer, note):
        raise SessionNoteError(_("Only the mentor who wrote a note can sign it."))
    if note.signed:
        raise SessionNoteError(_("This note is already signed; add an addendum to correct it."))
    credential = (signer.credential or "").strip()
    if not credential:
        raise SessionNoteError(
            _("Add your credential (for example CPS) on your account page before signing."),
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
        raise SessionNoteError(_("Only the mentor who wrote a note can add to it."))
    if not note.signed:
        raise SessionNoteError(_("Sign the note first; until then you can still edit it."))
    if not text:
        raise SessionNoteError(_("Write the addendum."), "text")
    if len(text) > ADDENDUM_MAX:
        raise SessionNoteError(
            _(
                "The addendum is %(length)d characters long; the limit is %(max)d.",
                length=len(text),
                max=ADDENDUM_MAX,
            ),
            "text",
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
        raise SessionNoteError(_("You can comment only on notes shared with you."))
    if not words:
        raise SessionNoteError(_("Write your comment first."), "words")
    if len(words) > COMMENT_MAX:
        raise SessionNoteError(
            _(
                "Your comment is %(length)d characters long. Please keep it under %(max)d.",
                length=len(words),
                max=COMMENT_MAX,
            ),
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
            _("A credential is up to 40 letters, digits, spaces and . , / ( ) & -, like CPS."),
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
