"""Admin page for importing a roster of staff and mentees from CSV files."""

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...extensions import db
from ...services import roster
from . import allowed_if, bp
from .forms import RosterImportForm


def _upload_name(filename: str | None) -> str:
    # Only the last part of whatever path the browser sent, for error messages.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "upload.csv"


@bp.route("/people/import", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def roster_import() -> ResponseReturnValue:
    """Check roster files, then import them into the admin's organisation, all or nothing."""
    form = RosterImportForm()
    plan: roster.RosterPlan | None = None
    refused = False
    if form.validate_on_submit():
        files = [(_upload_name(f.filename), f.read()) for f in form.files.data]
        check_only = request.form.get("action") != "import"
        try:
            plan = roster.import_roster(
                current_user.organisation,
                files,
                actor=current_user,
                confirm_duplicates=bool(form.confirm_duplicates.data),
                dry_run=check_only,
            )
        except roster.RosterInvalid as exc:
            db.session.rollback()
            plan, refused = exc.plan, True
        else:
            if check_only:
                db.session.rollback()
            else:
                db.session.commit()
                flash(plan.summary(done=True), "success")
                if plan.new_staff or plan.new_logins:
                    flash(_("New logins have no password yet: set one on each person's page."))
                return redirect(url_for(".people"))
    status = 422 if refused or form.errors else 200
    return render_template(
        "admin/roster_import.html",
        form=form,
        plan=plan,
        refused=refused,
        max_rows=roster.MAX_ROWS,
        max_mb=roster.MAX_BYTES // (1024 * 1024),
    ), status


@bp.route("/people/import/template.csv")
@allowed_if(permissions.can_manage_people)
def roster_template() -> ResponseReturnValue:
    """The roster template: every column, with example rows."""
    return Response(
        roster.TEMPLATE,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-template.csv"},
    )
