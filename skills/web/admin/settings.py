"""The organisation's settings page: name, time zone, who must use two-step sign-in."""

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...services import curriculum_queries, organisations
from ..forms import submitted
from . import allowed_if, bp, save
from .forms import SettingsForm


def _saved_message(changes: dict[str, tuple[str, str]]) -> str:
    return _("Settings saved.") if changes else _("Nothing was changed.")


@bp.route("/settings", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_settings)
def settings() -> ResponseReturnValue:
    """Change the organisation's settings; each change is audited with old and new."""
    organisation = current_user.organisation
    stored = organisations.current(organisation)
    initial = None
    if request.method == "GET":
        initial = {
            "name": stored.name,
            "time_zone": stored.time_zone,
            "two_step_roles": sorted(stored.two_step_roles),
        }
    form = SettingsForm(data=initial)
    if form.validate_on_submit() and save(
        form,
        lambda: organisations.update(
            organisation,
            organisations.Settings(
                submitted(form.name.data),
                submitted(form.time_zone.data),
                frozenset(form.two_step_roles.data or ()),
            ),
            current_user,
        ),
        _saved_message,
        refusals=(organisations.SettingsRefused,),
    ):
        return redirect(url_for(".settings"))
    return render_template(
        "admin/settings.html",
        form=form,
        organisation=organisation,
        curricula=curriculum_queries.curricula(organisation.id),
    )
