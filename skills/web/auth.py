"""Sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import update

from ..extensions import db
from ..models import User
from ..services import audit, recovery_codes, signin, two_step
from ..timeutil import utcnow
from . import devices, load_user
from .forms import CodeForm, EmptyForm, LoginForm, submitted
from .security import start_session

bp = Blueprint("auth", __name__)

PENDING_SECONDS = 300


def _safe_next(target: str | None) -> str | None:
    """Only a local path: never a full URL or a scheme-relative //host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = submitted(form.username.data).strip().lower()
        # An attempt is reserved first, then the password checked (skills/services/signin.py).
        attempt = signin.check_password(
            username, submitted(form.password.data), request.remote_addr, devices.trusted(request)
        )
        user, ok, new_hash = attempt.user, attempt.matched, attempt.new_hash
        if attempt.refused_by:
            audit.record(
                "auth.login",
                None,
                outcome="throttled",
                object_type="username",
                object_id=username[:64],
                budget=attempt.refused_by.scope,
            )
            db.session.commit()
            form.password.errors = [*form.password.errors, str(attempt.refused_by.message)]
            return render_template("auth/login.html", form=form), 429
        if user is None or not attempt.signed_in:
            audit.record(
                "auth.login",
                user if ok else None,
                outcome="failed",
                object_type="user" if user else "username",
                object_id=user.id if user else username[:64],
                organisation_id=user.organisation_id if user else None,
            )
            db.session.commit()
            form.password.errors = [
                *form.password.errors,
                _("That username and password do not match an active account."),
            ]
            return render_template("auth/login.html", form=form), 200
        if new_hash:
            _store_rehash(user, new_hash)
        target = _safe_next(request.args.get("next"))
        if user.totp_secret:
            db.session.commit()
            session.clear()
            session["pending_user"] = user.get_id()
            session["pending_at"] = int(utcnow().timestamp())
            session["pending_next"] = target
            return redirect(url_for("auth.login_code"))
        return _finish_sign_in(user, target)
    return render_template("auth/login.html", form=form)


def _store_rehash(user: User, new_hash: str) -> None:
    """Keep a hash made with today's settings. Several sign-ins of one account can race
    here, so this is a conditional UPDATE outside the row's version check: the first
    wins, the others change nothing, and none fails with a stale-row error."""
    db.session.execute(
        update(User)
        .where(User.id == user.id, User.password_hash == user.password_hash)
        .values(password_hash=new_hash)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(user, ["password_hash"])


def _finish_sign_in(user: User, target: str | None) -> ResponseReturnValue:
    session.clear()  # nothing from before sign-in carries over
    # The audit row is saved first: if the database cannot take it (unavailable, disk
    # full), the error page says nothing was saved, and the person is not signed in.
    audit.record("auth.login", user, object_type="user", object_id=user.id)
    db.session.commit()
    login_user(user)
    start_session()
    response = redirect(target or url_for("main.index"))
    devices.remember(request, response, user.id)  # this browser now has its own budget
    return response


def _pending_user() -> User | None:
    """The person who gave the right password and now owes a code (for five minutes)."""
    started = session.get("pending_at", 0)
    if int(utcnow().timestamp()) - started > PENDING_SECONDS:
        return None
    return load_user(session.get("pending_user", ""))


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> ResponseReturnValue:
    """Second step of sign-in: the code from the person's authenticator app."""
    user = _pending_user()
    if user is None:
        session.clear()
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        # Codes have a budget of their own, reserved before the code is checked.
        reservation = signin.reserve_code(user)
        if reservation.refused_by:
            form.code.errors = [*form.code.errors, str(reservation.refused_by.message)]
            return render_template("auth/code.html", form=form), 429
        code, left = submitted(form.code.data), None
        try:
            if recovery_codes.looks_like(code):  # the phone is lost: one paper code instead
                left = recovery_codes.redeem(user, code)
            else:
                two_step.verify_code(user, code)
        except two_step.CodeRejected as exc:
            audit.record(
                "auth.login",
                user,
                outcome="failed",
                object_type="user",
                object_id=user.id,
                step="code",
            )
            db.session.commit()
            form.code.errors = [*form.code.errors, str(exc)]
            return render_template("auth/code.html", form=form), 200
        signin.give_back(reservation)
        response = _finish_sign_in(user, session.get("pending_next"))
        if left is not None:
            flash(
                ngettext(
                    "You used a recovery code; %(num)d left. You can make new ones on your "
                    "account page.",
                    "You used a recovery code; %(num)d left. You can make new ones on your "
                    "account page.",
                    left,
                ),
                "info",
            )
        return response
    return render_template("auth/code.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Sign out: the session cookie stops working everywhere."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id) or abort(404)
        user.session_version += 1
        audit.record("auth.logout", user, object_type="user", object_id=user.id)
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
