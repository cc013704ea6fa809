"""Revision 0005 (curricula have owners) on a database with two organisations and
history in both: not one sign-off event is lost or rewritten, up or down."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, Table, text

from skills import create_app
from skills.extensions import db
from skills.timeutil import utcnow

from .test_migrations import _seed_first_revision, empty_database  # noqa: F401 - a fixture

EVENTS = "SELECT * FROM signoff_events ORDER BY id"
STATUS = "SELECT * FROM skill_status ORDER BY mentee_id, skill_id"


def _rows(sql: str) -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def _second_organisation(conn, skill: int) -> None:
    """Another program with its own mentor, mentee and sign-offs on the same skill."""
    now = utcnow().replace(tzinfo=None)

    def add(table: str, **values) -> int:
        reflected = Table(table, MetaData(), autoload_with=conn)
        return conn.execute(reflected.insert().values(**values)).inserted_primary_key[0]

    org = add("organisations", name="Second Program", require_two_step=False, created_at=now)
    person = {"created_at": now, "updated_at": now, "version_id": 1}
    mentor = add(
        "users",
        organisation_id=org,
        username="second-mentor",
        display_name="Second Mentor",
        password_hash="not-a-real-hash",
        roles="mentor",
        active=True,
        session_version=1,
        **person,
    )
    mentee = add(
        "mentees",
        organisation_id=org,
        record_number="S-1",
        full_name="Second Mentee",
        start_date=now.date(),
        status="active",
        **person,
    )
    first = add(
        "signoff_events",
        mentee_id=mentee,
        skill_id=skill,
        kind="signoff",
        level=2,
        recorded_by_id=mentor,
        recorded_at=now,
        shown_on=now.date(),
        note="Second program, first",
        note_visibility="staff",
        idempotency_key="second-1",
    )
    add(
        "signoff_events",
        mentee_id=mentee,
        skill_id=skill,
        kind="correction",
        level=1,
        recorded_by_id=mentor,
        recorded_at=now,
        shown_on=now.date(),
        note="Corrected",
        note_visibility="mentee",
        corrects_id=first,
        idempotency_key="second-2",
    )
    add(
        "skill_status",
        mentee_id=mentee,
        skill_id=skill,
        level=1,
        signed_off=False,
        event_id=first,
        shown_on=now.date(),
        recorded_by_id=mentor,
        needs_refresher=False,
        updated_at=now,
    )


def test_owners_revision_keeps_every_event_of_two_organisations(empty_database, capfd):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            ids = _seed_first_revision(conn)
            _second_organisation(conn, ids["skill"])
        upgrade(revision="0004")
        events, statuses = _rows(EVENTS), _rows(STATUS)
        counters = _rows("SELECT * FROM domain_counters ORDER BY mentee_id, domain_id")
        assert len(events) == 3 and len(statuses) == 2 and len(counters) == 2

        upgrade(revision="0005")
        assert _rows(EVENTS) == events
        assert _rows(STATUS) == statuses
        assert _rows("SELECT * FROM domain_counters ORDER BY mentee_id, domain_id") == counters
        # The curriculum is now the library's, and both programs go on using it.
        assert _rows("SELECT organisation_id FROM curricula") == [(None,)]
        assert len(_rows("SELECT * FROM organisation_curricula")) == 2
        # Keys may now repeat across owners, never within the library.
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO curricula (organisation_id, key, title, version, "
                    "signed_off_level, source_sha256, loaded_at) "
                    "SELECT id, 'mini', 'Own', '1', 1, '', CURRENT_TIMESTAMP FROM organisations"
                )
            )
        with pytest.raises(Exception, match="(?i)unique"), db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO curricula (key, title, version, signed_off_level, "
                    "source_sha256, loaded_at) VALUES ('mini', 'Twin', '1', 1, '', "
                    "CURRENT_TIMESTAMP)"
                )
            )
        # Downgrading would have to drop an organisation's own curricula: refused.
        # (Flask-Migrate logs the refusal and exits 1.)
        with pytest.raises(SystemExit):
            downgrade(revision="0004")
        assert "organisations own curricula (mini)" in capfd.readouterr().err
        assert _rows("SELECT version_num FROM alembic_version") == [("0005",)]
        assert len(_rows("SELECT * FROM curricula")) == 3
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM curricula WHERE organisation_id IS NOT NULL"))

        # Through every later revision and back down, with this history in place (SQLite
        # rebuilds tables that others point at on the way down).
        upgrade()
        downgrade(revision="0004")
        assert _rows(EVENTS) == events
        assert _rows(STATUS) == statuses
        assert "organisation_curricula" not in _tables_now()
        upgrade(revision="0005")
        assert _rows(EVENTS) == events
        db.engine.dispose()


def _tables_now() -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(db.engine).get_table_names())
