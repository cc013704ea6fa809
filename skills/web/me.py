"""The mentee's own pages, in plain language."""

from flask import Blueprint, abort, render_template
from flask_login import current_user
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Mentee, Skill
from ..services import signoffs
from ..services.progress import mentee_progress

bp = Blueprint("me", __name__, url_prefix="/me")


def own_record() -> Mentee | None:
    """The mentee record linked to the signed-in mentee, if any."""
    permissions.require(permissions.can_use_mentee_pages(current_user))
    return db.session.scalar(select(Mentee).where(Mentee.user_id == current_user.id))


@bp.route("/")
def progress():
    """My progress: what I can do now, what I'm learning, what could come next."""
    mentee = own_record()
    if mentee is None:
        return render_template("me/not_linked.html")
    return render_template("me/progress.html", mentee=mentee, progress=mentee_progress(mentee))


@bp.route("/history")
def history():
    """My sign-offs, with only the notes meant for me."""
    mentee = own_record() or abort(404)
    entries = signoffs.history(mentee, staff_view=False)
    return render_template("me/history.html", mentee=mentee, entries=entries)


@bp.route("/skills/<int:skill_id>")
def skill(skill_id: int):
    """One skill: what I will be able to do, the steps, and where I am."""
    mentee = own_record() or abort(404)
    skill = db.session.get(Skill, skill_id) or abort(404)
    progress = mentee_progress(mentee)
    entries = signoffs.history(mentee, skill, staff_view=False)
    return render_template(
        "me/skill.html",
        mentee=mentee,
        skill=skill,
        current=progress.skill(skill.id),
        entries=entries,
    )
