"""Backups restore into a fresh database with every row, sound, and the same hashes; each
carries a manifest that `backup --verify` and `restore` check it against.

Damaged backups are refused in tests/test_restore_faults.py.
"""

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import make_url

from skills import backup, create_app
from skills.backup import manifest as manifest_module
from skills.backup import postgres
from skills.extensions import db
from skills.models import Mentee
from skills.services import audit
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import DATA, MINI_CURRICULUM, today


@pytest.fixture
def history(make_user, make_mentee, assign, skill):
    """A little of everything: people, assignments, sign-offs, a correction, audit events."""
    mentor = make_user("mentor")
    make_user("case_manager")
    for n in range(3):
        mentee = make_mentee(name=f"Backup Mentee {n}")
        assign(mentor, mentee)
        for level, key in enumerate(["get-transit-card", "read-timetable"], start=1):
            event = record_signoff(
                mentee,
                skill(key),
                mentor,
                SignoffDetails(
                    level=level,
                    shown_on=today() - timedelta(days=n),
                    note=f"Note “{n}-{key}” with accents: café",
                ),
                idempotency_key=f"backup-{n}-{key}",
            )
        db.session.flush()
        correct_signoff(event, mentor, SignoffDetails(level=3, shown_on=today()), "Typo")
        audit.record("mentee.view", mentor, mentee=mentee)
    db.session.commit()


def _server(url):
    server = url.set(drivername="postgresql", database="postgres")
    return psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)


def drop_databases(database_url: str, name: str) -> None:
    """Drop `name` and whatever restores left beside it (kept and scratch databases)."""
    with _server(make_url(database_url)) as conn:
        names = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = %s OR datname LIKE %s "
            "OR datname LIKE %s",
            (name, f"{name}\\_before\\_restore\\_%", f"{name}\\_%\\_tmp"),
        ).fetchall()
        for (found,) in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{found}" WITH (FORCE)')


