"""Password hashing with argon2id and the password rules."""

import re
import secrets
import threading
from collections.abc import Iterable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

MIN_LENGTH = 8
MAX_LENGTH = 128
# zxcvbn's scale runs 0-4; 3 is "safely unguessable" against an online attack and
# resists offline guessing for a while (the zxcvbn paper's advice).
MIN_STRENGTH = 3
# zxcvbn refuses longer input (its matching slows with length); the first 72 characters
# of a long password decide its strength, which is generous to long passphrases.
STRENGTH_CHECKED_LENGTH = 72
ALLOWED = _l(
    "Choose something hard to guess, for example three or four unrelated words. Leave out "
    "names, dates, keyboard patterns and common words with numbers added."
)
# zxcvbn's warnings (zxcvbn 4.5 speaks only English), in our words so they translate. A
# warning a later zxcvbn adds is shown as it comes, in English.
WARNINGS = {
    "Straight rows of keys are easy to guess.": _l("straight rows of keys are easy to guess"),
    "Short keyboard patterns are easy to guess.": _l("short keyboard patterns are easy to guess"),
    'Repeats like "aaa" are easy to guess.': _l("repeats like “aaa” are easy to guess"),
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': _l(
        "repeats like “abcabcabc” are only slightly harder to guess than “abc”"
    ),
    'Sequences like "abc" or "6543" are easy to guess.': _l(
        "sequences like “abc” or “6543” are easy to guess"
    ),
    "Recent years are easy to guess.": _l("recent years are easy to guess"),
    "Dates are often easy to guess.": _l("dates are often easy to guess"),
    "This is a top-10 common password.": _l("this is a top-10 common password"),
    "This is a top-100 common password.": _l("this is a top-100 common password"),
    "This is a very common password.": _l("this is a very common password"),
    "This is similar to a commonly used password.": _l(
        "this is similar to a commonly used password"
    ),
    "A word by itself is easy to guess.": _l("a word by itself is easy to guess"),
    "Names and surnames by themselves are easy to guess.": _l(
        "names and surnames by themselves are easy to guess"
    ),
    "Common names and surnames are easy to guess.": _l(
        "common names and surnames are easy to guess"
    ),
}
# Refused as new passwords; replace the file with a longer list without code changes.
COMMON_PASSWORDS = frozenset(
    line.strip()
    for line in (Path(__file__).parent.parent / "data" / "common-passwords.txt")
    .read_text()
    .splitlines()
    if line.strip() and not line.startswith("#")
)


class PasswordRejected(ValueError):
    """A password does not meet the rules; the message (a lazy string, read in the
    language of whoever is shown it) says which."""


def _hasher() -> PasswordHasher:
    if has_app_context():
        cfg = current_app.config
        return PasswordHasher(
            time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"]
        )
    return PasswordHasher()


# zxcvbn keeps the user inputs of a call in a module-level dictionary, so two threads
# checking at once could mix up each other's names.
_strength_lock = threading.Lock()


def _strength(password: str, user_inputs: Iterable[str]) -> tuple[int, str]:
    """zxcvbn's score (0-4) and its warning, if any. The username and each word of the
    person's name count as known to the guesser: "dreyes2024" is weak for user dreyes."""
    words = {w for text in user_inputs for w in [text, *re.split(r"[^\w]+", text)] if w}
    with _strength_lock:
        result = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=sorted(words))
    return result["score"], result["feedback"]["warning"]


def check_rules(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Refuse a new password that is too short, too long, on the common list, or that
    zxcvbn rates below MIN_STRENGTH; `user_inputs` (username, name) count as guessable."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(_l("Use at least %(num)d characters.", num=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(_l("Use at most %(num)d characters.", num=MAX_LENGTH))
    if password.lower() in COMMON_PASSWORDS:
        raise PasswordRejected(_l("That password is too common. %(advice)s", advice=ALLOWED))
    score, warning = _strength(password, user_inputs)
    if score < MIN_STRENGTH:
        if not warning:
            raise PasswordRejected(
                _l("That password is too easy to guess. %(advice)s", advice=ALLOWED)
            )
        why = WARNINGS.get(warning) or f"{warning[:1].lower()}{warning[1:].rstrip('.')}"
        raise PasswordRejected(
            _l("That password is too easy to guess: %(why)s. %(advice)s", why=why, advice=ALLOWED)
        )


def hash_password(password: str, user_inputs: Iterable[str] = ()) -> str:
    """Check the rules (with the person's username and name as `user_inputs`), then
    hash with argon2id."""
    check_rules(password, user_inputs)
    return _hasher().hash(password)


_dummy_hashes: dict[tuple[int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password made with today's parameters, so checking against it
    costs what checking a real account costs."""
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hasher.hash(secrets.token_urlsafe(24))
    return _dummy_hashes[key]


def unusable_hash() -> str:
    """A hash of a password nobody knows, for a login made without one (a roster import):
    it cannot sign in until an admin sets a password, and checking against it takes as
    long as against any account. One hash serves many logins, so imports stay fast."""
    return _dummy_hash(_hasher())


def verify(password_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses old parameters).

    With no hash (no such account) the password is still checked, against a dummy hash,
    and never matches: the time taken does not tell whether a username exists.
    """
    hasher = _hasher()
    try:
        hasher.verify(password_hash or _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if password_hash is None:  # unreachable unless the random dummy is guessed
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(password_hash) else None
