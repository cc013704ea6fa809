"""Assignments: a mentor or case manager working with a mentee between two dates.

When an assignment is current is the model's rule (`Assignment.is_current`); these
functions create and end them, and audit each change.
"""

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Assignment, Mentee, User
from ..models.people import ASSIGNMENT_KINDS
from ..timeutil import today
from . import audit
from .people import PeopleError


def assign(
    staff: User,
    mentee: Mentee,
    kind: str,
    starts_on: date | None = None,
    ends_on: date | None = None,
    actor: User | None = None,
) -> Assignment:
    """Assign a mentor or case manager to a mentee; the caller commits."""
    if kind not in ASSIGNMENT_KINDS:
        raise PeopleError("An assignment is for a mentor or a case manager.", "kind")
    if not staff.has_role(kind):
        raise PeopleError(
            f"{staff.display_name} does not have the {kind.replace('_', ' ')} role.", "staff_id"
        )
    if staff.organisation_id != mentee.organisation_id:
        raise PeopleError("Staff and mentee must belong to the same organisation.", "staff_id")
    starts_on = starts_on or today(mentee)
    if ends_on is not None and ends_on < starts_on:
        raise PeopleError("The end date cannot be before the start date.", "ends_on")
    assignment = Assignment(
        staff_id=staff.id,
        mentee_id=mentee.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        "assignment.create",
        actor,
        mentee=mentee,
        object_type="assignment",
        object_id=assignment.id,
        kind=kind,
        staff=staff.id,
    )
    return assignment


def end_assignment(
    assignment: Assignment, ends_on: date | None = None, actor: User | None = None
) -> None:
    """End access from `ends_on` (default today, so access stops at once); the caller commits."""
    ends_on = ends_on or today(assignment.mentee)
    if ends_on < assignment.starts_on:
        raise PeopleError("The end date cannot be before the start date.", "ends_on")
    assignment.ends_on = ends_on
    audit.record(
        "assignment.end",
        actor,
        mentee=assignment.mentee,
        object_type="assignment",
        object_id=assignment.id,
        ends_on=ends_on.isoformat(),
    )


def add_assignment(
    staff: User,
    mentee: Mentee,
    kind: str,
    starts_on: date | None = None,
    actor: User | None = None,
) -> Assignment:
    """`assign`, refusing a second open assignment of the same person, mentee and kind.

    Also refuses deactivated staff and discharged mentees. The caller commits.
    """
    starts_on = starts_on or today(mentee)
    if not staff.active:
        raise PeopleError(f"{staff.display_name} is deactivated.", "staff_id")
    if mentee.status != "active":
        raise PeopleError(f"{mentee.name} is discharged; readmit them first.", "mentee_id")
    # The new assignment has no end, so any other one not ended by its start overlaps.
    overlapping = db.session.scalar(
        select(Assignment.id).where(
            Assignment.staff_id == staff.id,
            Assignment.mentee_id == mentee.id,
            Assignment.kind == kind,
            ~Assignment.has_ended(starts_on),
        )
    )
    if overlapping:
        raise PeopleError(
            f"{staff.display_name} is already assigned to {mentee.name} as "
            f"{kind.replace('_', ' ')}.",
            "staff_id",
        )
    return assign(staff, mentee, kind, starts_on, actor=actor)


def stop_assignment(assignment: Assignment, ends_on: date, actor: User | None = None) -> None:
    """`end_assignment`, refusing one that has already ended; the caller commits."""
    ended_on = assignment.ends_on
    if ended_on is not None and assignment.has_ended(today(assignment.mentee)):
        raise PeopleError(f"This assignment already ended on {ended_on.isoformat()}.")
    end_assignment(assignment, ends_on, actor=actor)
