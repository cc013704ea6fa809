"""The mentee's own pages: notes shared with them, and their comments."""

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...extensions import db
from ...models import Mentee
from ...models.session_notes import SessionNote
from ...services import session_note_queries as queries
from ...services import session_notes as notes
from ...services.people_queries import mentee_record_of
from ..forms import submitted
from .blueprint import bp, show_error
from .forms import CommentForm


def _own_record() -> Mentee:
    permissions.require(permissions.can_use_mentee_pages(current_user))
    return mentee_record_of(current_user) or abort(404)


@bp.route("/me/notes")
def my_notes() -> ResponseReturnValue:
    """Notes from my sessions that my mentor shared with me."""
    mentee = _own_record()
    found = queries.notes_for(mentee, permissions.MENTEE_COPY)
    return render_template(
        "session_notes/mine.html",
        mentee=mentee,
        notes=found,
        parts=queries.parts(n.id for n in found),
    )


def _own_note(note_id: int) -> tuple[SessionNote, Mentee]:
    mentee = _own_record()
    note = db.session.get(SessionNote, note_id)
    # A note not shared with me is, to me, a note that does not exist.
    if note is None or not permissions.is_shared_with(current_user, note):
        abort(404)
    return note, mentee


@bp.route("/me/notes/<int:note_id>")
def my_note(note_id: int) -> ResponseReturnValue:
    """One shared note, and what I said about it."""
    note, mentee = _own_note(note_id)
    return _my_note_page(note, mentee, CommentForm(), 200)


def _my_note_page(
    note: SessionNote, mentee: Mentee, form: CommentForm, code: int
) -> ResponseReturnValue:
    return render_template(
        "session_notes/my_note.html",
        note=note,
        mentee=mentee,
        parts=queries.parts([note.id]),
        form=form,
    ), code


@bp.route("/me/notes/<int:note_id>/comment", methods=["POST"])
def comment(note_id: int) -> ResponseReturnValue:
    """Add my own words to a shared note."""
    note, mentee = _own_note(note_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            notes.add_comment(note, current_user, submitted(form.words.data))
        except notes.SessionNoteError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Thank you. Your comment is saved, and your mentor can read it."), "success")
            return redirect(url_for(".my_note", note_id=note.id))
    return _my_note_page(note, mentee, form, 422)
