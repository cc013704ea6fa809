"""Admin pages for mentee records: list, add, edit, discharge, readmit, link a login."""

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from ... import permissions
from ...models import Mentee
from ...services import people, people_queries
from ...timeutil import today
from ..forms import EmptyForm, SelectChoice, submitted
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
    user_or_404,
)
from .forms import DischargeForm, LinkLoginForm, MenteeForm


@bp.route("/mentees")
@allowed_if(permissions.can_manage_people)
def mentees() -> ResponseReturnValue:
    """Every mentee record in the organisation, with their current staff."""
    page = page_of(people_queries.mentees_page(org_id(), page_number(), PER_PAGE))
    staff = people_queries.staff_names([m.id for m in page.items])
    return render_template("admin/mentees.html", page=page, staff=staff)


@bp.route("/mentees/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_new() -> ResponseReturnValue:
    """Add a mentee record; a login can be linked later."""
    form = MenteeForm(data={"start_date": today()} if request.method == "GET" else None)
    if form.validate_on_submit() and (
        saved := save(
            form,
            lambda: people.create_mentee(
                current_user.organisation,
                submitted(form.full_name.data),
                submitted(form.start_date.data),
                record_number=form.record_number.data,
                preferred_name=form.preferred_name.data,
                actor=current_user,
            ),
            lambda mentee: f"Added {mentee.name} as record {mentee.record_number}.",
        )
    ):
        return redirect(url_for(".mentee_edit", mentee_id=saved.value.id))
    return render_template("admin/mentee_new.html", form=form)


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
    discharge_form: DischargeForm | None = None,
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
    discharge_form = discharge_form or DischargeForm(formdata=None, data={"discharged_on": today()})
    link_form = link_form or _link_form(mentee)
    return render_template(
        "admin/mentee_edit.html",
        mentee=mentee,
        form=form,
        discharge_form=discharge_form,
        link_form=link_form,
        assignments=people_queries.mentee_assignments(mentee),
        earliest=people.earliest_shown_on(mentee),
        on=today(),
    )


@bp.route("/mentees/<int:mentee_id>", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_edit(mentee_id: int) -> ResponseReturnValue:
    """Change a mentee's names, record number and start date."""
    mentee = mentee_or_404(mentee_id)
    if request.method == "GET":
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
        lambda _: f"Saved the changes to {mentee.name}.",
    ):
        return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, form=form)


@bp.route("/mentees/<int:mentee_id>/discharge", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_discharge(mentee_id: int) -> ResponseReturnValue:
    """Discharge a mentee; their history and assignments stay readable."""
    mentee = mentee_or_404(mentee_id)
    form = DischargeForm()
    if form.validate_on_submit() and save(
        form,
        lambda: people.discharge_mentee(
            mentee, submitted(form.discharged_on.data), actor=current_user
        ),
        lambda _: f"{mentee.name} is discharged.",
    ):
        return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, discharge_form=form)


@bp.route("/mentees/<int:mentee_id>/readmit", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_readmit(mentee_id: int) -> ResponseReturnValue:
    """Make a discharged mentee active again."""
    mentee = mentee_or_404(mentee_id)
    form = EmptyForm()
    if form.validate_on_submit():
        save(
            form,
            lambda: people.readmit_mentee(mentee, actor=current_user),
            lambda _: f"{mentee.name} is active again.",
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
            lambda: people.link_login(mentee, user, actor=current_user),
            lambda _: f"{user.display_name} now signs in to {mentee.name}'s record.",
        ):
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, link_form=form)
