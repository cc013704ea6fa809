"""Home (sends each person to their own start page) and the health check."""

from flask import Blueprint, Response, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import text

from .. import permissions
from ..extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    """Send each person to the start page of their first role."""
    endpoint = permissions.home_endpoint(current_user)
    if endpoint is not None:
        return redirect(url_for(endpoint))
    return render_template(
        "errors/error.html", code=403, title="No role", text="Ask your admin."
    ), 403


@bp.route("/health")
def health() -> Response:
    """For load balancers: the app runs and the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
