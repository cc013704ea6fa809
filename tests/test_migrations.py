"""Alembic's revisions build exactly the schema the models describe."""

import logging
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, create_engine, inspect, text

from skills import create_app
from skills.config import PROJECT_ROOT
from skills.extensions import db
from skills.timeutil import utcnow

from .conftest import today


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


def test_an_upgrade_in_the_app_process_keeps_the_app_logging(empty_database):
    # Alembic's logging setup used to disable every logger that existed before it, so
    # after `flask setup` (which upgrades in-process) outages were no longer logged.
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade()
    assert not app.logger.disabled
    assert not logging.getLogger("skills.secrets_crypto").disabled


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


def _revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _schema_matches_models() -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {"alembic_version"}


def _counts(tables) -> dict[str, int]:
    present = _tables()
    with db.engine.connect() as conn:
        return {
            name: conn.scalar(text(f"SELECT count(*) FROM {name}"))  # noqa: S608 - our names
            for name in tables
            if name in present
        }


def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(empty_database):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    revisions = _revisions()
    with app.app_context():
        for revision in revisions:
            upgrade(revision=revision)
        _schema_matches_models()
        for previous in [*reversed(revisions[:-1]), "base"]:
            downgrade(revision=previous)
        assert _tables() == set()
        upgrade()
        _schema_matches_models()
        db.engine.dispose()


def _seed_first_revision(conn) -> dict[str, int]:
    """Rows written with the first revision's schema: one of each core table."""
    now, day = utcnow().replace(tzinfo=None), today() - timedelta(days=30)

    def add(table: str, **values) -> int:
        reflected = Table(table, MetaData(), autoload_with=conn)
        return conn.execute(reflected.insert().values(**values)).inserted_primary_key[0]

    org = add("organisations", name="Migration Program", require_two_step=False, created_at=now)
    person = {"created_at": now, "updated_at": now, "version_id": 1}
    mentor = add(
        "users",
        organisation_id=org,
        username="migration-mentor",
        display_name="Migration Mentor",
        password_hash="not-a-real-hash",
        roles="mentor",
        active=True,
        session_version=1,
        **person,
    )
    mentee = add(
        "mentees",
        organisation_id=org,
        record_number="M-1",
        full_name="Migration Mentee",
        start_date=day,
        status="active",
        **person,
    )
    add(
        "assignments",
        mentee_id=mentee,
        staff_id=mentor,
        kind="mentor",
        starts_on=day,
        created_at=now,
    )
    curriculum = add(
        "curricula",
        key="mini",
        title="Mini",
        version="1",
        signed_off_level=3,
        source_sha256="0" * 64,
        loaded_at=now,
    )
    for value in range(4):
        add("levels", curriculum_id=curriculum, value=value, name=f"L{value}", mentee_text="")
    domain = add(
        "domains",
        curriculum_id=curriculum,
        key="getting-around",
        title="Getting around",
        summary="",
        icon="",
        position=0,
        retired=False,
    )
    skill = add(
        "skills",
        curriculum_id=curriculum,
        domain_id=domain,
        key="get-transit-card",
        title="Get a transit card",
        i_can="I can get a transit card.",
        description="",
        steps=[],
        position=0,
        retired=False,
    )
    event = add(
        "signoff_events",
        mentee_id=mentee,
        skill_id=skill,
        kind="signoff",
        level=3,
        recorded_by_id=mentor,
        recorded_at=now,
        shown_on=day,
        note="Signed off before the upgrade",
        note_visibility="mentee",
        idempotency_key="before-upgrade",
    )
    add(
        "skill_status",
        mentee_id=mentee,
        skill_id=skill,
        level=3,
        signed_off=True,
        event_id=event,
        shown_on=day,
        recorded_by_id=mentor,
        needs_refresher=False,
        updated_at=now,
    )
    add("audit_events", at=now, action="signoff.record", outcome="ok", detail="")
    return {"mentor": mentor, "mentee": mentee, "skill": skill}


SEEDED = (
    "organisations",
    "users",
    "mentees",
    "assignments",
    "curricula",
    "levels",
    "domains",
    "skills",
    "signoff_events",
    "skill_status",
    "audit_events",
)


def test_every_revision_keeps_the_data_it_does_not_drop(empty_database):
    from skills.models import Mentee, Skill, User
    from skills.services.signoffs import SignoffDetails, record_signoff
    from skills.services.status import status_differences

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    first, *later = _revisions()
    with app.app_context():
        upgrade(revision=first)
        with db.engine.begin() as conn:
            ids = _seed_first_revision(conn)
        seeded = _counts(SEEDED)
        assert set(seeded.values()) == {1, 4} and len(seeded) == len(SEEDED)

        for revision in later:  # upgrades keep every row
            upgrade(revision=revision)
            assert _counts(SEEDED) == seeded, f"upgrade to {revision}"
        _schema_matches_models()
        # The domain counters (revision 0004) were counted from the status rows there.
        assert _counts(("domain_counters",)) == {"domain_counters": 1}
        assert status_differences() == []

        # The upgraded data works with today's code.
        record_signoff(
            db.session.get(Mentee, ids["mentee"]),
            db.session.get(Skill, ids["skill"]),
            db.session.get(User, ids["mentor"]),
            SignoffDetails(level=2, shown_on=today(), note="after the upgrade"),
            allow_lower=True,
        )
        db.session.commit()
        assert status_differences() == []
        db.session.remove()  # no open transaction may hold locks while tables are dropped
        at_head = _counts(db.metadata.tables)

        # Downgrades work with data in place, and keep the rows of tables they leave.
        for previous in reversed([first, *later][:-1]):
            downgrade(revision=previous)
            remaining = _counts(at_head)
            assert remaining == {name: at_head[name] for name in remaining}, previous
        downgrade(revision="base")
        assert _tables() == set()

        upgrade()
        _schema_matches_models()
        db.engine.dispose()
