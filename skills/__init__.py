"""Life-skills curriculum tracker for peer-mentoring programs."""

from pathlib import Path
from typing import Literal

from alembic.autogenerate.api import AutogenContext
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import i18n, outages, sqlite_files, transactions
from .config import PROJECT_ROOT, load_config
from .extensions import csrf, db, login_manager, migrate
from .timeutil import UTCDateTime


def _render_migration_type(
    type_: str, obj: object, autogen_context: AutogenContext
) -> str | Literal[False]:
    # Migrations name plain SQLAlchemy types, so they never import application code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if app.config.get("TRUSTED_PROXIES"):
        # The client address (audit log, throttles) is the one the trusted proxies saw.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"]
        )

    database_uri = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        transactions.engine_options(database_uri)
        | outages.engine_options(database_uri, app.config),
    )
    db.init_app(app)
    transactions.init_app(app)  # SQLite: BEGIN IMMEDIATE, synchronous level
    sqlite_files.init_app(app)  # SQLite: database files readable by their owner only
    outages.init_app(app)  # PostgreSQL: a deadline on every exchange with the server
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        render_item=_render_migration_type,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)  # language per person or browser; dates in the org's zone

    from . import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app
