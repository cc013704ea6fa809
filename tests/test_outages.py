"""Degraded modes on SQLite, and the database limits: what people and operators see when
the database cannot be opened or its disk is full.

Always SQLite (it needs no server), whatever TEST_DATABASE_URL says; PostgreSQL outages
are in test_database_outage.py. The full-disk test mounts a small tmpfs, which needs
root (CAP_SYS_ADMIN): elsewhere it is skipped with the reason, never in CI.
"""

import errno
import logging
import os
import sqlite3
import subprocess
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills import create_app, outages
from skills.config import ConfigError, load_config
from skills.extensions import db
from skills.models import AuditEvent
from skills.services import assignments, people
from skills.services import curriculum as curriculum_service

from .conftest import MINI_CURRICULUM, PASSWORD, today

UNREACHABLE = "We can't reach the database right now. Nothing was saved."
DISK_FULL = "The server's disk is full, so nothing was saved. Please tell your admin."


def make_app(database: Path, **config):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": False,
            "CURRICULUM_DIR": MINI_CURRICULUM.parent,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "SQLITE_SYNCHRONOUS": "OFF",
            **config,
        }
    )
    with app.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        org = people.get_or_create_organisation("Test Program")
        mentor = people.create_user(org, "mentor", "Dana Reyes", PASSWORD, ["mentor"])
        people.create_user(org, "casemanager", "Sam Okafor", PASSWORD, ["case_manager"])
        mentee = people.create_mentee(org, "José García", today() - timedelta(days=30))
        assignments.assign(mentor, mentee, "mentor", mentee.start_date)
        db.session.commit()
        app.config["TEST_MENTEE_ID"] = mentee.id
        db.session.remove()
    return app


def sign_in(app, username="mentor"):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def outage_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def assert_degraded_page(response, message: str) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert message in page.replace("&#39;", "'")
    # Rendered without the database: no signed-in name, no navigation, no traceback.
    assert "Dana Reyes" not in page and "Sign out" not in page and "Traceback" not in page
    return page


def test_a_signed_in_person_gets_a_clear_page_when_the_database_cannot_be_opened(tmp_path, caplog):
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_app(folder / "skills.sqlite")
    client = sign_in(app)
    assert client.get("/mentor/").status_code == 200

    with app.app_context():
        db.engine.dispose()
    folder.rename(tmp_path / "data-gone")  # as an unmounted or unreadable volume looks
    caplog.clear()
    response = client.get("/mentor/")
    assert_degraded_page(response, UNREACHABLE)
    assert response.headers["Retry-After"] == "60"
    [line] = outage_logs(caplog)
    assert line.getMessage().startswith("Database unavailable (SQLite at ")
    assert (
        "unable to open database file" in line.getMessage() and "GET /mentor/" in line.getMessage()
    )
    assert line.exc_info is None  # one line, not a traceback per request

    assert client.get("/health/live").status_code == 200
    for check in ("/health/ready", "/health"):
        response = client.get(check)
        assert response.status_code == 503, check
        assert response.get_json() == {"status": "database unavailable"}

    (tmp_path / "data-gone").rename(folder)
    assert client.get("/mentor/").status_code == 200  # still signed in: nothing to redo
    assert client.get("/health/ready").get_json() == {"status": "ok"}
    with app.app_context():
        db.engine.dispose()


