"""Tampering with history shows: the database refuses it where it can (triggers, the app's
restricted PostgreSQL role), and where someone goes around that as the owner, the hash
chain and the trigger check in `flask check` and backup verification report it."""

# ruff: noqa: S608 - the SQL here names tables from the app's own list, never input

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, ProgrammingError
from sqlalchemy.pool import NullPool

from skills import create_app
from skills.backup import integrity_problems
from skills.config import PROJECT_ROOT
from skills.extensions import db
from skills.models import AuditEvent, SignoffEvent
from skills.models import chain as chain_module
from skills.models.append_only import APPEND_ONLY_TABLES, app_role_grants, append_only_ddl
from skills.models.chain import canonical, chain_problems, row_hash, seal_rows
from skills.services import audit, voice
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import OWNER_URL, POSTGRES_URL, today
from .test_migrations import empty_database  # noqa: F401 - a fixture used below

APP_ROLE = "skills_app_test"


@pytest.fixture
def history(make_user, make_mentee, assign, skill):
    """Sign-offs (one corrected), audit events, a confirmation, a disagreement, a
    self-rating and a session note's history (a version, an addendum, a comment, a linked
    sign-off)."""
    from .test_session_note_history_append_only import write_note_history

    mentor = make_user("mentor")
    mentee = make_mentee(with_login=True)
    assign(mentor, mentee)
    events = [
        record_signoff(mentee, skill(key), mentor, SignoffDetails(level=2, shown_on=today()))
        for key in ("get-transit-card", "read-timetable", "use-atm")
    ]
    db.session.flush()
    correction = correct_signoff(
        events[0], mentor, SignoffDetails(level=3, shown_on=today()), "Wrong level"
    )
    mentee_user = mentee.user
    voice.confirm_signoff(events[1], mentee_user, "Yes, I did this")
    voice.disagree_signoff(events[2], mentee_user, "We only talked about it")
    voice.rate_self(mentee, skill("use-atm"), "can", mentee_user)
    write_note_history(mentor, mentee, skill("ride-and-pay"))
    db.session.commit()
    for table in APPEND_ONLY_TABLES:  # a new append-only table needs a row here
        assert db.session.scalar(text(f"SELECT count(*) FROM {table}")), table
    db.session.rollback()  # no open transaction holds locks the tests' DDL needs
    return {"events": [*events, correction], "mentor": mentor, "mentee": mentee}


def _key(table: str) -> str:
    """A column of the table's primary key (session_note_signoffs has no `id`)."""
    return db.metadata.tables[table].primary_key.columns.values()[0].name


@contextmanager
def as_owner(app) -> Iterator[Connection]:
    """A connection of the role that owns the tables, in a transaction."""
    engine = create_engine(OWNER_URL, poolclass=NullPool) if POSTGRES_URL else db.engine
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        if engine is not db.engine:
            engine.dispose()


@pytest.fixture
def triggers_restored(app):
    """The PostgreSQL schema outlives the test: put every append-only trigger back."""
    yield
    if not POSTGRES_URL:
        return  # a fresh SQLite file per test
    db.session.remove()
    with as_owner(app) as conn:
        for table in APPEND_ONLY_TABLES:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
            for statement in append_only_ddl(table, "postgresql"):
                conn.execute(text(statement))


