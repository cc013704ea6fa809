"""Device cookies (OWASP "device cookies"): proof that a person signed in on this browser.

Each successful sign-in gives the browser a signed cookie naming the user and a fresh
random nonce. A later sign-in to that account from this browser counts against the
nonce's own budget instead of the account's (skills/services/signin.py), so a stranger
guessing at the account, who holds no such cookie, cannot lock its owner out. One cookie
holds the last few people who signed in on a shared computer; it names user ids only.
"""

import secrets
import time
from datetime import timedelta

from flask import Request, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

COOKIE = "skills_device"
LIFETIME = timedelta(days=180)
KEEP = 5  # people remembered per browser
Entry = tuple[int, str, int]  # user id, nonce, issued (seconds since the epoch)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="device-cookie")


def _entries(request: Request) -> list[Entry]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        loaded = _serializer().loads(raw)
        entries = [(int(uid), str(nonce), int(issued)) for uid, nonce, issued in loaded]
    except (BadSignature, TypeError, ValueError):
        return []  # forged, from another secret key, or not ours: no trust
    oldest = time.time() - LIFETIME.total_seconds()
    return [entry for entry in entries if entry[2] >= oldest]


def trusted(request: Request) -> dict[int, str]:
    """User id to device nonce, for each person who signed in on this browser lately."""
    return {uid: nonce for uid, nonce, _ in _entries(request)}


def remember(request: Request, response: Response, user_id: int) -> None:
    """Give this browser a new device nonce for `user_id` (a new budget, too)."""
    others = [entry for entry in _entries(request) if entry[0] != user_id][-(KEEP - 1) :]
    entries = [*others, (user_id, secrets.token_urlsafe(16), int(time.time()))]
    response.set_cookie(
        COOKIE,
        _serializer().dumps(entries),
        max_age=int(LIFETIME.total_seconds()),
        path="/login",  # only sign-in reads it
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
