"""The case manager's caseload: progress of every mentee, filters and sorting.

The table's rows come ready to write out (`progress_rows`), with one link prefix for all:
on a caseload of hundreds the rows are most of the page's work. The rendered lists are
kept in memory until something they show changes (`page_parts`).
"""

from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import permissions
from ..reports.caseload import last_name_key
from ..services import voice
from ..services.people_queries import staff_names
from ..services.progress import caseload_progress, mentee_lines
from ..services.view_cache import cached_view
from ..timeutil import today
from .forms import CaseloadFilterForm, choices
from .page_parts import ListedPart, listed_part
from .progress_rows import caseload_lines
from .session_notes.overdue import SHOWN

bp = Blueprint("caseload", __name__, url_prefix="/caseload")

SORT_KEYS = {
    "name": lambda row, mentors: last_name_key(row.mentee.full_name),
    "mentor": lambda row, mentors: mentors.get(row.mentee.id, "").lower(),
    "progress": lambda row, mentors: row.percent,
    "last": lambda row, mentors: row.last_signoff_on.toordinal() if row.last_signoff_on else 0,
    "stalled": lambda row, mentors: row.stalled,
}


@bp.route("/")
def index() -> ResponseReturnValue:
    """Every mentee on my caseload with percent per domain and a flag for stalled progress."""
    permissions.require(permissions.can_use_caseload(current_user))
    on = today(current_user)
    ids = permissions.mentee_ids_assigned(current_user, "case_manager", on)
    body = listed_part("caseload", on, ids, lambda: _lists(on))
    return render_template("caseload/index.html", body=body)


def _lists(on: date) -> ListedPart:
    """The page's filters, table and lists, rendered."""
    form = CaseloadFilterForm(request.args)
    # Plain lines, not ORM objects: the page only reads them.
    mentees = mentee_lines(permissions.mentees_assigned(current_user, "case_manager", on))
    staff = staff_names([m.id for m in mentees], on, kinds=["mentor"])
    mentor_lists = {mentee_id: kinds.get("mentor", []) for mentee_id, kinds in staff.items()}
    mentor_names = sorted({n for names in mentor_lists.values() for n in names})
    form.mentor.choices = choices([("", _("All mentors")), *((n, n) for n in mentor_names)])
    form.validate()

    status = form.status.data if form.status.data in ("active", "discharged", "all") else "active"
    if status != "all":
        mentees = [m for m in mentees if m.status == status]
    if form.mentor.data:
        mentees = [m for m in mentees if form.mentor.data in mentor_lists.get(m.id, [])]
    view = cached_view(current_user.organisation_id)
    rows = caseload_progress(mentees, view, on)
    if form.stalled.data:
        rows = [r for r in rows if r.stalled]

    mentors = {mentee_id: ", ".join(names) for mentee_id, names in mentor_lists.items() if names}
    sort = request.args.get("sort", "name")
    key = SORT_KEYS.get(sort.lstrip("-"), SORT_KEYS["name"])
    rows.sort(key=lambda row: key(row, mentors), reverse=sort.startswith("-"))
    names = {row.mentee.id: row.mentee.full_name for row in rows}
    done, total = sum(r.signed_off for r in rows), sum(r.total for r in rows)
    html = render_template(
        "caseload/_lists.html",
        form=form,
        lines=caseload_lines(rows, mentors, view),
        done=done,
        total=total,
        percent=round(100 * done / total) if total else 0,
        stalled=sum(1 for r in rows if r.stalled),
        view=view,
        sort=sort,
        names=names,
        # One link prefix for every row, instead of one url_for per row.
        detail_prefix=url_for("mentees.detail", mentee_id=0).removesuffix("0"),
        due=voice.due_list(list(names), on, limit=SHOWN),
    )
    return ListedPart(Markup(html), tuple(names))  # noqa: S704  # nosec B704 - rendered by Jinja