def bypass(app, *statements: str, **params) -> None:
    """Run statements as an owner going around the triggers (and foreign keys)."""
    db.session.rollback()
    if POSTGRES_URL:
        with as_owner(app) as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                conn.execute(text(statement), params)
        return
    db.session.remove()
    db.engine.dispose()
    raw = sqlite3.connect(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    try:
        raw.execute("PRAGMA foreign_keys = OFF")
        saved = raw.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            raw.execute(f"DROP TRIGGER {name}")
        for statement in statements:
            raw.execute(statement, params)
        for (sql,) in saved:
            raw.execute(sql)
        raw.commit()
    finally:
        raw.close()


def problems() -> list[str]:
    with db.engine.connect() as conn:
        return chain_problems(conn)


def test_every_row_joins_the_chain_and_check_passes(history, runner):
    for table in (SignoffEvent.__table__, AuditEvent.__table__):
        rows = db.session.execute(
            select(table.c.id, table.c.chain_prev_id, table.c.chain_hash).order_by(table.c.id)
        ).all()
        assert len(rows) >= 4
        assert [r.chain_prev_id for r in rows] == [None] + [r.id for r in rows[:-1]]
        assert all(r.chain_hash and len(r.chain_hash) == 64 for r in rows)
    assert problems() == []
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "hash chains are whole" in result.output
    last = db.session.scalar(select(AuditEvent.chain_hash).order_by(AuditEvent.id.desc()))
    assert "Chain head of audit_events: row" in result.output and last in result.output


def _other(value: object) -> object:
    if value is None:
        return 1
    if isinstance(value, date):  # dates and datetimes
        return value.replace(year=2001)
    return value + 1 if isinstance(value, int) else f"{value}x"


def test_the_hash_covers_every_column(history):
    """Built from the table's columns: a column added later is covered with no change."""
    for table in (SignoffEvent.__table__, AuditEvent.__table__):
        row = dict(db.session.execute(select(table).order_by(table.c.id.desc())).first()._mapping)
        prev = db.session.scalar(
            select(table.c.chain_hash).where(table.c.id == row["chain_prev_id"])
        )
        assert row_hash(prev, row) == row["chain_hash"]
        for column in table.columns:
            if column.name != "chain_hash":
                changed = row | {column.name: _other(row[column.name])}
                assert row_hash(prev, changed) != row["chain_hash"], column.name
        assert row_hash(None, row) != row["chain_hash"]  # and the row before it


def test_the_encoding_of_a_row_never_changes():
    """Every stored chain was hashed this way: a change to the canonical form (key order,
    separators, non-ASCII text, dates, NULLs left out) would break them all. The value
    was computed by the encoder before it was made reusable (commit c9d3995)."""
    row = {
        "id": 7,
        "mentee_id": 3,
        "note": "Compró la tarjeta — sola",
        "shown_on": date(2026, 11, 30),
        "recorded_at": datetime(2026, 12, 1, 2, 5, tzinfo=UTC),
        "signed_off": True,
        "place": None,
        "level": 3,
        "chain_prev_id": 6,
        "chain_hash": "not part of the hash",
    }
    assert row_hash("ab" * 32, row) == (
        "976eb2a35eb241c4cc0a4983449848ca1b6d5537e12a0bc373d98322edd032a2"
    )


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " back\\slash / tab\t line\n bell\x07 \u2028',
        "Compró la tarjeta — sola 🚌",
        "",
        0,
        -12,
        2**70,
        True,
        False,
        1.5,
        Decimal("1.50"),
        datetime(2026, 12, 1, 2, 5, tzinfo=ZoneInfo("America/New_York")),
        datetime(2026, 12, 1, 2, 5, 0, 7),
        date(2026, 11, 30),
        b"\x00\xff",
        None,
    ],
    ids=repr,
)
def test_a_row_is_encoded_as_the_json_of_its_canonical_values(value):
    """The encoding is built a value at a time (no dict, no encoder call per row: a
    bulk load seals, and `flask check` reads, millions of rows). For every kind of
    value it must be the JSON object it stands for: canonical values, keys sorted,
    NULLs and the hash left out, compact, non-ASCII kept."""
    names = tuple(column.name for column in SignoffEvent.__table__.columns)
    assert list(names) != sorted(names)  # so the keys' order is tested too
    row = {name: n for n, name in enumerate(names)} | {"note": value, "chain_hash": "x"}
    meant = json.dumps(
        {k: canonical(v) for k, v in row.items() if v is not None and k != "chain_hash"},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    assert chain_module._row_encoder(names)(row) == meant
    assert row_hash("ab" * 32, row) == hashlib.sha256(f"{'ab' * 32}\n{meant}".encode()).hexdigest()


# The columns the old events checksum left out, and the new audit columns among them.
CHANGES = {
    "kind": ("signoff_events", "kind = 'refresher'", 2),
    "recorded_by_id": ("signoff_events", "recorded_by_id = recorded_by_id + 100", 2),
    "note_visibility": (
        "signoff_events",
        "note_visibility = CASE note_visibility WHEN 'staff' THEN 'mentee' ELSE 'staff' END",
        2,
    ),
    "corrects_id": ("signoff_events", "corrects_id = corrects_id + 1", 4),
    "note": ("signoff_events", "note = 'rewritten'", 3),
    "audit action": ("audit_events", "action = 'mentee.view'", 2),
    "audit client address": ("audit_events", "client_address = '10.9.9.9'", 3),
    "audit actor": ("audit_events", "actor_id = 999", 2),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_a_changed_row_is_reported_with_its_id(history, app, change):
    table, assignment, position = CHANGES[change]
    row_id = db.session.scalars(text(f"SELECT id FROM {table} ORDER BY id")).all()[position - 1]
    bypass(app, f"UPDATE {table} SET {assignment} WHERE id = :id", id=row_id)
    assert problems() == [f"{table} row {row_id} was changed: it no longer matches its chain hash"]


def test_a_deleted_row_is_reported_with_its_id(history, app):
    ids = db.session.scalars(select(SignoffEvent.id).order_by(SignoffEvent.id)).all()
    bypass(app, "DELETE FROM signoff_events WHERE id = :id", id=ids[1])
    assert problems() == [f"signoff_events row {ids[1]} was deleted (row {ids[2]} followed it)"]


def test_a_row_slipped_into_a_gap_is_reported_with_its_id(history, app):
    table = AuditEvent.__table__
    conn = db.session.connection()
    last = db.session.scalar(select(table.c.id).order_by(table.c.id.desc()))
    # The app leaves a gap in the ids (PostgreSQL does, after a rolled-back insert).
    (gapped,) = seal_rows(conn, table, [{"id": last + 10, "action": "after.gap"}])
    db.session.execute(table.insert(), gapped)
    db.session.commit()
    assert problems() == []
    # A forger computes a perfect hash for a row in the gap; the next row gives it away.
    (forged,) = seal_rows(db.session.connection(), table, [{"action": "forged"}])
    db.session.rollback()
    forged |= {"id": last + 5}
    forged["chain_hash"] = row_hash(
        db.session.scalar(select(table.c.chain_hash).where(table.c.id == last)),
        forged | {"chain_prev_id": last},
    )
    forged["chain_prev_id"] = last
    # Stored as the app stores it: naive UTC.
    forged["at"] = forged["at"].astimezone(UTC).isoformat(sep=" ", timespec="microseconds")
    columns = ", ".join(forged)
    marks = ", ".join(f":{name}" for name in forged)
    bypass(app, f"INSERT INTO audit_events ({columns}) VALUES ({marks})", **forged)
    assert problems() == [
        f"audit_events row {last + 5} was added out of turn (row {last + 10} follows row {last})"
    ]


def test_a_row_written_around_the_app_has_no_hash(history, app):
    bypass(
        app,
        "INSERT INTO audit_events (at, action, outcome, detail) "
        "VALUES (CURRENT_TIMESTAMP, 'raw', 'ok', '')",
    )
    raw = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "raw"))
    assert problems() == [
        f"audit_events row {raw} has no chain hash: it was written outside the app"
    ]


