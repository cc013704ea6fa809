"""Writing audit events, and searching them. The caller's unit of work commits them
with the change."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AuditEvent, Mentee, User
from ..models.chain import seal
from ..timeutil import utcnow
from .paging import Slice, fetch_page

# Built once: audit rows are written on every change, and only ever inserted.
_INSERT = insert(AuditEvent.__table__)


@dataclass(frozen=True)
class Client:
    """Where the current request came from, as the web layer trusts it."""

    address: str | None
    user_agent: str | None


def _no_client() -> Client | None:
    return None


# Services never read Flask's request: the web app installs a reader that answers inside a
# request and None elsewhere (skills/web/client.py). Command-line rows have no client.
_client_source: Callable[[], Client | None] = _no_client


def set_client_source(source: Callable[[], Client | None]) -> None:
    """Tell the audit log how to find the client of the current request."""
    global _client_source
    _client_source = source


def record(
    action: str,
    actor: User | None = None,
    *,
    mentee: Mentee | None = None,
    object_type: str | None = None,
    object_id: object = None,
    outcome: str = "ok",
    organisation_id: int | None = None,
    operator_only: bool = False,
    **detail: object,
) -> None:
    """Write one audit event in the session's transaction. `detail` must never hold note
    text or secrets. `operator_only` keeps the row out of every organisation's log (an
    attempt on another organisation's record must not be written into that one's log)."""
    # An anonymous visitor (Flask-Login's stand-in, no row) records as no actor.
    signed_in = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    client = _client_source()
    if operator_only:
        mentee, organisation = None, None
    else:
        organisation = (
            organisation_id
            or (mentee.organisation_id if mentee else None)
            or (signed_in.organisation_id if signed_in is not None else None)
        )
    # Sealed into the audit chain (models/chain.py): an id, and a hash over every column.
    row = {
        "at": utcnow(),
        "action": action,
        "actor_id": signed_in.id if signed_in is not None else None,
        "actor_role": signed_in.roles if signed_in is not None else None,
        "organisation_id": organisation,
        "mentee_id": mentee.id if mentee else None,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "outcome": outcome,
        "detail": json.dumps(detail, sort_keys=True, default=str) if detail else "",
        "client_address": client.address if client else None,
        "user_agent": client.user_agent if client else None,
    }
    # On the connection, in the session's transaction: a Core insert skips the ORM's
    # statement handling, and every page view writes one.
    db.session.connection().execute(_INSERT, seal(AuditEvent.__table__, row))


def operator_failures(
    since: datetime, action: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    """Refusals that belong to no organisation, newest first: sign-ins with an unknown
    username, and attempts on another organisation's records. Only the platform operator
    reads these (`flask audit failures`); no admin's log shows them."""
    query = (
        select(AuditEvent)
        .where(
            AuditEvent.organisation_id.is_(None),
            AuditEvent.outcome != "ok",
            AuditEvent.at >= since,
        )
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(
            (AuditEvent.action == action)
            | AuditEvent.action.startswith(action + ".", autoescape=True)
        )
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class AuditSearch:
    """What to look for in an organisation's audit log; empty fields match everything."""

    actor: str | None = None  # a username
    mentee: str | None = None  # a record number
    action: str | None = None  # an action, or its family: "mentee" finds "mentee.update"
    since: date | None = None  # from the start of this day in `where`
    until: date | None = None  # to the end of this day in `where`
    where: tzinfo = UTC  # the organisation's time zone: the dates people mean are local


# An export larger than this is refused with a request to narrow the filters: it is
# built in memory, and a spreadsheet past this size is no longer read by a person.
EXPORT_CAP = 50_000


def search(
    organisation_id: int, wanted: AuditSearch, number: int, per_page: int
) -> Slice[AuditEvent]:
    """One page of the organisation's audit events matching `wanted`, newest first."""
    return fetch_page(_matching(organisation_id, wanted), number, per_page)


def export_rows(organisation_id: int, wanted: AuditSearch) -> list[AuditEvent] | None:
    """Every event matching `wanted`, newest first; None when more than EXPORT_CAP match."""
    rows = list(db.session.scalars(_matching(organisation_id, wanted).limit(EXPORT_CAP + 1)))
    return None if len(rows) > EXPORT_CAP else rows


def _start_of(day: date, where: tzinfo) -> datetime:
    return datetime.combine(day, time.min, where).astimezone(UTC)


def _matching(organisation_id: int, wanted: AuditSearch) -> Select[AuditEvent]:
    # Names are looked up a page at a time (services/audit_text.py), not per row.
    query = (
        select(AuditEvent)
        .where(AuditEvent.organisation_id == organisation_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if wanted.actor:
        actor_ids = select(User.id).where(
            User.organisation_id == organisation_id, User.username == wanted.actor.lower()
        )
        query = query.where(AuditEvent.actor_id.in_(actor_ids))
    if wanted.mentee:
        mentee_ids = select(Mentee.id).where(
            Mentee.organisation_id == organisation_id, Mentee.record_number == wanted.mentee
        )
        query = query.where(AuditEvent.mentee_id.in_(mentee_ids))
    if wanted.action:
        query = query.where(
            (AuditEvent.action == wanted.action)
            | AuditEvent.action.startswith(wanted.action + ".", autoescape=True)
        )
    if wanted.since:
        query = query.where(AuditEvent.at >= _start_of(wanted.since, wanted.where))
    if wanted.until and wanted.until < date.max:  # the last day has no day after it
        query = query.where(AuditEvent.at < _start_of(wanted.until + timedelta(1), wanted.where))
    return query
