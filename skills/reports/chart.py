"""The progress report's trend chart: skills signed off month by month (reportlab
graphics), drawn by the layout as a tagged figure."""

from datetime import date

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib.colors import Color

from ..i18n import local_date
from .items import MenteeReportData
from .layout import BAR_FILL, GREY, RULE
from .text import FONT


def month_label(day: date, year: bool = True) -> str:
    """'Nov 2026' ('nov 2026'), or 'Nov' without the year, in the language printed now."""
    return local_date(day, "yMMM" if year else "MMM")


def trend_chart(data: MenteeReportData, width: float, staff: bool) -> Drawing:
    """Skills signed off at each month's end in the period, as small bars."""
    height, base, top_pad = 78.0, 14.0, 12.0
    # Its text in our font, not Helvetica: every font in the file is embedded.
    chart = Drawing(width, height, initialFontName=FONT)
    most = max((p.signed_off for p in data.trend), default=0) or 1
    slot = min((width - 10) / len(data.trend), 48.0)
    size = 7.0 if staff else 9.0
    chart.add(Line(0, base, slot * len(data.trend), base, strokeColor=Color(*RULE)))
    for i, point in enumerate(data.trend):
        x = i * slot + slot * 0.2
        bar = (height - base - top_pad - size) * point.signed_off / most
        if bar:
            # Colours set after: types-reportlab mistypes Rect's keyword arguments.
            rect = Rect(x, base, slot * 0.6, bar)
            rect.setProperties({"fillColor": Color(*BAR_FILL), "strokeColor": Color(*BAR_FILL)})
            chart.add(rect)
        label = month_label(point.day, year=i == 0 or point.day.month == 1)
        chart.add(
            String(
                x + slot * 0.3,
                2,
                label,
                fontName=FONT,
                fontSize=size - 1,
                textAnchor="middle",
                fillColor=Color(*GREY),
            )
        )
        chart.add(
            String(
                x + slot * 0.3,
                base + bar + 2,
                str(point.signed_off),
                fontName=FONT,
                fontSize=size,
                textAnchor="middle",
            )
        )
    return chart
