"""Caseload PDFs: the one-table summary and the batch of every mentee's progress report.

The batch is safe to print double-sided: a cover page with the caseload's owner and
contents, and every report starting on an odd page (a blank page is added after a
report with an odd number of pages), so one person's pages never share a sheet with
the next person's.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfbase.pdfdoc import PDFPageLabel

from ..timeutil import utcnow
from .caseload import CaseloadData
from .items import MenteeReportData
from .layout import GREY, Layout
from .pdf import layout_mentee, made, mentee_footer
from .tagging import text_string
from .text import BOLD, FONT, clean, one_line
from .writer import Writer, new_canvas

ARABIC = PDFPageLabel.ARABIC  # page labels "M00012-1", "M00012-2", …
BLANK = "This page is left blank on purpose: the next report starts on a new sheet."


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class BatchCover:
    """What the cover page says: whose caseload, and who is in it (name, record)."""

    organisation: str
    owner: str
    contents: Sequence[tuple[str, str]]
    printed: str = ""


def _cover(writer: Writer, cover: BatchCover) -> None:
    lay = Layout(letter, f"Progress reports · Caseload of {cover.owner} · contents")
    if cover.organisation:
        lay.paragraph(cover.organisation, BOLD, 10, GREY)
    title = lay.paragraph("Progress reports", BOLD, 20, role="H1")
    lay.paragraph(f"Caseload of {cover.owner}", BOLD, 13, into=title)
    lay.paragraph(
        f"{len(cover.contents)} report{'s' if len(cover.contents) != 1 else ''}, each starting "
        "on a new sheet when printed double-sided."
    )
    lay.heading("Contents")
    lay.table(
        [("#", 30), ("Name", 330), ("Record", lay.width - 360)],
        ([str(i), clean(name), record] for i, (name, record) in enumerate(cover.contents, 1)),
        right=(0,),
    )
    writer.draw(lay, cover.printed or f"Made {made(utcnow())}", outline=False)
    if writer.pages % 2:
        writer.blank(lay, BLANK)


def caseload_batch_pdf(
    reports: Iterable[MenteeReportData],
    cover: BatchCover | None = None,
    language: str = "en-US",
) -> bytes:
    """Every progress report of a caseload in one PDF, with a bookmark and page labels
    per mentee; each report starts on an odd page.

    `reports` may be a generator, so only one mentee's data need be held at a time.
    Page numbers count within each mentee's report. Each report is a section of the
    structure tree, titled with the mentee's name (and its language, when a report is
    printed in another than the document's `language`); the bookmarks are one per
    mentee, not per heading, so 500 reports give a list one can scroll.
    """
    buffer = BytesIO()
    owner = cover.owner if cover else ""
    title = "Progress reports" + (f", caseload of {owner}" if owner else "")
    author = owner or (cover.organisation if cover else "")
    canvas = new_canvas(buffer, title, author, language=language)
    writer = Writer(canvas)
    if cover:
        canvas.addPageLabel(0, style=ARABIC, start=1, prefix="Contents ")
        _cover(writer, cover)
    count = 0
    for data in reports:
        count += 1
        key = f"mentee-{count}"
        canvas.bookmarkPage(key)
        canvas.addOutlineEntry(f"{clean(data.name)} ({data.record_number})", key, level=0)
        canvas.addPageLabel(writer.pages, style=ARABIC, start=1, prefix=f"{data.record_number}-")
        lay = layout_mentee(data)
        lay.root.attrs = f"/T {text_string(clean(data.name))}"
        if data.language != language:
            lay.root.attrs += f" /Lang {text_string(data.language)}"
        writer.draw(lay, mentee_footer(data), outline=False)
        if writer.pages % 2:
            writer.blank(Layout(letter), BLANK)
    if count == 0:
        lay = Layout(letter)
        lay.paragraph("Progress reports", BOLD, 20, role="H1")
        lay.gap(6)
        lay.paragraph("The caseload is empty: there are no mentees to report on.")
        writer.draw(lay, cover.printed if cover and cover.printed else f"Made {made(utcnow())}")
    else:
        canvas.showOutline()
    writer.save()
    return buffer.getvalue()


def caseload_summary_pdf(data: CaseloadData, language: str = "en-US") -> bytes:
    """One table row per mentee: mentors, percent per area, overall, change in the period,
    last sign-off, stalled; averages last. The areas' legend repeats on every page."""
    buffer = BytesIO()
    title = "Caseload summary" + (f", {data.owner}" if data.owner else "")
    author = data.owner or data.organisation
    canvas = new_canvas(buffer, title, author, landscape(letter), language)
    legend = "Areas: " + " · ".join(f"{i}. {t}" for i, t in enumerate(data.domains, 1))
    period = f"{_d(data.period_from)} to {_d(data.period_to)}"
    header = "Caseload summary" + (f" · {data.owner}" if data.owner else "")
    lay = Layout(landscape(letter), [header, legend if data.domains else ""], 9.0)
    if data.organisation:
        lay.paragraph(data.organisation, BOLD, 10, GREY)
    lay.bookmark(title, 1)
    heading = lay.paragraph("Caseload summary", BOLD, 20, role="H1")
    if data.owner:
        lay.paragraph(f"Caseload of {data.owner}", BOLD, 11, into=heading)
    count = len(data.rows)
    mentees = "mentee" if count == 1 else "mentees"
    lay.paragraph(
        f"{count} {mentees} ({data.filters.describe()}) · progress as of {_d(data.on)} · "
        f"change over {period}"
    )
    lay.paragraph(
        "Percent = skills signed off in each area. Change = skills signed off at the end of "
        "the period minus at its start. Stalled = no sign-off in the last 30 days.",
        size=8,
        color=GREY,
    )
    if data.domains:
        lay.paragraph(legend, size=8, color=GREY)
    lay.gap(8)
    if not data.rows:
        lay.paragraph("The caseload is empty: there are no mentees to show.", BOLD, 11)
    else:
        fixed = [("Name", 130.0), ("Record", 56.0), ("Mentor", 96.0)]
        tail = [("Overall", 44.0), ("Change", 42.0), ("Last sign-off", 62.0), ("Stalled", 50.0)]
        room = lay.width - sum(w for _, w in fixed + tail)
        # Narrow columns for the areas; whatever they leave over widens the name column.
        each = min(room / len(data.domains), 40.0) if data.domains else 0.0
        fixed[0] = ("Name", 130.0 + room - each * len(data.domains))
        columns = fixed + [(str(i), each) for i in range(1, len(data.domains) + 1)] + tail
        first_number = len(fixed)
        per_domain, overall, change = data.averages
        rows = [
            [
                row.full_name + (" (discharged)" if row.status == "discharged" else ""),
                row.record_number,
                ", ".join(row.mentors) or "none",
                *(f"{p}%" for p in row.percents),
                f"{row.percent}%",
                f"{row.change:+d}" if row.change else "0",
                _d(row.last_signoff_on) or "none yet",
                "STALLED" if row.stalled else "",
            ]
            for row in data.rows
        ]
        rows.append(
            [
                f"Average of {count}",
                "",
                "",
                *(f"{p:.0f}%" for p in per_domain),
                f"{overall:.0f}%",
                f"{change:+.1f}",
                "",
                "",
            ]
        )
        lay.table(
            columns,
            rows,
            size=8.5,
            right=range(first_number, first_number + len(data.domains) + 2),
            bold_last=True,
            row_headers=True,
        )
    footer = data.printed or f"Made {made(data.generated_at)}"
    writer = Writer(canvas)
    writer.draw(lay, one_line(footer, FONT, 7.5, 600))
    canvas.showOutline()
    writer.save()
    return buffer.getvalue()
