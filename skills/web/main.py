"""Home (sends each person to their own start page) and the health checks."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from .. import outages, permissions
from ..extensions import db

bp = Blueprint("main", __name__)

# Answered without looking up the signed-in user, so they never wait on the database
# for that (skills/web/security.py, skills/web/__init__.py).
HEALTH_ENDPOINTS = frozenset({"main.health", "main.health_live", "main.health_ready"})
NOT_READY = {"unavailable": "database unavailable", "disk_full": "disk full"}


@bp.route("/")
def index() -> ResponseReturnValue:
    """Send each person to the start page of their first role."""
    endpoint = permissions.home_endpoint(current_user)
    if endpoint is not None:
        return redirect(url_for(endpoint))
    return render_template(
        "errors/error.html", code=403, title=_("No role"), text=_("Ask your admin.")
    ), 403


@bp.route("/health/live")
def health_live() -> ResponseReturnValue:
    """For the process manager: the app answers. Never touches the database, so an
    outage of the database does not get healthy app servers restarted."""
    return jsonify(status="ok")


@bp.route("/health/ready")
def health_ready() -> ResponseReturnValue:
    """For load balancers: 200 when the database answers and (SQLite) its disk has room,
    else 503 with the reason."""
    outage = outages.check_ready(db.engine, current_app.config["SQLITE_MIN_FREE_MB"])
    _log_change(outage)
    if outage is None:
        return jsonify(status="ok")
    return jsonify(status=NOT_READY[outage.kind]), 503


@bp.route("/health")
def health() -> ResponseReturnValue:
    """The readiness check at its first address, which load balancers already use."""
    return health_ready()


def _log_change(outage: outages.Outage | None) -> None:
    # Load balancers ask every few seconds: log when readiness changes, not each time.
    state = current_app.extensions.setdefault("skills.readiness", {"not_ready": None})
    kind = outage.kind if outage else None
    if kind == state["not_ready"]:
        return
    state["not_ready"] = kind
    if outage is None:
        current_app.logger.warning("Ready again: the database answers")
    else:
        current_app.logger.warning("Not ready: %s", outages.describe(outage, db.engine))
