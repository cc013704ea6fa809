"""Load, check, audit: the first steps of every view that shows a mentee."""

from collections.abc import Callable
from typing import Any, NoReturn

from flask import abort, request
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Mentee, Skill, User
from ..services import audit


# Any: `detail` is passed on as keywords, which mypy would check against each named one.
def deny(mentee: Mentee | None = None, **detail: Any) -> NoReturn:
    """Record the refusal, then answer 403."""
    audit.record(
        "access.denied",
        current_user,
        mentee=mentee,
        outcome="denied",
        object_type="mentee",
        object_id=mentee.id if mentee else None,
        **detail,
    )
    db.session.commit()
    abort(403)


def _probe(mentee: Mentee) -> NoReturn:
    """Record an attempt on another organisation's mentee, then answer 404."""
    audit.record(
        "access.denied",
        current_user,
        outcome="denied",
        object_type="mentee",
        object_id=mentee.id,
        operator_only=True,
        cross_organisation=True,
    )
    db.session.commit()
    abort(404)


def load_mentee(
    mentee_id: int, allowed: Callable[[User, Mentee], bool], action: str | None = "mentee.view"
) -> Mentee:
    """The mentee, or 404; 403 unless `allowed`; a view by staff is written to the audit log
    (a view that goes on to write passes `action=None`).

    Another organisation's mentee is 404, as if it did not exist, and the attempt is
    recorded for the operator only: never in that organisation's log.
    """
    mentee = db.session.get(Mentee, mentee_id)
    if mentee is None:
        abort(404)
    if not permissions.may_know_of(current_user, mentee.organisation_id):
        _probe(mentee)
    if not allowed(current_user, mentee):
        deny(mentee)
    if action and mentee.user_id != current_user.id:
        audit.record(action, current_user, mentee=mentee, object_type="mentee", object_id=mentee.id)
        _commit_keeping_loaded()
    return mentee


def audit_view(mentee: Mentee, object_type: str, object_id: object) -> None:
    """Record that the signed-in staff member was shown part of `mentee`'s record."""
    audit.record(
        "mentee.view", current_user, mentee=mentee, object_type=object_type, object_id=object_id
    )
    _commit_keeping_loaded()


def audit_list(page: str, mentee_ids: list[int]) -> None:
    """One row for a page that lists mentees (not one per mentee): which page, and whom."""
    audit.record(
        "mentee_list.view",
        current_user,
        object_type="page",
        object_id=page,
        count=len(mentee_ids),
        mentees=mentee_ids,
    )
    _commit_keeping_loaded()


def _commit_keeping_loaded() -> None:
    """Commit a view's audit row and keep what the request has loaded: an expiring commit
    would read each object again as the page renders. Only views that change nothing
    after it call this (a view that writes passes `action=None` to `load_mentee`)."""
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous


def load_skill(skill_id: int, organisation_id: int) -> Skill:
    """The skill, or 404 when it does not exist or its curriculum is not one the
    organisation uses (another organisation's own skill must not be confirmed)."""
    skill = db.session.get(Skill, skill_id)
    if skill is None or not permissions.skill_in_use(organisation_id, skill):
        abort(404)
    return skill


def query_args(*drop: str) -> dict[str, Any]:
    """This request's query string for building a link to another page, less `drop` and
    any key `url_for` would take as its own (`endpoint`, `_method`, `_external`, ...).
    Any: the values go to `url_for` as keywords, which mypy checks against its own."""
    return {
        k: v
        for k, v in request.args.items()
        if k not in drop and k != "endpoint" and not k.startswith("_")
    }
