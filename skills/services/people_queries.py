"""Reading people, mentee records and assignments: the lists behind the admin pages.

Writes live in `services.people`. "Current" and "ended" are the model's rules
(`Assignment.is_current`, `Assignment.has_ended`), never a copy here.
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Assignment, Mentee, User
from ..timeutil import today
from .paging import Slice, fetch_page

StaffNames = dict[int, dict[str, list[str]]]


def staff_names(mentee_ids: list[int], on: date | None = None) -> StaffNames:
    """Names of the current mentors and case managers of many mentees, in one query.

    Keyed by mentee id, then assignment kind; a mentee or kind with no one reads as empty.
    """
    names: StaffNames = defaultdict(lambda: defaultdict(list))
    if not mentee_ids:
        return names
    rows = db.session.execute(
        select(Assignment.mentee_id, Assignment.kind, User.display_name)
        .join(User, User.id == Assignment.staff_id)
        .where(Assignment.mentee_id.in_(mentee_ids), Assignment.is_current(on or today()))
        .order_by(User.display_name)
    )
    for mentee_id, kind, name in rows:
        names[mentee_id][kind].append(name)
    return names


# --- One record, only from the asker's organisation -----------------------------------


def user_in(organisation_id: int, user_id: int) -> User | None:
    """The login, or None when missing or in another organisation."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.organisation_id == organisation_id else None


def mentee_in(organisation_id: int, mentee_id: int) -> Mentee | None:
    """The mentee record, or None when missing or in another organisation."""
    mentee = db.session.get(Mentee, mentee_id)
    return mentee if mentee is not None and mentee.organisation_id == organisation_id else None


def assignment_in(organisation_id: int, assignment_id: int) -> Assignment | None:
    """The assignment, or None when missing or its mentee is in another organisation."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.mentee.organisation_id != organisation_id:
        return None
    return assignment


# --- Lists --------------------------------------------------------------------------


def people_page(organisation_id: int, number: int, per_page: int) -> Slice[User]:
    """One page of everyone with a login in the organisation, by name."""
    return fetch_page(
        select(User)
        .where(User.organisation_id == organisation_id)
        .order_by(User.display_name, User.id),
        number,
        per_page,
    )


def mentees_page(organisation_id: int, number: int, per_page: int) -> Slice[Mentee]:
    """One page of the organisation's mentee records, by name, logins loaded."""
    return fetch_page(
        select(Mentee)
        .where(Mentee.organisation_id == organisation_id)
        .options(selectinload(Mentee.user))
        .order_by(Mentee.full_name, Mentee.id),
        number,
        per_page,
    )


def assignments_page(
    organisation_id: int,
    show: str,
    record_number: str | None,
    on: date,
    number: int,
    per_page: int,
) -> Slice[Assignment]:
    """One page of the organisation's assignments, by mentee then newest first.

    `show` is "current" (not ended on `on`, so upcoming too), "ended" or "all";
    a `record_number` (even empty) keeps only that mentee's.
    """
    query = (
        select(Assignment)
        .join(Mentee, Mentee.id == Assignment.mentee_id)
        .join(User, User.id == Assignment.staff_id)
        .where(Mentee.organisation_id == organisation_id)
        .options(selectinload(Assignment.staff), selectinload(Assignment.mentee))
        .order_by(Mentee.full_name, Mentee.id, Assignment.starts_on.desc(), Assignment.id.desc())
    )
    if show == "current":
        query = query.where(~Assignment.has_ended(on))
    elif show == "ended":
        query = query.where(Assignment.has_ended(on))
    if record_number is not None:
        query = query.where(Mentee.record_number == record_number)
    return fetch_page(query, number, per_page)


def mentee_assignments(mentee: Mentee) -> list[Assignment]:
    """Every assignment of `mentee`, current and ended, newest first, staff loaded."""
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.mentee_id == mentee.id)
            .options(selectinload(Assignment.staff))
            .order_by(Assignment.starts_on.desc(), Assignment.id.desc())
        )
    )


def assignable_staff(organisation_id: int) -> list[User]:
    """Active mentors and case managers of the organisation, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.active.is_(True),
                or_(User.roles.contains("mentor"), User.roles.contains("case_manager")),
            )
            .order_by(User.display_name, User.id)
        )
    )


def active_mentees(organisation_id: int) -> list[Mentee]:
    """The organisation's active mentee records, by name."""
    return list(
        db.session.scalars(
            select(Mentee)
            .where(Mentee.organisation_id == organisation_id, Mentee.status == "active")
            .order_by(Mentee.full_name, Mentee.id)
        )
    )


def linkable_logins(organisation_id: int) -> list[User]:
    """Active logins with the mentee role in the organisation not linked to any mentee."""
    linked = select(Mentee.user_id).where(Mentee.user_id.is_not(None))
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.organisation_id == organisation_id,
                User.active.is_(True),
                User.roles.contains("mentee"),
                User.id.not_in(linked),
            )
            .order_by(User.display_name, User.id)
        )
    )
