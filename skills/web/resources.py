"""Local details an admin attaches to a skill for their organisation."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from .. import permissions
from ..extensions import db
from ..services import voice
from ..services.curriculum_view import reading_language, skill_detail
from ..services.view_cache import cached_view
from .loading import load_skill

bp = Blueprint("resources", __name__, url_prefix="/admin/resources")


class ResourceForm(FlaskForm):
    details = TextAreaField(
        _l("Local details (address, hours, phone, what to bring)"),
        validators=[Optional(), Length(max=voice.RESOURCE_MAX)],
    )


@bp.route("/")
def index() -> ResponseReturnValue:
    """Every skill with the local details this organisation has added."""
    permissions.require(permissions.can_manage_curriculum(current_user))
    view = cached_view(current_user.organisation_id)
    return render_template(
        "admin/resources.html", view=view, found=voice.resources(current_user.organisation_id)
    )


@bp.route("/<int:skill_id>", methods=["GET", "POST"])
def edit(skill_id: int) -> ResponseReturnValue:
    """Add or change the local details for one skill."""
    permissions.require(permissions.can_manage_curriculum(current_user))
    skill = load_skill(skill_id, current_user.organisation_id)
    form = ResourceForm()
    if form.validate_on_submit():
        try:
            voice.set_resource(
                current_user.organisation_id, skill, form.details.data or "", current_user
            )
        except voice.VoiceError as exc:
            db.session.rollback()
            form.details.errors = [*form.details.errors, str(exc)]
        else:
            db.session.commit()
            flash(
                _(
                    "Saved local details for %(skill)s.",
                    skill=skill.text_in("title", reading_language()),
                ),
                "success",
            )
            return redirect(url_for(".index"))
    elif not form.is_submitted():
        form.details.data = voice.resources(current_user.organisation_id, [skill.id]).get(
            skill.id, ""
        )
    return render_template("admin/resource_edit.html", skill=skill_detail(skill), form=form), (
        422 if form.errors else 200
    )
