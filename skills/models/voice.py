"""The mentee's own voice: goals, self-ratings, "I did it" reports and confirmations;
and the organisation's local resources for a skill."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .curriculum import Skill

# Lazy: read in the reader's language when shown.
SELF_RATINGS = {"can": _l("I can do this"), "help": _l("I'd like help with this")}
MAX_GOALS = 5


class Goal(Model):
    """A skill the mentee most wants to learn. Clearing keeps the row (history)."""

    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_mentee_open", "mentee_id", "cleared_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    skill: Mapped[Skill] = relationship()


class SelfRating(Model):
    """The mentee's own view of a skill; the newest one counts. Never averaged with levels."""

    __tablename__ = "self_ratings"
    __table_args__ = (
        CheckConstraint("rating IN ('can', 'help')", name="rating"),
        Index("ix_self_ratings_mentee_skill", "mentee_id", "skill_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"))
    rating: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DidItReport(Model):
    """A mentee tells their mentor "I did it"; the mentor confirms with a level or replies."""

    __tablename__ = "did_it_reports"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'confirmed', 'replied')", name="status"),
        Index("ix_did_it_reports_mentee_status", "mentee_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(Text)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("signoff_events.id"))

    skill: Mapped[Skill] = relationship()


class SignoffConfirmation(Model):
    """The mentee agrees with a mentor's sign-off, in their own words (printed in reports)."""

    __tablename__ = "signoff_confirmations"
    __table_args__ = (UniqueConstraint("event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("signoff_events.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"), index=True)
    words: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignoffDisagreement(Model):
    """The mentee says a mentor's sign-off is not right, in their own words. It never
    changes the level: the mentor answers with a correction or a new sign-off."""

    __tablename__ = "signoff_disagreements"
    __table_args__ = (UniqueConstraint("event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("signoff_events.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"), index=True)
    words: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkillResource(Model):
    """Local details for a skill in one organisation: an office's address, a food bank."""

    __tablename__ = "skill_resources"
    __table_args__ = (UniqueConstraint("organisation_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"))
    details: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