def test_backup_verification_reports_a_broken_chain(history, app):
    first = db.session.scalar(select(SignoffEvent.id).order_by(SignoffEvent.id))
    bypass(app, "UPDATE signoff_events SET kind = 'refresher' WHERE id = :id", id=first)
    with db.engine.connect() as conn:
        assert integrity_problems(conn) == [
            f"signoff_events row {first} was changed: it no longer matches its chain hash"
        ]


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_every_append_only_table_refuses_update_delete_and_truncate(app, history, table):
    """The triggers refuse even the owner, who holds every privilege."""
    # SQLite has no TRUNCATE; its stand-in is DELETE without WHERE (it skips row triggers
    # only when a table has none).
    key = _key(table)
    statements = [f"UPDATE {table} SET {key} = {key}", f"DELETE FROM {table} WHERE {key} > 0"]
    statements.append(f"TRUNCATE {table} CASCADE" if POSTGRES_URL else f"DELETE FROM {table}")
    before = db.session.scalar(text(f"SELECT count(*) FROM {table}"))
    db.session.rollback()
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), as_owner(app) as conn:
            conn.execute(text(statement))
    assert db.session.scalar(text(f"SELECT count(*) FROM {table}")) == before


def _check_fails_with(runner, line: str) -> None:
    result = runner.invoke(args=["check"])
    db.session.rollback()
    assert result.exit_code == 1, result.output
    assert line in result.output.splitlines(), result.output


@pytest.mark.usefixtures("triggers_restored")
@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_check_reports_a_dropped_trigger(history, app, runner, table):
    name = f"{table}_append_only" if POSTGRES_URL else f"{table}_no_update"
    with as_owner(app) as conn:
        conn.execute(text(f"DROP TRIGGER {name}" + (f" ON {table}" if POSTGRES_URL else "")))
    _check_fails_with(runner, f"{table} has lost the trigger that keeps it append-only ({name})")


