"""Mentor and staff pages for mentees: lists, checklists, sign-offs, history."""

import uuid
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Assignment, SignoffEvent, Skill, User
from ..services import audit, signoffs
from ..services.progress import caseload_progress, curriculum_view, mentee_progress
from ..timeutil import today
from .forms import CorrectionForm, SignoffForm, choices
from .loading import deny, load_mentee

bp = Blueprint("mentees", __name__)


def staff_names(mentee_ids: list[int], on: date | None = None) -> dict[int, dict[str, list[str]]]:
    """Current mentors and case managers of many mentees, in one query."""
    on = on or today()
    rows = db.session.execute(
        select(Assignment.mentee_id, Assignment.kind, User.display_name)
        .join(User, User.id == Assignment.staff_id)
        .where(
            Assignment.mentee_id.in_(mentee_ids),
            Assignment.starts_on <= on,
            Assignment.ends_on.is_(None) | (Assignment.ends_on > on),
        )
        .order_by(User.display_name)
    )
    names: dict[int, dict[str, list[str]]] = {}
    for mentee_id, kind, name in rows:
        names.setdefault(mentee_id, {}).setdefault(kind, []).append(name)
    return names


@bp.route("/mentor/")
def mine():
    """A mentor's current mentees with progress per domain."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    mentees = list(db.session.scalars(permissions.mentees_assigned(current_user, "mentor")))
    view = curriculum_view()
    rows = caseload_progress(mentees, view)
    return render_template("mentees/mine.html", rows=rows, view=view)


@bp.route("/mentees/<int:mentee_id>")
def detail(mentee_id: int):
    """A mentee's checklist by domain; mentors sign off from here."""
    mentee = load_mentee(mentee_id, permissions.can_view_mentee)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for("me.progress"))
    progress = mentee_progress(mentee)
    staff_view = permissions.can_view_staff_notes(current_user, mentee)
    return render_template(
        "mentees/detail.html",
        mentee=mentee,
        progress=progress,
        staff=staff_names([mentee.id]).get(mentee.id, {}),
        recent=signoffs.history(mentee, staff_view=staff_view, limit=5),
        can_sign_off=permissions.can_sign_off(current_user, mentee),
    )


@bp.route("/mentees/<int:mentee_id>/history")
def history(mentee_id: int):
    """Every sign-off and correction for a mentee, newest first."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes)
    entries = signoffs.history(mentee, staff_view=True)
    return render_template("mentees/history.html", mentee=mentee, entries=entries)


def _level_choices(skill: Skill) -> list:
    return choices((lv.value, f"{lv.value} · {lv.name}") for lv in signoffs.level_scale(skill))


def _details(form: SignoffForm) -> signoffs.SignoffDetails:
    return signoffs.SignoffDetails(
        level=form.level.data,
        shown_on=form.shown_on.data,
        note=form.note.data or "",
        note_visibility=form.note_visibility.data or "mentee",
        support=form.support.data or None,
        place=form.place.data or None,
        practised_with=form.practised_with.data or None,
    )


def _show_error(form, exc: signoffs.SignoffError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


@bp.route("/mentees/<int:mentee_id>/skills/<int:skill_id>", methods=["GET", "POST"])
def skill(mentee_id: int, skill_id: int):
    """One skill for one mentee: its level, history, and the sign-off form."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes, action=None)
    skill = db.session.get(Skill, skill_id) or abort(404)
    can_sign_off = permissions.can_sign_off(current_user, mentee)
    form = SignoffForm()
    form.level.choices = _level_choices(skill)
    if request.method == "POST":
        if not can_sign_off:
            deny(mentee, attempted="signoff.record")
        if form.validate_on_submit():
            try:
                signoffs.record_signoff(
                    mentee,
                    skill,
                    current_user,
                    _details(form),
                    idempotency_key=form.idempotency_key.data or None,
                )
            except signoffs.SignoffError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                level = next(c.label for c in form.level.choices if c.value == form.level.data)
                flash(f"Saved: {skill.title} — {level}.", "success")
                return redirect(url_for(".detail", mentee_id=mentee.id) + f"#skill-{skill.id}")
    else:
        audit.record(
            "mentee.view", current_user, mentee=mentee, object_type="skill", object_id=skill.id
        )
        db.session.commit()
        form.shown_on.data = today()
        form.idempotency_key.data = uuid.uuid4().hex
    progress = mentee_progress(mentee)
    return render_template(
        "mentees/skill.html",
        mentee=mentee,
        skill=skill,
        current=progress.skill(skill.id),
        form=form,
        can_sign_off=can_sign_off,
        entries=signoffs.history(mentee, skill, staff_view=True),
    ), (422 if request.method == "POST" else 200)


@bp.route("/signoffs/<int:event_id>/correct", methods=["GET", "POST"])
def correct(event_id: int):
    """A mentor corrects their own entry by adding a correction with a reason."""
    event = db.session.get(SignoffEvent, event_id) or abort(404)
    mentee = load_mentee(event.mentee_id, permissions.can_view_staff_notes, action=None)
    if not permissions.can_correct(current_user, event):
        deny(mentee, attempted="signoff.correct")
    skill = event.skill
    form = CorrectionForm()
    form.level.choices = _level_choices(skill)
    if request.method == "GET":
        form.level.data = event.level
        form.shown_on.data = event.shown_on
        form.note.data = event.note
        form.note_visibility.data = event.note_visibility
        form.support.data = event.support or ""
        form.place.data = event.place or ""
        form.practised_with.data = event.practised_with or ""
    elif form.validate_on_submit():
        try:
            signoffs.correct_signoff(event, current_user, _details(form), form.reason.data)
        except signoffs.SignoffError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(f"Correction saved for {skill.title}.", "success")
            return redirect(url_for(".skill", mentee_id=mentee.id, skill_id=skill.id))
    code = 422 if request.method == "POST" else 200
    return render_template(
        "mentees/correct.html", mentee=mentee, skill=skill, event=event, form=form
    ), code
