"""The admin page for the audit log: search and read the organisation's events, in
names and the organisation's local time, and export what the filters find as CSV."""

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...extensions import db
from ...reports.csv_export import audit_csv
from ...services import audit, audit_text
from ...timeutil import local_now, zone
from . import PER_PAGE, Page, allowed_if, bp, org_id, page_number, page_of
from .forms import AuditFilterForm


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


def _wanted(form: AuditFilterForm) -> audit.AuditSearch:
    return audit.AuditSearch(
        actor=_text(form.actor.data),
        mentee=_text(form.mentee.data),
        action=_text(form.action.data),
        since=form.since.data,
        until=form.until.data,
        where=zone(current_user.organisation),
    )


@bp.route("/audit", endpoint="audit")
@allowed_if(permissions.can_read_audit)
def audit_log() -> ResponseReturnValue:
    """The organisation's audit log, newest first, with filters."""
    form = AuditFilterForm(formdata=request.args)
    page = Page([], 1, False, ".audit", {})
    if form.validate():
        page = page_of(audit.search(org_id(), _wanted(form), page_number(), PER_PAGE))
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        names=audit_text.names_for(org_id(), page.items),
        audit_text=audit_text,
        too_many=None,
        audit_export_cap=audit.EXPORT_CAP,
    )


@bp.route("/audit.csv", endpoint="audit_export")
@allowed_if(permissions.can_read_audit)
def audit_export() -> ResponseReturnValue:
    """Every event the filters find, as CSV; audited as an export itself."""
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        page = Page([], 1, False, ".audit", {})
        return render_template(
            "admin/audit.html",
            form=form,
            page=page,
            names=audit_text.Names(),
            audit_text=audit_text,
            too_many=None,
            audit_export_cap=audit.EXPORT_CAP,
        ), 400
    wanted = _wanted(form)
    rows = audit.export_rows(org_id(), wanted)
    if rows is None:
        page = page_of(audit.search(org_id(), wanted, 1, PER_PAGE), ".audit")
        return render_template(
            "admin/audit.html",
            form=form,
            page=page,
            names=audit_text.names_for(org_id(), page.items),
            audit_text=audit_text,
            too_many=audit.EXPORT_CAP,
            audit_export_cap=audit.EXPORT_CAP,
        ), 400
    names = audit_text.names_for(org_id(), rows)
    body = audit_csv(audit_text.export_row(event, names, wanted.where) for event in rows)
    audit.record(
        "audit.export",
        current_user,
        object_type="audit_log",
        format="csv",
        rows=len(rows),
        # The filters as typed (usernames, record numbers, dates): never note text.
        filters=", ".join(f"{k} {v}" for k, v in request.args.items() if k in form.data and v)
        or "none",
    )
    db.session.commit()
    stamp = local_now(wanted.where).strftime("%Y-%m-%d")
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )
