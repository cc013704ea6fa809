"""Sign-in throttles: attempt budgets per account, client address, trusted device,
two-step codes and overall, kept in the database so every app server shares them.

An attempt is reserved before the password (or code) is checked: one
INSERT … ON CONFLICT DO UPDATE … RETURNING counts it against each of its budgets, and is
committed at once. Forty guesses sent together are counted one after another by the
database, and only those within the budget get their password checked; the rest are
rolled back, so a refused attempt uses up nothing. A successful attempt gives its
reservation back, so the counts are of failures (and attempts still being checked), and
an office of people signing in from one address is not slowed down.

A person who signed in on this browser before holds a device cookie (OWASP "device
cookies", skills/web/devices.py). Their attempts count against that device's own budget
instead of the account, address and overall ones, so a stranger guessing at their
account, or flooding the site, cannot lock them out.
"""

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import SignInThrottle, User
from ..timeutil import utcnow
from .passwords import verify

KEPT_FOR = timedelta(days=1)  # windows older than this are pruned


@dataclass(frozen=True)
class Budget:
    scope: str
    limit: int
    window: timedelta
    message: LazyString  # read in the language of whoever is shown it


ACCOUNT = Budget(
    "account",
    5,
    timedelta(minutes=1),
    _l("Too many tries for this account. Wait one minute, then try again."),
)
# Larger than one person's typos, smaller than a sweep over many accounts.
ADDRESS = Budget(
    "address",
    20,
    timedelta(minutes=10),
    _l("Too many failed sign-ins from this network. Wait ten minutes, then try again."),
)
# A ceiling for guessing spread over many addresses; people on a device they signed in
# on before are not held back by it.
OVERALL = Budget(
    "overall",
    300,
    timedelta(minutes=1),
    _l("Too many failed sign-ins on this site just now. Wait one minute, then try again."),
)
DEVICE = Budget(
    "device",
    5,
    timedelta(minutes=1),
    _l("Too many tries on this device. Wait one minute, then try again."),
)
# Six digits, and two steps accepted (skills/services/two_step.py), so each wrong try
# is a 2-in-a-million chance. Five tries in five minutes alone would still allow 1,440
# a day (1 in 350); the daily cap of 20 keeps a guesser who has the password to about
# 1 in 25,000 a day. A right code gives its tries back, so the owner is not held back.
CODE = Budget(
    "code",
    5,
    timedelta(minutes=5),
    _l("Too many codes tried. Wait five minutes, then try again."),
)
CODE_DAY = Budget(
    "code_day",
    20,
    timedelta(days=1),
    _l("Too many wrong codes today. Try again tomorrow, or ask your admin for help."),
)


@dataclass(frozen=True)
class Reservation:
    """Attempts counted against budgets; `refused_by` is the first budget already used up."""

    rows: tuple[tuple[str, str, datetime], ...]  # (scope, key, window start)
    refused_by: Budget | None


@dataclass(frozen=True)
class PasswordAttempt:
    user: User | None  # the account the username names, if there is one
    matched: bool
    refused_by: Budget | None = None
    new_hash: str | None = None  # the password hashed with today's parameters

    @property
    def signed_in(self) -> bool:
        return self.user is not None and self.matched and self.user.active


def address_key(address: str | None) -> str:
    """The budget key of a client address: an IPv6 client usually holds a whole /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _window_start(budget: Budget, now: datetime) -> datetime:
    length = int(budget.window.total_seconds())
    seconds = int(now.timestamp())
    return datetime.fromtimestamp(seconds - seconds % length, UTC)


def reserve(claims: Sequence[tuple[Budget, str]]) -> Reservation:
    """Count one attempt against each (budget, key) in one statement, and commit it.

    Called with no other changes pending: a refused attempt is rolled back. Budgets are
    claimed in the order given, so callers keep one order (account, address, overall)
    and two reservations never wait for each other's rows crosswise.
    """
    now = utcnow()
    rows = tuple((budget.scope, key[:64], _window_start(budget, now)) for budget, key in claims)
    table = SignInThrottle.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        [{"scope": s, "key": k, "window_start": w, "attempts": 1} for s, k, w in rows]
    )
    counts: dict[str, int] = dict(
        db.session.execute(
            insert.on_conflict_do_update(
                index_elements=["scope", "key", "window_start"],
                set_={"attempts": table.c.attempts + 1},
            ).returning(table.c.scope, table.c.attempts)
        ).all()
    )
    refused = next((budget for budget, _ in claims if counts[budget.scope] > budget.limit), None)
    if refused:
        db.session.rollback()
        return Reservation(rows, refused)
    if 1 in counts.values():  # a new window began: drop the stale ones
        db.session.execute(
            delete(SignInThrottle).where(SignInThrottle.window_start < now - KEPT_FOR)
        )
    db.session.commit()
    return Reservation(rows, None)


def give_back(reservation: Reservation) -> None:
    """A successful attempt returns what it reserved; the caller commits. One UPDATE per
    row, in the order reserved, so locks are taken in the same order as `reserve`."""
    for scope, key, window_start in reservation.rows:
        db.session.execute(
            update(SignInThrottle)
            .where(
                SignInThrottle.scope == scope,
                SignInThrottle.key == key,
                SignInThrottle.window_start == window_start,
            )
            .values(attempts=SignInThrottle.attempts - 1)
        )


def check_password(
    username: str, password: str, address: str | None, devices: Mapping[int, str]
) -> PasswordAttempt:
    """Reserve an attempt, then check the password. `devices` maps user id to the nonce
    of each device cookie the browser holds.

    An unknown username costs the same: the same budgets and one argon2 verification
    (against a dummy hash), so neither the answer nor its timing tells who has an account.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    device = devices.get(user.id) if user else None
    if device:
        claims = [(DEVICE, device)]
    else:
        claims = [(ACCOUNT, username), (ADDRESS, address_key(address)), (OVERALL, "all")]
    reservation = reserve(claims)
    if reservation.refused_by:
        return PasswordAttempt(user, False, reservation.refused_by)
    matched, new_hash = verify(user.password_hash if user else None, password)
    attempt = PasswordAttempt(user, matched, None, new_hash)
    if attempt.signed_in:
        give_back(reservation)
    return attempt


def reserve_current_password(user: User) -> Reservation:
    """Reserve a check of a signed-in person's current password (changing it): the
    account's sign-in budget, so a borrowed session cannot guess it faster than the
    sign-in page allows."""
    return reserve([(ACCOUNT, user.username)])


def reserve_code(user: User) -> Reservation:
    """Reserve a two-step code attempt: a budget per person, apart from passwords."""
    return reserve([(CODE, str(user.id)), (CODE_DAY, str(user.id))])
