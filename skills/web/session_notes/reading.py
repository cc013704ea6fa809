"""Reading session notes as staff, signing them and adding addenda."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...extensions import db
from ...models import Mentee
from ...models.session_notes import SessionNote
from ...services import session_note_edits as edits
from ...services import session_note_groups as groups
from ...services import session_note_queries as queries
from ...services import session_notes as notes
from ..forms import EmptyForm, submitted
from ..loading import audit_view, load_mentee
from .blueprint import bp, load_note, show_error
from .forms import AddendumForm


@bp.route("/mentees/<int:mentee_id>/notes")
def mentee_notes(mentee_id: int) -> ResponseReturnValue:
    """Every session note about a mentee, newest first (staff)."""
    mentee = load_mentee(mentee_id, permissions.can_view_mentee, action=None)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_notes"))
    if not permissions.can_view_staff_notes(current_user, mentee):
        abort(403)
    audit_view(mentee, "session_notes", mentee.id)
    found = queries.notes_for(mentee, permissions.viewer_for(current_user, mentee))
    return render_template(
        "session_notes/list.html",
        mentee=mentee,
        notes=found,
        parts=queries.parts(n.id for n in found),
        can_write=permissions.can_sign_off(current_user, mentee),
        today=notes.local_now(mentee.organisation).date(),
    )


@bp.route("/notes/<int:note_id>")
def show(note_id: int) -> ResponseReturnValue:
    """One note in full, with its addenda, the mentee's comments and earlier versions;
    sign it here."""
    note, mentee = load_note(note_id)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_note", note_id=note.id))
    audit_view(mentee, "session_note", note.id)
    return _show_page(note, mentee, AddendumForm(), 200)


def _show_page(
    note: SessionNote, mentee: Mentee, addendum: AddendumForm, code: int
) -> ResponseReturnValue:
    return render_template(
        "session_notes/show.html",
        note=note,
        mentee=mentee,
        parts=queries.parts([note.id]),
        versions=edits.versions_of(note),
        group_size=groups.group_size(note),
        can_sign=permissions.can_sign_session_note(current_user, note),
        can_edit=permissions.can_edit_session_note(current_user, note),
        addendum_form=addendum,
        sign_form=EmptyForm(),
        today=notes.local_now(mentee.organisation).date(),
    ), code


@bp.route("/notes/<int:note_id>/sign", methods=["POST"])
def sign(note_id: int) -> ResponseReturnValue:
    """The author signs the note with their name and credential."""
    note, _mentee = load_note(note_id)
    permissions.require(permissions.can_sign_session_note(current_user, note))
    if EmptyForm().validate_on_submit():
        try:
            notes.sign_note(note, current_user)
        except notes.SessionNoteError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            if exc.field == "credential":
                return redirect(url_for(".credential", next_note=note.id))
        else:
            db.session.commit()
            if note.late:
                flash(_("Note signed late: it is listed apart in the billing export."), "info")
            else:
                flash(_("Note signed."), "success")
    return redirect(url_for(".show", note_id=note.id))


@bp.route("/notes/<int:note_id>/addendum", methods=["POST"])
def addendum(note_id: int) -> ResponseReturnValue:
    """Add a correction or addition to a signed note; the note itself stays."""
    note, mentee = load_note(note_id)
    permissions.require(permissions.can_sign_session_note(current_user, note))
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            notes.add_addendum(note, current_user, submitted(form.text.data))
        except notes.SessionNoteError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Addendum added."), "success")
            return redirect(url_for(".show", note_id=note.id))
    return _show_page(note, mentee, form, 422)
