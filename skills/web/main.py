"""Home (sends each person to their own start page) and the health check."""

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("main", __name__)

HOME_BY_ROLE = (
    ("mentor", "mentees.mine"),
    ("case_manager", "caseload.index"),
    ("mentee", "me.progress"),
    ("admin", "admin.index"),
)


@bp.route("/")
def index():
    """Send each person to the start page of their first role."""
    for role, endpoint in HOME_BY_ROLE:
        if current_user.has_role(role):
            return redirect(url_for(endpoint))
    return render_template(
        "errors/error.html", code=403, title="No role", text="Ask your admin."
    ), 403


@bp.route("/health")
def health():
    """For load balancers: the app runs and the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok")
