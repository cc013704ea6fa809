"""Admin pages for assignments: who works with whom, assigning staff, ending access."""

import re
import uuid
from datetime import date
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ... import permissions
from ...i18n import local_date
from ...models import Mentee
from ...models.people import ROLE_LABELS
from ...services import assignments as assignment_service
from ...services import people_queries
from ...services import transfer as transfer_service
from ...timeutil import today
from ..forms import SelectChoice, submitted
from ..loading import audit_list
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
from .forms import (
    AssignmentFilterForm,
    AssignmentForm,
    EndAssignmentForm,
    TransferForm,
    TransferSourceForm,
)

# A caseload is named in the address as "<person id>-<kind>", e.g. "12-mentor".
_CASELOAD = re.compile(r"(\d{1,18})-(mentor|case_manager)")
NAMES_SHOWN = 10


def _assignment_filters() -> tuple[AssignmentFilterForm, dict[str, Any]]:
    """The list's filter form from the query string, and the filters it settles on."""
    form = AssignmentFilterForm(formdata=request.args)
    if not form.validate():
        form.show.data = "current"
    args: dict[str, Any] = {"show": form.show.data or "current"}
    if form.mentee.data and not form.mentee.errors:
        args["mentee"] = form.mentee.data.strip()
    if form.q.data and form.q.data.strip():
        args["q"] = form.q.data.strip()
    page = request.args.get("page", type=int)
    if page and page > 1:  # so ending one from page 2 comes back to page 2
        args["page"] = page
    return form, args


@bp.route("/assignments")
@allowed_if(permissions.can_manage_people)
def assignments() -> ResponseReturnValue:
    """Who works with whom, current and ended, with dates; ?q= searches mentee and
    staff names, record numbers and usernames."""
    filter_form, args = _assignment_filters()
    on = today(current_user)
    rows = people_queries.assignments_page(
        org_id(), args["show"], args.get("mentee"), on, page_number(), PER_PAGE, args.get("q")
    )
    # The list names mentees: one audit row for the page, as for the other mentee lists.
    audit_list("admin_assignments", sorted({a.mentee_id for a in rows.items}))
    return render_template(
        "admin/assignments.html",
        page=page_of(rows, ".assignments", {k: v for k, v in args.items() if k != "page"}),
        filter_form=filter_form,
        filter_args=args,
        on=on,
    )


@bp.route("/assignments/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def assignment_new() -> ResponseReturnValue:
    """Assign a mentor or case manager to a mentee."""
    org = org_id()
    initial = None
    if request.method == "GET":
        initial = {
            "starts_on": today(current_user),
            "mentee_id": request.args.get("mentee_id", type=int),
        }
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
            lambda _saved: _(
                "%(staff)s is assigned to %(name)s.",
                staff=staff_member.display_name,
                name=mentee.name,
            ),
        ):
            return redirect(url_for(".assignments", mentee=mentee.record_number))
    return render_template("admin/assignment_new.html", form=form)


