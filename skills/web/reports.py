"""Downloads: PDF progress reports and CSV exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__)
