"""Friendly error pages that reveal nothing about the data."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from ..extensions import db

MESSAGES = {
    400: ("Something was wrong with that request", "Please go back and try again."),
    403: ("You do not have access to this page", "If you think you should, ask your admin."),
    404: ("We could not find that page", "Check the address, or go back to your home page."),
    405: ("That action is not allowed here", "Please go back and try again."),
    413: ("That file is too large", "Files can be up to 2 MB."),
    500: ("Something went wrong on our side", "Nothing you entered was saved. Please try again."),
}


def _render(code: int) -> tuple[str, int]:
    title, text = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title, text=text), code


def init_app(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda exc, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _render(400)

    @app.errorhandler(500)
    def server_error(exc: Exception) -> tuple[str, int]:
        db.session.rollback()  # a half-done unit of work must not leak into the next request
        return _render(500)
