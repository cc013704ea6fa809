"""Mentor and staff pages for mentees: lists, checklists, sign-offs, history."""

import uuid
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from .. import permissions
from ..extensions import db
from ..models import DidItReport, SignoffEvent, Skill
from ..models.voice import SELF_RATINGS
from ..services import history as histories
from ..services import signoffs, skill_search, voice
from ..services.curriculum_view import reading_language, skill_detail
from ..services.people_queries import staff_names
from ..services.progress import (
    caseload_progress,
    mentee_lines,
    mentee_progress,
)
from ..services.progress_totals import signoffs_by_month
from ..services.view_cache import cached_view
from ..timeutil import today, zone
from . import group_session
from .forms import (
    CorrectionForm,
    EmptyForm,
    ReplyForm,
    SelectChoice,
    SignoffForm,
    choices,
    submitted,
)
from .loading import audit_view, deny, load_mentee, load_skill
from .page_parts import ListedPart, listed_part
from .progress_rows import mentor_lines
from .session_notes.overdue import SHOWN

bp = Blueprint("mentees", __name__)


@bp.route("/mentor/")
def mine() -> ResponseReturnValue:
    """A mentor's current mentees with progress per domain."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    on = today(current_user)
    ids = permissions.mentee_ids_assigned(current_user, "mentor", on)
    body = listed_part("mentor", on, ids, lambda: _my_lists(on))
    return render_template("mentees/mine.html", body=body)


def _my_lists(on: date) -> ListedPart:
    """The mentor page's lists and mentee lines, rendered."""
    # Plain lines, not ORM objects: the page only reads them.
    mentees = mentee_lines(permissions.mentees_assigned(current_user, "mentor", on))
    view = cached_view(current_user.organisation_id)
    rows = caseload_progress(mentees, view, on)
    names = {m.id: m.name for m in mentees}
    html = render_template(
        "mentees/_mine_lists.html",
        lines=mentor_lines(rows, view),
        # One link prefix for every line, instead of one url_for per line.
        detail_prefix=url_for(".detail", mentee_id=0).removesuffix("0"),
        names=names,
        inbox=voice.mentor_inbox(current_user, limit=SHOWN),
        due=voice.due_list(list(names), on, limit=SHOWN),
    )
    return ListedPart(Markup(html), tuple(names))  # noqa: S704  # nosec B704 - rendered by Jinja


@bp.route("/mentees/<int:mentee_id>")
def detail(mentee_id: int) -> ResponseReturnValue:
    """A mentee's checklist by domain; mentors sign off from here."""
    mentee = load_mentee(mentee_id, permissions.can_view_mentee)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for("me.progress"))
    view = cached_view(mentee.organisation_id)
    progress = mentee_progress(mentee, view)
    found = skill_search.find(
        ((d.domain.title, s) for d in progress.domains for s in d.skills),
        request.args.get("q", ""),
        lambda pair: (pair[1].skill.title, pair[1].skill.i_can, pair[0]),
    )
    saved = request.args.get("saved", type=int)
    return render_template(
        "mentees/detail.html",
        mentee=mentee,
        progress=progress,
        found=found,
        levels=view.levels,
        # One key per quick sign-off form: a double tap saves once.
        quick_keys={s.skill.id: uuid.uuid4().hex for _, s in found.items},
        today=today(current_user),
        saved=saved if saved and progress.skill(saved) else None,
        staff=staff_names([mentee.id], today(current_user)).get(mentee.id, {}),
        recent=histories.history(mentee, permissions.viewer_for(current_user, mentee), limit=5),
        can_sign_off=permissions.can_sign_off(current_user, mentee),
        ratings=voice.self_ratings([mentee.id]),
        rating_labels=SELF_RATINGS,
        timeline=signoffs_by_month(mentee),
        due=voice.due_list([mentee.id], today(current_user)),
    )


