"""Session notes: one documented contact between a mentor and a mentee, for the record
and for billing; its skills, linked sign-offs, addenda, the mentee's comments, and the
versions an edit replaced.

A note may change until it is signed, and every edit keeps the text it replaced as a
version; after signing only addenda and comments are added (services/session_notes.py
and services/session_note_edits.py refuse the rest). A group contact is one note per
mentee, sharing a `group_key`.
"""

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .people import Mentee, User
from .signoffs import note_is_visible, note_is_visible_sql

# How a contact was made: in English for the billing file (`MODES`), in the reader's
# language on the pages and in reports (`MODE_LABELS`).
MODES = {"in_person": "In person", "phone": "Phone", "video": "Video"}
MODE_LABELS = {"in_person": _l("In person"), "phone": _l("Phone"), "video": _l("Video")}


class SessionNote(Model):
    """A contact, with the times in the organisation's local time (as billing reads them)."""

    __tablename__ = "session_notes"
    __table_args__ = (
        CheckConstraint("mode IN ('in_person', 'phone', 'video')", name="mode"),
        CheckConstraint("note_visibility IN ('mentee', 'staff')", name="note_visibility"),
        CheckConstraint("ends_at > starts_at", name="times"),
        Index("ix_session_notes_mentee", "mentee_id", "contact_on"),
        Index("ix_session_notes_org_month", "organisation_id", "contact_on"),
        Index("ix_session_notes_mentor_unsigned", "mentor_id", "signed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    contact_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200), default="")
    what_we_did: Mapped[str] = mapped_column(Text, default="")
    how_it_went: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    # Staff only unless the mentor shares it, as with sign-off notes.
    note_visibility: Mapped[str] = mapped_column(String(8), default="staff")
    # Billing as the organisation's rule stood when the note was written: a later change
    # of the rule does not rewrite what was documented.
    minutes: Mapped[int] = mapped_column()
    units: Mapped[int] = mapped_column()
    service_code: Mapped[str] = mapped_column(String(16))
    modifiers: Mapped[str] = mapped_column(String(32), default="")
    # The last day signing is on time (the contact date plus the organisation's limit).
    sign_by: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_on: Mapped[date | None] = mapped_column(Date)  # local date of signing
    signed_name: Mapped[str | None] = mapped_column(String(120))
    signed_credential: Mapped[str | None] = mapped_column(String(40))
    # Set by the form so a double submit or a retry records one note.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The notes of one group contact share this key (each mentee has their own note and
    # billing line); None for a contact with one mentee.
    group_key: Mapped[str | None] = mapped_column(String(64), index=True)

    mentee: Mapped[Mentee] = relationship()
    mentor: Mapped[User] = relationship()

    # The rules below are each written once; Python and SQL forms agree
    # (tests/test_session_notes.py).
    @hybrid_method
    def note_visible(self, sees_staff_notes: bool) -> bool:
        return note_is_visible(sees_staff_notes, self.note_visibility)

    @note_visible.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _note_visible_sql(cls, sees_staff_notes: bool) -> ColumnElement[bool]:
        return note_is_visible_sql(sees_staff_notes, cls.note_visibility)

    @hybrid_property
    def late(self) -> bool:
        """Signed after the last day for signing."""
        return self.signed_on is not None and self.signed_on > self.sign_by

    @late.inplace.expression
    @classmethod
    def _late_sql(cls) -> ColumnElement[bool]:
        return and_(cls.signed_on.is_not(None), cls.signed_on > cls.sign_by)

    @hybrid_method
    def overdue(self, on: date) -> bool:
        """Still unsigned after the last day for signing."""
        return self.signed_at is None and self.sign_by < on

    @overdue.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _overdue_sql(cls, on: date) -> ColumnElement[bool]:
        return and_(cls.signed_at.is_(None), cls.sign_by < on)

    @property
    def signed(self) -> bool:
        return self.signed_at is not None

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)


class SessionNoteSkill(Model):
    """A skill (from the mentee's curriculum) worked on in the session."""

    __tablename__ = "session_note_skills"

    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)


class SessionNoteSignoff(Model):
    """A sign-off recorded during the session. A link table, so the append-only,
    hash-chained sign-off events stay as they are; an event belongs to one note."""

    __tablename__ = "session_note_signoffs"

    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), primary_key=True)
    signoff_event_id: Mapped[int] = mapped_column(
        ForeignKey("signoff_events.id"), primary_key=True, unique=True
    )


class SessionNoteAddendum(Model):
    """A correction or addition to a signed note; seen by whoever may see the note."""

    __tablename__ = "session_note_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class SessionNoteComment(Model):
    """The mentee's own words on a note they can see."""

    __tablename__ = "session_note_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    words: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class SessionNoteVersion(Model):
    """The note as it stood before one edit by its author: written once, never changed,
    so an unsigned note's history is kept rather than overwritten. Number 1 is the note
    as first saved. Read by staff who may read the note, never by the mentee (an
    earlier version may have been staff-only)."""

    __tablename__ = "session_note_versions"
    __table_args__ = (UniqueConstraint("note_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index serves "the versions of a note" too.
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id"))
    number: Mapped[int] = mapped_column()
    # Who replaced this version, and when.
    replaced_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    contact_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    mode: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(200), default="")
    what_we_did: Mapped[str] = mapped_column(Text, default="")
    how_it_went: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    note_visibility: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int] = mapped_column()
    units: Mapped[int] = mapped_column()
    # The skills worked on, as space-separated ids (the skills themselves stay).
    skill_ids: Mapped[str] = mapped_column(Text, default="")

    replaced_by: Mapped[User] = relationship()

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)
