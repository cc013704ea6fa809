"""The progress report's summary: counts of the period, each area's bar with its change,
and the monthly chart (laid out by `pdf.layout_mentee`)."""

from flask_babel import gettext as _

from ..i18n import local_date
from .chart import month_label, trend_chart
from .items import DomainSection, MenteeReportData
from .layout import Layout
from .text import BOLD, FONT, wrap


def _change(section: DomainSection, data: MenteeReportData, staff: bool) -> str:
    """'12 → 15 of 20 (+3 since Sep 1, 2026)', or the end count labelled a baseline ("my
    starting point" in the mentee copy)."""
    done, total = section.signed_off, section.total
    if data.baseline:
        if not staff:
            return _("%(done)s of %(total)s (my starting point)", done=done, total=total)
        return _("%(done)s of %(total)s (baseline)", done=done, total=total)
    diff = section.signed_off - section.at_start
    change = f"{diff:+d}"
    since = (
        _("%(diff)s since %(date)s", diff=change, date=local_date(data.period_from))
        if diff
        else _("no change")
    )
    return _(
        "%(start)s → %(done)s of %(total)s (%(since)s)",
        start=section.at_start,
        done=done,
        total=total,
        since=since,
    )


def summary(lay: Layout, data: MenteeReportData, staff: bool, size: float) -> None:
    """The counts of the period, each area's bar and change (at `size`), and the monthly
    chart."""
    lay.heading(_("Summary") if staff else _("How I'm doing"))
    start = local_date(data.period_from)
    gained = data.signed_off - data.signed_off_at_start
    gained_text = f"{gained:+d}"
    done, total = data.signed_off, data.total
    if staff:
        lay.paragraph(
            _(
                "%(done)s of %(total)s skills signed off (%(percent)s%%) on %(date)s.",
                done=done,
                total=total,
                percent=data.percent,
                date=local_date(data.period_to),
            )
        )
        recorded = any(s.shown_on for d in data.domains for s in d.skills)
        lay.paragraph(
            _("Baseline: everything so far was recorded on one day, so there is no change yet.")
            if data.baseline and recorded
            else _("Baseline: nothing is recorded yet; later reports will show the change.")
            if data.baseline
            else _(
                "At the start of the period (%(date)s): %(count)s; %(diff)s since %(date)s.",
                date=start,
                count=data.signed_off_at_start,
                diff=gained_text,
            )
        )
    elif data.signed_off == 0:
        lay.paragraph(
            _(
                "I am just getting started. There are %(total)s skills to learn, one step "
                "at a time.",
                total=total,
            )
        )
    else:
        lay.paragraph(_("I can do %(done)s of %(total)s skills on my own.", done=done, total=total))
        if data.baseline:
            lay.paragraph(_("This is my starting point."))
        elif gained > 0:
            lay.paragraph(_("That is %(count)s more than on %(date)s.", count=gained, date=start))
    lay.gap(4)
    label_w, bar_w = 150.0, 130.0
    bar_x = lay.left + label_w + 5
    change_x = bar_x + bar_w + 8
    for domain in data.domains:
        lines = wrap(domain.title, FONT, size, label_w)
        # The change wraps rather than being cut: Spanish runs longer than English.
        changes = wrap(_change(domain, data, staff), FONT, size, lay.right - change_x)
        height = max(max(len(lines), len(changes)) * size * 1.3, size + 5) + 3
        lay.need(height)
        row = lay.element("P")  # the area and its change: the bar only draws the same
        for i, line in enumerate(lines):
            lay.text(lay.left, lay.y - size - i * size * 1.3, line, size=size, tag=row)
        fraction = domain.signed_off / domain.total if domain.total else 0
        lay.bar(bar_x, lay.y - size - 1, bar_w, size, fraction)
        for i, line in enumerate(changes):
            lay.text(change_x, lay.y - size - i * size * 1.3, line, size=size, tag=row)
        lay.y -= height
    if len(data.trend) > 1 and not data.baseline:
        lay.gap(6)
        lay.paragraph(
            _("Skills signed off at the end of each month")
            if staff
            else _("Skills I can do, month by month"),
            BOLD,
            size,
            keep_with_next=80,
        )
        points = "; ".join(f"{month_label(p.day)}: {p.signed_off}" for p in data.trend)
        alt = _("A bar chart. %(points)s.", points=points)
        lay.drawing(trend_chart(data, lay.width, staff), 80, alt)
