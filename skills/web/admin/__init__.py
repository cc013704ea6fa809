"""Admin pages: people, mentees, assignments, curriculum, audit log.

Each view checks its permission first (403 for anyone else), loads the object from
the admin's own organisation (404 for anything outside it), calls one service and
saves through `save`, which commits once. A refused change is shown beside its field
and nothing is saved.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, TypeVar

from flask import Blueprint, abort, flash, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm

from ... import permissions
from ...extensions import db
from ...models import Assignment, Mentee, User
from ...services import people_queries
from ...services.paging import Slice
from ...services.passwords import PasswordRejected
from ...services.people import PeopleError
from ..loading import query_args

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
MAX_PAGE = 100_000  # keeps the OFFSET inside what every database accepts

T = TypeVar("T")
View = Callable[..., ResponseReturnValue]


# --- Who may come in ------------------------------------------------------------------


@bp.before_request
def _admins_only() -> None:
    # Fails safe: a view that forgets `allowed_if` is still closed to everyone but admins.
    permissions.require(permissions.can_use_admin_pages(current_user))


def allowed_if(predicate: Callable[[User], bool]) -> Callable[[View], View]:
    """Answer 403 before the view runs unless `predicate(current_user)` allows it."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(**kwargs: Any) -> ResponseReturnValue:
            permissions.require(predicate(current_user))
            return view(**kwargs)

        return wrapped

    return decorator


# --- Loading from the admin's organisation --------------------------------------------


def org_id() -> int:
    """The signed-in admin's organisation."""
    return current_user.organisation_id


def user_or_404(user_id: int) -> User:
    """The login, or 404 when missing or in another organisation."""
    return people_queries.user_in(org_id(), user_id) or abort(404)


def mentee_or_404(mentee_id: int) -> Mentee:
    """The mentee record, or 404 when missing or in another organisation."""
    return people_queries.mentee_in(org_id(), mentee_id) or abort(404)


def assignment_or_404(assignment_id: int) -> Assignment:
    """The assignment, or 404 when missing or in another organisation."""
    return people_queries.assignment_in(org_id(), assignment_id) or abort(404)


# --- Saving a change ------------------------------------------------------------------

# The errors services raise to refuse a change, and the field a password refusal belongs to.
REFUSALS: tuple[type[Exception], ...] = (PeopleError, PasswordRejected)
_FIELD_OF: dict[type[Exception], str] = {PasswordRejected: "password"}


@dataclass(frozen=True)
class Saved(Generic[T]):
    """A change that was committed; `value` is what the service returned."""

    value: T


def show_refusal(form: FlaskForm, exc: Exception) -> None:
    """The message beside the field it names when the form shows that field, else flashed."""
    name = _FIELD_OF.get(type(exc)) or getattr(exc, "field", None)
    target = form[name] if name and name in form else None
    if target is not None and target.type != "HiddenField":
        target.errors.append(str(exc))
    else:
        flash(str(exc), "error")


def save(
    form: FlaskForm,
    change: Callable[[], T],
    success: Callable[[T], str],
    *,
    refusals: tuple[type[Exception], ...] = REFUSALS,
    show: Callable[[Exception], None] | None = None,
    then: Callable[[T], None] | None = None,
) -> Saved[T] | None:
    """Make one change as one unit of work: None if a service refused it (rolled back, the
    reason shown on `form` or by `show`), else committed, `then` run and `success` flashed.

    `success` is called after the commit, so the message shows the saved values.
    """
    try:
        value = change()
    except refusals as exc:
        db.session.rollback()
        (show or (lambda error: show_refusal(form, error)))(exc)
        return None
    db.session.commit()
    if then is not None:
        then(value)
    flash(success(value), "success")
    return Saved(value)


def form_version(form: FlaskForm) -> int | None:
    """The record version a form was built from, or None when missing or garbled."""
    try:
        return int(form.version_id.data)
    except (TypeError, ValueError):
        return None


# --- Long lists -----------------------------------------------------------------------


@dataclass
class Page:
    """One page of a list, with links to its neighbours."""

    items: list[Any]
    number: int
    has_next: bool
    endpoint: str
    args: dict[str, Any]

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    def url(self, number: int) -> str:
        return url_for(self.endpoint, **self.args, page=number)


def page_number() -> int:
    """The page asked for by ?page=N, kept between 1 and MAX_PAGE."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def page_of(
    rows: Slice[Any], endpoint: str | None = None, args: dict[str, Any] | None = None
) -> Page:
    """`rows` as a Page linking to `endpoint` with `args` (default: this page's own)."""
    if args is None:
        args = query_args("page")
    endpoint = endpoint or request.endpoint
    if endpoint is None:
        raise RuntimeError("page_of needs an endpoint outside a routed request")
    return Page(rows.items, rows.number, rows.has_next, endpoint, args)


# The views register themselves on `bp`, so they are imported once it exists.
from . import (  # noqa: E402, F401
    assignments,
    audit,
    curriculum,
    home,
    mentees,
    people,
    roster,
    settings,
)
