"""Editing an unsigned session note: only its author, only until it is signed, and never
by overwriting. Each edit first writes the note as it stood as a `SessionNoteVersion`,
so every earlier text stays readable (by staff who may read the note).

The edit form carries the number of versions it was opened with: an edit made on an
older copy (another tab, a second device) is refused instead of silently undoing the
newer one.
"""

from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from .. import permissions
from ..extensions import db
from ..i18n import local_date
from ..models import Mentee, SignoffEvent, User
from ..models.session_notes import (
    SessionNote,
    SessionNoteSignoff,
    SessionNoteSkill,
    SessionNoteVersion,
)
from ..transactions import lock_for_write
from . import audit
from .session_note_rules import (
    NoteDetails,
    SessionNoteError,
    check_details,
    local_now,
    note_values,
    skills_for,
    units_for,
)

# What an edit compares, and a version keeps, besides the skills.
FIELDS = (
    "contact_on",
    "starts_at",
    "ends_at",
    "mode",
    "place",
    "what_we_did",
    "how_it_went",
    "next_step",
    "note_visibility",
)


def version_count(note: SessionNote) -> int:
    """How many earlier versions the note has (0: never edited)."""
    return db.session.scalar(select(func.count()).where(SessionNoteVersion.note_id == note.id)) or 0


def versions_of(note: SessionNote) -> list[SessionNoteVersion]:
    """The note's earlier versions, newest first."""
    return list(
        db.session.scalars(
            select(SessionNoteVersion)
            .where(SessionNoteVersion.note_id == note.id)
            .options(selectinload(SessionNoteVersion.replaced_by))
            .order_by(SessionNoteVersion.number.desc())
        )
    )


def details_of(note: SessionNote) -> NoteDetails:
    """The note's current content, as the edit form starts from."""
    skill_ids = db.session.scalars(
        select(SessionNoteSkill.skill_id).where(SessionNoteSkill.note_id == note.id)
    )
    return NoteDetails(
        **{name: getattr(note, name) for name in FIELDS}, skill_ids=sorted(skill_ids)
    )


def _linked_dates(note: SessionNote) -> set[date]:
    """The dates of the sign-offs linked to the note (made on its contact date)."""
    return set(
        db.session.scalars(
            select(SignoffEvent.shown_on)
            .join(SessionNoteSignoff, SessionNoteSignoff.signoff_event_id == SignoffEvent.id)
            .where(SessionNoteSignoff.note_id == note.id)
        )
    )


def edit_note(
    note: SessionNote,
    editor: User,
    details: NoteDetails,
    *,
    seen_versions: int | None = None,
    now: datetime | None = None,
) -> SessionNoteVersion | None:
    """Change an unsigned note, keeping what it said as a new version; the caller
    commits. Returns that version, or None when nothing changed."""
    mentee = note.mentee
    # Writers for this mentee queue here: signing and a second edit wait their turn.
    lock_for_write(Mentee, mentee.id)
    db.session.refresh(note)
    if not permissions.can_edit_session_note(editor, note):
        raise SessionNoteError(_("Only the mentor who wrote a note can edit it."))
    if note.signed:
        raise SessionNoteError(
            _("This note is signed, so it cannot change. Add an addendum instead.")
        )
    count = version_count(note)
    if seen_versions is not None and seen_versions != count:
        raise SessionNoteError(
            _(
                "This note was changed since you opened it. Reload the page to see the "
                "newest text, then make your change again."
            )
        )
    now = now or local_now(mentee.organisation)
    minutes = check_details(mentee, details, now)
    skills = skills_for(mentee, details.skill_ids)
    linked = _linked_dates(note)
    if linked and details.contact_on not in linked:
        raise SessionNoteError(
            _(
                "Sign-offs from %(date)s are linked to this note, so its date stays "
                "%(date)s. To change the date, write a new note.",
                date=local_date(note.contact_on),
            ),
            "contact_on",
        )
    before = details_of(note)
    wanted = note_values(details)
    changed = [name for name in FIELDS if getattr(note, name) != wanted[name]]
    if sorted(s.id for s in skills) != before.skill_ids:
        changed.append("skills")
    if not changed:
        return None
    version = SessionNoteVersion(
        note_id=note.id,
        number=count + 1,
        replaced_by_id=editor.id,
        minutes=note.minutes,
        units=note.units,
        skill_ids=" ".join(map(str, before.skill_ids)),
        **{name: getattr(before, name) for name in FIELDS},
    )
    db.session.add(version)
    organisation = mentee.organisation
    # The days to sign in stay as the note was written with; they count from the date.
    days_to_sign = note.sign_by - note.contact_on
    for name, value in wanted.items():
        setattr(note, name, value)
    note.minutes = minutes
    note.units = units_for(minutes, organisation.unit_minutes, organisation.unit_threshold)
    note.sign_by = note.contact_on + days_to_sign
    db.session.execute(delete(SessionNoteSkill).where(SessionNoteSkill.note_id == note.id))
    db.session.add_all(SessionNoteSkill(note_id=note.id, skill_id=s.id) for s in skills)
    db.session.flush()
    audit.record(
        "session_note.edit",
        editor,
        mentee=mentee,
        object_type="session_note",
        object_id=note.id,
        version=version.number,
        # Which parts changed, never their words (the version row holds those).
        changed=changed,
        minutes=note.minutes,
        units=note.units,
    )
    return version
