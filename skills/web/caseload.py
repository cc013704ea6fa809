"""The case manager's caseload."""

from flask import Blueprint

bp = Blueprint("caseload", __name__, url_prefix="/caseload")


@bp.route("/")
def index():
    """Placeholder."""
    return "caseload"
