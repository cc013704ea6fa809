"""A month's session notes for billing, as CSV: the billable notes first, then, after a
blank line, the notes not billed (unsigned or signed late) with the reason. Nothing is
left out silently. Cells go through `safe_cell`, so no text runs as a formula. The file
is read by billing systems, so it stays in English whatever the reader's language; a
group contact's lines give the number of mentees in the group."""

import csv
from io import StringIO

from ..models.session_notes import SessionNote
from ..services.session_note_queries import BillingMonth
from .csv_export import safe_cell

HEADER = [
    "mentee record number",
    "date",
    "start",
    "end",
    "minutes",
    "units",
    "service code",
    "modifiers",
    "staff name",
    "staff credential",
    "mode",
    "place",
    "group size",
]
NOT_BILLED_TITLE = "Not billed: unsigned or signed late"


def _row(note: SessionNote, group_sizes: dict[str, int]) -> list[object]:
    return [
        note.mentee.record_number,
        note.contact_on,
        note.starts_at.strftime("%H:%M"),
        note.ends_at.strftime("%H:%M"),
        note.minutes,
        note.units,
        note.service_code,
        note.modifiers,
        note.signed_name or note.mentor.display_name,
        note.signed_credential or note.mentor.credential or "",
        note.mode_label,
        note.place,
        group_sizes.get(note.group_key, "") if note.group_key else "",
    ]


def billing_csv(data: BillingMonth) -> bytes:
    """The month's billing file (UTF-8 with a byte-order mark, as the other exports)."""
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for note in data.billable:
        writer.writerow([safe_cell(v) for v in _row(note, data.group_sizes)])
    writer.writerow([])
    writer.writerow([NOT_BILLED_TITLE])
    writer.writerow([*HEADER, "reason"])
    for note, reason in data.not_billed:
        writer.writerow([safe_cell(v) for v in [*_row(note, data.group_sizes), reason]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
