"""Reading people, mentee records and assignments: the lists behind the admin pages.

Writes live in `services.people`. "Current" and "ended" are the model's rules
(`Assignment.is_current`, `Assignment.has_ended`), never a copy here.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import QueryableAttribute, selectinload

from .. import permissions
from ..extensions import db
from ..models import Assignment, Mentee, User
from .paging import Slice, fetch_page

StaffNames = dict[int, dict[str, list[str]]]


def staff_names(mentee_ids: list[int], on: date, kinds: Iterable[str] | None = None) -> StaffNames:
    """Names of the current mentors and case managers (or only `kinds`) of many mentees,
    in one query.

    Keyed by mentee id, then assignment kind; a mentee or kind with no one reads as empty.
    """
    names: StaffNames = defaultdict(lambda: defaultdict(list))
    if not mentee_ids:
        return names
    query = (
        select(Assignment.mentee_id, Assignment.kind, User.display_name)
        .join(User, User.id == Assignment.staff_id)
        .where(Assignment.mentee_id.in_(mentee_ids), Assignment.is_current(on))
        .order_by(User.display_name)
    )
    if kinds is not None:
        query = query.where(Assignment.kind.in_(list(kinds)))
    rows = db.session.execute(query)
    for mentee_id, kind, name in rows:
        names[mentee_id][kind].append(name)
    return names


# --- One record, only from the asker's organisation -----------------------------------


def user_in(organisation_id: int, user_id: int) -> User | None:
    """The login, or None when missing or in another organisation."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.organisation_id == organisation_id else None


def active_mentees_of(mentor: User) -> list[Mentee]:
    """The mentor's current, active mentees, by name: those they sign off and write
    session notes for."""
    assigned = db.session.scalars(permissions.mentees_assigned(mentor, "mentor"))
    return [mentee for mentee in assigned if mentee.status == "active"]


def mentee_record_of(user: User) -> Mentee | None:
    """The mentee record linked to `user`'s login, if any."""
    return db.session.scalar(select(Mentee).where(Mentee.user_id == user.id))


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

SEARCH_MAX = 100  # characters of a search; longer is cut, never an error


def matches(text: str | None, *columns: QueryableAttribute[Any]) -> ColumnElement[bool]:
    """Any of `columns` contains `text`, ignoring case; `%` and `_` are taken literally.
    Empty text matches everything."""
    words = " ".join((text or "").split())[:SEARCH_MAX]
    if not words:
        return true()
    pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def people_page(
    organisation_id: int, number: int, per_page: int, search: str | None = None
) -> Slice[User]:
    """One page of everyone with a login in the organisation, by name; `search` keeps
    those whose name or username contains it."""
    return fetch_page(
        select(User)
        .where(
            User.organisation_id == organisation_id,
            matches(search, User.display_name, User.username),
        )
        .order_by(User.display_name, User.id),
        number,
        per_page,
    )


def mentees_page(
    organisation_id: int, number: int, per_page: int, search: str | None = None
) -> Slice[Mentee]:
    """One page of the organisation's mentee records, by name, logins loaded; `search`
    keeps those whose names, record number or login's username contain it."""
    return fetch_page(
        select(Mentee)
        .outerjoin(User, User.id == Mentee.user_id)
        .where(
            Mentee.organisation_id == organisation_id,
            matches(
                search,
                Mentee.full_name,
                Mentee.preferred_name,
                Mentee.record_number,
                User.username,
            ),
        )
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
    search: str | None = None,
) -> Slice[Assignment]:
    """One page of the organisation's assignments, by mentee then newest first.

    `show` is "current" (not ended on `on`, so upcoming too), "ended" or "all";
    a `record_number` (even empty) keeps only that mentee's; `search` keeps those whose
    mentee (name, record number) or staff member (name, username) contains it.
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
    if search:
        query = query.where(
            matches(
                search,
                Mentee.full_name,
                Mentee.preferred_name,
                Mentee.record_number,
                User.display_name,
                User.username,
            )
        )
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


def open_assignments_of(staff: User, on: date) -> list[Assignment]:
    """`staff`'s assignments of either kind not ended by `on` (current or upcoming),
    mentees loaded, by mentee name."""
    return list(
        db.session.scalars(
            select(Assignment)
            .join(Mentee, Mentee.id == Assignment.mentee_id)
            .where(Assignment.staff_id == staff.id, ~Assignment.has_ended(on))
            .options(selectinload(Assignment.mentee))
            .order_by(Mentee.full_name, Mentee.id, Assignment.kind, Assignment.id)
        )
    )


# --- Possible duplicate mentees ------------------------------------------------------

_CHUNK = 500  # values per IN (...) list: well inside every database's limit


def same_person_key(full_name: str, start_date: date) -> tuple[str, date]:
    """The one rule for a possible duplicate mentee record: the same name (ignoring case
    and spacing) and the same start date. A roster import and the add-a-mentee page both
    ask; the admin confirms when they are different people."""
    return " ".join(full_name.casefold().split()), start_date


def mentees_named(organisation_id: int, names: Iterable[str]) -> list[Mentee]:
    """The organisation's mentees with any of these names, ignoring case and spaces: the
    few rows `same_person_key` then compares, found with one query per 500 names."""
    wanted = sorted({"".join(name.lower().split()) for name in names} - {""})
    squeezed = func.lower(func.replace(Mentee.full_name, " ", ""))
    found: list[Mentee] = []
    for start in range(0, len(wanted), _CHUNK):
        found.extend(
            db.session.scalars(
                select(Mentee)
                .where(
                    Mentee.organisation_id == organisation_id,
                    squeezed.in_(wanted[start : start + _CHUNK]),
                )
                .order_by(Mentee.id)
            )
        )
    return found


def possible_duplicates(organisation_id: int, full_name: str, start_date: date) -> list[Mentee]:
    """The organisation's mentees that `same_person_key` says may be this new one."""
    key = same_person_key(full_name, start_date)
    return [
        mentee
        for mentee in mentees_named(organisation_id, [full_name])
        if same_person_key(mentee.full_name, mentee.start_date) == key
    ]
