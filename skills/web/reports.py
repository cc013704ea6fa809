"""Downloads: PDF progress reports and CSV exports.

Each view loads and checks, builds the bytes with `skills.reports`, writes exactly
one audit event, and sends the file. File names carry the record number, never a
person's name.
"""

import re
from datetime import date, timedelta
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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

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
from ..reports.caseload import DEFAULT_PERIOD_DAYS, CaseloadData, CaseloadFilter
from ..reports.caseload_pdf import BatchCover
from ..reports.content import MenteeReportData, batch_report_data
from ..reports.csv_export import areas_of
from ..reports.period import check_period, mentee_copy_locale, report_language
from ..reports.stamp import stamp
from ..services import audit
from ..services import history as histories
from ..services.people_queries import mentee_record_of
from ..services.view_cache import cached_view
from ..timeutil import today
from .loading import deny, load_mentee, query_args

bp = Blueprint("reports", __name__)

PDF = "application/pdf"
CSV = "text/csv"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ReportParamError(ValueError):
    """A query parameter cannot be used; the message says why, for people."""


MIN_YEAR, MAX_YEAR = 1900, 9998
# The period's ends, as messages name them.
START, END = _l("start date"), _l("end date")


def _date_arg(name: str, label: str) -> date | None:
    """The date in ?`name`=; `label` names it in the message ("start date")."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        if not ISO_DATE.match(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        raise ReportParamError(
            _(
                "The %(label)s “%(value)s” is not a date; use the form YYYY-MM-DD, "
                "for example 2025-03-31.",
                label=label,
                value=value[:20],
            )
        ) from None
    # A period reaches a day before its start and months around it: the calendar's own
    # ends would overflow, and no program's records are near them.
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ReportParamError(
            _(
                "The %(label)s %(value)s is out of range; use a year from %(min)s to %(max)s.",
                label=label,
                value=value,
                min=MIN_YEAR,
                max=MAX_YEAR,
            )
        )
    return day


def default_period(started: date | None = None) -> tuple[date, date]:
    """The web's period when none is asked: the last 90 days (from the start date for a
    mentee who started since)."""
    end = today(current_user)
    start = end - timedelta(days=DEFAULT_PERIOD_DAYS)
    return (max(start, started) if started else start), end


def _period_args(started: date | None = None) -> tuple[date, date]:
    """The period asked in ?from=&to=, the last 90 days by default (400 if unusable)."""
    default_from, default_to = default_period(started)
    period_to = _date_arg("to", END) or default_to
    period_from = _date_arg("from", START) or min(default_from, period_to)
    if started and not request.args.get("from") and period_to < started:
        period_from = started  # so the check below says the period ends before the start
    try:
        check_period(period_from, period_to)
    except ValueError as exc:
        raise ReportParamError(str(exc)) from None
    return period_from, period_to


def _copy_arg() -> str:
    """?copy=mentee (the default: the copy to go through and sign together) or staff."""
    copy = request.args.get("copy", "mentee").strip() or "mentee"
    if copy not in ("mentee", "staff"):
        raise ReportParamError(
            _(
                "There is no “%(copy)s” copy: choose copy=mentee (to give to the mentee) "
                "or copy=staff (with notes for staff only).",
                copy=copy[:20],
            )
        )
    return copy


def _viewer(mentee: Mentee, copy: str) -> Viewer:
    """The reader the copy is for; whether staff see staff notes is `permissions`' rule."""
    if copy == "mentee":
        return permissions.MENTEE_COPY
    viewer = permissions.viewer_for(current_user, mentee)
    if not viewer.sees_staff_notes:
        raise ReportParamError(_("The staff copy is only for staff; choose the mentee copy."))
    return viewer


def _mentee_data(
    mentee: Mentee, period_from: date | None, period_to: date | None, viewer: Viewer
) -> MenteeReportData:
    try:
        return mentee_report_data(
            mentee,
            viewer,
            period_from=period_from,
            period_to=period_to,
            printed_by=current_user.display_name,
        )
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
        "errors/error.html", code=400, title=_("That report cannot be made"), text=str(exc)
    )
    return page, 400


@bp.get("/mentees/<int:mentee_id>/report.pdf")
def mentee_pdf(mentee_id: int) -> ResponseReturnValue:
    """A mentee's progress report for staff who may see the mentee."""
    mentee = load_mentee(mentee_id, permissions.can_print, action=None)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_report", **query_args()))
    copy = _copy_arg()
    viewer = _viewer(mentee, copy)
    if copy == "mentee":  # printed in the mentee's language, whoever prints it
        with force_locale(mentee_copy_locale(mentee)):
            return _print_report(mentee, viewer, f"progress-{copy}-copy")
    return _print_report(mentee, viewer, f"progress-{copy}-copy")


@bp.get("/me/report.pdf")
def my_report() -> ResponseReturnValue:
    """My own progress report: only the notes meant for me."""
    mentee = mentee_record_of(current_user)
    if mentee is None:
        abort(404)
    if not permissions.is_self(current_user, mentee):
        deny(mentee)
    # A mentee only ever gets the mentee copy, whatever ?copy= says; in the language
    # they read the program in (the locale of this request).
    return _print_report(mentee, permissions.MENTEE_COPY, "my-progress")


