"""Life-skills curriculum tracker for peer-mentoring programs."""

import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .config import PROJECT_ROOT, load_config
from .extensions import csrf, db, login_manager, migrate
from .timeutil import UTCDateTime


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # WAL lets readers and one writer work at once; the busy timeout waits out a
    # writer instead of failing; SQLite leaves foreign keys off unless asked.
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _render_migration_type(type_: str, obj, autogen_context):
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

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PROJECT_ROOT / "migrations"),
        render_as_batch=True,
        render_item=_render_migration_type,
    )
    login_manager.init_app(app)
    csrf.init_app(app)

    from . import cli, web

    web.init_app(app)
    cli.init_app(app)
    return app
