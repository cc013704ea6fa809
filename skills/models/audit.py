"""The audit log: who did or saw what, when. Append-only like sign-off events."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .chain import Chained
from .people import Mentee, User


class AuditEvent(Chained, Model):  # hash-chained: models/chain.py
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_actor", "actor_id", "at"),
        Index("ix_audit_events_mentee", "mentee_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    mentee_id: Mapped[int | None] = mapped_column(ForeignKey("mentees.id"))
    outcome: Mapped[str] = mapped_column(String(16), default="ok")
    # Short machine-readable context; never passwords, codes or note text.
    detail: Mapped[str] = mapped_column(Text, default="")
    # Where a web request came from (skills/web/client.py); none for the command line.
    client_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    actor: Mapped[User | None] = relationship()
    mentee: Mapped[Mentee | None] = relationship()
