"""An organisation's billing settings for session notes: service code, modifiers (and
those added for a group contact), the unit rule (services/session_notes.py, `units_for`)
and the days to sign a note in.

Every change is audited in the organisation's own log, with the old and new value.
New notes use the settings; notes already written keep what they were written with.
"""

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from ..models import Organisation, User
from . import audit
from .organisations import SettingsRefused

CODE = re.compile(r"[A-Z0-9]{1,16}")
MODIFIER = re.compile(r"[A-Z0-9]{2}")
MAX_MODIFIERS = 4  # the claim form has four modifier places


@dataclass(frozen=True)
class BillingSettings:
    code: str
    modifiers: str  # space-separated two-character modifiers, e.g. "HQ U1"
    unit_minutes: int
    unit_threshold: int
    sign_within_days: int
    # Added to a group contact's notes after `modifiers`, e.g. "HQ".
    group_modifiers: str = "HQ"


def current(org: Organisation) -> BillingSettings:
    return BillingSettings(
        org.billing_code,
        org.billing_modifiers,
        org.unit_minutes,
        org.unit_threshold,
        org.sign_within_days,
        org.group_modifiers,
    )


def _modifiers(raw: str, field: str) -> list[str]:
    modifiers = raw.upper().replace(",", " ").split()
    if len(modifiers) > MAX_MODIFIERS or not all(MODIFIER.fullmatch(m) for m in modifiers):
        raise SettingsRefused(
            _(
                "Modifiers are up to %(max)d codes of two letters or digits, separated by "
                "spaces, like HQ U1.",
                max=MAX_MODIFIERS,
            ),
            field,
        )
    return modifiers


def _clean(wanted: BillingSettings) -> BillingSettings:
    code = wanted.code.strip().upper()
    if not CODE.fullmatch(code):
        raise SettingsRefused(
            _("The service code is letters and digits only, like H0038."), "billing_code"
        )
    modifiers = _modifiers(wanted.modifiers, "billing_modifiers")
    group = _modifiers(wanted.group_modifiers, "group_modifiers")
    if len(set(modifiers) | set(group)) > MAX_MODIFIERS:
        raise SettingsRefused(
            _(
                "With the modifiers of every note, a group note would carry more than "
                "%(max)d modifiers; the claim form has room for %(max)d.",
                max=MAX_MODIFIERS,
            ),
            "group_modifiers",
        )
    if not 1 <= wanted.unit_minutes <= 60:
        raise SettingsRefused(_("A unit is from 1 to 60 minutes."), "unit_minutes")
    if not 1 <= wanted.unit_threshold <= wanted.unit_minutes:
        raise SettingsRefused(
            _(
                "A part unit counts from 1 to %(max)d minutes (the unit's length).",
                max=wanted.unit_minutes,
            ),
            "unit_threshold",
        )
    if not 0 <= wanted.sign_within_days <= 30:
        raise SettingsRefused(_("Notes are signed within 0 to 30 days."), "sign_within_days")
    return BillingSettings(
        code,
        " ".join(modifiers),
        wanted.unit_minutes,
        wanted.unit_threshold,
        wanted.sign_within_days,
        " ".join(group),
    )


def update(
    org: Organisation, wanted: BillingSettings, actor: User | None
) -> dict[str, tuple[object, object]]:
    """Save `wanted`; returns {setting: (old, new)} for what changed. The caller commits."""
    clean = _clean(wanted)
    old = current(org)
    columns = {
        "billing_code": (old.code, clean.code),
        "billing_modifiers": (old.modifiers, clean.modifiers),
        "unit_minutes": (old.unit_minutes, clean.unit_minutes),
        "unit_threshold": (old.unit_threshold, clean.unit_threshold),
        "sign_within_days": (old.sign_within_days, clean.sign_within_days),
        "group_modifiers": (old.group_modifiers, clean.group_modifiers),
    }
    changes = {name: pair for name, pair in columns.items() if pair[0] != pair[1]}
    if not changes:
        return changes
    for name, (_old, new) in changes.items():
        setattr(org, name, new)
    audit.record(
        "organisation.settings",
        actor,
        object_type="organisation",
        object_id=org.id,
        organisation_id=org.id,
        changes={name: {"old": a, "new": b} for name, (a, b) in changes.items()},
        via="billing settings page",
    )
    return changes
