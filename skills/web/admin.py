"""Admin pages: people, mentees, assignments, curriculum, audit log."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
def index():
    """Placeholder."""
    return "admin"