@pytest.mark.usefixtures("triggers_restored")
def test_check_reports_a_disabled_or_hollowed_trigger(history, app, runner):
    if not POSTGRES_URL:
        # SQLite cannot disable a trigger; one rewritten to refuse nothing is the same.
        with as_owner(app) as conn:
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(
                text(
                    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                    "BEGIN SELECT 1; END"
                )
            )
        _check_fails_with(
            runner, "audit_events: trigger audit_events_no_delete no longer refuses DELETE"
        )
        return
    with as_owner(app) as conn:
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate"))
    _check_fails_with(
        runner,
        "audit_events: trigger audit_events_no_truncate is disabled; re-enable it with "
        "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate",
    )
    with as_owner(app) as conn:
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate"))
        conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION signoff_events_append_only() RETURNS trigger AS $$ "
                "BEGIN RETURN OLD; END; $$ LANGUAGE plpgsql"
            )
        )
    _check_fails_with(
        runner, "signoff_events: trigger signoff_events_append_only no longer refuses changes"
    )


@contextmanager
def as_app_role() -> Iterator[Connection]:
    """A connection with exactly the app role's rights (docs/deployment.md, "Two roles")."""
    if OWNER_URL != POSTGRES_URL:  # CI's restricted run: the app itself connects as it
        with db.engine.connect() as conn:
            yield conn
        return
    with db.engine.connect() as conn:
        owner = conn.scalar(text("SELECT current_user"))
        conn.execute(
            text(
                f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        )
        for statement in app_role_grants(APP_ROLE, owner):
            conn.execute(text(statement))
        conn.commit()
        conn.execute(text(f"SET ROLE {APP_ROLE}"))
        try:
            yield conn
        finally:
            conn.rollback()
            conn.execute(text("RESET ROLE"))


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_the_app_role_cannot_update_delete_or_truncate_history(history, table):
    if not POSTGRES_URL:
        # SQLite has no roles: its triggers are the whole guard (tested above). CI runs
        # this test on PostgreSQL too.
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))
        return
    for statement in (
        f"UPDATE {table} SET {_key(table)} = {_key(table)}",
        f"DELETE FROM {table}",
        f"TRUNCATE {table} CASCADE",
    ):
        with as_app_role() as conn, pytest.raises(ProgrammingError, match="permission denied"):
            conn.execute(text(statement))
    with as_app_role() as conn:
        # What the app needs still works: reading and adding history, changing the rest.
        assert conn.scalar(text(f"SELECT count(*) FROM {table}")) > 0
        conn.execute(text("UPDATE organisations SET name = name"))
        sealed = seal_rows(conn, AuditEvent.__table__, [{"action": "as.app.role"}])
        conn.execute(AuditEvent.__table__.insert(), sealed)


def test_concurrent_writers_keep_one_chain(app, history):
    """Writers on their own connections at once: every row follows exactly one other."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    audit.record(f"race.{n}.{i}")
                    db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    prev_ids = db.session.scalars(select(AuditEvent.chain_prev_id)).all()
    assert len(prev_ids) == len(set(prev_ids))  # no fork
    assert problems() == []


def test_each_write_adds_one_small_query(app, history, count_queries):
    db.session.commit()
    with count_queries() as counter:
        audit.record("count.one")
        audit.record("count.two")
    db.session.commit()
    head_reads = [s for s in counter.statements if "chain_hash" in s and "SELECT" in s]
    assert len(head_reads) == 2 and all("LIMIT" in s for s in head_reads)
    # PostgreSQL adds the advisory lock, once per transaction.
    assert counter.count == (5 if POSTGRES_URL else 4), counter.statements


def test_the_migration_chains_existing_rows(empty_database):  # noqa: F811 - the fixture
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            for action in ("before.one", "before.two", "before.three"):
                conn.execute(
                    text(
                        "INSERT INTO audit_events (at, action, outcome, detail, user_agent) "
                        "VALUES (:at, :action, 'ok', '', 'Mozilla/5.0')"
                    ),
                    {"at": "2026-01-02 03:04:05.000006", "action": action},
                )
        upgrade()
        assert problems() == []
        audit.record("after.upgrade")
        db.session.commit()
        rows = db.session.execute(
            select(AuditEvent.id, AuditEvent.chain_prev_id).order_by(AuditEvent.id)
        ).all()
        assert [r.chain_prev_id for r in rows] == [None, 1, 2, 3]
        assert problems() == []
        db.session.remove()
        db.engine.dispose()


def test_the_deployment_guide_grants_what_the_code_says():
    """docs/deployment.md's SQL for the app role names every append-only table."""
    guide = (PROJECT_ROOT / "docs" / "deployment.md").read_text()
    for statement in app_role_grants("skills_app", "skills"):
        assert f"{statement};\n" in guide, statement
