"""The progress report PDF: report data in, bytes out. It knows nothing of HTTP.

Two copies, told apart on every page (running header and footer): the staff copy, in
staff words at 9 pt, which may hold staff-only notes and has no signature block; and
the mentee's copy, in the mentee's own words at 11 pt, to go through and sign together.
Which notes each copy holds was decided when the data was gathered (`content`).
"""

from datetime import date, datetime
from io import BytesIO

from reportlab.lib.pagesizes import letter

from .chart import trend_chart
from .items import DomainSection, MenteeReportData
from .layout import BLACK, GREY, Layout
from .text import BOLD, FONT, clean, one_line, wrap
from .writer import Writer, new_canvas

STAFF_BODY = 9.0
MENTEE_BODY = 11.0


def _small(lay: Layout) -> float:
    """Secondary text: a point smaller on the staff copy, never below 11 pt on the mentee's."""
    return lay.body if lay.body >= MENTEE_BODY else lay.body - 1


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def made(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _change(section: DomainSection, data: MenteeReportData) -> str:
    """'12 → 15 of 20, +3 since 2026-09-01', or the end count labelled a baseline."""
    if data.baseline:
        return f"{section.signed_off} of {section.total} (baseline)"
    diff = section.signed_off - section.at_start
    since = f"{diff:+d} since {_d(data.period_from)}" if diff else "no change"
    return f"{section.at_start} → {section.signed_off} of {section.total} ({since})"


def _header(lay: Layout, data: MenteeReportData, name: str, staff: bool) -> None:
    small = _small(lay)
    lay.paragraph(data.organisation or "Progress report", BOLD, 10, GREY)
    lay.gap(2)
    lay.bookmark(f"Progress report: {name}", 1)
    title = lay.paragraph("Progress report", BOLD, 20, role="H1")
    lay.paragraph(name, BOLD, 14, into=title)
    lay.gap(3)
    if staff:
        status = "Active"
        if data.status == "discharged":
            status = "Discharged" + (f" on {_d(data.discharged_on)}" if data.discharged_on else "")
        lay.paragraph(
            f"Record number: {data.record_number} · Started: {_d(data.start_date)} · "
            f"Status: {status}"
        )
    else:
        lay.paragraph(f"Started: {_d(data.start_date)}")
    lay.paragraph(f"Period: {_d(data.period_from)} to {_d(data.period_to)}", BOLD)
    lay.paragraph(
        "Staff copy: may include notes for staff only. Do not give this copy to the mentee."
        if staff
        else "Mentee copy: this copy is yours to keep.",
        BOLD,
        small,
        GREY,
    )


def _summary(lay: Layout, data: MenteeReportData, staff: bool) -> None:
    lay.heading("Summary" if staff else "How I'm doing")
    start = _d(data.period_from)
    gained = data.signed_off - data.signed_off_at_start
    if staff:
        lay.paragraph(
            f"{data.signed_off} of {data.total} skills signed off ({data.percent}%) on "
            f"{_d(data.period_to)}."
        )
        lay.paragraph(
            "Baseline: everything so far was recorded on one day, so there is no change yet."
            if data.baseline
            else f"At the start of the period ({start}): {data.signed_off_at_start}; "
            f"{gained:+d} since {start}."
        )
    elif data.signed_off == 0:
        lay.paragraph(
            f"I am just getting started. There are {data.total} skills to learn, one step "
            "at a time."
        )
    else:
        lay.paragraph(f"I can do {data.signed_off} of {data.total} skills on my own.")
        if data.baseline:
            lay.paragraph("This is my starting point.")
        elif gained > 0:
            lay.paragraph(f"That is {gained} more than on {start}.")
    lay.gap(4)
    size = _small(lay)
    label_w, bar_w = 150.0, 130.0
    bar_x = lay.left + label_w + 5
    for domain in data.domains:
        lines = wrap(domain.title, FONT, size, label_w)
        height = max(len(lines) * size * 1.3, size + 5) + 3
        lay.need(height)
        row = lay.element("P")  # the area and its change: the bar only draws the same
        for i, line in enumerate(lines):
            lay.text(lay.left, lay.y - size - i * size * 1.3, line, size=size, tag=row)
        fraction = domain.signed_off / domain.total if domain.total else 0
        lay.bar(bar_x, lay.y - size - 1, bar_w, size, fraction)
        text = one_line(_change(domain, data), FONT, size, lay.right - bar_x - bar_w - 8)
        lay.text(bar_x + bar_w + 8, lay.y - size, text, size=size, tag=row)
        lay.y -= height
    if len(data.trend) > 1 and not data.baseline:
        lay.gap(6)
        lay.paragraph(
            "Skills signed off at the end of each month"
            if staff
            else "Skills I can do, month by month",
            BOLD,
            _small(lay),
            keep_with_next=80,
        )
        points = "; ".join(f"{p.day:%b %Y}: {p.signed_off}" for p in data.trend)
        lay.drawing(trend_chart(data, lay.width, staff), 80, f"A bar chart. {points}.")


def _checklist(lay: Layout, data: MenteeReportData, staff: bool) -> None:
    lay.heading("Skills by area" if staff else "My skills, by area", keep_with_next=60)
    level_head = "Level" if staff else "Where I am"
    date_w = lay.body * 6.8
    for domain in data.domains:
        shown = [s for s in domain.skills if s.level > 0 or s.signed_off]
        caption = (
            f"{domain.title}: {domain.signed_off} of {domain.total} signed off"
            if staff
            else f"{domain.title}: I can do {domain.signed_off} of {domain.total}"
        )
        if shown:
            lay.table(
                [
                    ("Skill", 200),
                    (level_head, 150),
                    ("Date", date_w),
                    ("Mentor", lay.width - 350 - date_w),
                ],
                (
                    [
                        s.title,
                        (
                            ("✓ " if s.signed_off else "") + s.level_name
                            if staff
                            else s.level_text or s.level_name
                        )
                        + (" · refresher due" if s.needs_refresher else "")
                        + (f" · I say: {s.self_rating}" if s.self_rating else ""),
                        _d(s.shown_on),
                        s.mentor,
                    ]
                    for s in shown
                ),
                caption=caption,
                caption_role="H3",
                row_headers=True,
            )
        else:
            lay.paragraph(caption, BOLD, keep_with_next=lay.body * 2.6, role="H3")
        waiting = domain.not_started
        if waiting:
            lead = "Not started" if staff else "Not started yet"
            titles = ", ".join(s.title for s in waiting)
            lay.paragraph(f"{lead} ({len(waiting)}): {titles}.", color=GREY)
        elif not domain.skills:
            lay.paragraph("No skills in this area yet.", color=GREY)
        lay.gap(8)


def _notes(lay: Layout, data: MenteeReportData, staff: bool) -> None:
    small = _small(lay)
    lay.heading("Notes in this period" if staff else "Notes from my mentor")
    if data.notes_total > len(data.notes):
        lay.paragraph(
            f"The {len(data.notes)} most recent of {data.notes_total} notes; "
            "all are in the history CSV."
            if staff
            else f"The {len(data.notes)} most recent of {data.notes_total} notes. "
            "Your mentor can show you the others.",
            BOLD,
            small,
        )
    for note in data.notes:
        # str(): the labels may be lazy translations, read in the current language.
        extras = [str(x) for x in (note.support, note.practised_with) if x]
        if note.place:
            extras.append(f"at {note.place}")
        level = note.level_name if staff else (note.level_text or note.level_name)
        label = f"{_d(note.shown_on)} · {note.skill} · {level} · {note.mentor}"
        if note.staff_only:
            label += " · STAFF ONLY"
        lay.paragraph(label, BOLD, small, keep_with_next=22)
        if extras:
            lay.paragraph(" · ".join(extras), size=small, color=GREY)
        lay.paragraph(note.note, indent=10)
        lay.gap(5)
    if not data.notes:
        lay.paragraph("No notes in this period.")


SESSION_NOTES_PRINTED = 50  # the newest; the totals count every note of the period


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def _session_notes(lay: Layout, data: MenteeReportData, staff: bool) -> None:
    small = _small(lay)
    notes = data.session_notes
    lay.heading("Session notes in this period" if staff else "Our sessions", keep_with_next=40)
    if not notes:
        lay.paragraph("No session notes in this period.")
        return
    total = f"{len(notes)} session(s), {_duration(data.session_minutes)} in all"
    lay.paragraph(f"{total}, {data.session_units} billing unit(s)." if staff else f"{total}.")
    if len(notes) > SESSION_NOTES_PRINTED:
        lay.paragraph(f"The {SESSION_NOTES_PRINTED} most recent are below.", size=small)
    for note in notes[-SESSION_NOTES_PRINTED:]:
        span = f"{note.starts_at:%H:%M}–{note.ends_at:%H:%M} ({note.minutes} min"
        span += f", {note.units} unit(s))" if staff else ")"
        label = " · ".join(x for x in (_d(note.contact_on), span, note.mode, note.place) if x)
        if staff:
            label += f" · {note.mentor}" + ("" if note.signed else " · UNSIGNED")
            label += " · STAFF ONLY" if note.staff_only else ""
        lay.paragraph(label, BOLD, small, keep_with_next=22)
        for part, text in (
            ("What we did", note.what_we_did),
            ("How it went", note.how_it_went),
            ("Next step", note.next_step),
        ):
            if text:
                lay.paragraph(f"{part}: {text}", indent=10)
        lay.gap(5)


def layout_mentee(data: MenteeReportData) -> Layout:
    """Lay out one progress report: the staff copy or the mentee's copy."""
    staff = data.staff_view
    name = clean(data.name)
    running = f"Progress report · {data.copy_name} · {name}"
    if staff:
        running += f" · Record {data.record_number}"
    lay = Layout(letter, one_line(running, FONT, 8, 460), MENTEE_BODY if not staff else STAFF_BODY)
    _header(lay, data, name, staff)
    _summary(lay, data, staff)

    lay.heading("Skills signed off in this period" if staff else "What I learned in this period")
    for item in data.signed_off_in_period:
        extras = " · ".join(
            str(x)
            for x in (item.support, item.practised_with, item.place and f"at {item.place}")
            if x
        )
        lay.paragraph(f"{_d(item.shown_on)}  {item.i_can_now}", keep_with_next=11)
        who = item.mentor or "a mentor"
        lay.paragraph(
            f"{item.title} — "
            + (f"signed off by {who}" if staff else f"with {who}")
            + (f" · {extras}" if extras else ""),
            size=_small(lay),
            color=GREY,
            indent=62,
        )
    if not data.signed_off_in_period:
        lay.paragraph(
            "No skills were signed off in this period."
            if staff
            else "Nothing new yet in this period, and that is okay."
        )

    lay.heading("Next, I'm learning")
    with lay.group("L"):
        for learning_item in data.learning:
            lay.item("•", f"{learning_item.title}: {learning_item.mentee_text}")
    if not data.learning:
        lay.paragraph("Nothing yet: all skills are done.")

    _checklist(lay, data, staff)
    _notes(lay, data, staff)
    _session_notes(lay, data, staff)

    if data.goals:
        lay.heading("My goals")
        with lay.group("L"):
            for goal in data.goals:
                done = "✓ done: " if goal.signed_off else ""
                lay.item("•", f"{goal.title}: {done}{goal.mentee_text}")
    if data.own_words:
        lay.heading("In my own words")
        for shown_on, skill, words in data.own_words:
            lay.paragraph(f"{_d(shown_on)} · {skill}", BOLD, keep_with_next=11)
            lay.paragraph(f"“{words}”", indent=10)
    if data.local_help:
        lay.heading("Help near me")
        for skill, details in data.local_help:
            lay.paragraph(skill, BOLD, keep_with_next=11)
            lay.paragraph(details, indent=10)

    if staff:
        lay.gap(10)
        lay.paragraph(
            "End of the staff copy. Print the mentee copy to go through and sign.",
            size=_small(lay),
            color=GREY,
        )
        return lay
    # The signature block stays together on one page.
    lay.heading("Signatures", keep_with_next=140)
    lay.paragraph("We went through this report together.")
    for role in ("Mentee", "Mentor", "Case manager"):
        line_y = lay.y - 26
        lay.shapes.append(("line", lay.left, line_y, lay.left + 300, line_y, BLACK))
        lay.shapes.append(("line", lay.left + 340, line_y, lay.right, line_y, BLACK))
        field = lay.element("P")
        lay.text(lay.left, line_y - 12, f"{role} signature", size=10, color=GREY, tag=field)
        lay.text(lay.left + 340, line_y - 12, "Date", size=10, color=GREY, tag=field)
        lay.y -= 41
    return lay


def mentee_footer(data: MenteeReportData) -> str:
    """The copy's name on every page, whose record, and who printed it when."""
    printed = data.stamp.text if data.stamp else f"Made {made(data.generated_at)}"
    whose = f"Record {data.record_number}" if data.staff_view else clean(data.name)
    return f"{data.copy_name} · {whose} · {printed}"


def mentee_report_pdf(data: MenteeReportData) -> bytes:
    """One mentee's progress report on US Letter pages."""
    buffer = BytesIO()
    title = f"Progress report, record {data.record_number} ({data.copy_name.lower()})"
    author = data.organisation or (data.stamp.by if data.stamp else "")
    canvas = new_canvas(buffer, title, author, language=data.language)
    writer = Writer(canvas)
    writer.draw(layout_mentee(data), mentee_footer(data))
    canvas.showOutline()
    writer.save()
    return buffer.getvalue()
