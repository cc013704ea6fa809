"""Two-step sign-in with time-based codes (TOTP, RFC 6238) from an authenticator app."""

import hmac
import io
from datetime import UTC, datetime

import pyotp
import segno
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update

from ..extensions import db
from ..models import User
from ..secrets_crypto import is_encrypted
from . import audit

ISSUER = "Skills tracker"


class CodeRejected(ValueError):
    """The code is wrong, expired or already used (a lazy message, read in the language
    of whoever is shown it)."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The setup link as an inline SVG QR code (no script, no external image)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer,
        kind="svg",
        xmldecl=False,
        svgns=True,
        scale=5,
        title=gettext("QR code for your app"),
    )
    return buffer.getvalue().decode()


def _matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step the code belongs to: the current step or the one before.

    The step before covers a code typed just as it changed and a phone clock up to 30 s
    behind. A step ahead is not accepted: clocks ahead are rare, and each extra step is
    one more code a guesser can hit. Steps already used are refused by `verify_code`.
    """
    if is_encrypted(secret):  # still sealed: it did not open with the configured key
        return None
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    moment = now or datetime.now(UTC)
    current = totp.timecode(moment)
    for step in (current - 1, current):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def verify_code(
    user: User, code: str, secret: str | None = None, now: datetime | None = None
) -> None:
    """Accept a code once: a code (or an older one) that was already used is refused.

    The step is claimed with one conditional UPDATE, so two requests sending the same
    code at once cannot both pass. The caller commits, which keeps the claim.
    """
    secret = secret or user.totp_secret
    step = _matching_step(secret, code, now) if secret else None
    if step is None:
        raise CodeRejected(_l("That code is not right. Check your app and try the newest code."))
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeRejected(_l("That code was already used. Wait for the next code."))


def enable(user: User, secret: str, code: str) -> None:
    """Turn two-step sign-in on after the person proves their app shows the right code."""
    verify_code(user, code, secret=secret)
    user.totp_secret = secret
    user.session_version += 1  # other sessions must sign in again, now with a code
    audit.record("user.two_step_on", user, object_type="user", object_id=user.id)
