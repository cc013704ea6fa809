"""Downloads: PDF progress reports and CSV exports.

Each view loads and checks, builds the bytes with `skills.reports`, writes exactly
one audit event, and sends the file. File names carry the record number, never a
person's name.
"""

import re
from datetime import date
from io import BytesIO
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Mentee
from ..permissions import Viewer
from ..reports import (
    caseload_batch_pdf,
    caseload_csv,
    caseload_data,
    caseload_summary_pdf,
    mentee_history_csv,
    mentee_report_data,
    mentee_report_pdf,
)
from ..reports.content import MenteeReportData, batch_report_data, check_period
from ..services import audit
from ..services import history as histories
from ..services.progress import curriculum_view
from ..timeutil import today
from .loading import deny, load_mentee, query_args

bp = Blueprint("reports", __name__)

PDF = "application/pdf"
CSV = "text/csv"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ReportParamError(ValueError):
    """A query parameter cannot be used; the message says why, for people."""


def _date_arg(name: str, label: str) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ReportParamError(
            f"The {label} date “{value[:20]}” is not a date; use the form YYYY-MM-DD, "
            "for example 2025-03-31."
        ) from None


def _period_args() -> tuple[date | None, date | None]:
    period_from = _date_arg("from", "start")
    period_to = _date_arg("to", "end")
    try:
        if period_from:
            check_period(period_from, period_to or today())
    except ValueError as exc:
        raise ReportParamError(str(exc)) from None
    return period_from, period_to


def _mentee_data(
    mentee: Mentee, period_from: date | None, period_to: date | None, viewer: Viewer
) -> MenteeReportData:
    try:
        return mentee_report_data(mentee, viewer, period_from=period_from, period_to=period_to)
    except ValueError as exc:  # an end date before the mentee started
        raise ReportParamError(str(exc)) from None


def _file_name(*parts: str, ext: str) -> str:
    """A download name from record numbers and dates: no names, nothing a shell minds."""
    return "-".join(UNSAFE_IN_FILE_NAME.sub("_", part) for part in parts) + "." + ext


def _send(data: bytes, mimetype: str, name: str) -> Response:
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    # Health information: keep it out of shared and browser caches.
    response.headers["Cache-Control"] = "no-store"
    return response


def _period_detail(period_from: date | None, period_to: date | None) -> dict:
    return {
        k: v.isoformat() for k, v in (("from", period_from), ("to", period_to)) if v is not None
    }


@bp.errorhandler(ReportParamError)
def bad_request(exc: ReportParamError) -> ResponseReturnValue:
    """400 with the reason, on the usual error page."""
    page = render_template(
        "errors/error.html", code=400, title="That report cannot be made", text=str(exc)
    )
    return page, 400


@bp.get("/mentees/<int:mentee_id>/report.pdf")
def mentee_pdf(mentee_id: int) -> ResponseReturnValue:
    """A mentee's progress report for staff who may see the mentee."""
    mentee = load_mentee(mentee_id, permissions.can_print, action=None)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_report", **query_args()))
    return _print_report(mentee, permissions.viewer_for(current_user, mentee), "progress")


@bp.get("/me/report.pdf")
def my_report() -> ResponseReturnValue:
    """My own progress report: only the notes meant for me."""
    mentee = db.session.scalar(select(Mentee).where(Mentee.user_id == current_user.id))
    if mentee is None:
        abort(404)
    if not permissions.is_self(current_user, mentee):
        deny(mentee)
    return _print_report(mentee, permissions.viewer_for(current_user, mentee), "my-progress")


def _print_report(mentee: Mentee, viewer: Viewer, file_prefix: str) -> Response:
    """Build one progress report for the period asked, audit the print, send it."""
    period_from, period_to = _period_args()
    data = _mentee_data(mentee, period_from, period_to, viewer)
    pdf = mentee_report_pdf(data)
    audit.record(
        "report.print",
        current_user,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        format="pdf",
        copy="staff" if data.staff_view else "mentee",
        **_period_detail(data.period_from, data.period_to),
    )
    db.session.commit()
    name = _file_name(file_prefix, mentee.record_number, data.period_to.isoformat(), ext="pdf")
    return _send(pdf, PDF, name)


@bp.get("/mentees/<int:mentee_id>/history.csv")
def mentee_csv(mentee_id: int) -> ResponseReturnValue:
    """Every sign-off of a mentee as a spreadsheet, staff-only notes included: staff only."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes, action=None)
    entries = histories.history(mentee, permissions.viewer_for(current_user, mentee))
    data = mentee_history_csv(mentee, entries)
    audit.record(
        "report.export",
        current_user,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        format="csv",
        rows=len(entries),
    )
    db.session.commit()
    return _send(
        data, CSV, _file_name("history", mentee.record_number, today().isoformat(), ext="csv")
    )


def _caseload() -> tuple[list[Mentee], bool]:
    """The signed-in person's caseload (active mentees unless ?status=all)."""
    if not permissions.has_caseload(current_user):
        deny(what="caseload")
    status = request.args.get("status", "active")
    if status not in ("active", "all"):
        raise ReportParamError("Show mentees with status “active” (the default) or “all”.")
    query = permissions.caseload_for(current_user)
    if status == "active":
        query = query.where(Mentee.status == "active")
    return list(db.session.scalars(query)), status == "all"


def _audit_caseload(action: str, mentees: list[Mentee], fmt: str, kind: str, **detail: Any) -> None:
    audit.record(
        action,
        current_user,
        mentee=None,
        object_type="caseload",
        object_id=current_user.id,
        format=fmt,
        report=kind,
        count=len(mentees),
        mentees=[m.id for m in mentees],
        **detail,
    )
    db.session.commit()


@bp.get("/caseload/report.pdf")
def caseload_pdf() -> ResponseReturnValue:
    """A one-table summary of the caseload."""
    mentees, include_discharged = _caseload()
    data = caseload_data(
        mentees,
        organisation=current_user.organisation.name,
        owner=current_user.display_name,
        include_discharged=include_discharged,
    )
    pdf = caseload_summary_pdf(data)
    _audit_caseload("report.print", mentees, "pdf", "summary")
    return _send(pdf, PDF, _file_name("caseload-summary", data.on.isoformat(), ext="pdf"))


@bp.get("/caseload/batch.pdf")
def caseload_batch() -> ResponseReturnValue:
    """Every progress report of the caseload in one PDF, a bookmark per mentee."""
    mentees, _ = _caseload()
    period_from, period_to = _period_args()
    reports = batch_report_data(
        mentees,
        # A staff member sees staff-only notes of every mentee they follow, never their own.
        lambda mentee: permissions.viewer_for(current_user, mentee),
        period_from=period_from,
        period_to=period_to,
        view=curriculum_view(),
    )
    pdf = caseload_batch_pdf(reports)
    _audit_caseload(
        "report.print", mentees, "pdf", "batch", **_period_detail(period_from, period_to)
    )
    return _send(pdf, PDF, _file_name("caseload-reports", today().isoformat(), ext="pdf"))


@bp.get("/caseload/summary.csv", endpoint="caseload_csv")
def caseload_csv_view() -> ResponseReturnValue:
    """The caseload summary as a spreadsheet."""
    mentees, include_discharged = _caseload()
    data = caseload_data(
        mentees,
        organisation=current_user.organisation.name,
        owner=current_user.display_name,
        include_discharged=include_discharged,
    )
    _audit_caseload("report.export", mentees, "csv", "summary")
    return _send(
        caseload_csv(data), CSV, _file_name("caseload-summary", data.on.isoformat(), ext="csv")
    )
