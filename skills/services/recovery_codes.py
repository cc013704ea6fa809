"""Recovery codes: ten one-time codes, shown once, that stand in for an authenticator code.

Only a keyed hash of each code is stored (the key comes from the configuration, not the
database), and a code is spent by one conditional UPDATE, so two sign-ins racing with the
same code cannot both succeed.
"""

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import RecoveryCode, User
from ..secrets_crypto import keyed_hash
from ..timeutil import utcnow
from . import audit
from .two_step import CodeRejected

COUNT = 10
# No 0/o, 1/l/i: codes are copied by hand from paper. 31 symbols x 10 is about 49 bits.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
LENGTH = 10


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch not in " -")


def looks_like(code: str) -> bool:
    """A recovery code rather than a 6-digit authenticator code."""
    plain = _normalise(code)
    return len(plain) == LENGTH and all(ch in ALPHABET for ch in plain)


def _hash(user: User, code: str) -> str:
    return keyed_hash(f"{user.id}:{_normalise(code)}", b"recovery codes")


def _new_code() -> str:
    plain = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{plain[:5]}-{plain[5:]}"


def replace(user: User) -> list[str]:
    """Ten new codes for `user`, ending any earlier ones; the caller shows them once and
    commits."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_code() for _ in range(COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(user, c)) for c in codes)
    audit.record("user.recovery_codes_new", user, object_type="user", object_id=user.id)
    return codes


def remaining(user: User) -> int:
    """How many of `user`'s codes are still unused."""
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def redeem(user: User, code: str) -> int:
    """Spend one code instead of an authenticator code; returns how many are left.

    Raises CodeRejected for a wrong or already used code. The caller commits.
    """
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash(user, code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeRejected(_l("That recovery code is not right, or it was already used."))
    left = remaining(user)
    audit.record(
        "user.recovery_code_used", user, object_type="user", object_id=user.id, remaining=left
    )
    return left
