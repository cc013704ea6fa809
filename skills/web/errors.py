"""Friendly error pages that reveal nothing about the data.

Pages for failures on our side (500, and 503 when the database is unavailable or its
disk is full) are rendered without the database: no signed-in user, no navigation,
because the failure may be the database itself.
"""

from contextlib import suppress

from flask import Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from .. import outages
from ..extensions import db

# Lazy strings, read in the reader's language. Jinja would take one for safe HTML, so
# the pages get them as plain text (str), which it escapes.
MESSAGES = {
    400: (_l("Something was wrong with that request"), _l("Please go back and try again.")),
    403: (
        _l("You do not have access to this page"),
        _l("If you think you should, ask your admin."),
    ),
    404: (
        _l("We could not find that page"),
        _l("Check the address, or go back to your home page."),
    ),
    405: (_l("That action is not allowed here"), _l("Please go back and try again.")),
    413: (_l("That file is too large"), _l("Files can be up to 2 MB.")),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you entered was saved. Please try again."),
    ),
}
OUTAGE_MESSAGES = {
    "unavailable": (
        _l("The database is not answering"),
        _l(
            "We can't reach the database right now. Nothing was saved. "
            "Please try again in a minute."
        ),
    ),
    "disk_full": (
        _l("The server's disk is full"),
        _l("The server's disk is full, so nothing was saved. Please tell your admin."),
    ),
}
RETRY_AFTER_SECONDS = 60


def _render(code: int) -> tuple[str, int]:
    title, text = MESSAGES.get(code, MESSAGES[500])
    page = render_template("errors/error.html", code=code, title=str(title), text=str(text))
    return page, code


def _render_without_database(code: int, title: str, text: str) -> str:
    # render_template would run Flask-Login's context processor, which loads the
    # signed-in user from the database; the template shows no user.
    template = current_app.jinja_env.get_template("errors/server.html")
    return template.render(code=code, title=str(title), text=str(text))


def _rollback() -> None:
    # A half-done unit of work must not leak into the next request. If the database is
    # gone the rollback can fail too; the request's teardown then discards the session.
    with suppress(*outages.DATABASE_ERRORS):
        db.session.rollback()


def database_error(exc: Exception) -> ResponseReturnValue:
    """503 with a page that says what happened when the database is unavailable or its
    disk is full; any other database error is a bug, left to the 500 handler."""
    outage = outages.classify(exc)
    if outage is None:
        raise exc
    _rollback()
    # One line per failed request, without a traceback: the cause is outside the code.
    current_app.logger.error(
        "%s (%s %s)", outages.describe(outage, db.engine), request.method, request.path
    )
    title, text = OUTAGE_MESSAGES[outage.kind]
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if outage.kind == "unavailable" else {}
    return _render_without_database(503, title, text), 503, headers


def init_app(app: Flask) -> None:
    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda exc, code=code: _render(code))
    for error in outages.DATABASE_ERRORS:
        app.register_error_handler(error, database_error)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[str, int]:
        return _render(400)

    @app.errorhandler(500)
    def server_error(exc: Exception) -> tuple[str, int]:
        _rollback()
        title, text = MESSAGES[500]
        return _render_without_database(500, title, text), 500
