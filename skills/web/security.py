"""Response headers and session lifetimes applied to every request."""

from datetime import UTC, datetime, timedelta

from flask import Flask, Response, flash, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .main import HEALTH_ENDPOINTS

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def start_session() -> None:
    """Stamp a new signed-in session with its start time."""
    now = _now()
    session["signed_in_at"] = now
    session["seen_at"] = now
    session.permanent = True


def _check_session_age() -> ResponseReturnValue | None:
    # Health checks answer without loading the user (a database query).
    if request.endpoint in HEALTH_ENDPOINTS or not current_user.is_authenticated:
        return None
    now = _now()
    started = session.get("signed_in_at", 0)
    seen = session.get("seen_at", 0)
    if (
        now - seen > IDLE_TIMEOUT.total_seconds()
        or now - started > ABSOLUTE_TIMEOUT.total_seconds()
    ):
        # Said in the person's own language, while they are still the one signed in.
        message = _("You were signed out to keep information safe. Please sign in again.")
        logout_user()
        session.clear()
        flash(message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    # Rewrite the cookie at most once a minute, not on every request.
    if now - seen >= 60:
        session["seen_at"] = now
    return None


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint != "static":
        # Pages about people must not linger in shared or back-button caches.
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", ABSOLUTE_TIMEOUT)
    app.before_request(_check_session_age)
    app.after_request(_headers)
