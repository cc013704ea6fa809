"""Unsigned session notes past their day: the first few on the mentor's and the case
manager's home pages, every one on a page of their own."""

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...models import Mentee, User
from ...services import session_notes as notes
from ...services.overdue_notes import Overdue, overdue_notes
from ..loading import audit_list
from .blueprint import bp

# The home pages show this many; "see all" leads to the rest.
SHOWN = 10


def overdue_for(user: User, kind: str, limit: int | None = SHOWN) -> Overdue:
    """'mentor': the notes `user` wrote; 'case_manager': the notes about their caseload."""
    on = notes.local_now(user.organisation).date()
    if kind == "mentor":
        return overdue_notes(on, mentor=user, limit=limit)
    caseload = permissions.mentees_assigned(user, "case_manager").with_only_columns(Mentee.id)
    return overdue_notes(on, mentee_ids=caseload.order_by(None), limit=limit)


@bp.route("/mentor/notes/overdue")
def overdue_mine() -> ResponseReturnValue:
    """Every note I wrote that is unsigned past its day."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    return _overdue_page("mentor")


@bp.route("/caseload/notes/overdue")
def overdue_caseload() -> ResponseReturnValue:
    """Every note about my caseload that is unsigned past its day, by whoever wrote it."""
    permissions.require(permissions.can_use_caseload(current_user))
    return _overdue_page("case_manager")


def _overdue_page(kind: str) -> ResponseReturnValue:
    found = overdue_for(current_user, kind, limit=None)
    audit_list(f"overdue_notes.{kind}", sorted({n.mentee_id for n in found.notes}))
    return render_template("session_notes/overdue.html", overdue=found, kind=kind)


@bp.app_context_processor
def _overdue_lists() -> dict:
    def overdue_session_notes(kind: str) -> Overdue:
        """The first few for a home page (templates/session_notes/_overdue.html)."""
        return overdue_for(current_user, kind)

    return {"overdue_session_notes": overdue_session_notes}
