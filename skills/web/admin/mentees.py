"""Admin pages for mentee records: list, add (with login and staff), edit, discharge,
readmit, link and unlink a login."""

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...models import Mentee, User
from ...services import mentee_standing, people, people_flows, people_queries
from ...timeutil import today
from ..forms import EmptyForm, SelectChoice, submitted
from ..loading import audit_list, audit_view
from . import (
    PER_PAGE,
    allowed_if,
    bp,
    form_version,
    mentee_or_404,
    org_id,
    page_number,
    page_of,
    save,
    show_refusal,
    user_or_404,
)
from .forms import DischargeForm, LinkLoginForm, MenteeEnrolForm, MenteeForm, SearchForm
from .people import admin_language_form, save_language


@bp.route("/mentees")
@allowed_if(permissions.can_manage_people)
def mentees() -> ResponseReturnValue:
    """Every mentee record in the organisation, with their current staff; ?q= searches
    names, record numbers and login usernames."""
    search = SearchForm(formdata=request.args)
    rows = people_queries.mentees_page(org_id(), page_number(), PER_PAGE, search.q.data)
    page = page_of(rows)
    staff = people_queries.staff_names([m.id for m in page.items], today(current_user))
    audit_list("admin_mentees", [m.id for m in page.items])
    return render_template("admin/mentees.html", page=page, staff=staff, search=search)


def _staff_choices(kind: str, none_yet: str) -> list[SelectChoice]:
    """The organisation's active staff holding `kind`, after the `none_yet` choice."""
    return [SelectChoice("", none_yet)] + [
        SelectChoice(user.id, f"{user.display_name} ({user.username})")
        for user in people_queries.assignable_staff(org_id())
        if user.has_role(kind)
    ]


def _chosen(user_id: int | None) -> User | None:
    return user_or_404(user_id) if user_id is not None else None


def _enrolled_message(done: people_flows.Enrolled) -> str:
    message = _(
        "Added %(name)s as record %(number)s.",
        name=done.mentee.name,
        number=done.mentee.record_number,
    )
    if done.login is not None:
        message += " " + _(
            "They sign in as “%(username)s” and choose their own password at the first sign-in.",
            username=done.login.username,
        )
    for assignment in done.assignments:
        staff = assignment.staff.display_name
        message += " " + (
            _("%(name)s is their mentor from today.", name=staff)
            if assignment.kind == "mentor"
            else _("%(name)s is their case manager from today.", name=staff)
        )
    return message


