"""The mentee's own pages, in plain language: progress, goals, "I did it"."""

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Mentee, SignoffEvent, Skill
from ..models.voice import SELF_RATINGS
from ..services import history as histories
from ..services import voice
from ..services.curriculum_view import skill_detail
from ..services.people_queries import mentee_record_of
from ..services.progress import mentee_progress
from ..services.progress_totals import signoffs_by_month
from ..services.view_cache import cached_view
from ..timeutil import today
from .forms import ConfirmForm, DidItForm, EmptyForm, SelfRatingForm
from .loading import load_skill

bp = Blueprint("me", __name__, url_prefix="/me")

HISTORY_PAGE = 20


def own_record() -> Mentee | None:
    """The mentee record linked to the signed-in mentee, if any."""
    permissions.require(permissions.can_use_mentee_pages(current_user))
    return mentee_record_of(current_user)


@bp.route("/")
def progress() -> ResponseReturnValue:
    """My progress: what I can do now, what I'm learning, what could come next."""
    mentee = own_record()
    if mentee is None:
        return render_template("me/not_linked.html")
    progress = mentee_progress(mentee, cached_view(mentee.organisation_id))
    return render_template(
        "me/progress.html",
        mentee=mentee,
        progress=progress,
        rechecks=progress.rechecks_coming(today(mentee)),
        today=today(mentee),
        resources=voice.resources(mentee.organisation_id),
        timeline=signoffs_by_month(mentee),
        reports=voice.did_it_reports(mentee, limit=3),
    )


@bp.route("/areas/<int:domain_id>")
def area(domain_id: int) -> ResponseReturnValue:
    """One area: each of its skills, what I will be able to do, and where I am."""
    mentee = own_record() or abort(404)
    progress = mentee_progress(mentee, cached_view(mentee.organisation_id))
    # Only an area of a curriculum my organisation uses (and not retired) is found.
    domain = next((d for d in progress.domains if d.domain.id == domain_id), None) or abort(404)
    return render_template(
        "me/area.html",
        area=domain,
        goals={g.skill.id for g in progress.goals},
        today=today(mentee),
    )


