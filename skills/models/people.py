"""Organisations, logins, mentee records and the assignments between them."""

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import Model
from ..secrets_crypto import EncryptedSecret
from ..timeutil import UTCDateTime, utcnow

ROLES = ("admin", "case_manager", "mentor", "mentee")
# Lazy: each reader sees them in their own language.
ROLE_LABELS = {
    "admin": _l("Admin"),
    "case_manager": _l("Case manager"),
    "mentor": _l("Mentor"),
    "mentee": _l("Mentee"),
}
ASSIGNMENT_KINDS = ("mentor", "case_manager")
DEFAULT_TIME_ZONE = "America/New_York"


class Organisation(Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Space-separated roles whose holders must use two-step sign-in (see
    # permissions.two_step_required), in the same form as User.roles.
    two_step_roles: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # An IANA name; local dates will be shown in it.
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE
    )
    # Billing of session notes (services/session_notes.py, `units_for`): the service
    # code and modifiers, minutes per unit, the minutes from which a part unit counts,
    # and the days after a contact within which its note is signed on time.
    billing_code: Mapped[str] = mapped_column(String(16), default="H0038", server_default="H0038")
    billing_modifiers: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # Added to the modifiers of each note of a group contact (HQ: "group setting").
    group_modifiers: Mapped[str] = mapped_column(String(32), default="HQ", server_default="HQ")
    unit_minutes: Mapped[int] = mapped_column(default=15, server_default="15")
    unit_threshold: Mapped[int] = mapped_column(default=8, server_default="8")
    sign_within_days: Mapped[int] = mapped_column(default=3, server_default="3")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def two_step_role_set(self) -> frozenset[str]:
        return frozenset((self.two_step_roles or "").split())


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # A peer credential (e.g. "CPS"), printed with the name when signing session notes.
    credential: Mapped[str | None] = mapped_column(String(40))
    # The language the person reads the program in ("en", "es"); none: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))
    password_hash: Mapped[str] = mapped_column(String(255))
    # Space-separated role names: a person holds several roles only where an admin grants it.
    roles: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the login cookie: bumping it ends every session of this user.
    session_version: Mapped[int] = mapped_column(default=1)
    # Encrypted at rest; reads give the plain secret (skills.secrets_crypto).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedSecret)
    totp_last_step: Mapped[int | None] = mapped_column()
    # Set when someone else chose the password (an admin, the command line): its owner
    # must choose their own before anything else (skills/web/__init__.py).
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    def has_role(self, *roles: str) -> bool:
        return not self.role_set.isdisjoint(roles)

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_labels(self) -> str:
        return ", ".join(str(ROLE_LABELS[r]) for r in ROLES if r in self.role_set)


class Mentee(Model):
    __tablename__ = "mentees"
    __table_args__ = (
        UniqueConstraint("organisation_id", "record_number"),
        CheckConstraint("status IN ('active', 'discharged')", name="status"),
        # The org-wide summary counts mentees, active and stalled ones from this alone.
        Index("ix_mentees_progress", "organisation_id", "status", "last_signoff_on", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    record_number: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(120))
    preferred_name: Mapped[str | None] = mapped_column(String(80))
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    discharged_on: Mapped[date | None] = mapped_column(Date)
    # The latest date shown of the mentee's current skill levels (live skills), kept in
    # the sign-off's transaction (`services.counters`); `flask check` recounts it.
    last_signoff_on: Mapped[date | None] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version_id: Mapped[int] = mapped_column(default=1)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def name(self) -> str:
        """The name the mentee goes by."""
        return self.preferred_name or self.full_name


class Assignment(Model):
    """A mentor or case manager working with a mentee from one date to another."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("kind IN ('mentor', 'case_manager')", name="kind"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
        Index("ix_assignments_staff", "staff_id", "kind"),
        Index("ix_assignments_mentee", "mentee_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mentee_id: Mapped[int] = mapped_column(ForeignKey("mentees.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_on: Mapped[date] = mapped_column(Date)
    # Access stops on this date: ending an assignment "today" ends access at once.
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mentee: Mapped[Mentee] = relationship(foreign_keys=[mentee_id])
    staff: Mapped[User] = relationship(foreign_keys=[staff_id])

    # The one definition of "current": it has started, and access stops on its end date,
    # so an assignment ending today gives no access today. Python and SQL forms agree
    # (tests/test_rules.py).
    @hybrid_method
    def is_current(self, on: date) -> bool:
        return assignment_is_current(self.starts_on, self.ends_on, on)

    # mypy applies hybrid_method.__get__ to the Self that `.inplace` returns.
    @is_current.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _is_current_sql(cls, on: date) -> ColumnElement[bool]:
        return assignment_is_current_sql(cls.starts_on, cls.ends_on, on)

    @hybrid_method
    def has_ended(self, on: date) -> bool:
        """Access stopped on or before `on`."""
        return assignment_has_ended(self.ends_on, on)

    # mypy applies hybrid_method.__get__ to the Self that `.inplace` returns.
    @has_ended.inplace.expression  # type: ignore[attr-defined]
    @classmethod
    def _has_ended_sql(cls, on: date) -> ColumnElement[bool]:
        return assignment_has_ended_sql(cls.ends_on, on)


# The bodies of the hybrids above, as plain functions so mutation testing reaches them
# (mutmut leaves decorated functions alone).
def assignment_is_current(starts_on: date, ends_on: date | None, on: date) -> bool:
    return starts_on <= on and (ends_on is None or on < ends_on)


def assignment_is_current_sql(
    starts_on: QueryableAttribute[date], ends_on: QueryableAttribute[date | None], on: Any
) -> ColumnElement[bool]:
    return (starts_on <= on) & (ends_on.is_(None) | (ends_on > on))


def assignment_has_ended(ends_on: date | None, on: date) -> bool:
    return ends_on is not None and ends_on <= on


def assignment_has_ended_sql(
    ends_on: QueryableAttribute[date | None], on: Any
) -> ColumnElement[bool]:
    return ends_on.is_not(None) & (ends_on <= on)
