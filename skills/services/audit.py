"""Writing audit events. The caller's unit of work commits them with the change."""

import json

from sqlalchemy import insert

from ..extensions import db
from ..models import AuditEvent, Mentee, User
from ..timeutil import utcnow

# Built once: audit rows are written on every change, and only ever inserted.
_INSERT = insert(AuditEvent.__table__)


def record(
    action: str,
    actor: User | None = None,
    *,
    mentee: Mentee | None = None,
    object_type: str | None = None,
    object_id: object = None,
    outcome: str = "ok",
    organisation_id: int | None = None,
    **detail: object,
) -> None:
    """Write one audit event in the session's transaction. `detail` must never hold note
    text or secrets."""
    actor_ok = actor is not None and getattr(actor, "is_authenticated", False)
    db.session.execute(
        _INSERT,
        {
            "at": utcnow(),
            "action": action,
            "actor_id": actor.id if actor_ok else None,
            "actor_role": actor.roles if actor_ok else None,
            "organisation_id": organisation_id
            or (mentee.organisation_id if mentee else None)
            or (actor.organisation_id if actor_ok else None),
            "mentee_id": mentee.id if mentee else None,
            "object_type": object_type,
            "object_id": None if object_id is None else str(object_id),
            "outcome": outcome,
            "detail": json.dumps(detail, sort_keys=True, default=str) if detail else "",
        },
    )
