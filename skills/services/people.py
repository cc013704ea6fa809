"""Creating and changing people and mentee records.

Assignments are in `services.assignments`; the lists and lookups behind the admin
pages are in `services.people_queries`.
"""

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..i18n import local_date
from ..models import ROLES, Mentee, Organisation, SignoffEvent, User
from ..timeutil import today
from . import audit
from .curriculum.owners import adopt_whole_library
from .passwords import hash_password, unusable_hash

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class PeopleError(ValueError):
    """A rule about people or assignments was broken; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def get_or_create_organisation(name: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
        adopt_whole_library(org)
    return org


def normalise_roles(roles: list[str] | tuple[str, ...] | str) -> str:
    names = roles.split() if isinstance(roles, str) else list(roles)
    unknown = [r for r in names if r not in ROLES]
    if unknown or not names:
        raise PeopleError(
            _("Roles must be one or more of: %(roles)s.", roles=", ".join(ROLES)), "roles"
        )
    return " ".join(r for r in ROLES if r in names)


def create_user(
    organisation: Organisation,
    username: str,
    display_name: str,
    password: str | None,
    roles: list[str] | tuple[str, ...] | str,
    actor: User | None = None,
    *,
    must_change_password: bool = False,
) -> User:
    """Add a login; the caller commits. `must_change_password` when someone other than
    the person chose the password (an admin's form, `flask user create`). With no
    password (a roster import) nobody can sign in as them until an admin sets one."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise PeopleError(
            _("A username is 2–64 characters: lowercase letters, digits, dot, dash or underscore."),
            "username",
        )
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise PeopleError(
            _("The username “%(username)s” is already taken.", username=username), "username"
        )
    display_name = display_name.strip()
    if not display_name:
        raise PeopleError(_("Enter the person's name."), "display_name")
    user = User(
        organisation_id=organisation.id,
        username=username,
        display_name=display_name,
        password_hash=(
            unusable_hash()
            if password is None
            else hash_password(password, (username, display_name))
        ),
        roles=normalise_roles(roles),
        active=True,
        must_change_password=must_change_password,
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
        raise PeopleError(_("Enter the mentee's full name."), "full_name")
    if start_date > today(organisation):
        raise PeopleError(_("The start date cannot be in the future."), "start_date")
    if record_number:
        record_number = record_number.strip()
        taken = db.session.scalar(
            select(Mentee.id).where(
                Mentee.organisation_id == organisation.id, Mentee.record_number == record_number
            )
        )
        if taken:
            raise PeopleError(
                _("Record number %(number)s is already used.", number=record_number),
                "record_number",
            )
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
        mentee.record_number = _free_record_number(organisation.id, f"M{mentee.id:05d}")
    audit.record("mentee.create", actor, mentee=mentee, object_type="mentee", object_id=mentee.id)
    return mentee


def _free_record_number(organisation_id: int, wanted: str) -> str:
    """`wanted`, or `wanted-2`, `-3`, ... when someone typed that number for another
    mentee (a made-up number must never clash with a real one)."""
    taken = set(
        db.session.scalars(
            select(Mentee.record_number).where(
                Mentee.organisation_id == organisation_id,
                Mentee.record_number.like(f"{wanted}%"),
            )
        )
    )
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


# --- Changes made from the admin pages -------------------------------------------------

# N_ marks a message for the catalog; it is translated where it is raised.
N_ = str
STALE_MESSAGE = N_("This person was changed by someone else; reload and try again.")
STALE_MENTEE_MESSAGE = N_("This mentee was changed by someone else; reload and try again.")


def _check_version(obj: User | Mentee, expected_version: int | None, message: str) -> None:
    # The form carries the version it was built from: refuse an edit made on stale data.
    if expected_version is None or expected_version != obj.version_id:
        raise PeopleError(_(message))


def _flush_versioned(message: str) -> None:
    # version_id_col makes the UPDATE check the version again, closing the gap between
    # our check and the write when two admins save at the same moment.
    try:
        db.session.flush()
    except StaleDataError:
        raise PeopleError(_(message)) from None


def update_user(
    user: User,
    display_name: str,
    roles: list[str] | tuple[str, ...] | str,
    expected_version: int | None,
    actor: User | None = None,
) -> None:
    """Change a person's name and roles; a role change ends their sessions. Caller commits."""
    _check_version(user, expected_version, STALE_MESSAGE)
    display_name = display_name.strip()
    if not display_name:
        raise PeopleError(_("Enter the person's name."), "display_name")
    new_roles = normalise_roles(roles)
    if actor is not None and actor.id == user.id and "admin" not in new_roles.split():
        raise PeopleError(
            _("You cannot remove your own admin role; ask another admin to do it."), "roles"
        )
    changed = []
    if display_name != user.display_name:
        user.display_name = display_name
        changed.append("display_name")
    if new_roles != user.roles:
        old_roles = user.roles
        user.roles = new_roles
        user.session_version += 1  # new roles take effect at the next sign-in
        changed.append("roles")
    _flush_versioned(STALE_MESSAGE)
    # Any: passed on as keywords, which mypy would check against each named parameter.
    detail: dict[str, Any] = {"changed": changed}
    if "roles" in changed:
        detail.update(roles=new_roles, old_roles=old_roles)
    audit.record("user.update", actor, object_type="user", object_id=user.id, **detail)


def deactivate_user(user: User, actor: User | None = None) -> None:
    """Stop a person signing in and end their sessions; the caller commits."""
    if actor is not None and actor.id == user.id:
        raise PeopleError(_("You cannot deactivate yourself; ask another admin to do it."))
    if not user.active:
        raise PeopleError(_("%(name)s is already deactivated.", name=user.display_name))
    user.active = False
    user.session_version += 1
    audit.record("user.deactivate", actor, object_type="user", object_id=user.id)


def reactivate_user(user: User, actor: User | None = None) -> None:
    """Let a deactivated person sign in again; the caller commits."""
    if user.active:
        raise PeopleError(_("%(name)s is already active.", name=user.display_name))
    user.active = True
    audit.record("user.reactivate", actor, object_type="user", object_id=user.id)


def reset_password(user: User, password: str, actor: User | None = None) -> None:
    """Set a new password and end the person's sessions; the caller commits.

    Raises PasswordRejected when the password breaks the rules. The person must change
    it at their next sign-in. Admins change their own password on their account page,
    which asks for the current one.
    """
    if actor is not None and actor.id == user.id:
        raise PeopleError(
            _("Change your own password from your account page; it asks for your current one.")
        )
    user.password_hash = hash_password(password, (user.username, user.display_name))
    user.session_version += 1
    # Someone else now knows it: the owner chooses their own at the next sign-in.
    user.must_change_password = True
    audit.record("user.password_reset", actor, object_type="user", object_id=user.id)


def earliest_shown_on(mentee: Mentee) -> date | None:
    """The earliest date any recorded sign-off for `mentee` was shown."""
    return db.session.scalar(
        select(func.min(SignoffEvent.shown_on)).where(SignoffEvent.mentee_id == mentee.id)
    )


def update_mentee(
    mentee: Mentee,
    full_name: str,
    preferred_name: str | None,
    record_number: str | None,
    start_date: date,
    expected_version: int | None,
    actor: User | None = None,
) -> None:
    """Change a mentee's names, record number and start date; the caller commits."""
    _check_version(mentee, expected_version, STALE_MENTEE_MESSAGE)
    full_name = full_name.strip()
    if not full_name:
        raise PeopleError(_("Enter the mentee's full name."), "full_name")
    record_number = (record_number or "").strip()
    if not record_number:
        raise PeopleError(_("Enter a record number."), "record_number")
    if record_number != mentee.record_number:
        taken = db.session.scalar(
            select(Mentee.id).where(
                Mentee.organisation_id == mentee.organisation_id,
                Mentee.record_number == record_number,
                Mentee.id != mentee.id,
            )
        )
        if taken:
            raise PeopleError(
                _("Record number %(number)s is already used.", number=record_number),
                "record_number",
            )
    if start_date > today(mentee):
        raise PeopleError(_("The start date cannot be in the future."), "start_date")
    earliest = earliest_shown_on(mentee)
    if earliest is not None and start_date > earliest:
        raise PeopleError(
            _(
                "The start date cannot be after the earliest sign-off, shown on %(date)s.",
                date=local_date(earliest),
            ),
            "start_date",
        )
    values = {
        "full_name": full_name,
        "preferred_name": (preferred_name or "").strip() or None,
        "record_number": record_number,
        "start_date": start_date,
    }
    changed = [name for name, value in values.items() if getattr(mentee, name) != value]
    for name in changed:
        setattr(mentee, name, values[name])
    _flush_versioned(STALE_MENTEE_MESSAGE)
    audit.record(
        "mentee.update",
        actor,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        changed=changed,
    )
