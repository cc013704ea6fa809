"""Mentor and staff pages for mentees: lists, checklists, sign-offs, history."""

from flask import Blueprint

bp = Blueprint("mentees", __name__)


@bp.route("/mentor/")
def mine():
    """Placeholder."""
    return "mentor"
