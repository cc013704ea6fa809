"""Admin pages for assignments: who works with whom, assigning staff, ending access."""

from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...services import assignments as assignment_service
from ...services import people_queries
from ...timeutil import today
from ..forms import SelectChoice, submitted
from . import (
    PER_PAGE,
    allowed_if,
    assignment_or_404,
    bp,
    mentee_or_404,
    org_id,
    page_number,
    page_of,
    save,
    user_or_404,
)
from .forms import AssignmentFilterForm, AssignmentForm, EndAssignmentForm


def _assignment_filters() -> tuple[AssignmentFilterForm, dict[str, Any]]:
    """The list's filter form from the query string, and the filters it settles on."""
    form = AssignmentFilterForm(formdata=request.args)
    if not form.validate():
        form.show.data = "current"
    args: dict[str, Any] = {"show": form.show.data or "current"}
    if form.mentee.data and not form.mentee.errors:
        args["mentee"] = form.mentee.data.strip()
    page = request.args.get("page", type=int)
    if page and page > 1:  # so a refused end date shows on the page it came from
        args["page"] = page
    return form, args


def _assignments_page(end_errors: dict[int, list[str]] | None = None) -> ResponseReturnValue:
    """The assignments list; `end_errors` holds a refused end date beside its row."""
    filter_form, args = _assignment_filters()
    on = today()
    rows = people_queries.assignments_page(
        org_id(), args["show"], args.get("mentee"), on, page_number(), PER_PAGE
    )
    return render_template(
        "admin/assignments.html",
        page=page_of(rows, ".assignments", {k: v for k, v in args.items() if k != "page"}),
        filter_form=filter_form,
        filter_args=args,
        end_form=EndAssignmentForm(formdata=None, data={"ends_on": on}),
        end_errors=end_errors or {},
        on=on,
    )


@bp.route("/assignments")
@allowed_if(permissions.can_manage_people)
def assignments() -> ResponseReturnValue:
    """Who works with whom, current and ended, with dates."""
    return _assignments_page()


@bp.route("/assignments/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def assignment_new() -> ResponseReturnValue:
    """Assign a mentor or case manager to a mentee."""
    org = org_id()
    initial = None
    if request.method == "GET":
        initial = {"starts_on": today(), "mentee_id": request.args.get("mentee_id", type=int)}
    form = AssignmentForm(data=initial)
    form.staff_id.choices = [
        SelectChoice(u.id, f"{u.display_name} ({u.role_labels})")
        for u in people_queries.assignable_staff(org)
    ]
    form.mentee_id.choices = [
        SelectChoice(m.id, f"{m.full_name} ({m.record_number})")
        for m in people_queries.active_mentees(org)
    ]
    if form.validate_on_submit():
        staff_member = user_or_404(form.staff_id.data)
        mentee = mentee_or_404(form.mentee_id.data)
        if save(
            form,
            lambda: assignment_service.add_assignment(
                staff_member, mentee, form.kind.data, form.starts_on.data, actor=current_user
            ),
            lambda _: f"{staff_member.display_name} is assigned to {mentee.name}.",
        ):
            return redirect(url_for(".assignments", mentee=mentee.record_number))
    return render_template("admin/assignment_new.html", form=form)


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def assignment_end(assignment_id: int) -> ResponseReturnValue:
    """End an assignment: access stops on the date given (today by default)."""
    assignment = assignment_or_404(assignment_id)
    form = EndAssignmentForm()
    if form.validate_on_submit() and save(
        form,
        lambda: assignment_service.stop_assignment(
            assignment, submitted(form.ends_on.data), actor=current_user
        ),
        lambda _: (
            f"{assignment.staff.display_name}'s access to {assignment.mentee.name} "
            f"stops on {submitted(form.ends_on.data).isoformat()}."
        ),
    ):
        return redirect(url_for(".assignments", **_assignment_filters()[1]))
    return _assignments_page(end_errors={assignment.id: list(form.ends_on.errors)})
