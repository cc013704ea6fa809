"""`flask --app skills report mentee | history | caseload`: the same files as the web
downloads."""

from contextlib import nullcontext
from datetime import date, datetime
from typing import IO, Any, cast

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import permissions
from ..cli_support import organisation_option
from ..extensions import db
from ..models import Mentee, Organisation, User
from ..services import audit
from ..services import history as histories
from ..services.curriculum_view import curriculum_view
from ..timeutil import today
from .caseload import CaseloadFilter, caseload_data, last_name_key
from .caseload_pdf import BatchCover, caseload_batch_pdf, caseload_summary_pdf
from .content import batch_report_data, mentee_report_data
from .csv_export import areas_of, caseload_csv, mentee_history_csv
from .pdf import mentee_report_pdf
from .period import mentee_copy_locale
from .stamp import stamp

report_group = AppGroup("report", help="Print progress reports and export CSV files.")

DATE = click.DateTime(formats=["%Y-%m-%d"])
COPY = click.Choice(["mentee", "staff"])
# Nobody is signed in at the server's command line: the footer says where it came from,
# in the language each report is printed in (a lazy string, read when the footer is made).
PRINTED_BY = cast(str, _l("the command line"))


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _write(output: IO[bytes], data: bytes) -> None:
    # click opens the (lazy) file only now, so a failed report leaves no empty file,
    # and closes it when the command ends; "-" writes to standard output.
    output.write(data)
    output.flush()


def _where(output: IO[bytes]) -> str:
    return "standard output" if output.name in ("-", "<stdout>") else output.name


def _find_mentee(record_number: str, organisation: str | None) -> Mentee:
    query = select(Mentee).where(Mentee.record_number == record_number)
    if organisation:
        query = query.join(Organisation).where(Organisation.name == organisation)
    found = list(db.session.scalars(query))
    if not found:
        raise click.ClickException(f"No mentee has the record number {record_number}.")
    if len(found) > 1:
        names = ", ".join(sorted(m.organisation.name for m in found))
        raise click.ClickException(
            f"Record number {record_number} is used in several organizations ({names}); "
            "say which with --organisation."
        )
    return found[0]


