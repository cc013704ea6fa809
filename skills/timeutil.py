"""The program's clock: UTC timestamps stored naive in the database and returned
timezone-aware, and "today" as the calendar day in an organisation's time zone."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def _system_clock() -> datetime:
    return datetime.now(UTC)


# Every "now" in the program comes from here, so a test can move it (`frozen_at`).
_clock: Callable[[], datetime] = _system_clock


def utcnow() -> datetime:
    return _clock()


def one_instant(value: date) -> bool:
    """Whether equal values of this kind are the same instant, so a cache may key on
    the value: dates, naive times and UTC times. Not a time in a zone with daylight
    saving: the two 1:30 a.m. of the night clocks go back compare equal, an hour apart."""
    if isinstance(value, datetime):
        return type(value) is datetime and value.tzinfo in (None, UTC)
    return type(value) is date


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, the program's clock reads `moment` (aware) and stands still."""
    global _clock
    if moment.tzinfo is None:
        raise ValueError("naive datetime given where an aware one is required")
    earlier, _clock = _clock, lambda: moment.astimezone(UTC)
    try:
        yield
    finally:
        _clock = earlier


def zone(where: Any = None) -> tzinfo:
    """The time zone of `where`: a zone, an IANA name, an organisation, or anything with
    an `organisation` (a mentee, a user). UTC when there is none or the name is unknown."""
    if isinstance(where, tzinfo):
        return where
    if where is not None and not isinstance(where, str):
        if hasattr(where, "time_zone"):
            where = where.time_zone
        else:
            where = getattr(getattr(where, "organisation", None), "time_zone", None)
    if where:
        try:
            return ZoneInfo(where)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def local_now(where: Any = None) -> datetime:
    """Now, in the time zone of `where` (see `zone`)."""
    return utcnow().astimezone(zone(where))


def today(where: Any = None) -> date:
    """The calendar day in the time zone of `where` (see `zone`): an organisation's
    people live by their own date, so a sign-off at 9 pm in California is not tomorrow."""
    return local_now(where).date()


class UTCDateTime(TypeDecorator):
    """Store UTC without a zone (SQLite has none) and hand back aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where UTC is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
