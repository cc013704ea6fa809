"""Records that protect sign-in: attempt counters shared by every app process."""

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from ..timeutil import UTCDateTime


class SignInThrottle(Model):
    """Sign-in attempts against one budget in one fixed time window: an account, a
    client address, a trusted device, a person's two-step codes, or everyone.

    Counted with one INSERT … ON CONFLICT DO UPDATE per attempt (skills/services/signin.py),
    so every app server sees the same count. Old windows are pruned.
    """

    __tablename__ = "sign_in_throttles"
    __table_args__ = (Index("ix_sign_in_throttles_window_start", "window_start"),)

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