@report_group.command("mentee")
@click.argument("record_number")
@click.option("--from", "period_from", type=DATE, help="Start of the period (YYYY-MM-DD).")
@click.option("--to", "period_to", type=DATE, help="End of the period (YYYY-MM-DD).")
@click.option(
    "--copy",
    type=COPY,
    default="mentee",
    show_default=True,
    help="mentee: to go through and sign together, no notes for staff only; staff: all notes.",
)
@click.option("--mentee-copy", is_flag=True, hidden=True, help="Same as --copy mentee.")
@organisation_option(
    default=None,
    help="Needed only if record numbers repeat.",
)
@click.option(
    "-o", "--output", required=True, type=click.File("wb", lazy=True), help="PDF file to write."
)
def report_mentee(
    record_number: str,
    period_from: datetime | None,
    period_to: datetime | None,
    copy: str,
    mentee_copy: bool,
    organisation: str | None,
    output: IO[bytes],
) -> None:
    """Write one mentee's progress report as a PDF (the mentee copy unless --copy staff)."""
    mentee = _find_mentee(record_number, organisation)
    mentee_copy = mentee_copy or copy == "mentee"
    # The mentee copy in the mentee's language; the staff copy in the default (English).
    with force_locale(mentee_copy_locale(mentee)) if mentee_copy else nullcontext():
        try:
            data = mentee_report_data(
                mentee,
                permissions.command_line_viewer(mentee_copy),
                period_from=_day(period_from),
                period_to=_day(period_to),
                printed_by=PRINTED_BY,
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        _write(output, mentee_report_pdf(data))
    # Any: passed on as keywords, which mypy would check against each named parameter.
    period: dict[str, Any] = {
        "from": data.period_from.isoformat(),
        "to": data.period_to.isoformat(),
    }
    audit.record(
        "report.print",
        None,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        format="pdf",
        copy="mentee" if mentee_copy else "staff",
        via="cli",
        **period,
    )
    db.session.commit()
    click.echo(
        f"Wrote the progress report for record {mentee.record_number} to {_where(output)}.",
        err=True,  # standard output may be the PDF itself (-o -)
    )


@report_group.command("caseload")
@click.option("--username", required=True, help="Whose caseload: a mentor, case manager or admin.")
@click.option("--batch", is_flag=True, help="Every mentee's progress report in one PDF.")
@click.option("--csv", "as_csv", is_flag=True, help="The summary as CSV instead of PDF.")
@click.option("--all", "include_discharged", is_flag=True, help="Include discharged mentees.")
@click.option("--mentor", default="", help="Only the mentees of this mentor (display name).")
@click.option("--stalled", is_flag=True, help="Only mentees with no sign-off in 30 days.")
@click.option("--copy", type=COPY, default="mentee", show_default=True, help="Batch only.")
@click.option("--from", "period_from", type=DATE, help="Batch only: start of the period.")
@click.option("--to", "period_to", type=DATE, help="Batch only: end of the period.")
@click.option(
    "-o", "--output", required=True, type=click.File("wb", lazy=True), help="File to write."
)
def report_caseload(
    username: str,
    batch: bool,
    as_csv: bool,
    include_discharged: bool,
    mentor: str,
    stalled: bool,
    copy: str,
    period_from: datetime | None,
    period_to: datetime | None,
    output: IO[bytes],
) -> None:
    """Write a caseload summary (PDF or CSV) or a batch of progress reports (PDF), with
    the caseload page's filters."""
    if batch and as_csv:
        raise click.UsageError("Choose --batch (PDF reports) or --csv (summary), not both.")
    user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user has the username {username}.")
    if not permissions.has_caseload(user):
        raise click.ClickException(
            f"{user.username} is not a mentor, case manager or admin, so has no caseload."
        )
    everyone = list(db.session.scalars(permissions.caseload_for(user)))
    filters = CaseloadFilter("all" if include_discharged else "active", mentor.strip(), stalled)
    view = curriculum_view(user.organisation_id)
    start, end = _day(period_from), _day(period_to)
    if start and start > (end or today(user)):
        raise click.UsageError(f"--from {start} is after --to {end or 'today'}.")
    printed = stamp(user.organisation, PRINTED_BY).text
    data = caseload_data(
        everyone,
        organisation=user.organisation.name,
        owner=user.display_name,
        view=view,
        filters=filters,
        period_from=start,
        period_to=end,
        printed=printed,
    )
    by_id = {m.id: m for m in everyone}
    mentees = sorted(
        (by_id[r.mentee_id] for r in data.rows), key=lambda m: last_name_key(m.full_name)
    )
    # Any: passed on as keywords, which mypy would check against each named parameter.
    detail: dict[str, Any] = {"report": "batch" if batch else "summary", "count": len(mentees)}
    if batch:
        detail["copy"] = copy
        reports = batch_report_data(
            mentees,
            lambda mentee: permissions.command_line_viewer(copy == "mentee"),
            period_from=start,
            period_to=end,
            view=view,
            printed_by=PRINTED_BY,
        )
        cover = BatchCover(
            user.organisation.name,
            user.display_name,
            [(m.full_name, m.record_number) for m in mentees],
            printed,
            copy,
        )
        _write(output, caseload_batch_pdf(reports, cover))
        action, fmt = "report.print", "pdf"
    else:
        if as_csv:
            _write(output, caseload_csv(data))
            action, fmt = "report.export", "csv"
        else:
            _write(output, caseload_summary_pdf(data))
            action, fmt = "report.print", "pdf"
    audit.record(
        action,
        None,
        object_type="caseload",
        object_id=user.id,
        organisation_id=user.organisation_id,
        format=fmt,
        username=user.username,
        mentees=[m.id for m in mentees],
        via="cli",
        **detail,
    )
    db.session.commit()
    click.echo(
        f"Wrote the caseload of {user.username} ({len(mentees)} mentees) to {_where(output)}.",
        err=True,
    )


@report_group.command("history")
@click.argument("record_number")
@click.option("--from", "period_from", type=DATE, help="Only events shown on or after.")
@click.option("--to", "period_to", type=DATE, help="Only events shown on or before.")
@organisation_option(
    default=None,
    help="Needed only if record numbers repeat.",
)
@click.option(
    "-o", "--output", required=True, type=click.File("wb", lazy=True), help="CSV file to write."
)
def report_history(
    record_number: str,
    period_from: datetime | None,
    period_to: datetime | None,
    organisation: str | None,
    output: IO[bytes],
) -> None:
    """Write one mentee's sign-off history as CSV (staff view: every note)."""
    mentee = _find_mentee(record_number, organisation)
    start, end = _day(period_from), _day(period_to)
    if start and end and start > end:
        raise click.UsageError(f"--from {start} is after --to {end}.")
    entries = [
        e
        for e in histories.history(mentee, permissions.command_line_viewer(False))
        if (not start or e.shown_on >= start) and (not end or e.shown_on <= end)
    ]
    areas = areas_of(curriculum_view(mentee.organisation_id))
    _write(output, mentee_history_csv(mentee, entries, areas))
    audit.record(
        "report.export",
        None,
        mentee=mentee,
        object_type="mentee",
        object_id=mentee.id,
        format="csv",
        rows=len(entries),
        via="cli",
    )
    db.session.commit()
    click.echo(
        f"Wrote the history of record {mentee.record_number} ({len(entries)} entries) "
        f"to {_where(output)}.",
        err=True,
    )
