"""Unsigned session notes past their last day for signing, as the home pages list them:
the first few, oldest first, and how many there are in all ("10 of 37 — see all").

A mentor or case manager can have hundreds; loading every note (and its mentee and
mentor) to show ten was most of those pages' time. Plain rows, in one query whatever
the number: the names come joined in, the count with them (a window over the rows
before the LIMIT).
"""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, select

from ..extensions import db
from ..models import Mentee, User
from ..models.session_notes import SessionNote


@dataclass(frozen=True, slots=True)
class OverdueNote:
    id: int
    mentee_id: int
    mentee_name: str
    mentor_name: str
    contact_on: date
    sign_by: date


@dataclass(frozen=True)
class Overdue:
    """The notes shown (at most the limit asked for) and how many there are in all."""

    notes: list[OverdueNote] = field(default_factory=list)
    total: int = 0

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def more(self) -> int:
        """How many are not shown."""
        return self.total - len(self.notes)


def overdue_notes(
    on: date,
    *,
    mentor: User | None = None,
    mentee_ids: Select | None = None,
    limit: int | None = None,
) -> Overdue:
    """Notes still unsigned after their last day (`SessionNote.overdue`), oldest contact
    first: `mentor`'s own, or those about the mentees `mentee_ids` (a query of ids, e.g.
    a permissions query) picks, by whoever wrote them."""
    if (mentor is None) == (mentee_ids is None):
        raise ValueError("give the mentor or the mentees, not both")
    query = (
        select(
            SessionNote.id,
            SessionNote.mentee_id,
            func.coalesce(func.nullif(Mentee.preferred_name, ""), Mentee.full_name),  # Mentee.name
            User.display_name,
            SessionNote.contact_on,
            SessionNote.sign_by,
            func.count().over(),
        )
        .join(Mentee, Mentee.id == SessionNote.mentee_id)
        .join(User, User.id == SessionNote.mentor_id)
        .where(SessionNote.overdue(on))
        .order_by(SessionNote.contact_on, SessionNote.id)
        .limit(limit)
    )
    if mentor is not None:
        query = query.where(SessionNote.mentor_id == mentor.id)
    elif mentee_ids is not None:
        query = query.where(SessionNote.mentee_id.in_(mentee_ids))
    rows = db.session.execute(query).all()
    return Overdue(
        notes=[OverdueNote(*row[:6]) for row in rows],
        total=rows[0][6] if rows else 0,
    )