@bp.route("/mentees/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_new() -> ResponseReturnValue:
    """Add a mentee record and, in the same step, a login, a mentor and a case manager:
    all of it is saved, or none. A possible duplicate is shown and must be confirmed."""
    form = MenteeEnrolForm(
        data={"start_date": today(current_user)} if request.method == "GET" else None
    )
    form.mentor_id.choices = _staff_choices("mentor", _("No mentor for now"))
    form.case_manager_id.choices = _staff_choices("case_manager", _("No case manager for now"))
    duplicates: list[Mentee] = []

    def show(exc: Exception) -> None:
        if isinstance(exc, people_flows.PossibleDuplicate):
            duplicates.extend(exc.others)
        show_refusal(form, exc)

    if form.validate_on_submit():
        new = people_flows.NewMentee(
            full_name=submitted(form.full_name.data),
            start_date=submitted(form.start_date.data),
            record_number=form.record_number.data,
            preferred_name=form.preferred_name.data,
            username=form.username.data,
            password=form.password.data,
            mentor=_chosen(form.mentor_id.data),
            case_manager=_chosen(form.case_manager_id.data),
        )
        saved = save(
            form,
            lambda: people_flows.enrol_mentee(
                current_user.organisation,
                new,
                current_user,
                confirm_duplicate=bool(form.confirm_duplicate.data),
            ),
            _enrolled_message,
            show=show,
        )
        if saved:
            return redirect(url_for(".mentee_edit", mentee_id=saved.value.mentee.id))
    return render_template("admin/mentee_new.html", form=form, duplicates=duplicates), (
        422 if form.errors else 200
    )


def _link_form(mentee: Mentee, formdata: bool = False) -> LinkLoginForm:
    form = LinkLoginForm() if formdata else LinkLoginForm(formdata=None)
    form.user_id.choices = [
        SelectChoice(user.id, f"{user.display_name} ({user.username})")
        for user in people_queries.linkable_logins(mentee.organisation_id)
    ]
    return form


def _mentee_page(
    mentee: Mentee,
    form: MenteeForm | None = None,
    link_form: LinkLoginForm | None = None,
) -> ResponseReturnValue:
    """The mentee's admin page; a form given in is the one just submitted, errors and all."""
    if form is None:
        form = MenteeForm(
            formdata=None,
            data={
                "full_name": mentee.full_name,
                "preferred_name": mentee.preferred_name or "",
                "record_number": mentee.record_number,
                "start_date": mentee.start_date,
                "version_id": mentee.version_id,
            },
        )
    link_form = link_form or _link_form(mentee)
    return render_template(
        "admin/mentee_edit.html",
        mentee=mentee,
        form=form,
        link_form=link_form,
        language_form=admin_language_form(mentee.user) if mentee.user else None,
        assignments=people_queries.mentee_assignments(mentee),
        earliest=people.earliest_shown_on(mentee),
        on=today(current_user),
    )


@bp.route("/mentees/<int:mentee_id>", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_edit(mentee_id: int) -> ResponseReturnValue:
    """Change a mentee's names, record number and start date."""
    mentee = mentee_or_404(mentee_id)
    if request.method == "GET":
        audit_view(mentee, "mentee", mentee.id)
        return _mentee_page(mentee)
    form = MenteeForm()
    if form.validate_on_submit() and save(
        form,
        lambda: people.update_mentee(
            mentee,
            submitted(form.full_name.data),
            form.preferred_name.data,
            form.record_number.data,
            submitted(form.start_date.data),
            form_version(form),
            actor=current_user,
        ),
        lambda _saved: _("Saved the changes to %(name)s.", name=mentee.name),
    ):
        return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, form=form)


@bp.route("/mentees/<int:mentee_id>/discharge", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_discharge(mentee_id: int) -> ResponseReturnValue:
    """Ask, then discharge a mentee; their history and assignments stay readable."""
    mentee = mentee_or_404(mentee_id)
    form = DischargeForm(
        data={"discharged_on": today(current_user)} if request.method == "GET" else None
    )
    if form.validate_on_submit() and save(
        form,
        lambda: mentee_standing.discharge_mentee(
            mentee, submitted(form.discharged_on.data), actor=current_user
        ),
        lambda _saved: _("%(name)s is discharged.", name=mentee.name),
    ):
        return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return render_template("admin/mentee_discharge.html", mentee=mentee, form=form), (
        422 if form.errors else 200
    )


@bp.route("/mentees/<int:mentee_id>/readmit", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_readmit(mentee_id: int) -> ResponseReturnValue:
    """Make a discharged mentee active again."""
    mentee = mentee_or_404(mentee_id)
    form = EmptyForm()
    if form.validate_on_submit():
        save(
            form,
            lambda: mentee_standing.readmit_mentee(mentee, actor=current_user),
            lambda _saved: _("%(name)s is active again.", name=mentee.name),
        )
    return redirect(url_for(".mentee_edit", mentee_id=mentee.id))


@bp.route("/mentees/<int:mentee_id>/link", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_link(mentee_id: int) -> ResponseReturnValue:
    """Link a mentee login to this record, so they see their own progress."""
    mentee = mentee_or_404(mentee_id)
    form = _link_form(mentee, formdata=True)
    if form.validate_on_submit():
        user = user_or_404(form.user_id.data)
        if save(
            form,
            lambda: mentee_standing.link_login(mentee, user, actor=current_user),
            lambda _saved: _(
                "%(login)s now signs in to %(name)s's record.",
                login=user.display_name,
                name=mentee.name,
            ),
        ):
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, link_form=form)


@bp.route("/mentees/<int:mentee_id>/unlink", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_unlink(mentee_id: int) -> ResponseReturnValue:
    """Unlink the login from this record: it stops seeing the record at once, and stays
    active so it can be linked again (deactivate it on its People page to stop it)."""
    mentee = mentee_or_404(mentee_id)
    form = EmptyForm()
    if form.validate_on_submit():
        save(
            form,
            lambda: mentee_standing.unlink_login(mentee, actor=current_user),
            lambda user: _(
                "%(login)s (%(username)s) no longer signs in to %(name)s's record. The login "
                "is still active: link it again, or deactivate it.",
                login=user.display_name,
                username=user.username,
                name=mentee.name,
            ),
        )
    return redirect(url_for(".mentee_edit", mentee_id=mentee.id))


@bp.route("/mentees/<int:mentee_id>/language", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_language(mentee_id: int) -> ResponseReturnValue:
    """Set the language the mentee's login reads the program in; 404 with no login."""
    mentee = mentee_or_404(mentee_id)
    save_language(mentee.user or abort(404))
    return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
