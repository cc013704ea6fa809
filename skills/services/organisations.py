"""An organisation's settings: its name, time zone and who must use two-step sign-in.

Every change is audited in the organisation's own log, with the old and new value.
"""

import unicodedata
import zoneinfo
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ROLES, Organisation, User
from . import audit

NAME_MAX = 200
# Offered first, in this order: the zones of the US states and territories we serve.
US_TIME_ZONES = {
    "America/New_York": _l("Eastern"),
    "America/Chicago": _l("Central"),
    "America/Denver": _l("Mountain"),
    "America/Phoenix": _l("Arizona (no daylight saving)"),
    "America/Los_Angeles": _l("Pacific"),
    "America/Anchorage": _l("Alaska"),
    "Pacific/Honolulu": _l("Hawaii"),
    "America/Puerto_Rico": _l("Puerto Rico and the US Virgin Islands"),
}
# Where every IANA name is listed, for whoever types one (the command line).
TIME_ZONE_LIST = "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones"


class SettingsRefused(ValueError):
    """A setting cannot be saved; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Settings:
    name: str
    time_zone: str
    two_step_roles: frozenset[str]


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zones() -> list[str]:
    """Every IANA time zone: the US ones first, then the rest alphabetically."""
    return [*US_TIME_ZONES, *sorted(_known_time_zones() - set(US_TIME_ZONES))]


def current(org: Organisation) -> Settings:
    return Settings(org.name, org.time_zone, org.two_step_role_set)


def _clean_name(org: Organisation, name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise SettingsRefused(_("Enter the organization's name."), "name")
    if len(name) > NAME_MAX:
        raise SettingsRefused(_("The name is at most %(num)d characters.", num=NAME_MAX), "name")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise SettingsRefused(_("The name cannot hold control characters."), "name")
    taken = db.session.scalar(
        select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != org.id
        )
    )
    if taken:
        raise SettingsRefused(_taken(name), "name")
    return name


def _taken(name: str) -> str:
    return _("Another organization is already called “%(name)s”.", name=name)


def _roles_text(roles: frozenset[str]) -> str:
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise SettingsRefused(
            _(
                "Unknown role: %(unknown)s. Roles are: %(roles)s.",
                unknown=", ".join(unknown),
                roles=", ".join(ROLES),
            ),
            "two_step_roles",
        )
    return " ".join(r for r in ROLES if r in roles)  # one spelling per set, in role order


def update(
    org: Organisation, wanted: Settings, actor: User | None, *, via: str = "settings page"
) -> dict[str, tuple[str, str]]:
    """Save `wanted`; returns {setting: (old, new)} for what changed. The caller commits.

    `actor` is None from the command line; `via` says where the change came from.
    """
    name = _clean_name(org, wanted.name)
    if wanted.time_zone not in _known_time_zones():
        raise SettingsRefused(
            _(
                "“%(zone)s” is not a time zone name, like America/Chicago. Choose one from "
                "the list of time zones (%(link)s).",
                zone=wanted.time_zone,
                link=TIME_ZONE_LIST,
            ),
            "time_zone",
        )
    roles = _roles_text(wanted.two_step_roles)
    changes = {
        field: (old, new)
        for field, old, new in (
            ("name", org.name, name),
            ("time_zone", org.time_zone, wanted.time_zone),
            ("two_step_roles", org.two_step_roles or "", roles),
        )
        if old != new
    }
    if not changes:
        return changes
    org.name, org.time_zone, org.two_step_roles = name, wanted.time_zone, roles
    try:
        db.session.flush()
    except IntegrityError as exc:  # another admin took the name a moment ago
        raise SettingsRefused(_taken(name), "name") from exc
    audit.record(
        "organisation.settings",
        actor,
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        changes={field: {"old": old, "new": new} for field, (old, new) in changes.items()},
        via=via,
    )
    return changes


def require_two_step(
    org: Organisation, roles: frozenset[str], actor: User | None, *, via: str = "settings page"
) -> dict[str, tuple[str, str]]:
    """Set only which roles must use two-step sign-in."""
    return update(org, Settings(org.name, org.time_zone, roles), actor, via=via)
