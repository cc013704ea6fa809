"""Reading session notes: a mentee's notes as a reader may see them, overdue signatures,
sign-offs a note may link, and a month's notes for billing (an organization's, or a
case manager's caseload's).

Which notes a reader sees is `SessionNote.note_visible`, applied in SQL, for a
`permissions.Viewer` every caller must give.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Mentee, Organisation, SignoffEvent, Skill, User
from ..models.session_notes import (
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from ..permissions import Viewer
from .curriculum_view import reading_language
from .session_note_rules import LINKABLE_DAYS


@dataclass
class NoteParts:
    """What hangs off a set of notes, by note id."""

    skills: dict[int, list[Skill]] = field(default_factory=dict)
    signoffs: dict[int, list[SignoffEvent]] = field(default_factory=dict)
    addenda: dict[int, list[SessionNoteAddendum]] = field(default_factory=dict)
    comments: dict[int, list[SessionNoteComment]] = field(default_factory=dict)


def notes_for(mentee: Mentee, viewer: Viewer, limit: int | None = None) -> list[SessionNote]:
    """The mentee's notes `viewer` may read, newest contact first."""
    query = (
        select(SessionNote)
        .where(
            SessionNote.mentee_id == mentee.id, SessionNote.note_visible(viewer.sees_staff_notes)
        )
        .options(selectinload(SessionNote.mentor))
        .order_by(
            SessionNote.contact_on.desc(), SessionNote.starts_at.desc(), SessionNote.id.desc()
        )
        .limit(limit)
    )
    return list(db.session.scalars(query))


def parts(note_ids: Iterable[int]) -> NoteParts:
    """Skills, linked sign-offs, addenda and comments of the notes, in four queries."""
    ids = sorted(set(note_ids))
    result = NoteParts()
    if not ids:
        return result
    skills: dict[int, list[Skill]] = defaultdict(list)
    for note_id, skill in db.session.execute(
        select(SessionNoteSkill.note_id, Skill)
        .join(Skill, Skill.id == SessionNoteSkill.skill_id)
        .where(SessionNoteSkill.note_id.in_(ids))
    ):
        skills[note_id].append(skill)
    language = reading_language()  # in the reader's language's order, as shown
    for listed in skills.values():
        listed.sort(key=lambda skill: skill.text_in("title", language).casefold())
    signoffs: dict[int, list[SignoffEvent]] = defaultdict(list)
    for note_id, event in db.session.execute(
        select(SessionNoteSignoff.note_id, SignoffEvent)
        .join(SignoffEvent, SignoffEvent.id == SessionNoteSignoff.signoff_event_id)
        .where(SessionNoteSignoff.note_id.in_(ids))
        .options(selectinload(SignoffEvent.skill))
        .order_by(SignoffEvent.id)
    ):
        signoffs[note_id].append(event)
    addenda: dict[int, list[SessionNoteAddendum]] = defaultdict(list)
    for addendum in db.session.scalars(
        select(SessionNoteAddendum)
        .where(SessionNoteAddendum.note_id.in_(ids))
        .options(selectinload(SessionNoteAddendum.author))
        .order_by(SessionNoteAddendum.id)
    ):
        addenda[addendum.note_id].append(addendum)
    comments: dict[int, list[SessionNoteComment]] = defaultdict(list)
    for comment in db.session.scalars(
        select(SessionNoteComment)
        .where(SessionNoteComment.note_id.in_(ids))
        .options(selectinload(SessionNoteComment.author))
        .order_by(SessionNoteComment.id)
    ):
        comments[comment.note_id].append(comment)
    return NoteParts(dict(skills), dict(signoffs), dict(addenda), dict(comments))


def overdue_by_mentor(mentor: User, on: date) -> list[SessionNote]:
    """The mentor's own notes still unsigned after the last day for signing."""
    return list(
        db.session.scalars(
            select(SessionNote)
            .where(SessionNote.mentor_id == mentor.id, SessionNote.overdue(on))
            .options(selectinload(SessionNote.mentee))
            .order_by(SessionNote.contact_on, SessionNote.id)
        )
    )


def linkable_signoffs(mentee: Mentee, mentor: User, on: date) -> list[SignoffEvent]:
    """The mentor's recent sign-offs for the mentee not yet linked to a note."""
    return list(
        db.session.scalars(
            select(SignoffEvent)
            .where(
                SignoffEvent.mentee_id == mentee.id,
                SignoffEvent.recorded_by_id == mentor.id,
                SignoffEvent.shown_on >= on - timedelta(days=LINKABLE_DAYS),
                SignoffEvent.id.not_in(select(SessionNoteSignoff.signoff_event_id)),
            )
            .options(selectinload(SignoffEvent.skill))
            .order_by(SignoffEvent.shown_on.desc(), SignoffEvent.id.desc())
        )
    )


@dataclass
class BillingMonth:
    """A month's notes of one organisation: billable, and the rest with the reason."""

    organisation: Organisation
    month: date  # its first day
    billable: list[SessionNote]
    not_billed: list[tuple[SessionNote, str]]
    # How many mentees each group contact of the month had, by group key.
    group_sizes: dict[str, int] = field(default_factory=dict)
    # The mentees the export is limited to (a caseload); None: the whole organization.
    mentee_ids: list[int] | None = None


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of `month` and of the month after."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def billing_month(
    organisation: Organisation, month: date, mentee_ids: list[int] | None = None
) -> BillingMonth:
    """Every note of the month (of `mentee_ids` only, when given): signed on time are
    billable; unsigned and late notes are listed apart with the reason, never left out."""
    first, following = month_bounds(month)
    query = select(SessionNote).where(
        SessionNote.organisation_id == organisation.id,
        SessionNote.contact_on >= first,
        SessionNote.contact_on < following,
    )
    if mentee_ids is not None:
        query = query.where(SessionNote.mentee_id.in_(mentee_ids))
    notes = list(
        db.session.scalars(
            query.options(
                selectinload(SessionNote.mentee), selectinload(SessionNote.mentor)
            ).order_by(SessionNote.contact_on, SessionNote.starts_at, SessionNote.id)
        )
    )
    billable, not_billed = [], []
    for note in notes:
        if not note.signed:
            not_billed.append((note, f"unsigned (sign by {note.sign_by.isoformat()})"))
        elif note.late:
            assert note.signed_on is not None
            not_billed.append(
                (
                    note,
                    f"signed late on {note.signed_on.isoformat()} "
                    f"(due by {note.sign_by.isoformat()})",
                )
            )
        else:
            billable.append(note)
    return BillingMonth(organisation, first, billable, not_billed, _group_sizes(notes), mentee_ids)


def _group_sizes(notes: list[SessionNote]) -> dict[str, int]:
    """Whole groups are counted, also members outside a caseload's export."""
    keys = sorted({n.group_key for n in notes if n.group_key})
    if not keys:
        return {}
    rows = db.session.execute(
        select(SessionNote.group_key, func.count())
        .where(SessionNote.group_key.in_(keys))
        .group_by(SessionNote.group_key)
    )
    return {key: count for key, count in rows if key is not None}
