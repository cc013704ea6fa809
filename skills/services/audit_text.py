"""Audit events in words: names instead of internal ids, and a plain sentence per action.

Names are looked up in bulk for a whole page (one query for people, one for mentees),
and only within the reading organisation, so another organisation's names never show.
The stored detail never holds note text or secrets; this only rewords what is there."""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Mentee, User
from ..models.people import ROLE_LABELS

# Detail keys whose values are ids of people, or of mentees (one id or a list of them).
PERSON_KEYS = frozenset({"staff", "user", "previous_user", "source", "target"})
MENTEE_KEYS = frozenset({"moved", "already_with_target"})
Named = TypeVar("Named", User, Mentee)

# Detail keys and values as readers see them; a key not listed shows its own words.
DETAIL_LABELS = {
    "changed": _l("changed"),
    "changes": _l("changes"),
    "roles": _l("roles"),
    "old_roles": _l("old roles"),
    "kind": _l("as"),
    "staff": _l("staff member"),
    "user": _l("login"),
    "previous_user": _l("previous login"),
    "source": _l("from"),
    "target": _l("to"),
    "moved": _l("moved"),
    "already_with_target": _l("already with them"),
    "effective_on": _l("from the date"),
    "ends_on": _l("access stops on"),
    "discharged_on": _l("discharged on"),
    "was_discharged_on": _l("had been discharged on"),
    "via": _l("through"),
    "files": _l("files"),
    "mentees": _l("mentees"),
    "logins": _l("logins"),
    "assignments": _l("assignments"),
    "rows": _l("rows"),
    "format": _l("format"),
    "filters": _l("filters"),
    "count": _l("count"),
    "old": _l("before"),
    "new": _l("after"),
    "version": _l("version"),
}
VALUE_LABELS = {
    "mentor": _l("mentor"),
    "case_manager": _l("case manager"),
    "display_name": _l("full name"),
    "full_name": _l("full name"),
    "preferred_name": _l("preferred name"),
    "record_number": _l("record number"),
    "start_date": _l("start date"),
    "settings page": _l("settings page"),
    "admin page": _l("admin page"),
    "command line": _l("command line"),
    "cli": _l("command line"),
    "none": _l("none"),
}
OUTCOMES = {
    "ok": _l("ok"),
    "denied": _l("denied"),
    "failed": _l("failed"),
    "throttled": _l("throttled"),
}


@dataclass
class Names:
    """The people and mentees a page of events mentions, by id."""

    users: dict[int, User] = field(default_factory=dict)
    mentees: dict[int, Mentee] = field(default_factory=dict)

    def person(self, value: object) -> str:
        user = self.users.get(_as_id(value) or 0)
        if user is None:
            if value is None:
                return _("no login")
            return _("someone no longer on record (#%(id)s)", id=value)
        return f"{user.display_name} ({user.username})"

    def mentee(self, value: object) -> str:
        mentee = self.mentees.get(_as_id(value) or 0)
        if mentee is None:
            return _("a mentee no longer on record (#%(id)s)", id=value)
        return f"{mentee.full_name} ({mentee.record_number})"