def _print_report(mentee: Mentee, viewer: Viewer, file_prefix: str) -> Response:
    """Build one progress report for the period asked, audit the print, send it; in the
    locale in force (the caller may switch it for the mentee copy)."""
    period_from, period_to = _period_args(mentee.start_date)
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
    """Every sign-off of a mentee as a spreadsheet, staff-only notes included: staff only.
    With ?from=&to= (the report form sends them), only the events shown in that period."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes, action=None)
    period_from, period_to = _date_arg("from", START), _date_arg("to", END)
    if period_from and period_to and period_from > period_to:
        check_period_or_400(period_from, period_to)
    entries = [
        e
        for e in histories.history(mentee, permissions.viewer_for(current_user, mentee))
        if (not period_from or e.shown_on >= period_from)
        and (not period_to or e.shown_on <= period_to)
    ]
    view = cached_view(mentee.organisation_id)
    data = mentee_history_csv(mentee, entries, areas=areas_of(view))
    audit.record(
        "report.export",
        current_user,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        format="csv",
        rows=len(entries),
        **_period_detail(period_from, period_to),
    )
    db.session.commit()
    return _send(
        data,
        CSV,
        _file_name("history", mentee.record_number, today(current_user).isoformat(), ext="csv"),
    )


def check_period_or_400(period_from: date, period_to: date) -> None:
    try:
        check_period(period_from, period_to)
    except ValueError as exc:
        raise ReportParamError(str(exc)) from None


def _caseload() -> tuple[list[Mentee], CaseloadFilter]:
    """The signed-in person's caseload and the caseload page's filters (?status=, ?mentor=,
    ?stalled=), which the downloads apply exactly as the page does."""
    if not permissions.has_caseload(current_user):
        deny(what="caseload")
    try:
        filters = CaseloadFilter(
            status=request.args.get("status", "active").strip() or "active",
            mentor=request.args.get("mentor", "").strip(),
            stalled=request.args.get("stalled", "") not in ("", "n", "no", "false", "0"),
        )
    except ValueError as exc:
        raise ReportParamError(str(exc)) from None
    # Every status is read; the filter narrows, so page and downloads agree.
    return list(db.session.scalars(permissions.caseload_for(current_user))), filters


def _audit_caseload(action: str, mentees: list[int], fmt: str, kind: str, **detail: Any) -> None:
    audit.record(
        action,
        current_user,
        mentee=None,
        object_type="caseload",
        object_id=current_user.id,
        format=fmt,
        report=kind,
        count=len(mentees),
        mentees=mentees,
        **detail,
    )
    db.session.commit()


def _summary_data() -> tuple[CaseloadData, list[Mentee], date, date]:
    mentees, filters = _caseload()
    period_from, period_to = _period_args()
    data = caseload_data(
        mentees,
        organisation=current_user.organisation.name,
        owner=current_user.display_name,
        view=cached_view(current_user.organisation_id),
        filters=filters,
        period_from=period_from,
        period_to=period_to,
        printed=stamp(current_user.organisation, current_user.display_name).text,
    )
    return data, mentees, period_from, period_to


@bp.get("/caseload/report.pdf")
def caseload_pdf() -> ResponseReturnValue:
    """A one-table summary of the caseload, filtered as the caseload page is."""
    data, _, period_from, period_to = _summary_data()
    pdf = caseload_summary_pdf(data, report_language())
    shown = [row.mentee_id for row in data.rows]
    _audit_caseload(
        "report.print", shown, "pdf", "summary", **_period_detail(period_from, period_to)
    )
    return _send(pdf, PDF, _file_name("caseload-summary", data.on.isoformat(), ext="pdf"))


@bp.get("/caseload/batch.pdf")
def caseload_batch() -> ResponseReturnValue:
    """Every progress report of the (filtered) caseload in one PDF: a cover with contents,
    a bookmark per mentee, each report on a new sheet."""
    data, everyone, period_from, period_to = _summary_data()
    copy = _copy_arg()
    by_id = {m.id: m for m in everyone}
    mentees = [by_id[row.mentee_id] for row in data.rows]  # filtered, by last name
    reports = batch_report_data(
        mentees,
        lambda mentee: _viewer(mentee, copy),
        period_from=period_from,
        period_to=period_to,
        view=cached_view(current_user.organisation_id),
        printed_by=current_user.display_name,
    )
    cover = BatchCover(
        current_user.organisation.name,
        current_user.display_name,
        [(m.full_name, m.record_number) for m in mentees],
        data.printed,
        copy,
    )
    pdf = caseload_batch_pdf(reports, cover, report_language())
    _audit_caseload(
        "report.print",
        [m.id for m in mentees],
        "pdf",
        "batch",
        copy=copy,
        **_period_detail(period_from, period_to),
    )
    return _send(
        pdf,
        PDF,
        _file_name(f"caseload-reports-{copy}-copies", today(current_user).isoformat(), ext="pdf"),
    )


@bp.get("/caseload/summary.csv", endpoint="caseload_csv")
def caseload_csv_view() -> ResponseReturnValue:
    """The caseload summary as a spreadsheet, filtered as the caseload page is; its file
    name says whose caseload and which day."""
    data, _, period_from, period_to = _summary_data()
    shown = [row.mentee_id for row in data.rows]
    _audit_caseload(
        "report.export", shown, "csv", "summary", **_period_detail(period_from, period_to)
    )
    name = _file_name("caseload", current_user.username, data.on.isoformat(), ext="csv")
    return _send(caseload_csv(data), CSV, name)


# The report forms' default period (the last 90 days), for templates.
bp.add_app_template_global(default_period, "report_period_default")
