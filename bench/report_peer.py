"""The peer benchmark, `python bench/reports.py --peer weasyprint`: the 150-skill
progress report made by our builder (tagged) and by WeasyPrint from the same data, as
HTML and CSS with the same sections, words, fonts and sizes as `skills/reports/pdf.py`
draws; CPU time of the process per report, medians, the two interleaved so both see the
same load. WeasyPrint is measured as it comes and with its own tagging (`pdf_tags`).

Only the benchmark uses WeasyPrint (the `bench` extra): the app prints with reportlab.
"""

import os
import statistics
import time
from datetime import date
from html import escape
from io import BytesIO
from pathlib import Path

from skills.reports.items import MenteeReportData
from skills.reports.pdf import mentee_footer

FONTS = Path(__file__).resolve().parent.parent / "skills" / "fonts"


def _d(value: date | None) -> str:
    return value.isoformat() if value else ""


def _css(data: MenteeReportData, running: str, footer: str) -> str:
    body = 9 if data.staff_view else 11
    return f"""
@font-face {{ font-family: DejaVu; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); }}
@font-face {{ font-family: DejaVu; font-weight: bold;
             src: url("{(FONTS / "DejaVuSans-Bold.ttf").as_uri()}"); }}
@page {{
  size: letter; margin: 42pt 54pt 64pt 54pt;
  @top-left {{ content: "{running}"; font: 8pt DejaVu; color: #555; }}
  @bottom-left {{ content: "Confidential: contains health information. Do not share \
without consent.\\A {footer}"; white-space: pre; font: 7.5pt DejaVu; color: #555; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
                   font: bold 8pt DejaVu; }}
}}
@page :first {{ @top-left {{ content: none; }} }}
body {{ font: {body}pt/1.3 DejaVu; margin: 0; }}
h1 {{ font-size: 20pt; margin: 2pt 0 0; }} h1 small {{ display: block; font-size: 14pt; }}
h2 {{ font-size: 13pt; border-bottom: 0.6pt solid #bfbfbf; margin: 10pt 0 4pt;
      break-after: avoid; }}
h3 {{ font-size: 10pt; margin: 6pt 0 3pt; break-after: avoid; }}
.org, .grey {{ color: #555; }} .small {{ font-size: {body - 1 if body < 11 else 11}pt; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 8pt; }}
thead {{ display: table-header-group; }}
th {{ text-align: left; border-bottom: 0.6pt solid #bfbfbf; }}
th, td {{ padding: 2.5pt; vertical-align: top; line-height: 1.25; }}
tr:nth-child(even) td {{ background: #f2f2f2; }} tr {{ break-inside: avoid; }}
.bars td {{ background: none !important; padding: 1pt 2.5pt; }}
.bar {{ width: 130pt; height: {body}pt; background: #dee3eb; }}
.bar div {{ height: 100%; background: #217352; }}
.indent {{ margin-left: 10pt; }} .detail {{ margin-left: 62pt; color: #555; }}
ul {{ margin: 0; padding-left: 14pt; }}
p {{ margin: 0; }} .note {{ margin-bottom: 5pt; }}
"""


def _chart(data: MenteeReportData) -> str:
    """The trend chart as inline SVG: bars of skills signed off at each month's end."""
    most = max((p.signed_off for p in data.trend), default=0) or 1
    slot = min(494 / len(data.trend), 48.0)
    parts = ['<svg width="504pt" height="78pt" viewBox="0 0 504 78">']
    for i, point in enumerate(data.trend):
        x = i * slot + slot * 0.2
        bar = (78 - 14 - 12 - 7) * point.signed_off / most
        label = point.day.strftime("%b %Y" if i == 0 or point.day.month == 1 else "%b")
        parts.append(
            f'<rect x="{x:.1f}" y="{64 - bar:.1f}" width="{slot * 0.6:.1f}" height="{bar:.1f}" '
            f'fill="#217352"/><text x="{x + slot * 0.3:.1f}" y="76" font-size="6" '
            f'text-anchor="middle" fill="#555">{label}</text><text x="{x + slot * 0.3:.1f}" '
            f'y="{62 - bar:.1f}" font-size="7" text-anchor="middle">{point.signed_off}</text>'
        )
    return "".join(parts) + "</svg>"