@bp.route("/assignments/<int:assignment_id>/end", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def assignment_end(assignment_id: int) -> ResponseReturnValue:
    """Ask, then end an assignment: access stops on the date given (today by default).
    The list's filters ride along in the query string, to go back to the same page."""
    assignment = assignment_or_404(assignment_id)
    form = EndAssignmentForm(
        data={"ends_on": today(current_user)} if request.method == "GET" else None
    )
    filters = _assignment_filters()[1]
    if form.validate_on_submit() and save(
        form,
        lambda: assignment_service.stop_assignment(
            assignment, submitted(form.ends_on.data), actor=current_user
        ),
        lambda _saved: _(
            "%(staff)s's access to %(name)s stops on %(date)s.",
            staff=assignment.staff.display_name,
            name=assignment.mentee.name,
            date=local_date(submitted(form.ends_on.data)),
        ),
    ):
        return redirect(url_for(".assignments", **filters))
    return render_template(
        "admin/assignment_end.html",
        assignment=assignment,
        form=form,
        filter_args=filters,
        on=today(current_user),
    ), (422 if form.errors else 200)


def _caseload_choices(on: date) -> list[SelectChoice]:
    """Each person's caseload by kind, with how many mentees it holds."""
    return [SelectChoice("", _("Choose a person"))] + [
        SelectChoice(
            f"{user.id}-{kind}",
            ngettext(
                "%(name)s, %(role)s (%(num)d mentee)",
                "%(name)s, %(role)s (%(num)d mentees)",
                count,
                name=user.display_name,
                role=ROLE_LABELS[kind].lower(),
            )
            + ("" if user.active else _(", deactivated")),
        )
        for user, kind, count in transfer_service.caseloads(org_id(), on)
    ]


def _names(mentees: list[Mentee]) -> str:
    shown = ", ".join(m.full_name for m in mentees[:NAMES_SHOWN])
    more = len(mentees) - NAMES_SHOWN
    return shown + (_(" and %(num)d more", num=more) if more > 0 else "")


def _transfer_message(done: transfer_service.Transfer) -> str:
    """What the admin reads once a transfer is saved."""
    role = ROLE_LABELS[done.kind].lower()
    source, target = done.source.display_name, done.target.display_name
    message = ngettext(
        "%(num)d mentee moved from %(source)s to %(target)s as %(role)s, from %(date)s.",
        "%(num)d mentees moved from %(source)s to %(target)s as %(role)s, from %(date)s.",
        len(done.moved),
        source=source,
        target=target,
        role=role,
        date=local_date(done.effective_on),
    )
    if done.already_with_target:
        message += " " + _(
            "Already assigned to %(target)s, so only %(source)s's assignment ended: %(names)s.",
            target=target,
            source=source,
            names=_names(done.already_with_target),
        )
    return message


@bp.route("/assignments/transfer", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def assignment_transfer() -> ResponseReturnValue:
    """Move all or some of one person's mentees to another person from one date."""
    on = today(current_user)
    picker = TransferSourceForm(formdata=request.args)
    picker.source.choices = _caseload_choices(on)
    chosen = _CASELOAD.fullmatch(request.args.get("source", ""))
    if not chosen:
        if "source" in request.args:
            picker.source.errors = [_("Choose whose mentees to move.")]
        page = render_template("admin/assignment_transfer.html", picker=picker, form=None)
        return page, (422 if request.method == "POST" else 200)
    source = user_or_404(int(chosen.group(1)))
    kind = chosen.group(2)
    mentees = {a.mentee_id: a.mentee for a in transfer_service.open_caseload(source, kind, on)}
    initial = {"effective_on": on, "mentee_ids": list(mentees)} if request.method == "GET" else None
    form = TransferForm(data=initial)
    form.mentee_ids.choices = [
        SelectChoice(m.id, f"{m.full_name} ({m.record_number})") for m in mentees.values()
    ]
    form.target_id.choices = [SelectChoice("", _("Choose a person"))] + [
        SelectChoice(u.id, u.display_name)
        for u in people_queries.assignable_staff(org_id())
        if u.has_role(kind) and u.id != source.id
    ]
    if form.validate_on_submit():
        target = user_or_404(submitted(form.target_id.data))
        if save(
            form,
            lambda: transfer_service.transfer_caseload(
                source,
                target,
                kind,
                submitted(form.effective_on.data),
                form.mentee_ids.data or [],
                actor=current_user,
                idempotency_key=form.idempotency_key.data or None,
            ),
            _transfer_message,
        ):
            return redirect(url_for(".assignments"))
    if not form.idempotency_key.data:
        form.idempotency_key.data = uuid.uuid4().hex
    earliest, latest = transfer_service.transfer_date_limits(on)
    return render_template(
        "admin/assignment_transfer.html",
        picker=picker,
        form=form,
        source=source,
        role=ROLE_LABELS[kind].lower(),
        earliest=earliest,
        latest=latest,
    ), (422 if request.method == "POST" else 200)  # a POST shown again was refused
