"""CSV exports for spreadsheets: UTF-8 with a byte-order mark, ISO dates, and no
cell that a spreadsheet would run as a formula."""

import csv
from collections.abc import Iterable
from datetime import UTC, date, datetime
from io import StringIO

from ..models import Mentee
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.curriculum_view import CurriculumView
from ..services.history import HistoryEntry
from .caseload import CaseloadData

# A cell starting with one of these is read as a formula by Excel, LibreOffice or
# Google Sheets (the OWASP "CSV injection" list); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = {"signoff": "sign-off", "correction": "correction", "refresher": "refresher"}
VISIBILITY = {"mentee": "mentee and staff", "staff": "staff only"}


def safe_cell(value: object) -> object:
    """Numbers stay numbers; text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # The byte-order mark tells Excel the file is UTF-8, so accented names open intact.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def caseload_csv(data: CaseloadData) -> bytes:
    """The caseload summary: one row per mentee, percent signed off per domain."""
    since = data.period_from.isoformat() if data.period_from else "start"
    header = [
        "name",
        "record number",
        "status",
        "mentor",
        *(f"{title} (%)" for title in data.domains),
        "overall (%)",
        "skills signed off",
        "skills in total",
        f"change since {since}",
        "last sign-off",
        "stalled",
    ]
    rows = (
        [
            row.full_name,
            row.record_number,
            row.status,
            ", ".join(row.mentors),
            *row.percents,
            row.percent,
            row.signed_off,
            row.total,
            row.change,
            row.last_signoff_on,
            row.stalled,
        ]
        for row in data.rows
    )
    return _csv(header, rows)


def areas_of(view: CurriculumView) -> dict[int, str]:
    """Each live skill's area title, by skill id (for the history CSV)."""
    titles = {d.id: d.title for d in view.domains}
    return {s.id: titles.get(d, "") for d, skills in view.skills.items() for s in skills}


def mentee_history_csv(
    mentee: Mentee, entries: Iterable[HistoryEntry], areas: dict[int, str] | None = None
) -> bytes:
    """Every sign-off event of one mentee, oldest first, as staff see it: each row says
    whose record it is, so rows stay meaningful when files are combined."""
    areas = areas or {}
    header = [
        "record number",
        "name",
        "entry",
        "date shown",
        "recorded at (UTC)",
        "area",
        "skill",
        "level",
        "level name",
        "kind",
        "corrects entry",
        "reason",
        "recorded by",
        "support",
        "place",
        "with whom",
        "note",
        "note visibility",
    ]
    rows = (
        [
            mentee.record_number,
            mentee.full_name,
            e.id,
            e.shown_on,
            e.recorded_at,
            areas.get(e.skill_id, "retired skill"),
            e.skill_title,
            e.level,
            e.level_name,
            KINDS.get(e.kind, e.kind) + (" (corrected later)" if e.corrected else ""),
            e.corrects_id,
            e.correction_reason,
            e.recorded_by_name,
            SUPPORT_LEVELS.get(e.support, e.support) if e.support else None,
            e.place,
            PRACTISED_WITH.get(e.practised_with, e.practised_with) if e.practised_with else None,
            e.note,
            VISIBILITY.get(e.note_visibility, e.note_visibility),
        ]
        for e in sorted(entries, key=lambda e: e.id)
    )
    return _csv(header, rows)


AUDIT_HEADER = [
    "time",
    "actor name",
    "actor username",
    "action",
    "mentee record number",
    "mentee name",
    "object",
    "outcome",
    "client address",
    "details",
]


def audit_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """The audit log as read on its page, one row per event (`audit_text.export_row`);
    times arrive as local ISO text with their offset, so the reader's zone shows."""
    return _csv(AUDIT_HEADER, rows)
