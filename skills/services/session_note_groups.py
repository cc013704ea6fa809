"""A group contact: several mentees at one session. Each mentee gets their own note and
billing line with the same date, times, mode, place, skills and shared text, and their
own "how it went"; units per mentee by the organization's rule. Group notes carry the
organization's group modifiers (HQ by default) after its usual ones.

As with group sign-offs (services/voice/staff.py), one form key makes one group: a
double submit returns the notes already saved, and a refusal for any one mentee saves
nothing for anyone. A note never names the other people in the group: each is read on
its own mentee's record, by whoever may read that.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Mentee, Organisation, User
from ..models.session_notes import SessionNote
from ..transactions import lock_all_for_write, lock_for_write
from .session_note_rules import (
    PART_MAX,
    NoteDetails,
    SessionNoteError,
    check_details,
    local_now,
)
from .session_notes import record_note

MAX_MODIFIERS = 4  # the claim form has four modifier places
MIN_GROUP = 2


@dataclass(frozen=True)
class GroupMember:
    mentee: Mentee
    how_it_went: str = ""


def group_modifiers(organisation: Organisation) -> str:
    """The modifiers of a group note: the usual ones, then the group ones, each once."""
    seen: list[str] = []
    for code in f"{organisation.billing_modifiers} {organisation.group_modifiers}".split():
        if code not in seen:
            seen.append(code)
    return " ".join(seen[:MAX_MODIFIERS])


def notes_of_group(group_key: str) -> list[SessionNote]:
    """The notes saved with one group form, by mentee id."""
    return list(
        db.session.scalars(
            select(SessionNote)
            .where(SessionNote.group_key == group_key)
            .order_by(SessionNote.mentee_id)
        )
    )


def group_size(note: SessionNote) -> int:
    """How many mentees were at the note's contact (1 for a one-to-one note)."""
    if note.group_key is None:
        return 1
    return len(notes_of_group(note.group_key))


def record_group_notes(
    mentor: User,
    members: list[GroupMember],
    details: NoteDetails,
    *,
    idempotency_key: str,
    now: datetime | None = None,
) -> list[SessionNote]:
    """One note per member, in one transaction; the caller commits."""
    if len(members) < MIN_GROUP:
        raise SessionNoteError(
            _("Choose at least two mentees who came. For one mentee, write a single session note."),
            "members",
        )
    if not idempotency_key:
        raise SessionNoteError(_("This form is out of date; reload it."))
    # One mentor's group notes queue here, so a double submit sees the first.
    lock_for_write(User, mentor.id)
    earlier = notes_of_group(idempotency_key)
    if earlier:
        return earlier
    organisation = mentor.organisation
    now = now or local_now(organisation)
    outside = [m.mentee.name for m in members if not permissions.can_sign_off(mentor, m.mentee)]
    if outside:
        raise SessionNoteError(
            _(
                "Only your current mentees can be in a group note: %(names)s",
                names=", ".join(outside),
            ),
            "members",
        )
    # Every member's details are checked before the first note is written.
    for member in members:
        if len(member.how_it_went) > PART_MAX:
            raise SessionNoteError(
                _(
                    "%(name)s: “How it went” is %(length)d characters long; the limit is %(max)d.",
                    name=member.mentee.name,
                    length=len(member.how_it_went),
                    max=PART_MAX,
                ),
                f"how_it_went-{member.mentee.id}",
            )
        try:
            check_details(member.mentee, details, now)
        except SessionNoteError as exc:
            raise SessionNoteError(f"{member.mentee.name}: {exc}", exc.field) from None
    modifiers = group_modifiers(organisation)
    # Every member queued for, in one order, before anything is written (no deadlock).
    ordered = sorted(members, key=lambda m: m.mentee.id)
    lock_all_for_write(Mentee, [m.mentee.id for m in ordered])
    return [
        record_note(
            member.mentee,
            mentor,
            replace(details, how_it_went=member.how_it_went, signoff_ids=[]),
            idempotency_key=f"{idempotency_key}:{member.mentee.id}",
            now=now,
            group_key=idempotency_key,
            modifiers=modifiers,
        )
        for member in ordered
    ]
