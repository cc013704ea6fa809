"""Creating and changing people, mentee records and assignments."""

import re
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, Assignment, Mentee, Organisation, User
from ..models.people import ASSIGNMENT_KINDS
from ..timeutil import today
from . import audit
from .passwords import hash_password

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class PeopleError(ValueError):
    """A rule about people or assignments was broken; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def get_or_create_organisation(name: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
    return org


def normalise_roles(roles: list[str] | tuple[str, ...] | str) -> str:
    names = roles.split() if isinstance(roles, str) else list(roles)
    unknown = [r for r in names if r not in ROLES]
    if unknown or not names:
        raise PeopleError("Roles must be one or more of: " + ", ".join(ROLES) + ".", "roles")
    return " ".join(r for r in ROLES if r in names)


def create_user(
    organisation: Organisation,
    username: str,
    display_name: str,
    password: str,
    roles: list[str] | tuple[str, ...] | str,
    actor: User | None = None,
) -> User:
    """Add a login; the caller commits."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise PeopleError(
            "A username is 2–64 characters: lowercase letters, digits, dot, dash or underscore.",
            "username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise PeopleError(f"The username “{username}” is already taken.", "username")
    display_name = display_name.strip()
    if not display_name:
        raise PeopleError("Enter the person's name.", "display_name")
    user = User(
        organisation_id=organisation.id,
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=normalise_roles(roles),
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create",
        actor,
        object_type="user",
        object_id=user.id,
        organisation_id=organisation.id,
        roles=user.roles,
    )
    return user


def create_mentee(
    organisation: Organisation,
    full_name: str,
    start_date: date,
    record_number: str | None = None,
    preferred_name: str | None = None,
    actor: User | None = None,
) -> Mentee:
    """Add a mentee record (no login needed); the caller commits."""
    full_name = full_name.strip()
    if not full_name:
        raise PeopleError("Enter the mentee's full name.", "full_name")
    if start_date > today():
        raise PeopleError("The start date cannot be in the future.", "start_date")
    if record_number:
        record_number = record_number.strip()
        taken = db.session.scalar(
            select(Mentee.id).where(
                Mentee.organisation_id == organisation.id, Mentee.record_number == record_number
            )
        )
        if taken:
            raise PeopleError(f"Record number {record_number} is already used.", "record_number")
    mentee = Mentee(
        organisation_id=organisation.id,
        full_name=full_name,
        preferred_name=(preferred_name or "").strip() or None,
        start_date=start_date,
        record_number=record_number or "pending",
    )
    db.session.add(mentee)
    db.session.flush()
    if not record_number:
        mentee.record_number = f"M{mentee.id:05d}"
    audit.record("mentee.create", actor, mentee=mentee, object_type="mentee", object_id=mentee.id)
    return mentee


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
    starts_on = starts_on or today()
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
    ends_on = ends_on or today()
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
