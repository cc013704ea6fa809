"""The case manager's caseload: progress of every mentee, filters and sorting."""

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..services import voice
from ..services.curriculum_view import curriculum_view
from ..services.people_queries import staff_names
from ..services.progress import caseload_progress
from ..timeutil import today
from .forms import CaseloadFilterForm, choices
from .loading import audit_list

bp = Blueprint("caseload", __name__, url_prefix="/caseload")

SORT_KEYS = {
    "name": lambda row, staff: row.mentee.full_name.lower(),
    "mentor": lambda row, staff: ", ".join(staff.get(row.mentee.id, {}).get("mentor", [])).lower(),
    "progress": lambda row, staff: row.percent,
    "last": lambda row, staff: row.last_signoff_on.toordinal() if row.last_signoff_on else 0,
    "stalled": lambda row, staff: row.stalled,
}


@bp.route("/")
def index() -> ResponseReturnValue:
    """Every mentee on my caseload with percent per domain and a flag for stalled progress."""
    permissions.require(permissions.can_use_caseload(current_user))
    form = CaseloadFilterForm(request.args)
    mentees = list(db.session.scalars(permissions.mentees_assigned(current_user, "case_manager")))
    staff = staff_names([m.id for m in mentees], today(current_user))
    mentors = sorted({n for s in staff.values() for n in s.get("mentor", [])})
    form.mentor.choices = choices([("", "All mentors"), *((n, n) for n in mentors)])
    form.validate()

    status = form.status.data if form.status.data in ("active", "discharged", "all") else "active"
    if status != "all":
        mentees = [m for m in mentees if m.status == status]
    if form.mentor.data:
        mentees = [m for m in mentees if form.mentor.data in staff.get(m.id, {}).get("mentor", [])]
    view = curriculum_view(current_user.organisation_id)
    rows = caseload_progress(mentees, view)
    if form.stalled.data:
        rows = [r for r in rows if r.stalled]

    sort = request.args.get("sort", "name")
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS["name"])
    rows.sort(key=lambda row: key(row, staff), reverse=sort.startswith("-"))
    names = {row.mentee.id: row.mentee.full_name for row in rows}
    audit_list("caseload", list(names))
    return render_template(
        "caseload/index.html",
        form=form,
        rows=rows,
        view=view,
        staff=staff,
        sort=sort,
        names=names,
        due=voice.due_checks(list(names), today(current_user)),
    )