@contextmanager
def scratch_database(database_url: str, tmp_path) -> Iterator[str]:
    """A fresh empty database of the same kind as the test database, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore_check"
    drop_databases(database_url, name)
    with _server(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_databases(database_url, name)


def _summary(app):
    with app.app_context():
        with db.engine.connect() as conn:
            summary = backup.summarise(conn)
        db.engine.dispose()  # a pooled connection would keep the database in use
    return summary


def fresh_app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "CURRICULUM_DIR": DATA,
            "SQLITE_SYNCHRONOUS": "OFF",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )


def restore_into(url: str, file, *extra):
    """Run `flask restore` against the database at `url` (its own app and app context)."""
    target = fresh_app(url)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["restore", str(file), *extra])
        db.engine.dispose()
    return target, result


def _assert_same(original, restored, output: str) -> None:
    assert restored.counts == original.counts
    assert restored.events_sha256 == original.events_sha256
    assert restored.revision == original.revision
    assert all(original.counts[t] > 0 for t in ("signoff_events", "skill_status", "audit_events"))
    assert f"Sign-off events SHA-256: {original.events_sha256}" in output
    assert "Integrity: ok" in output


def _digests(app):
    with app.app_context():
        with db.engine.connect() as conn:
            digests = manifest_module.digest_tables(conn)
        db.engine.dispose()
    return digests


def _manifest(file: Path) -> dict:
    return json.loads(manifest_module.manifest_path(file).read_text())


def test_backup_restores_into_a_fresh_database(app, history, runner, tmp_path, database_url):
    original = _summary(app)
    file = tmp_path / "skills.backup"

    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert f"Sign-off events SHA-256: {original.events_sha256}" in result.output
    for table, count in original.counts.items():
        assert re.search(rf"^  {table} +{count:,}$", result.output, re.M), table
    sidecar = manifest_module.manifest_path(file)
    assert f"Manifest: {sidecar}" in result.output
    for path in (file, sidecar):
        assert path.stat().st_mode & 0o077 == 0  # health information: owner only
    recorded = _manifest(file)
    assert recorded["file"]["sha256"] == hashlib.sha256(file.read_bytes()).hexdigest()
    digests = _digests(app)
    assert {name: (d.rows, d.sha256) for name, d in digests.items()} == {
        name: (entry["rows"], entry["sha256"]) for name, entry in recorded["tables"].items()
    }

    with scratch_database(database_url, tmp_path) as fresh_url:
        restored_app, result = restore_into(fresh_url, file)
        assert result.exit_code == 0, result.output
        assert "kept as" not in result.output  # the database it replaced held nothing
        restored = _summary(restored_app)
        _assert_same(original, restored, result.output)
        assert _digests(restored_app) == digests
        with restored_app.app_context(), db.engine.connect() as conn:
            assert backup.integrity_problems(conn) == []
        with restored_app.app_context():
            db.engine.dispose()


def test_restore_replaces_data_only_when_told_and_keeps_what_it_replaced(
    app, history, runner, tmp_path, database_url
):
    original = _summary(app)
    file = tmp_path / "skills.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    with scratch_database(database_url, tmp_path) as url:
        assert restore_into(url, file)[1].exit_code == 0
        target = fresh_app(url)
        with target.app_context():
            db.session.execute(update(Mentee).values(full_name="Changed since the backup"))
            db.session.commit()
            db.engine.dispose()
        changed = _digests(target)

        refused = restore_into(url, file)[1]
        assert refused.exit_code != 0
        assert "already holds data" in refused.output and "--yes" in refused.output
        assert "left untouched" in refused.output

        target, replaced = restore_into(url, file, "--yes")
        assert replaced.exit_code == 0, replaced.output
        _assert_same(original, _summary(target), replaced.output)
        kept = re.search(r"The previous database is kept as (\S+?);", replaced.output)
        assert kept, replaced.output
        kept_url = (
            f"sqlite:///{kept[1]}"
            if url.startswith("sqlite")
            else make_url(url).set(database=kept[1]).render_as_string(hide_password=False)
        )
        assert _digests(fresh_app(kept_url)) == changed
        if url.startswith("sqlite"):
            assert Path(kept[1]).stat().st_mode & 0o077 == 0
            assert Path(make_url(url).database).stat().st_mode & 0o077 == 0
        with target.app_context():
            db.engine.dispose()


def test_verify_checks_a_backup_without_touching_the_database(app, history, runner, tmp_path):
    file = tmp_path / "skills.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    before = _digests(app)
    result = runner.invoke(args=["backup", "--verify", str(file)])
    assert result.exit_code == 0, result.output
    assert "is sound: it matches its manifest" in result.output
    assert _digests(app) == before
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == [
        "skills.backup",
        "skills.backup.manifest.json",
    ]


def test_backup_will_not_overwrite_a_file_or_a_manifest(app, runner, tmp_path):
    file = tmp_path / "taken.backup"
    file.write_text("an earlier backup")
    result = runner.invoke(args=["backup", str(file)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert file.read_text() == "an earlier backup"

    other = tmp_path / "other.backup"
    manifest_module.manifest_path(other).write_text("{}")
    result = runner.invoke(args=["backup", str(other)])
    assert result.exit_code != 0 and "other.backup.manifest.json already exists" in result.output
    assert not other.exists()


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    file = tmp_path / "notes.txt"
    file.write_text("not a backup")
    result = runner.invoke(args=["restore", str(file), "--yes"])
    assert result.exit_code != 0 and "it has no manifest" in result.output
    result = runner.invoke(args=["restore", str(file), "--yes", "--no-manifest"])
    assert result.exit_code != 0 and "neither a SQLite backup nor a pg_dump" in result.output
    assert "left untouched" in result.output


def test_a_backup_without_a_manifest_needs_no_manifest_and_is_still_checked(
    app, history, runner, tmp_path, database_url
):
    """Backups made before manifests existed: refused unless --no-manifest, then restored
    with a warning after the integrity and status checks."""
    original = _summary(app)
    file = tmp_path / "old.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    manifest_module.manifest_path(file).unlink()
    with scratch_database(database_url, tmp_path) as url:
        _, refused = restore_into(url, file)
        assert refused.exit_code != 0
        assert "it has no manifest (old.backup.manifest.json beside it)" in refused.output
        assert "--no-manifest" in refused.output

        verified = runner.invoke(args=["backup", "--verify", "--no-manifest", str(file)])
        assert verified.exit_code == 0, verified.output
        assert "has no manifest; it passes the integrity and status checks" in verified.output

        target, restored = restore_into(url, file, "--no-manifest")
        assert restored.exit_code == 0, restored.output
        assert "Warning: restored without a manifest" in restored.output
        _assert_same(original, _summary(target), restored.output)
        with target.app_context():
            db.engine.dispose()


def test_restore_waits_for_the_app_to_stop(app, history, runner, tmp_path, database_url):
    """A process still holding the database open makes the swap refuse, cleanly."""
    file = tmp_path / "skills.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    with scratch_database(database_url, tmp_path) as url:
        assert restore_into(url, file)[1].exit_code == 0
        before = _digests(fresh_app(url))
        if url.startswith("sqlite"):
            path = make_url(url).database
            holder = subprocess.Popen(  # an app process: WAL mode, one read, then idle
                [
                    sys.executable,
                    "-c",
                    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                    "c.execute('PRAGMA journal_mode=WAL'); c.execute('SELECT 1 FROM users'); "
                    "print('open', flush=True); sys.stdin.read()",
                    path,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert holder.stdout.readline() == "open\n"
        else:
            direct = make_url(url).set(drivername="postgresql")
            holder = psycopg.connect(direct.render_as_string(hide_password=False))
            holder.execute("SELECT 1")
        try:
            _, result = restore_into(url, file, "--yes")
        finally:
            holder.communicate("") if isinstance(holder, subprocess.Popen) else holder.close()
        assert result.exit_code != 0
        assert re.search(r"(open in another process|is in use).*stop the app", result.output)
        assert "left untouched" in result.output and "Traceback" not in result.output
        assert _digests(fresh_app(url)) == before


def test_restore_carries_over_what_the_database_is(app, history, runner, tmp_path, database_url):
    """PostgreSQL: the replacement gets the old database's settings, grants and comment.
    SQLite: it gets the file's owner, and a stale scratch copy is cleared first."""
    file = tmp_path / "skills.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    with scratch_database(database_url, tmp_path) as url:
        name = make_url(url).database
        if url.startswith("postgresql"):
            with _server(make_url(url)) as conn:
                conn.execute(f"ALTER DATABASE \"{name}\" SET work_mem = '7MB'")
                conn.execute(f'ALTER DATABASE "{name}" SET search_path = "$user", public')
                conn.execute(f'REVOKE TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
                conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'Riverside'")
        else:
            Path(f"{name}.restore-tmp").write_bytes(b"left by an interrupted restore")
        _, result = restore_into(url, file)
        assert result.exit_code == 0, result.output
        if url.startswith("postgresql"):
            with _server(make_url(url)) as conn:
                facts = conn.execute(
                    "SELECT datacl::text[], shobj_description(oid, 'pg_database'), "
                    "(SELECT setconfig FROM pg_db_role_setting WHERE setdatabase = d.oid) "
                    "FROM pg_database d WHERE datname = %s",
                    (name,),
                ).fetchone()
            acl, comment, settings = facts
            assert not any(item.startswith("=") and "T" in item.split("/")[0] for item in acl)
            assert comment == "Riverside"
            assert sorted(settings) == ['search_path="$user", public', "work_mem=7MB"]
        else:
            assert not Path(f"{name}.restore-tmp").exists()
            assert Path(name).stat().st_mode & 0o777 == 0o600


def test_restore_recovers_a_database_that_cannot_be_read(tmp_path):
    """The disaster case: the live SQLite file is damaged; restore --yes replaces it."""
    source = fresh_app(f"sqlite:///{tmp_path / 'good.sqlite'}")
    with source.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        db.session.commit()
        assert source.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
        db.engine.dispose()
    live = tmp_path / "live.sqlite"
    live.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)
    _, result = restore_into(f"sqlite:///{live}", tmp_path / "b")
    assert result.exit_code != 0 and "already holds data." in result.output
    target, result = restore_into(f"sqlite:///{live}", tmp_path / "b", "--yes")
    assert result.exit_code == 0, result.output
    assert "Integrity: ok" in result.output
    kept = re.search(r"kept as (\S+?);", result.output)[1]
    assert Path(kept).read_bytes() == b"SQLite format 3\x00" + b"\xff" * 8000


