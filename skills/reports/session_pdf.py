"""The progress report's session notes section (laid out by `pdf.layout_mentee`)."""

from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import local_date, local_time
from .items import MenteeReportData
from .layout import Layout
from .text import BOLD

SESSION_NOTES_PRINTED = 50  # the newest; the totals count every note of the period


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=rest)
    if hours:
        return _("%(hours)s h", hours=hours)
    return _("%(minutes)s min", minutes=rest)


def session_notes(lay: Layout, data: MenteeReportData, staff: bool, small: float) -> None:
    """The period's session notes: times and billing units on the staff copy only."""
    notes = data.session_notes
    heading = _("Session notes in this period") if staff else _("Our sessions")
    lay.heading(heading, keep_with_next=40)
    if not notes:
        lay.paragraph(_("No session notes in this period."))
        return
    count = ngettext(
        "%(num)d session, %(time)s in all",
        "%(num)d sessions, %(time)s in all",
        len(notes),
        time=_duration(data.session_minutes),
    )
    if staff:
        units = ngettext("%(num)d billing unit", "%(num)d billing units", data.session_units)
        count = _("%(sessions)s, %(units)s", sessions=count, units=units)
    lay.paragraph(count + ".")
    if len(notes) > SESSION_NOTES_PRINTED:
        lay.paragraph(
            _("The %(count)s most recent are below.", count=SESSION_NOTES_PRINTED), size=small
        )
    parts = (_("What we did"), _("How it went"), _("Next step"))
    for note in notes[-SESSION_NOTES_PRINTED:]:
        times = {
            "start": local_time(note.starts_at),
            "end": local_time(note.ends_at),
            "minutes": note.minutes,
        }
        span = (
            ngettext(
                "%(start)s–%(end)s (%(minutes)s min, %(num)d unit)",
                "%(start)s–%(end)s (%(minutes)s min, %(num)d units)",
                note.units,
                **times,
            )
            if staff
            else _("%(start)s–%(end)s (%(minutes)s min)", **times)
        )
        label = " · ".join(
            x for x in (local_date(note.contact_on), span, note.mode, note.place) if x
        )
        if staff:
            label += f" · {note.mentor}" + ("" if note.signed else _(" · UNSIGNED"))
            label += _(" · STAFF ONLY") if note.staff_only else ""
        lay.paragraph(label, BOLD, small, keep_with_next=lay.lines())
        for part, text in zip(
            parts, (note.what_we_did, note.how_it_went, note.next_step), strict=True
        ):
            if text:
                lay.paragraph(_("%(part)s: %(text)s", part=part, text=text), indent=10)
        lay.gap(5)
