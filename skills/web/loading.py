"""Load, check, audit: the first steps of every view that shows a mentee."""

from collections.abc import Callable
from typing import Any, NoReturn

from flask import abort, request
from flask_login import current_user

from ..extensions import db
from ..models import Mentee, User
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


def load_mentee(
    mentee_id: int, allowed: Callable[[User, Mentee], bool], action: str | None = "mentee.view"
) -> Mentee:
    """The mentee, or 404; 403 unless `allowed`; a view by staff is written to the audit log."""
    mentee = db.session.get(Mentee, mentee_id)
    if mentee is None:
        abort(404)
    if not allowed(current_user, mentee):
        deny(mentee)
    if action and mentee.user_id != current_user.id:
        audit.record(action, current_user, mentee=mentee, object_type="mentee", object_id=mentee.id)
        db.session.commit()
    return mentee


def query_args(*drop: str) -> dict[str, Any]:
    """This request's query string for building a link to another page, less `drop` and
    any key `url_for` would take as its own option (`_method`, `_external`, ...). Any:
    the values go to `url_for` as keywords, which mypy checks against its own."""
    return {k: v for k, v in request.args.items() if k not in drop and not k.startswith("_")}