@bp.route("/mentees/<int:mentee_id>/history")
def history(mentee_id: int) -> ResponseReturnValue:
    """Every sign-off and correction for a mentee, newest first."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes)
    entries = histories.history(mentee, permissions.viewer_for(current_user, mentee))
    return render_template(
        "mentees/history.html",
        mentee=mentee,
        entries=entries,
        correctable=permissions.correctable(current_user, mentee, entries),
        confirmed=voice.confirmations(mentee),
        disagreed=voice.disagreements(mentee),
        said=voice.voice_history(mentee),
    )


def _level_choices(skill: Skill) -> list[SelectChoice]:
    language = reading_language()
    return choices(
        (lv.value, f"{lv.value} · {lv.text_in('name', language)}")
        for lv in signoffs.level_scale(skill)
    )


def compose_note(form: SignoffForm) -> str:
    """The note, with the optional "what we did / how it went / next step" parts added."""
    parts = [(form.note.data or "").strip()]
    # The part names are written into the note in the writer's language, as the note is.
    for label, field in (
        (_("What we did"), form.what_we_did),
        (_("How it went"), form.how_it_went),
        (_("Next step"), form.next_step),
    ):
        text = (field.data or "").strip()
        if text:
            parts.append(_("%(label)s: %(text)s", label=label, text=text))
    return "\n".join(p for p in parts if p)


def _details(form: SignoffForm) -> signoffs.SignoffDetails:
    return signoffs.SignoffDetails(
        level=form.level.data,
        shown_on=submitted(form.shown_on.data),
        note=compose_note(form),
        note_visibility=form.note_visibility.data or signoffs.SignoffDetails.note_visibility,
        support=form.support.data or None,
        place=form.place.data or None,
        practised_with=form.practised_with.data or None,
    )


def _show_error(form: FlaskForm, exc: signoffs.SignoffError | voice.VoiceError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


@bp.route("/mentees/<int:mentee_id>/skills/<int:skill_id>", methods=["GET", "POST"])
def skill(mentee_id: int, skill_id: int) -> ResponseReturnValue:
    """One skill for one mentee: its level, history, and the sign-off form."""
    mentee = load_mentee(mentee_id, permissions.can_view_staff_notes, action=None)
    skill = load_skill(skill_id, mentee.organisation_id)
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
                    allow_lower=bool(form.confirm_lower.data),
                )
            except signoffs.SignoffError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                level = next(c.label for c in form.level.choices if c.value == form.level.data)
                flash(
                    _(
                        "Saved: %(skill)s — %(level)s.",
                        skill=skill.text_in("title", reading_language()),
                        level=level,
                    ),
                    "success",
                )
                # `saved` puts the message beside the skill the page scrolls to.
                back = url_for(".detail", mentee_id=mentee.id, saved=skill.id)
                return redirect(f"{back}#skill-{skill.id}")
    else:
        audit_view(mentee, "skill", skill.id)
        form.shown_on.data = today(current_user)
        form.idempotency_key.data = uuid.uuid4().hex
    progress = mentee_progress(mentee, cached_view(mentee.organisation_id))
    entries = histories.history(mentee, permissions.viewer_for(current_user, mentee), skill=skill)
    return render_template(
        "mentees/skill.html",
        mentee=mentee,
        skill=skill_detail(skill),
        current=progress.skill(skill.id),
        form=form,
        can_sign_off=can_sign_off,
        entries=entries,
        correctable=permissions.correctable(current_user, mentee, entries),
        self_rating=voice.self_ratings([mentee.id]).get((mentee.id, skill.id)),
        rating_labels=SELF_RATINGS,
        is_goal=any(g.skill.id == skill.id for g in progress.goals),
        confirmed=voice.confirmations(mentee),
        disagreed=voice.disagreements(mentee),
        said=voice.voice_history(mentee, skill),
        resource=voice.resources(mentee.organisation_id, [skill.id]).get(skill.id),
        refresher_form=EmptyForm(),
    ), (422 if request.method == "POST" else 200)


@bp.route("/signoffs/<int:event_id>/correct", methods=["GET", "POST"])
def correct(event_id: int) -> ResponseReturnValue:
    """A mentor corrects their own entry by adding a correction with a reason."""
    event = db.session.get(SignoffEvent, event_id) or abort(404)
    mentee = load_mentee(event.mentee_id, permissions.can_view_staff_notes, action=None)
    if not permissions.can_correct(current_user, event):
        deny(mentee, attempted="signoff.correct")
    skill = event.skill
    form = CorrectionForm()
    form.level.choices = _level_choices(skill)
    if request.method == "GET":
        audit_view(mentee, "signoff", event.id)  # the form shows staff-only notes too
        form.level.data = event.level
        form.shown_on.data = event.shown_on
        form.note.data = event.note
        form.note_visibility.data = event.note_visibility
        form.support.data = event.support or ""
        form.place.data = event.place or ""
        form.practised_with.data = event.practised_with or ""
    elif form.validate_on_submit():
        try:
            signoffs.correct_signoff(
                event, current_user, _details(form), submitted(form.reason.data)
            )
        except signoffs.SignoffError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Correction saved for %(skill)s.",
                    skill=skill.text_in("title", reading_language()),
                ),
                "success",
            )
            return redirect(url_for(".skill", mentee_id=mentee.id, skill_id=skill.id))
    code = 422 if request.method == "POST" else 200
    # The entry's level as the form's choices name it ("1 · Introduced"), not a bare 1.
    was = next((c.label for c in form.level.choices if c.value == event.level), event.level)
    return render_template(
        "mentees/correct.html",
        mentee=mentee,
        skill=skill_detail(skill),
        event=event,
        form=form,
        level=was,
    ), code


@bp.route("/mentees/<int:mentee_id>/skills/<int:skill_id>/refresher", methods=["POST"])
def refresher(mentee_id: int, skill_id: int) -> ResponseReturnValue:
    """Mark a signed-off skill for a refresher; the achievement stays."""
    mentee = load_mentee(mentee_id, permissions.can_sign_off, action=None)
    skill = load_skill(skill_id, mentee.organisation_id)
    if EmptyForm().validate_on_submit():
        try:
            voice.mark_refresher(mentee, skill, current_user)
        except voice.VoiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "%(skill)s: marked for a refresher.",
                    skill=skill.text_in("title", reading_language()),
                ),
                "success",
            )
    return redirect(url_for(".skill", mentee_id=mentee.id, skill_id=skill.id))


@bp.route("/mentor/did-it/<int:report_id>", methods=["GET", "POST"])
def did_it(report_id: int) -> ResponseReturnValue:
    """Answer a mentee's "I did it": confirm with a level, or reply."""
    report = db.session.get(DidItReport, report_id) or abort(404)
    mentee = load_mentee(report.mentee_id, permissions.can_sign_off, action=None)
    skill = report.skill
    form = SignoffForm(prefix="confirm")
    form.level.choices = _level_choices(skill)
    reply_form = ReplyForm(prefix="reply")
    code = 200
    if request.method == "POST" and report.status == "open":
        code = 422
        try:
            if reply_form.reply.data and reply_form.validate_on_submit():
                voice.reply_did_it(report, current_user, reply_form.reply.data)
            elif form.validate_on_submit():
                voice.confirm_did_it(
                    report,
                    current_user,
                    _details(form),
                    allow_lower=bool(form.confirm_lower.data),
                )
            else:
                raise voice.VoiceError(_l("Choose a level to confirm, or write a reply."))
        except (voice.VoiceError, signoffs.SignoffError) as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash(
                _(
                    "Answered %(name)s: %(skill)s.",
                    name=mentee.name,
                    skill=skill.text_in("title", reading_language()),
                ),
                "success",
            )
            return redirect(url_for(".mine"))
    elif request.method == "GET":
        audit_view(mentee, "did_it", report.id)
        # The day it was sent where the mentee lives (its UTC date is tomorrow at night).
        form.shown_on.data = report.created_at.astimezone(zone(mentee)).date()
    return render_template(
        "mentees/did_it.html",
        report=report,
        mentee=mentee,
        skill=skill_detail(skill),
        form=form,
        reply_form=reply_form,
    ), code


# The group session form lives in its own module; its endpoint stays "mentees.group".
bp.add_url_rule("/mentor/group", view_func=group_session.group, methods=["GET", "POST"])
