"""Password hashing with argon2id and the password rules."""

from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

MIN_LENGTH = 8
MAX_LENGTH = 128
# Refused as new passwords; replace the file with a longer list without code changes.
COMMON_PASSWORDS = frozenset(
    line.strip()
    for line in (Path(__file__).parent.parent / "data" / "common-passwords.txt")
    .read_text()
    .splitlines()
    if line.strip() and not line.startswith("#")
)


class PasswordRejected(ValueError):
    """A password does not meet the rules; the message says which."""


def _hasher() -> PasswordHasher:
    if has_app_context():
        cfg = current_app.config
        return PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"]
        )
    return PasswordHasher()


def check_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    if password.lower() in COMMON_PASSWORDS:
        raise PasswordRejected("That password is too common; choose another.")


def hash_password(password: str) -> str:
    """Check the rules, then hash with argon2id."""
    check_rules(password)
    return _hasher().hash(password)


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses old parameters)."""
    hasher = _hasher()
    try:
        hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None