def _as_id(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _detail(event: AuditEvent) -> dict[str, object]:
    if not event.detail:
        return {}
    try:
        values = json.loads(event.detail)
    except ValueError:
        return {"detail": event.detail}
    return values if isinstance(values, dict) else {"detail": event.detail}


def _ids(values: object) -> list[object]:
    return list(values) if isinstance(values, list) else [values]


def names_for(organisation_id: int, events: Iterable[AuditEvent]) -> Names:
    """Every person and mentee `events` mention, in two queries whatever their number."""
    user_ids: set[int] = set()
    mentee_ids: set[int] = set()
    for event in events:
        if event.actor_id:
            user_ids.add(event.actor_id)
        if event.mentee_id:
            mentee_ids.add(event.mentee_id)
        if event.object_type in ("user", "mentee") and event.object_id:
            target = user_ids if event.object_type == "user" else mentee_ids
            target.add(_as_id(event.object_id) or 0)
        for key, value in _detail(event).items():
            if key in PERSON_KEYS or key in MENTEE_KEYS:
                target = user_ids if key in PERSON_KEYS else mentee_ids
                target.update(i for i in map(_as_id, _ids(value)) if i)
    names = Names()
    names.users = {u.id: u for u in _in_org(User, organisation_id, user_ids)}
    names.mentees = {m.id: m for m in _in_org(Mentee, organisation_id, mentee_ids)}
    return names


def _in_org(model: type[Named], organisation_id: int, ids: set[int]) -> list[Named]:
    # In chunks, so an export naming thousands stays under every database's parameter limit.
    ordered = sorted(ids)
    found: list[Named] = []
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found += db.session.scalars(
            select(model).where(model.organisation_id == organisation_id, model.id.in_(chunk))
        )
    return found


def _word(value: object) -> str:
    # Only plain words are looked up: a name or a number shows as it is.
    return str(VALUE_LABELS.get(value, value)) if isinstance(value, str) else str(value)


def _value(key: str, value: object, names: Names) -> str:
    if key in PERSON_KEYS:
        return names.person(value)
    if key in MENTEE_KEYS:
        return ", ".join(names.mentee(v) for v in _ids(value)) or _("none")
    if isinstance(value, list):
        return ", ".join(map(_word, value)) or _("none")
    if value is None:
        return _("none")
    if key in ("roles", "old_roles"):
        return roles_text(str(value))
    return _word(value)


def generic(event: AuditEvent, names: Names) -> str:
    """Any detail as "key: value" pairs, with people and mentees named."""
    return "; ".join(
        f"{DETAIL_LABELS.get(key, key.replace('_', ' '))}: {_value(key, value, names)}"
        for key, value in _detail(event).items()
    )


def roles_text(roles: str | None) -> str:
    """Stored role names ("case_manager mentor") as people read them."""
    return ", ".join(str(ROLE_LABELS.get(role, role)) for role in (roles or "").split())


def outcome_text(outcome: str) -> str:
    """An event's outcome ("ok", "denied") in the reader's language."""
    return str(OUTCOMES.get(outcome, outcome))


def _object_person(event: AuditEvent, names: Names) -> str:
    return names.person(event.object_id)


def _sign_in(event: AuditEvent, names: Names) -> str:
    if event.object_type == "username":
        username = event.object_id
    else:
        user = names.users.get(_as_id(event.object_id) or 0)
        username = user.username if user else None
    who = (
        _("username “%(username)s”", username=username)
        if username is not None
        else names.person(event.object_id)
    )
    if event.outcome == "ok":
        return _("Signed in.")
    if event.outcome == "throttled":
        return _("Sign-in refused, too many attempts, for %(who)s.", who=who)
    return _("Sign-in failed for %(who)s.", who=who)


def _user_create(event: AuditEvent, names: Names) -> str:
    roles = roles_text(str(_detail(event).get("roles", "")))
    person = _object_person(event, names)
    if roles:
        return _("Created the login %(person)s as %(roles)s.", person=person, roles=roles)
    return _("Created the login %(person)s.", person=person)


def _link_login(event: AuditEvent, names: Names) -> str:
    detail = _detail(event)
    before = detail.get("previous_user")
    login = names.person(detail.get("user"))
    if before is None:
        return _("Linked the login %(login)s (no login before).", login=login)
    return _(
        "Linked the login %(login)s (replacing %(before)s).",
        login=login,
        before=names.person(before),
    )


def _assignment_create(event: AuditEvent, names: Names) -> str:
    detail = _detail(event)
    kind = detail.get("kind", "staff")
    return _(
        "Assigned %(person)s as %(kind)s.",
        person=names.person(detail.get("staff")),
        kind=_word(kind) if kind in VALUE_LABELS else str(kind).replace("_", " "),
    )


def _curriculum_load(event: AuditEvent, names: Names) -> str:
    # The detail `curriculum.load._audit_load` records: counts, not the English summary.
    detail = _detail(event)
    counts = {
        name: detail.get(name, "")
        for name in ("version", "added", "updated", "retired", "restored", "sha256")
    }
    if detail.get("scope") == "library":
        text = _(
            "Loaded the shared library's curriculum, version %(version)s: %(added)s skills "
            "added, %(updated)s updated, %(retired)s retired, %(restored)s brought back "
            "(file SHA-256 %(sha256)s).",
            **counts,
        )
    else:
        text = _(
            "Loaded the organization's own curriculum, version %(version)s: %(added)s skills "
            "added, %(updated)s updated, %(retired)s retired, %(restored)s brought back "
            "(file SHA-256 %(sha256)s).",
            **counts,
        )
    return f"{text} {_('From the command line.')}" if detail.get("via") == "cli" else text


def _person_sentence(text: Callable[[str], str]) -> Callable[[AuditEvent, Names], str]:
    def sentence(event: AuditEvent, names: Names) -> str:
        return text(_object_person(event, names))

    return sentence


SENTENCES: dict[str, Callable[[AuditEvent, Names], str]] = {
    "auth.login": _sign_in,
    "user.create": _user_create,
    "user.deactivate": _person_sentence(
        lambda person: _("Deactivated the login %(person)s.", person=person)
    ),
    "user.reactivate": _person_sentence(
        lambda person: _("Reactivated the login %(person)s.", person=person)
    ),
    "user.password_reset": _person_sentence(
        lambda person: _("Reset the password of %(person)s.", person=person)
    ),
    "mentee.link_login": _link_login,
    "mentee.unlink_login": lambda e, n: _(
        "Unlinked the login %(login)s.", login=n.person(_detail(e).get("user"))
    ),
    "assignment.create": _assignment_create,
    "curriculum.load": _curriculum_load,
}


def describe(event: AuditEvent, names: Names) -> str:
    """The event's detail as a sentence, or readable pairs where no sentence is written."""
    sentence = SENTENCES.get(event.action)
    if sentence is not None:
        return sentence(event, names)
    text = generic(event, names)
    if event.action.startswith("user.") and event.object_type == "user":
        who = _object_person(event, names)
        return f"{who}: {text}" if text else who
    return text


def actor_name(event: AuditEvent, names: Names) -> tuple[str, str]:
    """(display name, username) of who acted; the system when no one signed in did."""
    user = names.users.get(event.actor_id or 0)
    if user is None:
        if event.actor_id is None:
            return _("system or not signed in"), ""
        return _("unknown"), ""
    return user.display_name, user.username


def object_text(event: AuditEvent, names: Names) -> str:
    """What the event was about, named where it is a person or a mentee."""
    if event.object_type == "user" and event.object_id:
        return _("login %(person)s", person=names.person(event.object_id))
    if event.object_type == "mentee" and event.object_id:
        return _("mentee %(mentee)s", mentee=names.mentee(event.object_id))
    if event.object_type == "username":
        return _("username “%(username)s”", username=event.object_id)
    if event.object_type == "curriculum" and event.object_id:
        return _("curriculum %(key)s", key=event.object_id)
    if event.object_type:
        kind = event.object_type.replace("_", " ")
        return f"{kind} {event.object_id}" if event.object_id else kind
    return ""


def export_row(event: AuditEvent, names: Names, where: tzinfo) -> list[object]:
    """One event as a CSV row, in the columns of `csv_export.AUDIT_HEADER`."""
    name, username = actor_name(event, names)
    mentee = names.mentees.get(event.mentee_id or 0)
    return [
        event.at.astimezone(where).isoformat(timespec="seconds"),
        name,
        username,
        event.action,
        mentee.record_number if mentee else "",
        mentee.full_name if mentee else "",
        object_text(event, names),
        event.outcome,
        event.client_address,
        describe(event, names),
    ]
