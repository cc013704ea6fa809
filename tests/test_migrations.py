"""Alembic's revisions build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from skills import create_app
from skills.extensions import db


@pytest.fixture
def empty_database(tmp_path):
    from .conftest import POSTGRES_URL

    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'migrate.sqlite'}"
        return
    # A separate schema keeps the shared test schema untouched.
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_test"))
    yield POSTGRES_URL + "?options=-csearch_path%3Dmigration_test"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
    engine.dispose()


def test_upgrade_to_head_matches_models_and_downgrades(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata
            )
            assert diff == []
            # The append-only triggers come with the migration too.
            conn.execute(
                text(
                    "INSERT INTO audit_events (at, action, outcome, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'x', 'ok', '')"
                )
            )
            with pytest.raises(Exception, match="append-only"):
                conn.execute(text("DELETE FROM audit_events"))
            conn.rollback()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()
