"""A person's own account: change password, turn on two-step sign-in, choose a language."""

from flask import Blueprint, flash, make_response, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_user

from .. import permissions, secrets_crypto
from ..extensions import db
from ..services import audit, languages, recovery_codes, signin, two_step
from ..services.passwords import PasswordRejected, hash_password, verify
from .forms import CodeForm, LanguageForm, PasswordChangeForm, language_form, submitted
from .security import start_session

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
def index() -> ResponseReturnValue:
    """Account settings."""
    return render_template(
        "account/index.html",
        required=permissions.two_step_required(current_user),
        language_form=_language_form(),
    )


def _language_form() -> LanguageForm:
    return language_form(current_user.language, _("The one my browser asks for"))


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    """Choose the language the program speaks to me."""
    form = _language_form()
    if form.validate_on_submit():
        try:
            languages.set_language(current_user, form.language.data, actor=current_user)
        except languages.LanguageError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for(".index"))
        db.session.commit()
        refresh()  # this request chose its language already: say "saved" in the new one
        flash(_("Saved. The program now speaks the language you chose."), "success")
    return redirect(url_for(".index"))


@bp.route("/password", methods=["GET", "POST"])
def password() -> ResponseReturnValue:
    """Change my password; my other sessions end, this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        reservation = signin.reserve_current_password(current_user)
        ok = False
        if reservation.refused_by:
            form.current.errors = [*form.current.errors, str(reservation.refused_by.message)]
        else:
            ok = verify(current_user.password_hash, submitted(form.current.data))[0]
            if ok:
                signin.give_back(reservation)
                db.session.commit()
            else:
                form.current.errors = [
                    *form.current.errors,
                    _("That is not your current password."),
                ]
        if ok:
            try:
                current_user.password_hash = hash_password(
                    submitted(form.new.data), (current_user.username, current_user.display_name)
                )
            except PasswordRejected as exc:
                form.new.errors = [*form.new.errors, str(exc)]
            else:
                current_user.session_version += 1
                forced = current_user.must_change_password
                current_user.must_change_password = False
                audit.record(
                    "user.password_change",
                    current_user,
                    object_type="user",
                    object_id=current_user.id,
                )
                db.session.commit()
                _keep_this_session()
                flash(_("Your password is changed. Other devices are signed out."), "success")
                # After a forced change, on to where they were going: their start page.
                return redirect(url_for("main.index" if forced else ".index"))
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
    secret = _pending_secret()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            two_step.enable(current_user, secret, submitted(form.code.data))
        except two_step.CodeRejected as exc:
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            codes = recovery_codes.replace(current_user)
            db.session.commit()
            _keep_this_session()
            flash(_("Two-step sign-in is on."), "success")
            return _codes_page(codes)
    uri = two_step.provisioning_uri(current_user, secret)
    return render_template(
        "account/two_step.html",
        form=form,
        qr=two_step.qr_svg(uri),
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    )


# The pending secret waits in the session cookie between the page and its POST. The
# cookie is signed, not encrypted, so it holds the secret sealed as the database does.
_PENDING = "totp_pending"


def _pending_secret() -> str:
    sealed = session.get(_PENDING)
    if sealed:
        try:
            return secrets_crypto.decrypt(sealed)
        except secrets_crypto.SecretUnreadable:
            pass  # sealed under another key (SECRET_KEY rotated): start again
    secret = two_step.new_secret()
    session[_PENDING] = secrets_crypto.encrypt(secret)
    return secret


def _codes_page(codes: list[str]) -> ResponseReturnValue:
    """New recovery codes, shown once in the answer to the POST that made them: they
    never travel in a cookie, and the database keeps only their hashes."""
    response = make_response(
        render_template(
            "account/recovery_codes.html",
            form=CodeForm(formdata=None),
            codes=codes,
            remaining=recovery_codes.remaining(current_user),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/recovery-codes", methods=["GET", "POST"])
def recovery() -> ResponseReturnValue:
    """Recovery codes: shown once when made; new ones need a code from the app."""
    if not current_user.totp_secret:
        return redirect(url_for(".two_step_setup"))
    form = CodeForm()
    if form.validate_on_submit():
        # New codes are a way in without the phone: guessing here uses the sign-in code budget.
        reservation = signin.reserve_code(current_user)
        try:
            if reservation.refused_by:
                raise two_step.CodeRejected(str(reservation.refused_by.message))
            two_step.verify_code(current_user, submitted(form.code.data))
        except two_step.CodeRejected as exc:
            db.session.commit()
            form.code.errors = [*form.code.errors, str(exc)]
        else:
            signin.give_back(reservation)
            codes = recovery_codes.replace(current_user)
            db.session.commit()
            flash(_("You have new recovery codes. The old ones no longer work."), "success")
            return _codes_page(codes)
    return render_template(
        "account/recovery_codes.html",
        form=form,
        codes=None,
        remaining=recovery_codes.remaining(current_user),
    )
