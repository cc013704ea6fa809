"""Sign-in rules: throttling failed attempts per account, in the database."""

from datetime import timedelta

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import LoginFailure
from ..timeutil import utcnow

MAX_FAILURES = 5
WINDOW = timedelta(minutes=1)


def is_throttled(username: str) -> bool:
    """More than the allowed failures for this account within the last minute."""
    since = utcnow() - WINDOW
    failures = db.session.execute(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.at >= since)
    ).scalar_one()
    return failures >= MAX_FAILURES


def record_failure(username: str) -> None:
    """Count a failed attempt; the caller commits. Rows older than a day are pruned."""
    db.session.add(LoginFailure(username=username[:64]))
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(days=1)))
