"""The session notes blueprint and what its views share: loading a note, showing a
service's refusal beside its field, reading the contact fields of a form, and the
labels the templates use."""

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined,unused-ignore]

from ... import permissions
from ...extensions import db
from ...models import Mentee
from ...models.session_notes import SessionNote
from ...services import session_notes as notes
from ...services.curriculum_view import CurriculumView
from ...services.people_queries import active_mentees_of
from ..forms import submitted
from ..loading import load_mentee
from .forms import MODE_LABELS, VISIBILITY_LABELS, ContactForm

bp = Blueprint("session_notes", __name__)


def show_error(form: FlaskForm, exc: Exception) -> None:
    """A refusal beside the field it names, else at the top of the form."""
    name = getattr(exc, "field", None)
    target = form[name] if name and name in form else None
    if target is not None and target.type != "HiddenField":
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def load_note(note_id: int) -> tuple[SessionNote, Mentee]:
    """The note, or 404 (also for another organisation's); 403 for staff who may not read it."""
    note = db.session.get(SessionNote, note_id) or abort(404)
    mentee = load_mentee(
        note.mentee_id,
        lambda user, _mentee: (
            permissions.can_read_session_note(user, note) or permissions.is_self(user, note.mentee)
        ),
        action=None,
    )
    return note, mentee


def my_active_mentees() -> list[Mentee]:
    """The signed-in mentor's current, active mentees, by name."""
    return active_mentees_of(current_user)


def contact_details(form: ContactForm, how_it_went: str = "") -> notes.NoteDetails:
    """The details of a validated contact form."""
    return notes.NoteDetails(
        contact_on=submitted(form.contact_on.data),
        starts_at=submitted(form.starts_at.data),
        ends_at=submitted(form.ends_at.data),
        mode=form.mode.data or "",
        place=form.place.data or "",
        what_we_did=form.what_we_did.data or "",
        how_it_went=how_it_went,
        next_step=form.next_step.data or "",
        note_visibility=form.note_visibility.data or "staff",
        skill_ids=list(form.skill_ids.data or []),
    )


def skill_choices(view: CurriculumView) -> list[SelectChoice]:
    """Every skill of the organisation's curricula, grouped by area."""
    return [
        SelectChoice(s.id, s.title, optgroup=d.title)
        for d in view.domains
        for s in view.skills.get(d.id, [])
    ]


def level_label(view: CurriculumView, curriculum_id: int, value: int) -> str:
    """A level as the level choices write it: "3 · Can do it on my own"."""
    level = view.level(curriculum_id, value)
    return f"{value} · {level.name}" if level else str(value)


def level_choices(view: CurriculumView) -> list[SelectChoice]:
    """The level scale(s) in use; a value named differently by two curricula shows both
    names (the sign-off service checks the level against the skill's own scale)."""
    names: dict[int, list[str]] = {}
    for levels in view.levels.values():
        for level in levels:
            if level.name not in names.setdefault(level.value, []):
                names[level.value].append(level.name)
    return [
        SelectChoice("", _("Choose a level")),
        *(SelectChoice(value, f"{value} · {' / '.join(names[value])}") for value in sorted(names)),
    ]


@bp.app_context_processor
def _labels() -> dict:
    def note_mode(value: str) -> str:
        """How a contact was made, in the reader's language."""
        label = MODE_LABELS.get(value)
        return str(label) if label is not None else value

    def note_visibility(value: str) -> str:
        label = VISIBILITY_LABELS.get(value)
        return str(label) if label is not None else value

    return {"note_mode": note_mode, "note_visibility_label": note_visibility}
