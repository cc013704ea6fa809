"""The numbers on the admin home page."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ..extensions import db
from ..models import Assignment, Mentee, User


@dataclass(frozen=True)
class AdminCounts:
    """Head counts of one organisation."""

    people: int
    active_mentees: int
    current_assignments: int


def admin_counts(organisation_id: int, on: date) -> AdminCounts:
    """Logins, active mentees and assignments current on `on` in the organisation."""
    people = db.session.scalar(
        select(func.count(User.id)).where(User.organisation_id == organisation_id)
    )
    active_mentees = db.session.scalar(
        select(func.count(Mentee.id)).where(
            Mentee.organisation_id == organisation_id, Mentee.status == "active"
        )
    )
    current_assignments = db.session.scalar(
        select(func.count(Assignment.id))
        .join(Mentee, Mentee.id == Assignment.mentee_id)
        .where(Mentee.organisation_id == organisation_id, Assignment.is_current(on))
    )
    return AdminCounts(people or 0, active_mentees or 0, current_assignments or 0)
