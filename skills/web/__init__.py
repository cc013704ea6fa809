"""The browser-facing part: blueprints, sign-in hooks and error pages."""

from flask import Flask, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db, login_manager
from ..models import User
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..services.curriculum_view import reading_language
from .main import HEALTH_ENDPOINTS

# Everything else requires a signed-in user: a view that forgets a decorator fails safe.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_code", "static"}) | HEALTH_ENDPOINTS
# Reachable while a password chosen by someone else is still unchanged.
PASSWORD_CHANGE_ENDPOINTS = (
    frozenset({"account.password", "auth.logout", "static"}) | HEALTH_ENDPOINTS
)
# Reachable while a required two-step setup is still missing (the password change comes
# first when both are owed).
SETUP_ENDPOINTS = (
    frozenset({"account.two_step_setup", "account.password", "auth.logout", "static"})
    | HEALTH_ENDPOINTS
)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """Find the user for a session, refusing sessions from before a sign-out or change."""
    try:
        uid, version = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_version != version:
        return None
    return user


def _refuse_nul_bytes() -> None:
    """A NUL character is never real input, and PostgreSQL refuses to store one: answer
    400 before any view reads it, rather than a 500 from the database."""
    for values in (request.args, request.form):
        if any("\x00" in f"{key}{value or ''}" for key, value in values.items(multi=True)):
            abort(400)


def _require_login() -> ResponseReturnValue | None:
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _require_own_password() -> ResponseReturnValue | None:
    if (
        request.endpoint not in PASSWORD_CHANGE_ENDPOINTS  # first: health checks load no user
        and current_user.is_authenticated
        and current_user.must_change_password
    ):
        # The page itself says why (templates/account/password.html).
        return redirect(url_for("account.password"))
    return None


def _require_two_step_setup() -> ResponseReturnValue | None:
    if (
        request.endpoint not in SETUP_ENDPOINTS  # first: health checks load no user
        and current_user.is_authenticated
        and not current_user.totp_secret
        and permissions.two_step_required(current_user)
    ):
        flash(_("Your program asks you to turn on two-step sign-in first."), "info")
        return redirect(url_for("account.two_step_setup"))
    return None


def init_app(app: Flask) -> None:
    from . import (
        account,
        admin,
        auth,
        caseload,
        client,
        errors,
        goals,
        main,
        me,
        mentees,
        photos,
        reports,
        resources,
        security,
        session_notes,
    )

    security.init_app(app)  # first: an expired session is ended before the login check
    client.init_app(app)  # audit rows name the request's address and user agent
    app.request_class = photos.Request  # photo forms take larger uploads
    app.before_request(_refuse_nul_bytes)
    app.before_request(_require_login)
    app.before_request(_require_own_password)
    app.before_request(_require_two_step_setup)
    for module in (
        auth,
        account,
        main,
        mentees,
        goals,
        me,
        caseload,
        admin,
        resources,
        reports,
        session_notes,
        photos,
    ):
        app.register_blueprint(module.bp)
    errors.init_app(app)
    # `reading_language()` for curriculum rows a page reads whole: `skill.text_in("title",
    # reading_language())` (docs/curriculum.md).
    app.jinja_env.globals.update(
        permissions=permissions,
        support_labels=SUPPORT_LEVELS,
        practised_labels=PRACTISED_WITH,
        reading_language=reading_language,
    )