def test_sqlite_backup_runs_beside_an_open_write_and_leaves_it_out(tmp_path):
    """SQLite's online backup, whatever the test database: PostgreSQL's pg_dump has MVCC."""
    path = tmp_path / "live.sqlite"
    live = fresh_app(f"sqlite:///{path}")
    with live.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        db.session.commit()
        audit.record("committed.before")
        db.session.commit()
        before = _summary(live)
        writer = sqlite3.connect(path, isolation_level=None)
        try:
            # Another process is half-way through a write when the backup starts.
            writer.execute("BEGIN IMMEDIATE")
            writer.execute(
                "INSERT INTO audit_events (at, action, outcome, detail) "
                "VALUES (CURRENT_TIMESTAMP, 'uncommitted', 'ok', '')"
            )
            file = tmp_path / "during-write.backup"
            result = live.test_cli_runner().invoke(args=["backup", str(file)])
            assert result.exit_code == 0, result.output
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        db.engine.dispose()
    copy = sqlite3.connect(file)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        actions = [row[0] for row in copy.execute("SELECT action FROM audit_events")]
        assert actions == ["curriculum.load", "committed.before"]
        assert before.counts["audit_events"] == 2
    finally:
        copy.close()
    assert _manifest(file)["tables"]["audit_events"]["rows"] == 2
    assert sorted(p.name for p in tmp_path.iterdir() if "during" in p.name) == [
        "during-write.backup",
        "during-write.backup.manifest.json",
    ]


