"""The progress report PDF: report data in, bytes out. It knows nothing of HTTP.

Two copies, told apart on every page (running header and footer): the staff copy, in
staff words at 9 pt, which may hold staff-only notes and has no signature block; and
the mentee's copy, in the mentee's own words at 11 pt, to go through and sign together.
Which notes each copy holds was decided when the data was gathered (`content`).
"""

from datetime import date, datetime
from io import BytesIO

from flask_babel import gettext as _
from reportlab.lib.pagesizes import letter

from ..i18n import local_date, local_datetime
from .items import LearningItem, MenteeReportData
from .layout import BLACK, GREY, Layout
from .session_pdf import session_notes
from .summary_pdf import summary
from .text import BOLD, FONT, clean, one_line
from .writer import Writer, new_canvas

STAFF_BODY = 9.0
MENTEE_BODY = 11.0


def _small(lay: Layout) -> float:
    """Secondary text: a point smaller on the staff copy, never below 11 pt on the mentee's."""
    return lay.body if lay.body >= MENTEE_BODY else lay.body - 1


def _d(value: date | None) -> str:
    """A date in the language printed now: "Nov 30, 2026", "30 nov 2026"."""
    return local_date(value)


class _Dates(dict[date | None, str]):
    """`_d` of each date, worked out once a report: a report prints hundreds of dates,
    most of them the same few days."""

    def __missing__(self, value: date | None) -> str:
        text = self[value] = local_date(value)
        return text


def _level_words(item: LearningItem, staff: bool) -> str:
    """A level as the copy's reader names it: the staff's name ("Introduced") in the
    staff copy, as in its checklist; the mentee's words in the mentee copy."""
    return item.level_name if staff else item.mentee_text


def made(at: datetime) -> str:
    """When an unstamped report was made: 'Made Nov 30, 2026, 10:30 PM UTC'."""
    return _("Made %(when)s", when=local_datetime(at))


def _header(lay: Layout, data: MenteeReportData, name: str, staff: bool) -> None:
    small = _small(lay)
    lay.paragraph(data.organisation or _("Progress report"), BOLD, 10, GREY)
    lay.gap(2)
    lay.bookmark(_("Progress report: %(name)s", name=name), 1)
    title = lay.paragraph(_("Progress report"), BOLD, 20, role="H1")
    lay.paragraph(name, BOLD, 14, into=title)
    lay.gap(3)
    started = _d(data.start_date)
    if staff:
        status = _("Active")
        if data.status == "discharged":
            status = (
                _("Discharged on %(date)s", date=_d(data.discharged_on))
                if data.discharged_on
                else _("Discharged")
            )
        lay.paragraph(
            _(
                "Record number: %(record)s · Started: %(date)s · Status: %(status)s",
                record=data.record_number,
                date=started,
                status=status,
            )
        )
    else:
        lay.paragraph(_("Started: %(date)s", date=started))
    period = _("Period: %(start)s to %(end)s", start=_d(data.period_from), end=_d(data.period_to))
    lay.paragraph(period, BOLD)
    lay.paragraph(
        _("Staff copy: may include notes for staff only. Do not give this copy to the mentee.")
        if staff
        else _("Mentee copy: this copy is yours to keep."),
        BOLD,
        small,
        GREY,
    )


