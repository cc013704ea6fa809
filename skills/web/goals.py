"""A mentor sets or reviews a mentee's goals with them, from that mentee's skill page.

The goals are the mentee's own (`/me` sets them too); the same service, the same limit
of five and the same audit actions, marked as set with the mentee.
"""

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from .. import permissions
from ..extensions import db
from ..models import Mentee, Skill
from ..services import voice
from ..services.curriculum_view import reading_language
from .forms import EmptyForm
from .loading import load_mentee, load_skill

bp = Blueprint("goals", __name__)


def _with_mentee(
    mentee_id: int, skill_id: int, action: Callable[[Mentee, Skill], object], added: bool
) -> ResponseReturnValue:
    # The mentor's route; the mentee changes their own goals from /me.
    mentee = load_mentee(mentee_id, permissions.can_sign_off, action=None)
    skill = load_skill(skill_id, mentee.organisation_id)
    EmptyForm().validate_on_submit() or abort(400)
    try:
        action(mentee, skill)
    except voice.VoiceError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        said = {"skill": skill.text_in("title", reading_language()), "name": mentee.name}
        if added:
            flash(_("%(skill)s: added to %(name)s's goals.", **said), "success")
        else:
            flash(_("%(skill)s: taken off %(name)s's goals.", **said), "success")
    return redirect(url_for("mentees.skill", mentee_id=mentee.id, skill_id=skill.id) + "#goal")


@bp.route("/mentees/<int:mentee_id>/skills/<int:skill_id>/goal", methods=["POST"])
def set_goal(mentee_id: int, skill_id: int) -> ResponseReturnValue:
    """Make this skill one of the mentee's goals, with them."""
    return _with_mentee(
        mentee_id,
        skill_id,
        lambda m, s: voice.set_goal(m, s, current_user),
        added=True,
    )


@bp.route("/mentees/<int:mentee_id>/skills/<int:skill_id>/goal/clear", methods=["POST"])
def clear_goal(mentee_id: int, skill_id: int) -> ResponseReturnValue:
    """Take this skill off the mentee's goals, with them."""
    return _with_mentee(
        mentee_id,
        skill_id,
        lambda m, s: voice.clear_goal(m, s, current_user),
        added=False,
    )
