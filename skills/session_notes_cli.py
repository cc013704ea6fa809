"""`flask --app skills notes billing --organisation NAME --month 2026-11`: the same
billing CSV as the admin page."""

from datetime import date
from typing import IO

import click
from flask.cli import AppGroup

from .cli_support import organisation_named, organisation_option
from .extensions import db
from .reports.billing_csv import billing_csv
from .services import audit
from .services.session_note_queries import billing_month

notes_group = AppGroup("notes", help="Session notes: the monthly billing export.")


@notes_group.command("billing")
@organisation_option(
    required=True,
    help="The organization's name.",
)
@click.option("--month", required=True, help="The month of the sessions, like 2026-11.")
@click.option(
    "-o",
    "--output",
    type=click.File("wb", lazy=True),
    default="-",
    help="CSV file to write (default: standard output).",
)
def notes_billing(organisation: str, month: str, output: IO[bytes]) -> None:
    """Write a month's signed notes as CSV; unsigned and late notes follow in their own
    section, and the count of each is printed."""
    org = organisation_named(organisation)
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise click.ClickException(
            f"“{month}” is not a month; write it as year and month, like 2026-11."
        ) from None
    data = billing_month(org, first)
    output.write(billing_csv(data))
    output.flush()
    audit.record(
        "billing.export",
        None,
        organisation_id=org.id,
        object_type="billing_month",
        object_id=first.strftime("%Y-%m"),
        billable=len(data.billable),
        not_billed=len(data.not_billed),
        via="command line",
    )
    db.session.commit()
    click.echo(
        f"{len(data.billable)} signed note(s) to bill; {len(data.not_billed)} not billed "
        "(unsigned or signed late), listed in their own section.",
        err=True,
    )