def _checklist(lay: Layout, data: MenteeReportData, staff: bool, dates: _Dates) -> None:
    lay.heading(_("Skills by area") if staff else _("My skills, by area"), keep_with_next=60)
    date_w = lay.body * 7.4  # "Sep 30, 2026"
    # The mentor's column fits a first and last name in the mentee copy's larger type
    # ("Pat Lindqvist"): 200 points for the skill left it 73.
    skill_w, level_w = 182.0, 150.0
    columns = [
        (_("Skill"), skill_w),
        (_("Level") if staff else _("Where I am"), level_w),
        (_("Date"), date_w),
        (_("Mentor"), lay.width - skill_w - level_w - date_w),
    ]
    refresher = _(" · refresher due")
    # Looked up once, filled in per skill (gettext fills in its arguments the same way).
    i_say = _(" · I say: %(rating)s")
    for domain in data.domains:
        shown = [s for s in domain.skills if s.level > 0 or s.signed_off]
        counts = {"area": domain.title, "done": domain.signed_off, "total": domain.total}
        caption = (
            _("%(area)s: %(done)s of %(total)s signed off", **counts)
            if staff
            else _("%(area)s: I can do %(done)s of %(total)s", **counts)
        )
        if shown:
            lay.table(
                columns,
                (
                    [
                        s.title,
                        (
                            ("✓ " if s.signed_off else "") + s.level_name
                            if staff
                            else s.level_text or s.level_name
                        )
                        + (refresher if s.needs_refresher else "")
                        + (i_say % {"rating": s.self_rating} if s.self_rating else ""),
                        dates[s.shown_on],
                        s.mentor,
                    ]
                    for s in shown
                ),
                caption=caption,
                caption_role="H3",
                row_headers=True,
            )
        else:
            lay.paragraph(caption, BOLD, lay.caption_size(), keep_with_next=lay.lines(), role="H3")
        waiting = domain.not_started
        if waiting:
            titles = ", ".join(s.title for s in waiting)
            count = len(waiting)
            lay.paragraph(
                _("Not started (%(count)s): %(titles)s.", count=count, titles=titles)
                if staff
                else _("Not started yet (%(count)s): %(titles)s.", count=count, titles=titles),
                color=GREY,
            )
        elif not domain.skills:
            lay.paragraph(_("No skills in this area yet."), color=GREY)
        lay.gap(8)


def _notes(lay: Layout, data: MenteeReportData, staff: bool, dates: _Dates) -> None:
    small = _small(lay)
    lay.heading(_("Notes in this period") if staff else _("Notes from my mentor"))
    if data.notes_total > len(data.notes):
        counts = {"count": len(data.notes), "total": data.notes_total}
        lay.paragraph(
            _("The %(count)s most recent of %(total)s notes; all are in the history CSV.", **counts)
            if staff
            else _(
                "The %(count)s most recent of %(total)s notes. Your mentor can show you the "
                "others.",
                **counts,
            ),
            BOLD,
            small,
        )
    staff_only = _(" · STAFF ONLY")
    at = _("at %(place)s")  # looked up once, filled in per note
    for note in data.notes:
        extras = [x for x in (note.support, note.practised_with) if x]
        if note.place:
            extras.append(at % {"place": note.place})
        level = note.level_name if staff else (note.level_text or note.level_name)
        label = f"{dates[note.shown_on]} · {note.skill} · {level} · {note.mentor}"
        if note.staff_only:
            label += staff_only
        lay.paragraph(label, BOLD, small, keep_with_next=lay.lines())
        if extras:
            lay.paragraph(" · ".join(extras), size=small, color=GREY)
        lay.paragraph(note.note, indent=10)
        lay.gap(5)
    if not data.notes:
        lay.paragraph(_("No notes in this period."))


