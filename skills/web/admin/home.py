"""The admin home page: counts and links for the organisation."""

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...services import curriculum_queries, dashboard
from ...services.progress_totals import organisation_summary
from ...timeutil import today
from . import allowed_if, bp, org_id


@bp.route("/")
@allowed_if(permissions.can_manage_people)
def index() -> ResponseReturnValue:
    """Counts and links for the organisation."""
    org = org_id()
    return render_template(
        "admin/index.html",
        counts=dashboard.admin_counts(org, today(current_user)),
        curricula=curriculum_queries.curricula(org),
        summary=organisation_summary(org),
    )
