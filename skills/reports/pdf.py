"""PDF builders: report data in, bytes out. They know nothing of HTTP.

The report layouts (a mentee's progress report, a caseload summary and a batch of
progress reports) on top of the layout engine in `layout.py`.
"""

from collections.abc import Iterable
from datetime import date, datetime
from io import BytesIO

from reportlab.lib.pagesizes import landscape, letter

from ..timeutil import utcnow
from .caseload import CaseloadData
from .content import MenteeReportData
from .layout import BLACK, BOLD, FONT, GREY, Layout, Writer, clean, new_canvas, one_line, wrap


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _made(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _layout_mentee(data: MenteeReportData) -> Layout:
    """Lay out one progress report, written so the mentee can read it too."""
    name = clean(data.name)
    lay = Layout(
        letter,
        one_line(f"Progress report · {name} · Record {data.record_number}", FONT, 8, 400),
    )
    lay.paragraph(data.organisation or "Progress report", BOLD, 10, GREY)
    lay.gap(2)
    lay.paragraph("Progress report", BOLD, 20)
    lay.paragraph(name, BOLD, 14)
    lay.gap(3)
    status = "Active"
    if data.status == "discharged":
        status = "Discharged" + (f" on {_d(data.discharged_on)}" if data.discharged_on else "")
    lay.paragraph(
        f"Record number: {data.record_number} · Started: {_d(data.start_date)} · Status: {status}"
    )
    lay.paragraph(f"Period: {_d(data.period_from)} to {_d(data.period_to)}", BOLD, 9)
    lay.paragraph(
        "Staff copy: may include notes for staff only."
        if data.staff_view
        else "Mentee's copy: notes for staff only are left out.",
        size=8,
        color=GREY,
    )

    lay.heading("Summary")
    lay.paragraph(
        f"I can do {data.signed_off} of {data.total} skills on my own ({data.percent}%). "
        "Bars show skills signed off; levels are as of the day this report was made."
    )
    lay.gap(4)
    bar_x, bar_w = lay.left + 170, 170
    for domain in data.domains:
        lines = wrap(domain.title, FONT, 9, 165)
        height = max(len(lines) * 11.7, 14) + 3
        lay.need(height)
        for i, line in enumerate(lines):
            lay.text(lay.left, lay.y - 9 - i * 11.7, line)
        fraction = domain.signed_off / domain.total if domain.total else 0
        lay.bar(bar_x, lay.y - 10, bar_w, 9, fraction)
        learning = f", {domain.started} learning" if domain.started else ""
        lay.text(
            bar_x + bar_w + 8,
            lay.y - 9,
            f"{domain.percent}%  ({domain.signed_off} of {domain.total} signed off{learning})",
            size=8.5,
        )
        lay.y -= height

    lay.heading("Skills signed off in this period")
    if data.signed_off_in_period:
        for item in data.signed_off_in_period:
            extras = " · ".join(
                x
                for x in (item.support, item.practised_with, item.place and f"at {item.place}")
                if x
            )
            lay.paragraph(f"{_d(item.shown_on)}  {item.i_can_now}", keep_with_next=11)
            lay.paragraph(
                f"{item.title} — signed off by {item.mentor or 'a mentor'}"
                + (f" · {extras}" if extras else ""),
                size=8,
                color=GREY,
                indent=62,
            )
    else:
        lay.paragraph("No skills were signed off in this period.")

    lay.heading("Next, I'm learning")
    if data.learning:
        for learning_item in data.learning:
            lay.paragraph(f"•  {learning_item.title}: {learning_item.mentee_text}", indent=4)
    else:
        lay.paragraph("Nothing yet: all skills are signed off.")

    lay.heading("All skills, by area", keep_with_next=60)
    for domain in data.domains:
        lay.table(
            [("Skill", 214), ("Current level", 140), ("Date", 62), ("Mentor", lay.width - 416)],
            (
                [
                    s.title,
                    ("✓ " if s.signed_off else "")
                    + s.level_name
                    + (" · refresher due" if s.needs_refresher else "")
                    + (f" · I say: {s.self_rating}" if s.self_rating else ""),
                    _d(s.shown_on),
                    s.mentor,
                ]
                for s in domain.skills
            ),
            caption=f"{domain.title}: {domain.signed_off} of {domain.total} signed off",
        )
        if not domain.skills:
            lay.paragraph(f"{domain.title}: no skills in this area yet.")
        lay.gap(8)

    lay.heading("Recent notes")
    if data.notes:
        for note in data.notes:
            note_extras = [x for x in (note.support, note.practised_with) if x]
            if note.place:
                note_extras.append(f"at {note.place}")
            label = f"{_d(note.shown_on)} · {note.skill} · {note.level_name} · {note.mentor}"
            if note.staff_only:
                label += " · STAFF ONLY"
            lay.paragraph(label, BOLD, 8.5, keep_with_next=22)
            if note_extras:
                lay.paragraph(" · ".join(note_extras), size=8, color=GREY)
            lay.paragraph(note.note, indent=10)
            lay.gap(5)
    else:
        lay.paragraph("No notes in this period.")

    if data.goals:
        lay.heading("My goals")
        for goal in data.goals:
            done = "✓ done: " if goal.signed_off else ""
            lay.paragraph(f"•  {goal.title}: {done}{goal.mentee_text}", indent=4)

    if data.own_words:
        lay.heading("In my own words")
        for shown_on, skill, words in data.own_words:
            lay.paragraph(f"{_d(shown_on)} · {skill}", BOLD, 8.5, keep_with_next=11)
            lay.paragraph(f"“{words}”", indent=10)

    if data.local_help:
        lay.heading("Help near me")
        for skill, details in data.local_help:
            lay.paragraph(skill, BOLD, 8.5, keep_with_next=11)
            lay.paragraph(details, indent=10)

    # The signature block stays together on one page.
    lay.heading("Signatures", keep_with_next=126)
    lay.paragraph("We went through this report together.")
    for role in ("Mentee", "Mentor", "Case manager"):
        line_y = lay.y - 24
        lay.shapes.append(("line", lay.left, line_y, lay.left + 300, line_y, BLACK))
        lay.shapes.append(("line", lay.left + 340, line_y, lay.right, line_y, BLACK))
        lay.text(lay.left, line_y - 10, f"{role} signature", size=8, color=GREY)
        lay.text(lay.left + 340, line_y - 10, "Date", size=8, color=GREY)
        lay.y -= 37
    return lay


def _mentee_footer(data: MenteeReportData) -> str:
    return f"Made {_made(data.generated_at)} · Record {data.record_number}"


def mentee_report_pdf(data: MenteeReportData) -> bytes:
    """One mentee's progress report on US Letter pages."""
    buffer = BytesIO()
    canvas = new_canvas(buffer, f"Progress report, record {data.record_number}", data.organisation)
    Writer(canvas).draw(_layout_mentee(data), _mentee_footer(data))
    canvas.save()
    return buffer.getvalue()


def caseload_batch_pdf(reports: Iterable[MenteeReportData]) -> bytes:
    """Every progress report of a caseload in one PDF, with a bookmark per mentee.

    `reports` may be a generator, so only one mentee's data need be held at a time.
    Page numbers count within each mentee's report.
    """
    buffer = BytesIO()
    canvas = new_canvas(buffer, "Progress reports", "")
    writer = Writer(canvas)
    count = 0
    for data in reports:
        count += 1
        key = f"mentee-{count}"
        canvas.bookmarkPage(key)
        canvas.addOutlineEntry(f"{clean(data.name)} ({data.record_number})", key, level=0)
        writer.draw(_layout_mentee(data), _mentee_footer(data))
    if count == 0:
        lay = Layout(letter)
        lay.paragraph("Progress reports", BOLD, 20)
        lay.gap(6)
        lay.paragraph("The caseload is empty: there are no mentees to report on.")
        writer.draw(lay, f"Made {_made(utcnow())}")
    else:
        canvas.showOutline()
    canvas.save()
    return buffer.getvalue()


def caseload_summary_pdf(data: CaseloadData) -> bytes:
    """One table row per mentee: percent per domain, overall, last sign-off, stalled."""
    buffer = BytesIO()
    canvas = new_canvas(buffer, "Caseload summary", data.organisation, landscape(letter))
    header = "Caseload summary" + (f" · {data.owner}" if data.owner else "")
    lay = Layout(landscape(letter), one_line(header, FONT, 8, 600))
    if data.organisation:
        lay.paragraph(data.organisation, BOLD, 10, GREY)
    lay.paragraph("Caseload summary", BOLD, 20)
    if data.owner:
        lay.paragraph(f"Caseload of {data.owner}", BOLD, 11)
    count = len(data.rows)
    which = "active and discharged" if data.include_discharged else "active"
    mentees = "mentee" if count == 1 else "mentees"
    lay.paragraph(f"{count} {which} {mentees} · progress as of {_d(data.on)}")
    lay.paragraph(
        "Percent = skills signed off in each area. Stalled = no sign-off in the last 30 days.",
        size=8,
        color=GREY,
    )
    if data.domains:
        legend = "Areas: " + " · ".join(f"{i}. {t}" for i, t in enumerate(data.domains, 1))
        lay.paragraph(legend, size=8, color=GREY)
    lay.gap(8)
    if not data.rows:
        lay.paragraph("The caseload is empty: there are no mentees to show.", BOLD, 11)
    else:
        fixed = [("Name", 170.0), ("Record", 62.0)]
        tail = [("Overall", 48.0), ("Last sign-off", 68.0), ("Stalled", 46.0)]
        room = lay.width - sum(w for _, w in fixed + tail)
        # Narrow columns for the areas; whatever they leave over widens the name column.
        each = min(room / len(data.domains), 50.0) if data.domains else 0.0
        fixed[0] = ("Name", 170.0 + room - each * len(data.domains))
        columns = fixed + [(str(i), each) for i in range(1, len(data.domains) + 1)] + tail
        lay.table(
            columns,
            (
                [
                    row.full_name + (" (discharged)" if row.status == "discharged" else ""),
                    row.record_number,
                    *(f"{p}%" for p in row.percents),
                    f"{row.percent}%",
                    _d(row.last_signoff_on) or "none yet",
                    "STALLED" if row.stalled else "",
                ]
                for row in data.rows
            ),
            size=8.5,
        )
    Writer(canvas).draw(lay, f"Made {_made(data.generated_at)}")
    canvas.save()
    return buffer.getvalue()
