"""A mentee record's standing: discharged or active, and the login linked to it.

Each change is audited; the caller commits.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..i18n import local_date
from ..models import Mentee, User
from ..timeutil import today
from . import audit
from .people import PeopleError


def discharge_mentee(mentee: Mentee, discharged_on: date, actor: User | None = None) -> None:
    """Mark a mentee discharged; assignments stay so staff can still read the history.

    New sign-offs are refused for a discharged mentee. The caller commits.
    """
    if mentee.status == "discharged":
        raise PeopleError(_("%(name)s is already discharged.", name=mentee.name))
    if discharged_on > today(mentee):
        raise PeopleError(_("The discharge date cannot be in the future."), "discharged_on")
    if discharged_on < mentee.start_date:
        raise PeopleError(
            _(
                "The discharge date cannot be before the start date, %(date)s.",
                date=local_date(mentee.start_date),
            ),
            "discharged_on",
        )
    mentee.status = "discharged"
    mentee.discharged_on = discharged_on
    audit.record(
        "mentee.discharge",
        actor,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        discharged_on=discharged_on.isoformat(),
    )


def readmit_mentee(mentee: Mentee, actor: User | None = None) -> None:
    """Make a discharged mentee active again; the caller commits."""
    if mentee.status != "discharged":
        raise PeopleError(_("%(name)s is not discharged.", name=mentee.name))
    previous = mentee.discharged_on
    mentee.status = "active"
    mentee.discharged_on = None
    audit.record(
        "mentee.readmit",
        actor,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        was_discharged_on=previous.isoformat() if previous else None,
    )


def link_login(mentee: Mentee, user: User, actor: User | None = None) -> None:
    """Attach a mentee login to a mentee record, replacing any earlier one; caller commits."""
    if user.organisation_id != mentee.organisation_id:
        raise PeopleError(
            _("The login and the mentee must belong to the same organization."), "user_id"
        )
    if not user.has_role("mentee"):
        raise PeopleError(
            _("%(name)s does not have the mentee role.", name=user.display_name), "user_id"
        )
    if not user.active:
        raise PeopleError(_("%(name)s is deactivated.", name=user.display_name), "user_id")
    other = db.session.scalar(
        select(Mentee).where(Mentee.user_id == user.id, Mentee.id != mentee.id)
    )
    if other is not None:
        raise PeopleError(
            _("That login is already linked to mentee %(number)s.", number=other.record_number),
            "user_id",
        )
    previous = mentee.user_id
    if previous == user.id:
        raise PeopleError(_("That login is already linked to this mentee."), "user_id")
    mentee.user_id = user.id
    audit.record(
        "mentee.link_login",
        actor,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        user=user.id,
        previous_user=previous,
    )


def unlink_login(mentee: Mentee, actor: User | None = None) -> User:
    """Detach the login from a mentee record: it stops seeing the record at once and
    stays active, so it can be linked again. Returns the login; the caller commits."""
    user = mentee.user
    if user is None:
        raise PeopleError(_("%(name)s has no login linked.", name=mentee.name))
    mentee.user_id = None
    audit.record(
        "mentee.unlink_login",
        actor,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        user=user.id,
    )
    return user
