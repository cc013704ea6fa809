"""Sign-off events (append-only) and the current status derived from them."""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    false,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, QueryableAttribute, aliased, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .chain import Chained
from .curriculum import Skill
from .people import Mentee, User

NOTE_VISIBILITY = ("mentee", "staff")
# How much help the mentee needed; the order runs from most independent.
# Labels are lazy: each is read in the reader's language when shown.
SUPPORT_LEVELS = {
    "own": _l("On my own"),
    "reminders": _l("With reminders"),
    "shown": _l("Someone showed me"),
    "hands_on": _l("Hands-on help"),
}
PRACTISED_WITH = {"alone": _l("Alone"), "mentor": _l("With mentor"), "group": _l("In a group")}


class GroupSession(Model):
    """A mentor's session with several mentees at once; its sign-offs point here."""

    __tablename__ = "group_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignoffEvent(Chained, Model):  # hash-chained: models/chain.py
    """One thing a mentor recorded. Never updated or deleted: the database refuses it."""

    __tablename__ = "signoff_events"
    __table_args__ = (
        CheckConstraint("kind IN ('signoff', 'correction', 'refresher')", name="kind"),
        CheckConstraint("note_visibility IN ('mentee', 'staff')", name="note_visibility"),
        CheckConstraint(
            "(kind = 'correction') = (corrects_id IS NOT NULL)", name="correction_names_target"
        ),
        Index("ix_signoff_events_mentee_skill", "mentee_id", "skill_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="signoff")
    level: Mapped[int] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shown_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    note_visibility: Mapped[str] = mapped_column(String(8), default="mentee")
    support: Mapped[str | None] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(200))
    practised_with: Mapped[str | None] = mapped_column(String(16))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("signoff_events.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    group_session_id: Mapped[int | None] = mapped_column(ForeignKey("group_sessions.id"))
    # Set by the sign-off form so a double submit or a retry records one event.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)

    skill: Mapped[Skill] = relationship()
    mentee: Mapped[Mentee] = relationship()
    recorded_by: Mapped[User] = relationship()

    # The one rule for reading a note: a staff-only note reaches only a reader who may
    # see staff notes (`permissions.Viewer`); a mentee-visible note reaches every reader
    # of the record. Python and SQL forms agree (tests/test_rules.py).
    @hybrid_method
    def note_visible(self, sees_staff_notes: bool) -> bool:
        return note_is_visible(sees_staff_notes, self.note_visibility)

    # mypy applies hybrid_method.__get__ to the Self that `.inplace` returns.
    @note_visible.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _note_visible_sql(cls, sees_staff_notes: bool) -> ColumnElement[bool]:
        return note_is_visible_sql(sees_staff_notes, cls.note_visibility)


class _Entry(Protocol):
    id: int
    corrects_id: int | None


def typed_order(entries: Iterable[_Entry]) -> dict[int, int]:
    """Each entry's place in the order that decides which of a skill's entries sets its
    level: the order they were typed in, a correction taking the place of the entry it
    corrects (so correcting an old entry does not override a newer one). Among the
    entries that still count (not corrected, not a refresher reminder) and, for a past
    day, were shown by then, the one with the highest place sets the level."""
    corrects = {e.id: e.corrects_id for e in entries}
    order = {}
    for entry_id in corrects:
        root = entry_id
        while (earlier := corrects[root]) and earlier in corrects:
            root = earlier
        order[entry_id] = root
    return order


def corrected_ids(entries: Iterable[_Entry]) -> set[int]:
    """The entries that a correction replaced."""
    return {e.corrects_id for e in entries if e.corrects_id}


# The one rule for which entries still record a level: not replaced by a correction, and
# not a refresher reminder (it asks for practice; the level stays). Python and SQL forms
# agree (tests/test_rules.py).
def sets_a_level(kind: str, corrected: bool) -> bool:
    return not corrected and kind != "refresher"


def sets_a_level_sql() -> ColumnElement[bool]:
    """`sets_a_level` for signoff_events rows. A correction is of the same mentee and
    skill, so the check reads that skill's few events by index."""
    correction = aliased(SignoffEvent)
    corrected = (
        select(correction.id)
        .where(
            correction.mentee_id == SignoffEvent.mentee_id,
            correction.skill_id == SignoffEvent.skill_id,
            correction.corrects_id == SignoffEvent.id,
        )
        .exists()
    )
    return and_(SignoffEvent.kind != "refresher", ~corrected)


# The bodies of the hybrid above, as plain functions so mutation testing reaches them.
def note_is_visible(sees_staff_notes: bool, note_visibility: str) -> bool:
    return sees_staff_notes or note_visibility == "mentee"


def note_is_visible_sql(
    sees_staff_notes: bool, note_visibility: QueryableAttribute[str]
) -> ColumnElement[bool]:
    return or_(true() if sees_staff_notes else false(), note_visibility == "mentee")


class SkillStatus(Model):
    """Current level per mentee and skill, written in the same transaction as its event.

    An optimisation, never a second truth: `recompute_status` rebuilds it from events.
    """

    __tablename__ = "skill_status"
    __table_args__ = (
        Index("ix_skill_status_skill", "skill_id"),
        # Only the few rows with a refresher asked for: the mentor's "due" list reads them.
        Index(
            "ix_skill_status_refresher",
            "mentee_id",
            sqlite_where=text("needs_refresher = 1"),
            postgresql_where=text("needs_refresher"),
        ),
    )

    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    level: Mapped[int] = mapped_column()
    signed_off: Mapped[bool] = mapped_column(Boolean)
    event_id: Mapped[int] = mapped_column(ForeignKey("signoff_events.id"))
    shown_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    needs_refresher: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    skill: Mapped[Skill] = relationship()
    recorded_by: Mapped[User] = relationship()


class DomainCounter(Model):
    """Per mentee and domain: live skills signed off and started, and the latest date
    shown, counted from the current-status rows in the same transaction as they change.

    Caseload and organisation pages read these few rows instead of one per skill. An
    optimisation, never a second truth: `services.counters` rebuilds and checks them.
    """

    __tablename__ = "domain_counters"

    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"), primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), primary_key=True)
    signed_off: Mapped[int] = mapped_column()
    started: Mapped[int] = mapped_column()
    last_shown_on: Mapped[date | None] = mapped_column(Date)
