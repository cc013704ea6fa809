"""Writing session notes: one mentee (with sign-offs linked or made from the form), a
group contact, and editing a note until it is signed."""

import uuid
from dataclasses import asdict

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined,unused-ignore]

from ... import permissions
from ...extensions import db
from ...i18n import local_date, local_time
from ...models import Mentee
from ...services import session_note_edits as edits
from ...services import session_note_groups as groups
from ...services import session_note_queries as queries
from ...services import session_notes as notes
from ...services.curriculum_view import CurriculumView, reading_language
from ...services.view_cache import cached_view
from ...timeutil import zone
from ..forms import choices
from ..loading import audit_list, audit_view
from .blueprint import (
    bp,
    contact_details,
    level_choices,
    level_label,
    load_note,
    my_active_mentees,
    show_error,
    skill_choices,
)
from .forms import ContactForm, EditNoteForm, GroupNoteForm, SessionNoteForm


def _skill_boxes(form: ContactForm, view: CurriculumView) -> None:
    form.skill_ids.choices = choices(
        (s.id, s.title) for d in view.domains for s in view.skills.get(d.id, [])
    )


def _new_signoff(form: SessionNoteForm) -> notes.NewSignoff | None:
    skill_id, level = form.signoff_skill_id.data, form.signoff_level.data
    if skill_id is None or level is None:
        return None
    return notes.NewSignoff(skill_id, level, allow_lower=bool(form.confirm_lower.data))