@bp.route("/history")
def history() -> ResponseReturnValue:
    """My sign-offs, newest first, a page at a time (light on a phone's data)."""
    mentee = own_record() or abort(404)
    page = request.args.get("page", 1, type=int) or 1
    entries = histories.history(mentee, permissions.viewer_for(current_user, mentee))
    shown = [e for e in entries if not e.corrected]
    pages = max(1, -(-len(shown) // HISTORY_PAGE))
    page = min(max(page, 1), pages)
    return render_template(
        "me/history.html",
        mentee=mentee,
        entries=shown[(page - 1) * HISTORY_PAGE : page * HISTORY_PAGE],
        page=page,
        pages=pages,
        confirmed=voice.confirmations(mentee),
        disagreed=voice.disagreements(mentee),
        said=voice.voice_history(mentee) if page == 1 else [],
    )


@bp.route("/skills/<int:skill_id>")
def skill(skill_id: int) -> ResponseReturnValue:
    """One skill: what I will be able to do, the steps, where I am, and what I can say."""
    mentee = own_record() or abort(404)
    skill = load_skill(skill_id, mentee.organisation_id)
    progress = mentee_progress(mentee, cached_view(mentee.organisation_id))
    my_rating = voice.self_ratings([mentee.id]).get((mentee.id, skill.id))
    return render_template(
        "me/skill.html",
        mentee=mentee,
        skill=skill_detail(skill),
        current=progress.skill(skill.id),
        today=today(mentee),
        entries=histories.history(
            mentee, permissions.viewer_for(current_user, mentee), skill=skill
        ),
        is_goal=any(g.skill.id == skill.id for g in progress.goals),
        my_rating=my_rating,
        rating_labels=SELF_RATINGS,
        resource=voice.resources(mentee.organisation_id, [skill.id]).get(skill.id),
        # The earlier answer is chosen already, so saying it again is one tap.
        rating_form=SelfRatingForm(rating=my_rating),
        reports=voice.did_it_reports(mentee, skill),
        said=voice.voice_history(mentee, skill),
        confirmed=voice.confirmations(mentee),
        disagreed=voice.disagreements(mentee),
        back="skill",
        did_it_form=DidItForm(),
        goal_form=EmptyForm(),
    )


def _act(action: Callable[[], object], success: str, skill: Skill) -> ResponseReturnValue:
    """Run a voice action for my own record, then go back to the skill page."""
    try:
        action()
    except voice.VoiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for(".skill", skill_id=skill.id))


def _own_skill(skill_id: int) -> tuple[Mentee, Skill]:
    mentee = own_record() or abort(404)
    return mentee, load_skill(skill_id, mentee.organisation_id)


@bp.route("/skills/<int:skill_id>/rating", methods=["POST"])
def rate(skill_id: int) -> ResponseReturnValue:
    """I say "I can do this" or "I'd like help with this"."""
    mentee, skill = _own_skill(skill_id)
    form = SelfRatingForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the two answers."), "error")
        return redirect(url_for(".skill", skill_id=skill.id))
    return _act(
        lambda: voice.rate_self(mentee, skill, form.rating.data, current_user),
        _("Thank you. Your mentor can see your answer."),
        skill,
    )


@bp.route("/skills/<int:skill_id>/goal", methods=["POST"])
def goal(skill_id: int) -> ResponseReturnValue:
    """Make this skill one of my goals."""
    mentee, skill = _own_skill(skill_id)
    EmptyForm().validate_on_submit() or abort(400)
    return _act(lambda: voice.set_goal(mentee, skill, current_user), _("Added to my goals."), skill)


@bp.route("/skills/<int:skill_id>/goal/clear", methods=["POST"])
def goal_clear(skill_id: int) -> ResponseReturnValue:
    """Take this skill off my goals."""
    mentee, skill = _own_skill(skill_id)
    EmptyForm().validate_on_submit() or abort(400)
    return _act(
        lambda: voice.clear_goal(mentee, skill, current_user), _("Taken off my goals."), skill
    )


@bp.route("/skills/<int:skill_id>/did-it", methods=["POST"])
def did_it(skill_id: int) -> ResponseReturnValue:
    """Tell my mentor I did it."""
    mentee, skill = _own_skill(skill_id)
    form = DidItForm()
    if not form.validate_on_submit():
        flash(_("Please keep your note short (500 characters or less)."), "error")
        return redirect(url_for(".skill", skill_id=skill.id))
    return _act(
        lambda: voice.report_did_it(mentee, skill, form.note.data or "", current_user),
        _("Great! Your mentor will see it and get back to you."),
        skill,
    )


def _own_event(event_id: int) -> tuple[Mentee, SignoffEvent]:
    mentee = own_record() or abort(404)
    event = db.session.get(SignoffEvent, event_id)
    if event is None or event.mentee_id != mentee.id:
        abort(404)
    return mentee, event


def _answer(
    event: SignoffEvent, form: ConfirmForm, action: Callable[[str], object], success: str
) -> ResponseReturnValue:
    """Say a sign-off is right or not right, then go back to the page it was shown on."""
    if form.validate_on_submit():
        try:
            action(form.words.data or "")
        except voice.VoiceError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(success, "success")
    else:
        flash(_("Please keep it to 500 characters or less."), "error")
    if request.args.get("back") == "skill":
        return redirect(url_for(".skill", skill_id=event.skill_id) + f"#signoff-{event.id}")
    return redirect(url_for(".history") + f"#signoff-{event.id}")


@bp.route("/signoffs/<int:event_id>/confirm", methods=["POST"])
def confirm(event_id: int) -> ResponseReturnValue:
    """Say a sign-off is right, in my own words."""
    event = _own_event(event_id)[1]
    return _answer(
        event,
        ConfirmForm(),
        lambda words: voice.confirm_signoff(event, current_user, words),
        _("Thank you. Your words will show in your report."),
    )


@bp.route("/signoffs/<int:event_id>/not-right", methods=["POST"])
def disagree(event_id: int) -> ResponseReturnValue:
    """Say a sign-off is not right, in my own words; my mentor sees it on their list."""
    event = _own_event(event_id)[1]
    return _answer(
        event,
        ConfirmForm(),
        lambda words: voice.disagree_signoff(event, current_user, words),
        _("Thank you for telling us. Your mentor will see your words and talk it over with you."),
    )
