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

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfbase.pdfdoc import PDFPageLabel

from ..cycles import cyclic_gc_paused
from ..i18n import local_date
from ..timeutil import utcnow
from .caseload import CaseloadData
from .items import MenteeReportData
from .layout import CELL_PAD, GREY, MARGIN, Layout
from .pdf import layout_mentee, made, mentee_footer
from .tagging import text_string
from .text import BOLD, FONT, clean, one_line, text_width
from .writer import PdfFile, Writer, new_canvas

ARABIC = PDFPageLabel.ARABIC  # page labels "M00012-1", "M00012-2", …
BLANK = _l("This page is left blank on purpose: the next report starts on a new sheet.")


def _d(value: date | None) -> str:
    return local_date(value)


@dataclass(frozen=True)
class BatchCover:
    """What the cover page says: whose caseload, and who is in it (name, record)."""

    organisation: str
    owner: str
    contents: Sequence[tuple[str, str]]
    printed: str = ""
    copy: str = ""  # "mentee" or "staff": which copy every report in the batch is


def _cover(writer: Writer, cover: BatchCover) -> None:
    lay = Layout(letter, _("Progress reports · Caseload of %(name)s · contents", name=cover.owner))
    if cover.organisation:
        lay.paragraph(cover.organisation, BOLD, 10, GREY)
    title = lay.paragraph(_("Progress reports"), BOLD, 20, role="H1")
    lay.paragraph(_("Caseload of %(name)s", name=cover.owner), BOLD, 13, into=title)
    lay.paragraph(
        ngettext(
            "%(num)d report, starting on a new sheet when printed double-sided.",
            "%(num)d reports, each starting on a new sheet when printed double-sided.",
            len(cover.contents),
        )
    )
    if cover.copy == "staff":
        lay.paragraph(
            _("Staff copies: they may include notes for staff only. Do not give them to mentees."),
            BOLD,
        )
    elif cover.copy == "mentee":
        lay.paragraph(_("Mentee copies: each report is for its mentee to keep."), BOLD)
    lay.heading(_("Contents"))
    lay.table(
        [("#", 30), (_("Name"), 330), (_("Record"), lay.width - 360)],
        ([str(i), clean(name), record] for i, (name, record) in enumerate(cover.contents, 1)),
        right=(0,),
    )
    writer.draw(lay, cover.printed or made(utcnow()), outline=False)
    if writer.pages % 2:
        writer.blank(lay, str(BLANK))


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
    buffer = PdfFile()
    owner = cover.owner if cover else ""
    title = (
        _("Progress reports, caseload of %(name)s", name=owner) if owner else _("Progress reports")
    )
    author = owner or (cover.organisation if cover else "")
    canvas = new_canvas(buffer, title, author, language=language)
    writer = Writer(canvas)
    if cover:
        canvas.addPageLabel(0, style=ARABIC, start=1, prefix=_("Contents") + " ")
        _cover(writer, cover)
    count = 0
    blank = str(BLANK)
    # Writing the file too: it makes as many objects again as drawing.
    with cyclic_gc_paused():
        for data in reports:
            if writer.pages % 2:  # the last report ended on a front: its back stays blank
                writer.blank(Layout(letter), blank)
            count += 1
            key = f"mentee-{count}"
            canvas.bookmarkPage(key)
            canvas.addOutlineEntry(f"{clean(data.name)} ({data.record_number})", key, level=0)
            prefix = f"{data.record_number}-"
            canvas.addPageLabel(writer.pages, style=ARABIC, start=1, prefix=prefix)
            lay = layout_mentee(data)
            lay.root.attrs = f"/T {text_string(clean(data.name))}"
            if data.language != language:
                lay.root.attrs += f" /Lang {text_string(data.language)}"
            writer.draw(lay, mentee_footer(data), outline=False)
        if count == 0:
            lay = Layout(letter)
            lay.paragraph(_("Progress reports"), BOLD, 20, role="H1")
            lay.gap(6)
            lay.paragraph(_("The caseload is empty: there are no mentees to report on."))
            writer.draw(lay, cover.printed if cover and cover.printed else made(utcnow()))
        else:
            canvas.showOutline()
        writer.save()
    return buffer.getvalue()


def _packed(text: str, separator: str, size: float, width: float) -> list[str]:
    """`text` in lines no wider than `width`, broken only at `separator` (a part wider
    than a line has a line of its own and is cut there, as one line would be)."""
    lines: list[str] = []
    for part in text.split(separator):
        joined = f"{lines[-1]}{separator}{part}" if lines else part
        if lines and text_width(joined, FONT) * size <= width:
            lines[-1] = joined
        else:
            lines.append(one_line(part, FONT, size, width))
    return lines


def _fit_headings(columns: list[tuple[str, float]], size: float) -> list[tuple[str, float]]:
    return [(name, max(w, text_width(name, BOLD) * size + 6)) for name, w in columns]