def layout_mentee(data: MenteeReportData) -> Layout:
    """Lay out one progress report: the staff copy or the mentee's copy."""
    staff = data.staff_view
    name = clean(data.name)
    running = _("Progress report · %(copy)s · %(name)s", copy=data.copy_name, name=name)
    if staff:
        running += _(" · Record %(record)s", record=data.record_number)
    lay = Layout(letter, one_line(running, FONT, 8, 460), MENTEE_BODY if not staff else STAFF_BODY)
    _header(lay, data, name, staff)
    summary(lay, data, staff, _small(lay))
    dates = _Dates()

    lay.heading(
        _("Skills signed off in this period") if staff else _("What I learned in this period")
    )
    # Messages looked up once and filled in per skill, as gettext fills in its arguments:
    # a batch prints over a hundred thousand of these lines.
    at = _("at %(place)s")
    by = _("signed off by %(name)s") if staff else _("with %(name)s")
    a_mentor = _("a mentor")
    small = _small(lay)
    for item in data.signed_off_in_period:
        place = item.place and at % {"place": item.place}
        extras = " · ".join(x for x in (item.support, item.practised_with, place) if x)
        lay.paragraph(
            f"{dates[item.shown_on]}  {item.i_can_now}", keep_with_next=lay.lines(3, small)
        )
        lay.paragraph(
            f"{item.title} — "
            + by % {"name": item.mentor or a_mentor}
            + (f" · {extras}" if extras else ""),
            size=small,
            color=GREY,
            indent=62,
        )
    if not data.signed_off_in_period:
        lay.paragraph(
            _("No skills were signed off in this period.")
            if staff
            else _("Nothing new yet in this period, and that is okay.")
        )

    lay.heading(_("Next, I'm learning"))
    with lay.group("L"):
        for learning_item in data.learning:
            lay.item("•", f"{learning_item.title}: {_level_words(learning_item, staff)}")
    if not data.learning:
        lay.paragraph(_("Nothing yet: all skills are done."))

    _checklist(lay, data, staff, dates)
    _notes(lay, data, staff, dates)
    session_notes(lay, data, staff, _small(lay))

    if data.goals:
        lay.heading(_("My goals"))
        done_label = _("✓ done: ")
        with lay.group("L"):
            for goal in data.goals:
                done = done_label if goal.signed_off else ""
                lay.item("•", f"{goal.title}: {done}{_level_words(goal, staff)}")
    if data.own_words:
        lay.heading(_("In my own words"))
        for shown_on, skill, words in data.own_words:
            lay.paragraph(f"{dates[shown_on]} · {skill}", BOLD, keep_with_next=lay.lines())
            lay.paragraph(f"“{words}”", indent=10)
    if data.local_help:
        lay.heading(_("Help near me"))
        for skill, details in data.local_help:
            lay.paragraph(skill, BOLD, keep_with_next=lay.lines())
            lay.paragraph(details, indent=10)

    if staff:
        lay.gap(10)
        lay.paragraph(
            _("End of the staff copy. Print the mentee copy to go through and sign."),
            size=_small(lay),
            color=GREY,
        )
        return lay
    # The signature block stays together on one page.
    lay.heading(_("Signatures"), keep_with_next=140)
    lay.paragraph(_("We went through this report together."))
    signatures = (_("Mentee signature"), _("Mentor signature"), _("Case manager signature"))
    for signature in signatures:
        line_y = lay.y - 26
        lay.shapes.append(("line", lay.left, line_y, lay.left + 300, line_y, BLACK))
        lay.shapes.append(("line", lay.left + 340, line_y, lay.right, line_y, BLACK))
        field = lay.element("P")
        lay.text(lay.left, line_y - 12, signature, size=10, color=GREY, tag=field)
        lay.text(lay.left + 340, line_y - 12, _("Date"), size=10, color=GREY, tag=field)
        lay.y -= 41
    return lay


def mentee_footer(data: MenteeReportData) -> str:
    """The copy's name on every page, whose record, and who printed it when."""
    printed = data.stamp.text
    record = _("Record %(record)s", record=data.record_number)
    whose = record if data.staff_view else clean(data.name)
    return f"{data.copy_name} · {whose} · {printed}"


def mentee_report_pdf(data: MenteeReportData) -> bytes:
    """One mentee's progress report on US Letter pages."""
    buffer = BytesIO()
    title = _(
        "Progress report, record %(record)s (%(copy)s)",
        record=data.record_number,
        copy=data.copy_name.lower(),
    )
    author = data.organisation or (data.stamp.by if data.stamp else "")
    canvas = new_canvas(buffer, title, author, language=data.language)
    writer = Writer(canvas)
    writer.draw(layout_mentee(data), mentee_footer(data))
    canvas.showOutline()
    writer.save()
    return buffer.getvalue()
