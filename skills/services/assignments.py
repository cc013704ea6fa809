"""Assignments: a mentor or case manager working with a mentee between two dates.

When an assignment is current is the model's rule (`Assignment.is_current`); these
functions create and end them, and audit each change.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import local_date
from ..models import Assignment, Mentee, User
from ..models.people import ASSIGNMENT_KINDS, ROLE_LABELS
from ..timeutil import today
from ..transactions import lock_for_write
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
        raise PeopleError(_("An assignment is for a mentor or a case manager."), "kind")
    if not staff.has_role(kind):
        raise PeopleError(
            _(
                "%(name)s does not have the %(role)s role.",
                name=staff.display_name,
                role=ROLE_LABELS[kind].lower(),
            ),
            "staff_id",
        )
    if staff.organisation_id != mentee.organisation_id:
        raise PeopleError(_("Staff and mentee must belong to the same organization."), "staff_id")
    starts_on = starts_on or today(mentee)
    if ends_on is not None and ends_on < starts_on:
        raise PeopleError(_("The end date cannot be before the start date."), "ends_on")
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
        raise PeopleError(_("The end date cannot be before the start date."), "ends_on")
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
        raise PeopleError(_("%(name)s is deactivated.", name=staff.display_name), "staff_id")
    if mentee.status != "active":
        raise PeopleError(
            _("%(name)s is discharged; readmit them first.", name=mentee.name), "mentee_id"
        )
    # The staff member's row, as a caseload transfer locks it: two admins (or an admin and
    # a transfer or roster import) cannot both find no overlap and both assign.
    lock_for_write(User, staff.id)
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
            _(
                "%(staff)s is already assigned to %(name)s as %(role)s.",
                staff=staff.display_name,
                name=mentee.name,
                role=ROLE_LABELS[kind].lower(),
            ),
            "staff_id",
        )
    return assign(staff, mentee, kind, starts_on, actor=actor)


def stop_assignment(assignment: Assignment, ends_on: date, actor: User | None = None) -> None:
    """`end_assignment`, refusing one that has already ended; the caller commits."""
    ended_on = assignment.ends_on
    if ended_on is not None and assignment.has_ended(today(assignment.mentee)):
        raise PeopleError(
            _("This assignment already ended on %(date)s.", date=local_date(ended_on))
        )
    end_assignment(assignment, ends_on, actor=actor)