SUMMARY_SIZES = (8.5, 8.0, 7.5, 7.0, 6.5)  # type for the summary table, largest first
NAME_LEAST = 85.0  # the name column's width below which the type gets smaller


def _summary_columns(width: float, areas: int) -> tuple[list[tuple[str, float]], float]:
    """The summary table's columns and type size: the area columns narrow, never too
    narrow for "100%" (a percent split over two lines misreads as two numbers); the
    name column takes what is left (names wrap between words). With many areas the
    type gets smaller until the name column has `NAME_LEAST`; past the smallest, the
    area columns share what is left (percents wrap rather than run off the page)."""
    for size in SUMMARY_SIZES:
        fixed = [(_("Name"), 130.0), (_("Record"), 48.0), (_("Mentor"), 80.0)]
        tail = [
            (_("Overall"), 44.0),
            (_("Change"), 42.0),
            (_("Last sign-off"), 66.0),
            (_("Stalled"), 50.0),
        ]
        # Each column at least as wide as its heading (the Spanish ones are longer).
        fixed, tail = _fit_headings(fixed, size), _fit_headings(tail, size)
        room = width - sum(w for _label, w in fixed + tail)
        fits = text_width("100%", FONT) * size + 2 * CELL_PAD + 1
        each = max(min(room / areas, 40.0), fits) if areas else 0.0
        name = fixed[0][1] + room - each * areas
        if name >= NAME_LEAST:
            break
    else:
        each = (room + fixed[0][1] - NAME_LEAST) / areas
        name = NAME_LEAST
    fixed[0] = (fixed[0][0], name)
    return fixed + [(str(i), each) for i in range(1, areas + 1)] + tail, size


def caseload_summary_pdf(data: CaseloadData, language: str = "en-US") -> bytes:
    """One table row per mentee: mentors, percent per area, overall, change in the period,
    last sign-off, stalled; averages last. The areas' legend repeats on every page."""
    buffer = BytesIO()
    name = _("Caseload summary")
    title = f"{name}, {data.owner}" if data.owner else name
    author = data.owner or data.organisation
    canvas = new_canvas(buffer, title, author, landscape(letter), language)
    areas = " · ".join(f"{i}. {t}" for i, t in enumerate(data.domains, 1))
    width = landscape(letter)[0] - 2 * MARGIN
    # Lines break between areas, never inside one ("8." at a line's end, its name on the
    # next); the running header repeats the same lines on every page.
    legend = _packed(_("Areas: %(areas)s", areas=areas), " · ", 8, width) if data.domains else []
    period = _("%(start)s to %(end)s", start=_d(data.period_from), end=_d(data.period_to))
    header = f"{name} · {data.owner}" if data.owner else name
    lay = Layout(landscape(letter), [header, *legend], 9.0)
    if data.organisation:
        lay.paragraph(data.organisation, BOLD, 10, GREY)
    lay.bookmark(title, 1)
    heading = lay.paragraph(name, BOLD, 20, role="H1")
    if data.owner:
        lay.paragraph(_("Caseload of %(name)s", name=data.owner), BOLD, 11, into=heading)
    count = len(data.rows)
    lay.paragraph(
        ngettext(
            "%(num)d mentee (%(filters)s) · progress as of %(date)s · change over %(period)s",
            "%(num)d mentees (%(filters)s) · progress as of %(date)s · change over %(period)s",
            count,
            filters=data.filters.describe(),
            date=_d(data.on),
            period=period,
        )
    )
    lay.paragraph(
        _(
            "Percent = skills signed off in each area. Change = skills signed off at the end "
            "of the period minus at its start. Stalled = no sign-off in the last 30 days."
        ),
        size=8,
        color=GREY,
    )
    if legend:
        lay.paragraph("\n".join(legend), size=8, color=GREY)
    lay.gap(8)
    if not data.rows:
        lay.paragraph(_("The caseload is empty: there are no mentees to show."), BOLD, 11)
    else:
        columns, size = _summary_columns(lay.width, len(data.domains))
        first_number = 3  # after name, record and mentor
        per_domain, overall, change = data.averages
        discharged, none, stalled = _(" (discharged)"), _("none"), _("STALLED")
        rows = [
            [
                row.full_name + (discharged if row.status == "discharged" else ""),
                row.record_number,
                ", ".join(row.mentors) or none,
                *(f"{p}%" for p in row.percents),
                f"{row.percent}%",
                f"{row.change:+d}" if row.change else "0",
                _d(row.last_signoff_on) or _("none yet"),
                stalled if row.stalled else "",
            ]
            for row in data.rows
        ]
        rows.append(
            [
                _("Average of %(count)s", count=count),
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
            size=size,
            right=range(first_number, first_number + len(data.domains) + 2),
            bold_last=True,
            row_headers=True,
        )
    footer = data.printed or made(data.generated_at)
    writer = Writer(canvas)
    writer.draw(lay, one_line(footer, FONT, 7.5, 600))
    canvas.showOutline()
    writer.save()
    return buffer.getvalue()
