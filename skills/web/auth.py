"""Sign-in and sign-out."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..models import User
from ..services import audit, signin
from ..services.passwords import verify
from .forms import EmptyForm, LoginForm
from .security import start_session

bp = Blueprint("auth", __name__)


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
def login():
    """Sign in with username and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        if signin.is_throttled(username):
            audit.record(
                "auth.login",
                None,
                outcome="throttled",
                object_type="username",
                object_id=username[:64],
            )
            db.session.commit()
            form.password.errors.append(
                "Too many tries for this account. Wait one minute, then try again."
            )
            return render_template("auth/login.html", form=form), 429
        user = db.session.scalar(select(User).where(User.username == username))
        ok, new_hash = verify(user.password_hash, form.password.data) if user else (False, None)
        if not ok or not user.active:
            signin.record_failure(username)
            audit.record(
                "auth.login",
                user if ok else None,
                outcome="failed",
                object_type="user" if user else "username",
                object_id=user.id if user else username[:64],
                organisation_id=user.organisation_id if user else None,
            )
            db.session.commit()
            form.password.errors.append(
                "That username and password do not match an active account."
            )
            return render_template("auth/login.html", form=form), 200
        if new_hash:
            user.password_hash = new_hash
        session.clear()  # nothing from before sign-in carries over
        login_user(user)
        start_session()
        audit.record("auth.login", user, object_type="user", object_id=user.id)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: the session cookie stops working everywhere."""
    form = EmptyForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        user.session_version += 1
        audit.record("auth.logout", user, object_type="user", object_id=user.id)
        db.session.commit()
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
