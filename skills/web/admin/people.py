"""Admin pages for logins: list, add, edit, deactivate, reactivate, reset password."""

from collections.abc import Callable

from flask import redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from ... import permissions
from ...models import Assignment, User
from ...services import languages, people, people_flows, people_queries
from ...timeutil import today
from ..forms import EmptyForm, LanguageForm, language_form, submitted
from ..security import start_session
from . import (
    PER_PAGE,
    allowed_if,
    bp,
    form_version,
    org_id,
    page_number,
    page_of,
    save,
    user_or_404,
)
from .forms import DeactivateForm, PasswordResetForm, SearchForm, UserEditForm, UserForm


def _keep_own_session(user: User) -> None:
    # An admin changing their own roles ends their other sessions, not this one. No
    # password was asked for, so the original sign-in time (absolute timeout) stays.
    if user.id != current_user.id:
        return
    signed_in_at = session.get("signed_in_at")
    session.clear()
    login_user(user)
    start_session()
    if signed_in_at:
        session["signed_in_at"] = signed_in_at


@bp.route("/people", endpoint="people")
@allowed_if(permissions.can_manage_people)
def people_list() -> ResponseReturnValue:
    """Everyone with a login in the organisation; ?q= searches names and usernames."""
    search = SearchForm(formdata=request.args)
    rows = people_queries.people_page(org_id(), page_number(), PER_PAGE, search.q.data)
    return render_template("admin/people.html", page=page_of(rows), search=search)


@bp.route("/people/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_new() -> ResponseReturnValue:
    """Add a login."""
    form = UserForm()
    if form.validate_on_submit() and save(
        form,
        lambda: people.create_user(
            current_user.organisation,
            submitted(form.username.data),
            submitted(form.display_name.data),
            submitted(form.password.data),
            submitted(form.roles.data),
            actor=current_user,
            must_change_password=True,
        ),
        lambda user: _(
            "%(name)s can now sign in as “%(username)s” and will choose their own "
            "password at the first sign-in.",
            name=user.display_name,
            username=user.username,
        ),
    ):
        return redirect(url_for(".people"))
    return render_template("admin/person_new.html", form=form)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_edit(user_id: int) -> ResponseReturnValue:
    """Change a person's name and roles; a role change ends their sessions."""
    user = user_or_404(user_id)
    initial = None
    if request.method == "GET":
        initial = {
            "display_name": user.display_name,
            "roles": sorted(user.role_set),
            "version_id": user.version_id,
        }
    form = UserEditForm(data=initial)
    if form.validate_on_submit() and save(
        form,
        lambda: people.update_user(
            user,
            submitted(form.display_name.data),
            submitted(form.roles.data),
            form_version(form),
            actor=current_user,
        ),
        lambda _saved: _("Saved the changes to %(name)s.", name=user.display_name),
        then=lambda _saved: _keep_own_session(user),
    ):
        return redirect(url_for(".person_edit", user_id=user.id))
    return render_template(
        "admin/person_edit.html", user=user, form=form, language_form=admin_language_form(user)
    )


def admin_language_form(user: User) -> LanguageForm:
    """The chooser of the language `user` reads the program in, as an admin sees it."""
    return language_form(user.language, _("Their browser's language"))


def _language_message(user: User) -> str:
    if user.language in languages.LANGUAGES:
        return _(
            "%(name)s now reads the program in %(language)s.",
            name=user.display_name,
            language=languages.LANGUAGES[user.language],
        )
    return _("%(name)s now reads the program in their browser's language.", name=user.display_name)


def save_language(user: User) -> None:
    """Set the language `user` reads the program in, from the posted chooser."""
    form = admin_language_form(user)
    if form.validate_on_submit():
        save(
            form,
            lambda: languages.set_language(user, form.language.data, actor=current_user),
            lambda _saved: _language_message(user),
            refusals=(languages.LanguageError,),
        )


@bp.route("/people/<int:user_id>/language", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def person_language(user_id: int) -> ResponseReturnValue:
    """Set the language a person reads the program in (they can change it themself)."""
    user = user_or_404(user_id)
    save_language(user)
    return redirect(url_for(".person_edit", user_id=user.id))


def _set_active(
    user_id: int, change: Callable[..., None], done: Callable[[User], str]
) -> ResponseReturnValue:
    """Apply `change` to the person from a one-button form, then back to their page."""
    user = user_or_404(user_id)
    form = EmptyForm()
    if form.validate_on_submit():
        save(
            form,
            lambda: change(user, actor=current_user),
            lambda _saved: done(user),
        )
    return redirect(url_for(".person_edit", user_id=user.id))


def _deactivated_message(user: User, ended: list[Assignment], kept: int) -> str:
    message = _("%(name)s can no longer sign in.", name=user.display_name)
    if ended:
        message += " " + ngettext(
            "%(num)d assignment ended today.", "%(num)d assignments ended today.", len(ended)
        )
    elif kept:
        message += " " + ngettext(
            "Their %(num)d assignment stays until you end or move it.",
            "Their %(num)d assignments stay until you end or move them.",
            kept,
        )
    return message


@bp.route("/people/<int:user_id>/deactivate", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_deactivate(user_id: int) -> ResponseReturnValue:
    """Ask, then stop a person signing in (their sessions end at once) and, if the admin
    chooses, end their open assignments today."""
    user = user_or_404(user_id)
    open_now = people_queries.open_assignments_of(user, today(current_user))
    form = DeactivateForm()
    if not open_now:
        del form.assignments  # nothing to choose
    if form.validate_on_submit():
        end = bool(open_now) and form.assignments.data == "end"
        if save(
            form,
            lambda: people_flows.deactivate_staff(user, end_assignments=end, actor=current_user),
            lambda ended: _deactivated_message(user, ended, len(open_now)),
        ):
            return redirect(url_for(".person_edit", user_id=user.id))
    return render_template(
        "admin/person_deactivate.html",
        user=user,
        form=form,
        open_now=open_now,
        on=today(current_user),
    ), (422 if form.errors else 200)


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def person_reactivate(user_id: int) -> ResponseReturnValue:
    """Let a deactivated person sign in again."""
    return _set_active(
        user_id,
        people.reactivate_user,
        lambda user: _("%(name)s can sign in again.", name=user.display_name),
    )


@bp.route("/people/<int:user_id>/password", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_password(user_id: int) -> ResponseReturnValue:
    """Set a new password for a person; their sessions end."""
    user = user_or_404(user_id)
    form = PasswordResetForm()
    if form.validate_on_submit() and save(
        form,
        lambda: people.reset_password(user, submitted(form.password.data), actor=current_user),
        lambda _saved: _(
            "New password set for %(name)s. Tell them in person; they will choose their "
            "own at the next sign-in.",
            name=user.display_name,
        ),
    ):
        return redirect(url_for(".person_edit", user_id=user.id))
    return render_template("admin/person_password.html", user=user, form=form)
