"""A person's own account: change password, turn on two-step sign-in."""

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user

from .. import permissions
from ..extensions import db
from ..services import audit, two_step
from ..services.passwords import PasswordRejected, hash_password, verify
from .forms import CodeForm, PasswordChangeForm, submitted
from .security import start_session

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
def index() -> ResponseReturnValue:
    """Account settings."""
    return render_template(
        "account/index.html", required=permissions.two_step_required(current_user)
    )


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change my password; my other sessions end, this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        ok, _ = verify(current_user.password_hash, submitted(form.current.data))
        if not ok:
            form.current.errors = [*form.current.errors, "That is not your current password."]
        else:
            try:
                current_user.password_hash = hash_password(submitted(form.new.data))
            except PasswordRejected as exc:
                form.new.errors = [*form.new.errors, str(exc)]
            else:
                current_user.session_version += 1
                audit.record(
                    "user.password_change",
                    current_user,
                    object_type="user",
                    object_id=current_user.id,
                )
                db.session.commit()
                _keep_this_session()
                flash("Your password is changed. Other devices are signed out.", "success")
                return redirect(url_for(".index"))
    return render_template("account/password.html", form=form)


def _keep_this_session() -> None:
    user = current_user._get_current_object()
    session.clear()
    login_user(user)
    start_session()


@bp.route("/two-step", methods=["GET", "POST"])
def two_step_setup() -> ResponseReturnValue:
    """Turn on two-step sign-in: scan the code, then type what the app shows."""
    if current_user.totp_secret:
        return render_template("account/two_step_on.html")
    secret = session.get("totp_pending") or two_step.new_secret()
    session["totp_pending"] = secret
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_step.enable(current_user, secret, submitted(form.code.data))
        except two_step.CodeRejected as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            db.session.commit()
            _keep_this_session()
            flash("Two-step sign-in is on.", "success")
            return redirect(url_for(".index"))
    uri = two_step.provisioning_uri(current_user, secret)
    return render_template(
        "account/two_step.html",
        form=form,
        qr=two_step.qr_svg(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )
