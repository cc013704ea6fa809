"""CSV exports for spreadsheets: UTF-8 with a byte-order mark, ISO dates, and no
cell that a spreadsheet would run as a formula. Headers and words in cells are in the
reader's language (gettext in the request that downloads the file; English elsewhere)."""

import csv
from collections.abc import Iterable
from datetime import UTC, date, datetime
from io import StringIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Mentee
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.curriculum_view import CurriculumView
from ..services.history import HistoryEntry
from .caseload import CaseloadData

# A cell starting with one of these is read as a formula by Excel, LibreOffice or
# Google Sheets (the OWASP "CSV injection" list); a leading apostrophe makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KINDS = {"signoff": _l("sign-off"), "correction": _l("correction"), "refresher": _l("refresher")}
VISIBILITY = {"mentee": _l("mentee and staff"), "staff": _l("staff only")}
STATUSES = {"active": _l("active"), "discharged": _l("discharged")}


def safe_cell(value: object) -> object:
    """Numbers stay numbers; text that would start a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv(header: list[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # The byte-order mark tells Excel the file is UTF-8, so accented names open intact.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def caseload_csv(data: CaseloadData) -> bytes:
    """The caseload summary: one row per mentee, percent signed off per domain."""
    since = data.period_from.isoformat() if data.period_from else _("start")
    header = [
        _("name"),
        _("record number"),
        _("status"),
        _("mentor"),
        *(f"{title} (%)" for title in data.domains),
        _("overall") + " (%)",
        _("skills signed off"),
        _("skills in total"),
        _("change since %(day)s", day=since),
        _("last sign-off"),
        _("stalled"),
    ]
    rows = (
        [
            row.full_name,
            row.record_number,
            STATUSES.get(row.status, row.status),
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
        _("record number"),
        _("name"),
        _("entry"),
        _("date shown"),
        _("recorded at (UTC)"),
        _("area"),
        _("skill"),
        _("level"),
        _("level name"),
        _("kind"),
        _("corrects entry"),
        _("reason"),
        _("recorded by"),
        _("support"),
        _("place"),
        _("with whom"),
        _("note"),
        _("note visibility"),
    ]
    rows = (
        [
            mentee.record_number,
            mentee.full_name,
            e.id,
            e.shown_on,
            e.recorded_at,
            areas[e.skill_id] if e.skill_id in areas else _("retired skill"),
            e.skill_title,
            e.level,
            e.level_name,
            _("%(kind)s (corrected later)", kind=KINDS.get(e.kind, e.kind))
            if e.corrected
            else KINDS.get(e.kind, e.kind),
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
    _l("time"),
    _l("actor name"),
    _l("actor username"),
    _l("action"),
    _l("mentee record number"),
    _l("mentee name"),
    _l("object"),
    _l("outcome"),
    _l("client address"),
    _l("details"),
]


def audit_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """The audit log as read on its page, one row per event (`audit_text.export_row`);
    times arrive as local ISO text with their offset, so the reader's zone shows."""
    return _csv(AUDIT_HEADER, rows)
