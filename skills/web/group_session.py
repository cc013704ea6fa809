"""The group session form: one skill, each mentee who came signed off in one go.

Its view is a route of the "mentees" blueprint (`mentees.group`), added in mentees.py.
"""

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..i18n import local_date
from ..models import Mentee, Skill
from ..services import signoffs, skill_search, voice
from ..services.curriculum_view import reading_language
from ..services.people_queries import active_mentees_of
from ..services.status import current_levels
from ..services.view_cache import cached_view
from ..timeutil import today
from .forms import GroupSessionForm, SelectChoice, submitted
from .loading import audit_list, query_args


def _attendees(mentees: list[Mentee], skill: Skill) -> tuple[list[voice.Attendee], dict[int, str]]:
    """Read each mentee's row of the group form: came or not, level, note."""
    values = {lv.value for lv in signoffs.level_scale(skill)}
    chosen: list[voice.Attendee] = []
    errors: dict[int, str] = {}
    for mentee in mentees:
        if not request.form.get(f"attend-{mentee.id}"):
            continue
        raw = request.form.get(f"level-{mentee.id}", "")
        note = request.form.get(f"note-{mentee.id}", "")
        if not raw.isdigit() or int(raw) not in values:
            errors[mentee.id] = _("Choose a level for this mentee.")
        elif len(note) > signoffs.note_max_length():
            errors[mentee.id] = _(
                "The note is too long (at most %(max)s characters).",
                max=signoffs.note_max_length(),
            )
        else:
            chosen.append(voice.Attendee(mentee, int(raw), note))
    return chosen, errors


def _lowered(attendees: list[voice.Attendee], skill: Skill) -> dict[int, str]:
    """A note beside each mentee whose level would go down: the form's confirmation box
    is at its foot, a long scroll from the mentee on a phone."""
    levels = {a.mentee.id: a.level for a in attendees}
    lowered = signoffs.lowered_levels(list(levels), skill, levels)  # the one rule
    language = reading_language()
    names = {lv.value: lv.text_in("name", language) for lv in signoffs.level_scale(skill)}
    return {
        mentee_id: _(
            "Lower than now (“%(now)s”). To save it, tick “%(confirm)s” below.",
            now=names.get(now, now),
            confirm=signoffs.LOWER_CONFIRMATION,
        )
        for mentee_id, now in lowered.items()
    }


def _group_skill(form: GroupSessionForm, offered: list[int]) -> Skill | None:
    """The skill the group form shows levels for: the one chosen, else the first."""
    if not offered:
        return None
    chosen = form.skill_id.data if form.skill_id.data in offered else offered[0]
    form.skill_id.data = chosen
    return db.session.get(Skill, chosen)


def group() -> ResponseReturnValue:
    """Record a group session and sign off each mentee who came, in one form.

    Each mentee's level starts at their current level for the skill; the "Show current
    levels" button (a GET, so it works without JavaScript) reloads them for another skill.
    """
    permissions.require(permissions.can_use_mentor_pages(current_user))
    if request.method == "GET" and "csrf_token" in request.args:
        # The reload button sends the whole form as a query: keep the token out of the
        # address bar and history, and a used idempotency key out of the new form.
        kept = {"skill_id", "held_on", "place", "topic", "q"}
        return redirect(url_for(".group", **{k: v for k, v in query_args().items() if k in kept}))
    mentees = active_mentees_of(current_user)
    view = cached_view(current_user.organisation_id)
    form = GroupSessionForm() if request.method == "POST" else GroupSessionForm(request.args)
    pairs = [(d.title, s) for d in view.domains for s in view.skills.get(d.id, [])]
    # A search narrows the list on a GET; a POST accepts any skill of the curriculum.
    found = skill_search.find(
        pairs, request.args.get("q", ""), lambda p: (p[1].title, p[1].i_can, p[0])
    )
    shown_pairs = found.items if request.method == "GET" and found.items else pairs
    form.skill_id.choices = [SelectChoice(s.id, s.title, optgroup=d) for d, s in shown_pairs]
    errors: dict[int, str] = {}
    code = 200
    confirm_lower = False
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            skill = db.session.get(Skill, form.skill_id.data) or abort(404)
            attendees, errors = _attendees(mentees, skill)
            if not errors:
                try:
                    session = voice.record_group_session(
                        current_user,
                        skill,
                        submitted(form.held_on.data),
                        attendees,
                        place=form.place.data or "",
                        topic=form.topic.data or "",
                        idempotency_key=form.idempotency_key.data or None,
                        allow_lower=bool(request.form.get("confirm_lower")),
                    )
                except voice.VoiceError as exc:
                    db.session.rollback()
                    form.form_errors.append(str(exc))
                    confirm_lower = exc.field == "confirm_lower"
                    if confirm_lower:  # say so beside each mentee it concerns, too
                        errors = _lowered(attendees, skill)
                else:
                    db.session.commit()
                    saved = len(attendees)
                    flash(
                        ngettext(
                            "Group session saved: %(num)d sign-off (%(day)s).",
                            "Group session saved: %(num)d sign-offs (%(day)s).",
                            saved,
                            day=local_date(session.held_on),
                        ),
                        "success",
                    )
                    return redirect(url_for(".mine"))
    else:
        audit_list("group", [m.id for m in mentees])  # the form shows their current levels
        if not form.held_on.data:
            form.held_on.data = today(current_user)
        form.idempotency_key.data = uuid.uuid4().hex
    shown = _group_skill(form, [s.id for _, s in shown_pairs])
    return render_template(
        "mentees/group.html",
        form=form,
        mentees=mentees,
        levels=signoffs.level_scale(shown) if shown else [],
        current=current_levels([m.id for m in mentees], shown.id) if shown else {},
        errors=errors,
        confirm_lower=confirm_lower,
        lower_confirmation=signoffs.LOWER_CONFIRMATION,
        found=found,
    ), code
