"""The README's first command, run as a new user would: setup on a fresh database."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from skills import create_app
from skills.config import ConfigError, load_config

from .conftest import POSTGRES_URL


def flask(*args: str, env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "skills", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def fresh_env(tmp_path):
    """A fresh database: a new SQLite file, or an empty schema on the test PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SKILLS_ENV")}
    if not POSTGRES_URL:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        yield env
        return
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS setup_test CASCADE"))
        conn.execute(text("CREATE SCHEMA setup_test"))
    env["DATABASE_URL"] = POSTGRES_URL + "?options=-csearch_path%3Dsetup_test"
    yield env
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS setup_test CASCADE"))
    engine.dispose()


def test_setup_with_demo_twice_on_a_fresh_database(fresh_env, tmp_path):
    first = flask("setup", "--demo", env=fresh_env)
    assert first.returncode == 0, first.stderr
    assert "108 skills added" in first.stdout
    assert "mentor1" in first.stdout and "practice-makes-progress" in first.stdout
    second = flask("setup", "--demo", env=fresh_env)
    assert second.returncode == 0, second.stderr
    assert "Demo data is already there." in second.stdout
    # The logins are printed on every run, in the same form.
    login_lines = [line for line in first.stdout.splitlines() if line.startswith("  ")]
    assert "mentor1" in second.stdout and "practice-makes-progress" in second.stdout
    assert sorted(line for line in second.stdout.splitlines() if line.startswith("  ")) == sorted(
        login_lines
    )
    assert "0 skills added, 0 updated, 0 retired" in second.stdout
    engine = create_engine(fresh_env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM mentees")).scalar() == 40
        assert conn.execute(text("SELECT count(*) FROM users WHERE roles = 'admin'")).scalar() == 1
        if not POSTGRES_URL:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
    check = flask("check", env=fresh_env)
    assert check.returncode == 0 and "agrees" in check.stdout


def test_setup_creates_first_admin_from_options(fresh_env):
    result = flask(
        "setup",
        "--organisation",
        "Riverside",
        "--admin-username",
        "boss",
        "--admin-name",
        "Boss Person",
        "--admin-password",
        "a-long-secret",
        env=fresh_env,
    )
    assert result.returncode == 0, result.stderr
    assert "Created admin “Boss Person” with username boss." in result.stdout
    engine = create_engine(fresh_env["DATABASE_URL"])
    with engine.connect() as conn:
        # Whoever runs setup chose this password themselves: no change is owed.
        owed = "SELECT must_change_password FROM users WHERE username = 'boss'"
        assert not conn.execute(text(owed)).scalar_one()
    engine.dispose()
    again = flask("setup", env=fresh_env)
    assert again.returncode == 0 and "An admin already exists" in again.stdout


def test_setup_without_admin_details_and_no_terminal_says_what_to_give(fresh_env):
    result = flask("setup", env=fresh_env, stdin="")
    assert result.returncode == 1
    assert "--admin-username" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_option_is_a_usage_error(fresh_env):
    result = flask("setup", "--colour", "blue", env=fresh_env)
    assert result.returncode == 2 and "No such option" in result.stderr


def test_production_requires_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_config(tmp_path, {"SKILLS_ENV": "production"})


def test_development_secret_key_is_generated_once(tmp_path):
    first = load_config(tmp_path, {})["SECRET_KEY"]
    assert first == load_config(tmp_path, {})["SECRET_KEY"] and len(first) == 64


def test_postgres_url_gets_the_psycopg_driver(tmp_path):
    config = load_config(tmp_path, {"DATABASE_URL": "postgres://u@h/db", "SECRET_KEY": "x"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_sqlite_connections_have_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    from skills.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        db.engine.dispose()


def test_a_demo_database_downgrades_and_upgrades_with_its_history(fresh_env):
    """Down to the last revision before this round's and back, from the command line, with
    the demo's history in place: SQLite rebuilds tables that others point at."""
    assert flask("setup", "--demo", env=fresh_env).returncode == 0
    engine = create_engine(fresh_env["DATABASE_URL"])

    def events() -> list[tuple]:
        with engine.connect() as conn:
            return [
                tuple(row)
                for row in conn.execute(
                    text(
                        "SELECT id, mentee_id, skill_id, kind, level, shown_on, note, "
                        "note_visibility, corrects_id, recorded_by_id FROM signoff_events "
                        "ORDER BY id"
                    )
                )
            ]

    before = events()
    assert len(before) > 500
    down = flask("db", "downgrade", "0004", env=fresh_env)
    assert down.returncode == 0, down.stderr[-2000:]
    assert events() == before
    up = flask("db", "upgrade", env=fresh_env)
    assert up.returncode == 0, up.stderr[-2000:]
    assert events() == before
    engine.dispose()
    check = flask("check", env=fresh_env)
    assert check.returncode == 0, check.stdout + check.stderr