@bp.route("/mentor/notes/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Write a session note for one of my mentees (a phone-sized form); a sign-off of
    the session can be made from it."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    mentees = my_active_mentees()
    form = SessionNoteForm()
    form.mentee_id.choices = [
        SelectChoice("", _("Choose a mentee")),
        *choices((m.id, m.name) for m in mentees),
    ]
    view = cached_view(current_user.organisation_id)
    _skill_boxes(form, view)
    form.signoff_skill_id.choices = [
        SelectChoice("", _("No sign-off in this session")),
        *skill_choices(view),
    ]
    form.signoff_level.choices = level_choices(view)
    wanted = form.mentee_id.data or request.args.get("mentee_id", type=int)
    chosen = next((m for m in mentees if m.id == wanted), None)
    now = notes.local_now(current_user.organisation)
    linkable = queries.linkable_signoffs(chosen, current_user, now.date()) if chosen else []
    here = zone(current_user.organisation)
    form.signoff_ids.choices = choices(
        (
            e.id,
            # The level by name, as the sign-off form says it, and when it was entered:
            # two sign-offs of one skill on one day must not read the same.
            _(
                "%(skill)s · %(level)s · %(date)s, entered at %(time)s",
                skill=e.skill.text_in("title", reading_language()),
                level=level_label(view, e.skill.curriculum_id, e.level),
                date=local_date(e.shown_on),
                time=local_time(e.recorded_at.astimezone(here).time()),
            ),
        )
        for e in linkable
    )
    code = 200
    confirm_lower = False
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            # Only a mentee offered on the form: any other id gets the same words, so the
            # form never says who another id belongs to.
            mentee = next((m for m in mentees if m.id == form.mentee_id.data), None)
            try:
                if mentee is None:
                    raise notes.SessionNoteError(
                        _("Choose one of your mentees from the list."), "mentee_id"
                    )
                details = contact_details(form, form.how_it_went.data or "")
                details.signoff_ids = list(form.signoff_ids.data or [])
                note = notes.record_note(
                    mentee,
                    current_user,
                    details,
                    idempotency_key=form.idempotency_key.data or None,
                    signoff=_new_signoff(form),
                )
            except notes.SessionNoteError as exc:
                db.session.rollback()
                show_error(form, exc)
                confirm_lower = exc.field == "confirm_lower"
            else:
                db.session.commit()
                flash(
                    _(
                        "Session note saved for %(name)s. You can still edit it; sign it "
                        "when it is complete.",
                        name=mentee.name,
                    ),
                    "success",
                )
                return redirect(url_for(".show", note_id=note.id))
    else:
        if chosen is not None:
            form.mentee_id.data = chosen.id
            audit_view(chosen, "session_note_form", chosen.id)  # it lists their sign-offs
        form.contact_on.data = now.date()
        form.idempotency_key.data = uuid.uuid4().hex
    return render_template(
        "session_notes/new.html",
        form=form,
        view=view,
        chosen=chosen,
        has_mentees=bool(mentees),
        show_form=chosen is not None or request.method == "POST",
        confirm_lower=confirm_lower or bool(form.confirm_lower.errors),
    ), code


def _members(mentees: list[Mentee]) -> list[groups.GroupMember]:
    """Read each mentee's row of the group form: came or not, and how it went."""
    return [
        groups.GroupMember(m, request.form.get(f"how_it_went-{m.id}", ""))
        for m in mentees
        if request.form.get(f"attend-{m.id}")
    ]


@bp.route("/mentor/notes/group", methods=["GET", "POST"])
def group() -> ResponseReturnValue:
    """Write the notes of a group contact: one per mentee who came, with the same time,
    mode and place, and each one's own "how it went"."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    mentees = my_active_mentees()
    form = GroupNoteForm()
    view = cached_view(current_user.organisation_id)
    _skill_boxes(form, view)
    errors: dict[int, str] = {}
    code = 200
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            try:
                saved = groups.record_group_notes(
                    current_user,
                    _members(mentees),
                    contact_details(form),
                    idempotency_key=form.idempotency_key.data or "",
                )
            except notes.SessionNoteError as exc:
                db.session.rollback()
                member = (exc.field or "").removeprefix("how_it_went-")
                if member.isdigit():  # one mentee's own words: shown beside them
                    errors[int(member)] = str(exc)
                else:
                    show_error(form, exc)
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "Group session saved: %(num)d note. Sign it when it is complete.",
                        "Group session saved: %(num)d notes, one for each mentee. Sign "
                        "each when it is complete.",
                        len(saved),
                    ),
                    "success",
                )
                return redirect(url_for("mentees.mine"))
    else:
        audit_list("group_note", [m.id for m in mentees])  # the form lists them
        form.contact_on.data = notes.local_now(current_user.organisation).date()
        form.idempotency_key.data = uuid.uuid4().hex
    return render_template(
        "session_notes/group.html",
        form=form,
        view=view,
        mentees=mentees,
        errors=errors,
        modifiers=groups.group_modifiers(current_user.organisation),
    ), code


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
def edit(note_id: int) -> ResponseReturnValue:
    """Change an unsigned note of mine; what it said before is kept as a version."""
    note, mentee = load_note(note_id)
    permissions.require(permissions.can_edit_session_note(current_user, note))
    view = cached_view(mentee.organisation_id)
    if request.method == "POST":
        form = EditNoteForm()
    else:
        current = asdict(edits.details_of(note))
        form = EditNoteForm(data={**current, "seen_versions": str(edits.version_count(note))})
        audit_view(mentee, "session_note", note.id)
    _skill_boxes(form, view)
    code = 200
    if request.method == "POST":
        code = 422
        seen = form.seen_versions.data or ""
        if form.validate_on_submit():
            try:
                version = edits.edit_note(
                    note,
                    current_user,
                    contact_details(form, form.how_it_went.data or ""),
                    seen_versions=int(seen) if seen.isdigit() else -1,
                )
            except notes.SessionNoteError as exc:
                db.session.rollback()
                show_error(form, exc)
            else:
                db.session.commit()
                flash(
                    _("Note changed. The earlier version is kept with it.")
                    if version
                    else _("Nothing was changed."),
                    "success",
                )
                return redirect(url_for(".show", note_id=note.id))
    return render_template(
        "session_notes/edit.html", form=form, note=note, mentee=mentee, view=view
    ), code