def report_html(data: MenteeReportData) -> str:
    """The staff copy of the progress report (as the benchmark's single report is)."""
    e = escape
    start = _d(data.period_from)
    running = e(f"Progress report · {data.copy_name} · {data.name} · Record {data.record_number}")
    out = [
        f"<!doctype html><html lang='{data.language}'><head><meta charset='utf-8'>"
        f"<title>Progress report, record {e(data.record_number)}</title><style>"
        f"{_css(data, running, e(mentee_footer(data)))}</style></head><body>",
        f"<p class='org'><b>{e(data.organisation)}</b></p>",
        f"<h1>Progress report<small>{e(data.name)}</small></h1>",
        f"<p>Record number: {e(data.record_number)} · Started: {_d(data.start_date)} · "
        f"Status: Active</p><p><b>Period: {start} to {_d(data.period_to)}</b></p>",
        "<p class='small grey'><b>Staff copy: may include notes for staff only. Do not give "
        "this copy to the mentee.</b></p><h2>Summary</h2>",
        f"<p>{data.signed_off} of {data.total} skills signed off ({data.percent}%) on "
        f"{_d(data.period_to)}.</p><p>At the start of the period ({start}): "
        f"{data.signed_off_at_start}; {data.signed_off - data.signed_off_at_start:+d} since "
        f"{start}.</p><table class='bars small'>",
    ]
    for domain in data.domains:
        width = 100 * domain.signed_off / domain.total if domain.total else 0
        out.append(
            f"<tr><td style='width:150pt'>{e(domain.title)}</td><td><div class='bar'>"
            f"<div style='width:{width:.0f}%'></div></div></td><td>{domain.at_start} → "
            f"{domain.signed_off} of {domain.total} (+{domain.signed_off - domain.at_start} "
            f"since {start})</td></tr>"
        )
    out.append("</table>")
    if len(data.trend) > 1:
        out.append("<p class='small'><b>Skills signed off at the end of each month</b></p>")
        out.append(_chart(data))
    out.append("<h2>Skills signed off in this period</h2>")
    for item in data.signed_off_in_period:
        extras = " · ".join(str(x) for x in (item.support, item.practised_with, item.place) if x)
        out.append(
            f"<p>{_d(item.shown_on)}  {e(item.i_can_now)}</p><p class='detail small'>"
            f"{e(item.title)} — signed off by {e(item.mentor)} · {e(extras)}</p>"
        )
    out.append("<h2>Next, I'm learning</h2><ul>")
    out += [f"<li>{e(i.title)}: {e(i.mentee_text)}</li>" for i in data.learning]
    out.append("</ul><h2>Skills by area</h2>")
    for domain in data.domains:
        shown = [s for s in domain.skills if s.level > 0 or s.signed_off]
        out.append(f"<h3>{e(domain.title)}: {domain.signed_off} of {domain.total} signed off</h3>")
        out.append(
            "<table><thead><tr><th style='width:200pt'>Skill</th><th style='width:150pt'>"
            "Level</th><th style='width:61pt'>Date</th><th>Mentor</th></tr></thead><tbody>"
        )
        for s in shown:
            level = ("✓ " if s.signed_off else "") + s.level_name
            out.append(
                f"<tr><td>{e(s.title)}</td><td>{e(level)}</td><td>{_d(s.shown_on)}</td>"
                f"<td>{e(s.mentor)}</td></tr>"
            )
        out.append("</tbody></table>")
        waiting = domain.not_started
        if waiting:
            titles = ", ".join(s.title for s in waiting)
            out.append(f"<p class='grey'>Not started ({len(waiting)}): {e(titles)}.</p>")
    out.append("<h2>Notes in this period</h2>")
    if data.notes_total > len(data.notes):
        out.append(
            f"<p class='small'><b>The {len(data.notes)} most recent of {data.notes_total} "
            "notes; all are in the history CSV.</b></p>"
        )
    for note in data.notes:
        extras = " · ".join(str(x) for x in (note.support, note.practised_with, note.place) if x)
        staff_only = " · STAFF ONLY" if note.staff_only else ""
        out.append(
            f"<div class='note'><p class='small'><b>{_d(note.shown_on)} · {e(note.skill)} · "
            f"{e(note.level_name)} · {e(note.mentor)}{staff_only}</b></p>"
            f"<p class='small grey'>{e(extras)}</p><p class='indent'>{e(note.note)}</p></div>"
        )
    out.append(
        "<h2>Session notes in this period</h2><p>No session notes in this period.</p>"
        "<p class='small grey'>End of the staff copy. Print the mentee copy to go through "
        "and sign.</p></body></html>"
    )
    return "".join(out)


PEER_RUNS = 7  # WeasyPrint takes seconds a report; ours are timed OURS_PER_PEER times each
OURS_PER_PEER = 5


def _cpu(make) -> tuple[float, bytes]:
    started = time.process_time()
    body = make()
    return (time.process_time() - started) * 1000, body


def measure_peer(data: MenteeReportData) -> dict:
    """CPU milliseconds per report, ours and WeasyPrint's, and the ratio of the medians."""
    import weasyprint  # the bench extra
    from pypdf import PdfReader

    from skills.reports import mentee_report_pdf

    def peer(**options) -> bytes:
        return weasyprint.HTML(string=report_html(data)).write_pdf(**options)

    loads = [os.getloadavg()]
    samples: dict[str, list[float]] = {"ours": [], "weasyprint": [], "weasyprint_tagged": []}
    bodies = {"ours": mentee_report_pdf(data), "weasyprint": peer(), "weasyprint_tagged": b""}
    bodies["weasyprint_tagged"] = peer(pdf_tags=True)  # the warm-up runs, kept to count pages
    for _ in range(PEER_RUNS):
        samples["weasyprint"].append(_cpu(peer)[0])
        samples["weasyprint_tagged"].append(_cpu(lambda: peer(pdf_tags=True))[0])
        for _ in range(OURS_PER_PEER):
            samples["ours"].append(_cpu(lambda: mentee_report_pdf(data))[0])
    loads.append(os.getloadavg())
    medians = {k: round(statistics.median(v), 1) for k, v in samples.items()}
    return {
        "cpu_median_ms": medians,
        "runs": {k: len(v) for k, v in samples.items()},
        "pages": {k: len(PdfReader(BytesIO(b)).pages) for k, b in bodies.items()},
        "bytes": {k: len(b) for k, b in bodies.items()},
        "ratio": round(medians["weasyprint"] / medians["ours"], 1),
        "ratio_tagged": round(medians["weasyprint_tagged"] / medians["ours"], 1),
        "load_before": [round(x, 2) for x in loads[0]],
        "load_after": [round(x, 2) for x in loads[1]],
        "weasyprint": weasyprint.__version__,
    }