@contextmanager
def small_disk(path: Path, megabytes: int):
    """A tmpfs of `megabytes` at `path`, unmounted afterwards."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs to fill (needs root with CAP_SYS_ADMIN): {mounted.stderr}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run this test")
        pytest.skip(reason)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk refuses another byte."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_says_so_to_people_log_and_readiness(tmp_path, caplog):
    with small_disk(tmp_path / "disk", megabytes=16) as disk:
        database = disk / "skills.sqlite"
        app = make_app(database)
        mentee_page = f"/mentees/{app.config['TEST_MENTEE_ID']}"
        mentor = sign_in(app)
        assert mentor.get(mentee_page).status_code == 200
        assert mentor.get("/health/ready").get_json() == {"status": "ok"}
        with app.app_context():
            with db.engine.connect() as connection:  # empty the log, so writes must grow it
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
            db.session.remove()
        filler = fill(disk)

        caplog.clear()
        # Opening a mentee's page writes an audit row; signing in writes one too.
        assert_degraded_page(mentor.get(mentee_page), DISK_FULL)
        newcomer = app.test_client()
        response = newcomer.post("/login", data={"username": "casemanager", "password": PASSWORD})
        assert_degraded_page(response, DISK_FULL)
        assert "Retry-After" not in response.headers  # waiting does not help; the admin does
        # Nothing was saved: no audit rows, and the sign-in did not happen either.
        assert "/login" in newcomer.get("/caseload/").headers["Location"]
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audit_rows
            db.session.remove()
        lines = [r.getMessage() for r in outage_logs(caplog)]
        assert len(lines) == 2, lines
        assert all(
            line.startswith(f"SQLite database disk is full at {database.resolve()}: ")
            for line in lines
        ), lines
        assert "GET /mentees/" in lines[0] and "POST /login" in lines[1]

        response = mentor.get("/health/ready")
        assert response.status_code == 503 and response.get_json() == {"status": "disk full"}
        assert mentor.get("/health/live").status_code == 200
        assert any(
            "Not ready: SQLite database disk is full" in r.getMessage() for r in caplog.records
        )

        filler.unlink()  # the admin makes room
        assert mentor.get("/health/ready").get_json() == {"status": "ok"}
        assert mentor.get(mentee_page).status_code == 200
        sign_in(app, "casemanager")
        with app.app_context():
            db.engine.dispose()


def test_database_errors_that_are_bugs_are_not_called_outages(tmp_path):
    connection = sqlite3.connect(tmp_path / "bug.sqlite")
    with pytest.raises(sqlite3.OperationalError) as no_table:
        connection.execute("SELECT * FROM no_such_table")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO t VALUES (1), (1)")
    connection.close()
    assert outages.classify(no_table.value) is None
    assert outages.classify(duplicate.value) is None
    assert outages.classify(ValueError("not a database error")) is None


def test_postgresql_connections_get_connect_statement_and_lock_timeouts(tmp_path):
    config = load_config(tmp_path, {"SECRET_KEY": "x"})
    options = outages.engine_options("postgresql+psycopg://u@db/skills", config)
    assert options["connect_args"] == {
        "connect_timeout": 5,
        "options": "-c statement_timeout=10000 -c lock_timeout=5000 "
        "-c idle_in_transaction_session_timeout=60000",
    }
    assert options["pool_pre_ping"] is True and options["pool_timeout"] == 10
    # Each is configurable; 0 turns one off; the URL's own settings are kept and win.
    config = load_config(
        tmp_path,
        {
            "SECRET_KEY": "x",
            "DATABASE_CONNECT_TIMEOUT": "3",
            "DATABASE_STATEMENT_TIMEOUT": "2.5",
            "DATABASE_LOCK_TIMEOUT": "0",
            "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": "0",
        },
    )
    url = "postgresql+psycopg://u@db/skills?options=-c%20statement_timeout%3D0&connect_timeout=9"
    assert outages.engine_options(url, config)["connect_args"] == {
        "options": "-c statement_timeout=2500 -c statement_timeout=0"
    }
    assert outages.engine_options("sqlite:///x.sqlite", config) == {}


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "inf"])
def test_a_database_limit_that_is_not_a_number_of_seconds_is_refused(tmp_path, value):
    with pytest.raises(ConfigError, match="DATABASE_STATEMENT_TIMEOUT"):
        load_config(tmp_path, {"SECRET_KEY": "x", "DATABASE_STATEMENT_TIMEOUT": value})
