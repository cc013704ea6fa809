"""Photo evidence attached to an "I did it", a sign-off or a session note.

The bytes live in the database (app servers keep nothing on disk), already re-encoded
with no EXIF (services/photos.py), with a small copy made at upload. Withdrawing erases
the bytes of both and keeps the row, so the record still says a photo was there, who
withdrew it and when.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .people import Mentee, User
from .session_notes import SessionNote
from .signoffs import SignoffEvent
from .voice import DidItReport


class Photo(Model):
    """One photo on exactly one record."""

    __tablename__ = "photos"
    __table_args__ = (
        # Portable SQL: PostgreSQL cannot add booleans.
        CheckConstraint(
            "(CASE WHEN did_it_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN signoff_event_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN session_note_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_record",
        ),
        CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name="content_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"), index=True)
    did_it_id: Mapped[int | None] = mapped_column(ForeignKey("did_it_reports.id"), index=True)
    signoff_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("signoff_events.id"), index=True
    )
    session_note_id: Mapped[int | None] = mapped_column(ForeignKey("session_notes.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    byte_size: Mapped[int] = mapped_column()
    # Deferred: listing a record's photos never loads their bytes. None once withdrawn.
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    # The small copy, made once at upload (services/photos.py, `thumbnail`); the same
    # content type as `data`. Erased with it.
    thumbnail: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    mentee: Mapped[Mentee] = relationship()
    did_it: Mapped[DidItReport | None] = relationship()
    signoff_event: Mapped[SignoffEvent | None] = relationship()
    session_note: Mapped[SessionNote | None] = relationship()
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None
