"""The session notes of a progress report's period, gathered for its reader.

Which notes a copy holds is `SessionNote.note_visible`, applied in SQL as on the web:
the mentee's copy holds only notes shared with the mentee.
"""

from collections.abc import Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models.session_notes import MODE_LABELS, SessionNote
from ..permissions import Viewer
from .items import SessionNoteItem


def session_note_items(
    viewers: Mapping[int, Viewer], starts: Mapping[int, date], end: date
) -> dict[int, list[SessionNoteItem]]:
    """Per mentee id, the notes of its period (`starts`[id] to `end`) its viewer may
    read, oldest first; one query per kind of reader."""
    found: dict[int, list[SessionNoteItem]] = {mentee_id: [] for mentee_id in viewers}
    if not viewers:
        return found
    for sees in sorted({v.sees_staff_notes for v in viewers.values()}):
        ids = [m for m, v in viewers.items() if v.sees_staff_notes == sees]
        notes = db.session.scalars(
            select(SessionNote)
            .where(
                SessionNote.mentee_id.in_(ids),
                SessionNote.contact_on >= min(starts[m] for m in ids),
                SessionNote.contact_on <= end,
                SessionNote.note_visible(sees),
            )
            .options(selectinload(SessionNote.mentor))
            .order_by(SessionNote.contact_on, SessionNote.starts_at, SessionNote.id)
        )
        for note in notes:
            if note.contact_on >= starts[note.mentee_id]:
                found[note.mentee_id].append(_item(note))
    return found


def _item(note: SessionNote) -> SessionNoteItem:
    return SessionNoteItem(
        contact_on=note.contact_on,
        starts_at=note.starts_at,
        ends_at=note.ends_at,
        minutes=note.minutes,
        units=note.units,
        mode=str(MODE_LABELS.get(note.mode, note.mode)),  # the reader's language
        place=note.place,
        mentor=note.signed_name or note.mentor.display_name,
        what_we_did=note.what_we_did,
        how_it_went=note.how_it_went,
        next_step=note.next_step,
        staff_only=note.note_visibility == "staff",
        signed=note.signed,
    )