def test_event_hash_changes_with_any_event(app, history, make_user, make_mentee, assign, skill):
    before = _summary(app).events_sha256
    mentor, mentee = make_user("mentor"), make_mentee()
    assign(mentor, mentee)
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=today()))
    db.session.commit()
    assert _summary(app).events_sha256 != before


def test_manifest_hashes_every_column_of_every_table(app, history):
    digests = _digests(app)
    assert set(digests) == {table.name for table in db.metadata.sorted_tables}
    for table in db.metadata.sorted_tables:
        assert digests[table.name].columns == tuple(c.name for c in table.columns)
    # A column the printed events hash leaves out (audit detail) still changes the digest.
    db.session.execute(text("UPDATE mentees SET full_name = full_name || '.'"))
    db.session.commit()
    changed = _digests(app)
    assert changed["mentees"].sha256 != digests["mentees"].sha256
    # Only the mentees changed, and the cache version their triggers bump (migration 0018).
    moved = {"mentees", "cache_versions"}
    assert changed["cache_versions"].sha256 != digests["cache_versions"].sha256
    assert {n: d for n, d in changed.items() if n not in moved} == {
        n: d for n, d in digests.items() if n not in moved
    }


def test_canonical_values_read_the_same_from_either_database():
    """SQLite hands back naive times, PostgreSQL may hand back aware ones; both hash alike."""
    naive = datetime(2026, 11, 30, 9, 5, 1, 20)
    aware = datetime(2026, 11, 30, 10, 5, 1, 20, tzinfo=timezone(timedelta(hours=1)))
    canonical = manifest_module.canonical
    assert canonical(naive) == canonical(aware) == canonical(naive.replace(tzinfo=UTC))
    assert canonical(naive) == "2026-11-30T09:05:01.000020"
    assert canonical(date(2026, 1, 2)) == "2026-01-02"
    # Times are cached by value: a subclass and a date equal to a midnight are their own.
    later = type("Later", (datetime,), {})(2026, 11, 30, 9, 5, 1, 20, tzinfo=UTC)
    assert canonical(later) == canonical(naive)
    assert canonical(date(2026, 11, 30)) == "2026-11-30"
    assert canonical(datetime(2026, 11, 30, tzinfo=UTC)) == "2026-11-30T00:00:00.000000"
    # The night clocks go back, 1:30 a.m. comes twice: equal as values, an hour apart.
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert first == first.replace(fold=1)
    assert canonical(first) == "2026-11-01T05:30:00.000000"
    assert canonical(first.replace(fold=1)) == "2026-11-01T06:30:00.000000"
    assert [canonical(True), canonical(False), canonical(None)] == [1, 0, None]
    assert canonical(Decimal("1.50")) == "1.50" and canonical(b"\x00\xff") == "00ff"
    assert canonical({"b": [True], "a": 1}) == {"b": [1], "a": 1}
    with pytest.raises(TypeError):
        canonical(object())


def test_postgres_url_becomes_a_libpq_connection_string():
    url = make_url(
        "postgresql+psycopg://skills:p%40ss word@db.example:6543/skills"
        "?sslmode=require&options=-csearch_path%3Dother"
    )
    conninfo, env = postgres.libpq(url)
    assert psycopg.conninfo.conninfo_to_dict(conninfo) == {
        "host": "db.example",
        "port": "6543",
        "user": "skills",
        "dbname": "skills",
        "sslmode": "require",
        "options": "-csearch_path=other",
    }
    assert env["PGPASSWORD"] == "p@ss word"  # kept off the command line


def test_scratch_database_names_fit_postgresql():
    assert postgres.scratch_name("x" * 70, "restore") == "x" * 51 + "_restore_tmp"


def test_missing_pg_dump_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="pg_dump is not installed"):
        postgres.tool("pg_dump")
