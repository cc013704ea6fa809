"""Damaged backups never replace good data.

Each case damages a copy of a good backup (and its manifest) as disks, copies and hands
do: cut short, bits flipped, a note, a date or an audit row edited with the append-only
triggers out of the way, the manifest lost or mangled. Restoring it over the live
database must be refused with exit code ≠ 0, one clear line and no traceback, and leave
the live database exactly as it was: on SQLite the same bytes, on PostgreSQL the same
database (its oid) with the same rows. `backup --verify` refuses it for the same reason.

"Resealed" cases also rewrite the manifest's size and SHA-256 of the file to match the
damage, so that only the table hashes and the app's own checks stand between the damage
and the live database. The suite's database runs the cases that make sense for both
SQLite and PostgreSQL; raw edits of the bytes of a SQLite file always run on SQLite.

The good backup is made once per module (`source`), from a database of its own.
"""

import hashlib
import json
import random
import re
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from skills.backup import integrity_problems
from skills.backup.manifest import digest_tables, manifest_path
from skills.extensions import db
from skills.models import Skill, SkillStatus
from skills.services import assignments, audit, people
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import MINI_CURRICULUM, PASSWORD, today
from .test_backup import drop_databases, fresh_app, history  # noqa: F401 - a fixture

UNTOUCHED = "The current database was left untouched."
YESTERDAY = (today() - timedelta(days=1)).isoformat().encode()


# --- the good backup ------------------------------------------------------------------------


def populate() -> None:
    """People, sign-offs (notes with accents, dated yesterday), a correction, audit rows."""
    curriculum_service.load_files([MINI_CURRICULUM])
    org = people.get_or_create_organisation("Fault Program")
    mentor = people.create_user(org, "mentor1", "Mentor One", PASSWORD, ["mentor"])
    for n in range(3):
        mentee = people.create_mentee(org, f"Mentee {n}", today() - timedelta(days=30))
        db.session.flush()
        assignments.assign(mentor, mentee, "mentor", mentee.start_date, None)
        for level, key in enumerate(["get-transit-card", "read-timetable"], start=1):
            skill = db.session.scalar(select(Skill).where(Skill.key == key))
            details = SignoffDetails(
                level=level, shown_on=today() - timedelta(days=1), note=f"{key} with accents: é"
            )
            event = record_signoff(mentee, skill, mentor, details)
        db.session.flush()
        correct_signoff(event, mentor, SignoffDetails(level=3, shown_on=today()), "Typo")
        audit.record("mentee.view", mentor, mentee=mentee)
    db.session.commit()


@dataclass(frozen=True)
class Source:
    url: str  # the database the backup was made from (PostgreSQL: a template for edits)
    backup: Path


@contextmanager
def _populated(postgres_url: str | None, name: str, folder: Path) -> Iterator[Flask]:
    """An app on a new database of its own (PostgreSQL when `postgres_url` is given, else a
    SQLite file in `folder`) holding `populate()`'s data; dropped afterwards."""
    if postgres_url:
        url = make_url(postgres_url)
        name = f"{url.database}_fault_{name}"
        drop_databases(postgres_url, name)
        with psycopg.connect(_server(postgres_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        database = url.set(database=name).render_as_string(hide_password=False)
    else:
        database = f"sqlite:///{folder / f'{name}.sqlite'}"
    app = fresh_app(database)
    try:
        with app.app_context():
            db.create_all()
            populate()
            db.engine.dispose()
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if postgres_url:
            drop_databases(postgres_url, name)


def _backed_up(app: Flask, folder: Path) -> Source:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["backup", str(folder / "good.backup")])
        assert result.exit_code == 0, result.output
        db.engine.dispose()  # PostgreSQL: edits copy this database, which needs it unused
        return Source(db.engine.url.render_as_string(hide_password=False), folder / "good.backup")


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory) -> Iterator[Source]:
    folder = tmp_path_factory.mktemp("sqlite-source")
    with _populated(None, "source", folder) as app:
        yield _backed_up(app, folder)


@pytest.fixture(scope="module")
def source(postgres_schema, sqlite_source, tmp_path_factory) -> Iterator[Source]:
    """A good backup of the suite's kind of database."""
    if not postgres_schema:
        yield sqlite_source
        return
    folder = tmp_path_factory.mktemp("postgresql-source")
    with _populated(postgres_schema, "source", folder) as app:
        yield _backed_up(app, folder)


@pytest.fixture(scope="module")
def live(postgres_schema, tmp_path_factory) -> Iterator[Flask]:
    """The database the damaged backups are restored over, of the suite's kind. One for
    the module: a refused restore leaves it as it was, which each test checks."""
    with _populated(postgres_schema, "live", tmp_path_factory.mktemp("live")) as app:
        yield app


@pytest.fixture(scope="module")
def sqlite_live(tmp_path_factory) -> Iterator[Flask]:
    with _populated(None, "live", tmp_path_factory.mktemp("sqlite-live")) as app:
        yield app


def _server(database_url: str) -> str:
    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


# --- damage ---------------------------------------------------------------------------------


Edit = Callable[[Path, dict[str, list[str]], dict[str, list[str]]], None]


def truncate(size: Callable[[int], int]) -> Callable[[Path, Edit], None]:
    def damage(file: Path, edit: Edit) -> None:
        data = file.read_bytes()
        file.write_bytes(data[: size(len(data))])

    return damage


def flip(fraction: float, seed: int) -> Callable[[Path, Edit], None]:
    """Flip one random bit of a byte near `fraction` of the way into the file."""

    def damage(file: Path, edit: Edit) -> None:
        data = bytearray(file.read_bytes())
        rng = random.Random(seed)  # noqa: S311 - the same damage every run, not a secret
        at = min(len(data) - 1, int(len(data) * fraction) + rng.randrange(64))
        data[at] ^= 1 << rng.randrange(8)
        file.write_bytes(bytes(data))

    return damage


def rows(statements: dict[str, list[str]], after: dict[str, list[str]] | None = None):
    """Edit rows in the backup with its triggers out of the way (then back), and run
    `after` once they are back."""

    def damage(file: Path, edit: Edit) -> None:
        edit(file, statements, after or {})

    return damage


def manifest_text(change: Callable[[str], str]) -> Callable[[Path, Edit], None]:
    def damage(file: Path, edit: Edit) -> None:
        path = manifest_path(file)
        path.write_text(change(path.read_text()))

    return damage


def no_manifest(file: Path, edit: Edit) -> None:
    manifest_path(file).unlink()


def reseal(file: Path) -> None:
    """Make the manifest vouch for the damaged file's size and SHA-256."""
    path = manifest_path(file)
    document = json.loads(path.read_text())
    document["file"]["bytes"] = file.stat().st_size
    document["file"]["sha256"] = hashlib.sha256(file.read_bytes()).hexdigest()
    path.write_text(json.dumps(document))


def edit_sqlite(file: Path, statements: dict, after: dict) -> None:
    conn = sqlite3.connect(file, isolation_level=None)
    try:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        saved = triggers.fetchall()
        for name, _ in saved:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in statements.get("sqlite", []):
            conn.execute(statement)
        for _, sql in saved:
            conn.execute(sql)
        for statement in after.get("sqlite", []):
            conn.execute(statement)
    finally:
        conn.close()


def edit_postgresql(source: Source) -> Edit:
    """Edit rows of a pg_dump archive: copy the database it was made from, edit the copy
    with triggers off, and dump it over the archive."""

    def edit(file: Path, statements: dict, after: dict) -> None:
        url = make_url(source.url).set(drivername="postgresql")
        name = f"{url.database}_edit"
        drop_databases(source.url, name)
        with psycopg.connect(_server(source.url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
        try:
            target = url.set(database=name).render_as_string(hide_password=False)
            with psycopg.connect(target, autocommit=True) as conn:
                conn.execute("SET session_replication_role = replica")  # triggers off
                for statement in statements.get("postgresql", []):
                    conn.execute(statement)
                conn.execute("SET session_replication_role = origin")
                for statement in after.get("postgresql", []):
                    conn.execute(statement)
            file.unlink()
            subprocess.run(
                ["pg_dump", "--format=custom", f"--file={file}", f"--dbname={target}"],
                check=True,
            )
        finally:
            drop_databases(source.url, name)

    return edit


NOTE = {
    backend: [
        "UPDATE signoff_events SET note = 'X' || substr(note, 2) "
        "WHERE id = (SELECT min(id) FROM signoff_events WHERE note <> '')"
    ]
    for backend in ("sqlite", "postgresql")
}
DATE = {
    "sqlite": ["UPDATE signoff_events SET shown_on = date(shown_on, '-1 day') WHERE id = 2"],
    "postgresql": ["UPDATE signoff_events SET shown_on = shown_on - 1 WHERE id = 2"],
}
CUT_AUDIT = {
    backend: ["DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)"]
    for backend in ("sqlite", "postgresql")
}
CURRICULUM_LOAD = {
    backend: ["UPDATE curriculum_loads SET summary = summary || '.'"]
    for backend in ("sqlite", "postgresql")
}
NO_TRIGGER = {
    "sqlite": ["DROP TRIGGER audit_events_no_delete"],
    "postgresql": ["DROP TRIGGER audit_events_append_only ON audit_events"],
}

SHA = r"the file's SHA-256 differs from the one recorded when it was made"
TRUNCATED = r"the file is truncated: [\d,]+ bytes, the manifest says [\d,]+"
CHANGED = r"the file('s SHA-256 differs| is (truncated: )?[\d,]+ bytes, the manifest says)"
CONTENTS = r": the contents of its [\d,]+ rows differ from the manifest \(SHA-256 \w+…"


@dataclass(frozen=True)
class Case:
    damage: Callable[[Path, Edit], None]
    reason: str
    resealed: bool = False


CASES = {
    "cut to nothing": Case(truncate(lambda n: 0), TRUNCATED),
    "cut inside the header": Case(truncate(lambda n: 60), TRUNCATED),
    "cut in half": Case(truncate(lambda n: n // 2), TRUNCATED),
    "last byte cut": Case(truncate(lambda n: n - 1), TRUNCATED),
    "bit flipped in the header": Case(flip(0.0, 1), SHA),
    "bit flipped a tenth in": Case(flip(0.1, 2), SHA),
    "bit flipped half way": Case(flip(0.5, 3), SHA),
    "bit flipped near the end": Case(flip(0.97, 4), SHA),
    "note edited": Case(rows(NOTE), CHANGED),
    "note edited, resealed": Case(rows(NOTE), "signoff_events" + CONTENTS, True),
    "date changed, resealed": Case(rows(DATE), "signoff_events" + CONTENTS, True),
    "audit row cut": Case(rows(CUT_AUDIT), CHANGED),
    "audit row cut, resealed": Case(
        rows(CUT_AUDIT), r"audit_events holds 19 rows, the manifest says 20", True
    ),
    "curriculum load edited, resealed": Case(
        rows(CURRICULUM_LOAD), "curriculum_loads" + CONTENTS, True
    ),
    "append-only trigger dropped, resealed": Case(
        rows({}, NO_TRIGGER),
        r"it matches its manifest, but the data in it fails the checks: "
        r"audit_events has lost the trigger that keeps it append-only",
        True,
    ),
    "manifest lost": Case(no_manifest, r"it has no manifest \(\S+ beside it\).*--no-manifest"),
    "manifest cut short": Case(
        manifest_text(lambda t: t[: len(t) // 2]), r"its manifest \S+ is damaged or not a manifest"
    ),
    "manifest from a newer version": Case(
        manifest_text(lambda t: t.replace('"version": 1', '"version": 2')),
        r"has format version 2; this version of the app reads version 1",
    ),
    "manifest of another file": Case(
        manifest_text(lambda t: re.sub(r'"sha256": "\w{64}"', f'"sha256": "{0:064}"', t, count=1)),
        SHA,
    ),
}


# --- the live database, exactly -------------------------------------------------------------


def fingerprint(app) -> object:
    """SQLite: the file's bytes and the files beside it. PostgreSQL: which database holds
    the name (its oid), every table's rows and hash, the triggers, no scratch left."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()  # SQLite folds its log into the file as the last connection closes
        url = make_url(db.engine.url)
        if url.get_backend_name() == "sqlite":
            path = Path(url.database)
            beside = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
            return hashlib.sha256(path.read_bytes()).hexdigest(), beside
        with db.engine.connect() as conn:
            oid = conn.scalar(
                text("SELECT oid FROM pg_database WHERE datname = current_database()")
            )
            scratch = conn.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE '%\\_tmp'")
            ).all()
            found = (oid, scratch, digest_tables(conn), integrity_problems(conn))
        db.engine.dispose()
        return found


def invoke(app: Flask, *args: str):
    """Run a command as `flask --app skills` does: inside the app's context."""
    with app.app_context():
        result = app.test_cli_runner().invoke(args=list(args))
        db.engine.dispose()
    return result


def assert_refused(result, reason: str, verb: str = "Refused to restore") -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # one clear line
    assert lines[0].startswith(f"Error: {verb} "), result.output
    assert re.search(reason, lines[0]), result.output


def _damaged_copy(good: Path, name: str, folder: Path) -> Path:
    file = folder / (re.sub(r"\W+", "-", name) + ".backup")
    file.write_bytes(good.read_bytes())
    manifest_path(file).write_bytes(manifest_path(good).read_bytes())
    return file


def _damage(name: str, source: Source, folder: Path) -> Path:
    case = CASES[name]
    file = _damaged_copy(source.backup, name, folder)
    sqlite_backup = source.url.startswith("sqlite")
    case.damage(file, edit_sqlite if sqlite_backup else edit_postgresql(source))
    if case.resealed:
        reseal(file)
    return file


@pytest.mark.parametrize("name", CASES)
def test_a_damaged_backup_is_refused_and_changes_nothing(name, live, source, tmp_path):
    file = _damage(name, source, tmp_path)
    before = fingerprint(live)
    result = invoke(live, "restore", str(file), "--yes")
    assert_refused(result, CASES[name].reason)
    assert result.output.strip().endswith(UNTOUCHED)
    if not CASES[name].resealed:  # only a file that matches its manifest may say so
        assert "matches its manifest" not in result.output
    assert fingerprint(live) == before


@pytest.mark.parametrize(
    "name", ["cut in half", "bit flipped half way", "note edited, resealed", "manifest lost"]
)
def test_verify_refuses_what_restore_refuses(name, live, source, tmp_path):
    file = _damage(name, source, tmp_path)
    before = fingerprint(live)
    result = invoke(live, "backup", "--verify", str(file))
    assert_refused(result, CASES[name].reason, "Verification failed for")
    assert fingerprint(live) == before


def test_the_good_backup_passes(live, source):
    """The control: the same backup, undamaged, passes the same checks."""
    result = invoke(live, "backup", "--verify", str(source.backup))
    assert result.exit_code == 0, result.output
    assert "is sound: it matches its manifest" in result.output


def test_status_that_disagrees_with_the_events_is_refused(app, history, runner, tmp_path):
    """A backup can be intact and still fail `flask check`: taken from a database whose
    current-status rows had drifted from the events. Restoring it would not make the
    data better than it is; it is refused, and says that the file itself is intact."""
    db.session.execute(update(SkillStatus).where(SkillStatus.level == 1).values(level=4))
    db.session.commit()
    file = tmp_path / "drifted.backup"
    assert runner.invoke(args=["backup", str(file)]).exit_code == 0
    before = fingerprint(app)
    assert_refused(
        runner.invoke(args=["restore", str(file), "--yes"]),
        r"it matches its manifest, but the data in it fails the checks: "
        r"mentee \d+, skill \d+: level is 4, events say 1",
    )
    assert fingerprint(app) == before


# --- raw edits of a SQLite file's bytes (always on SQLite) ----------------------------------


def _replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and old in data, old
    return data.replace(old, new, 1)


NOTE_BYTES = (b"with accents", b"with accentz")  # one character, the same length
SOME_TABLE = r"(signoff_events|skill_status|domain_counters)"

BYTE_EDITS = {
    "note character": (NOTE_BYTES, False, SHA),
    "note character, resealed": (NOTE_BYTES, True, "signoff_events" + CONTENTS),
    # The first stored copy of yesterday's date becomes the day before.
    "date digit, resealed": (
        (YESTERDAY, (today() - timedelta(days=2)).isoformat().encode()),
        True,
        SOME_TABLE + CONTENTS,
    ),
    # A date that is no longer a date: reading it fails, a finding and not a traceback.
    "date unreadable, resealed": (
        (YESTERDAY, YESTERDAY[:-2] + b"x1"),
        True,
        SOME_TABLE + r": a stored value cannot be read \(Invalid isoformat string",
    ),
}


@pytest.mark.parametrize("name", BYTE_EDITS)
def test_bytes_edited_inside_a_sqlite_backup_are_refused(
    name, sqlite_live, sqlite_source, tmp_path
):
    (old, new), resealed, reason = BYTE_EDITS[name]
    file = _damaged_copy(sqlite_source.backup, name, tmp_path)
    file.write_bytes(_replace_once(file.read_bytes(), old, new))
    if resealed:
        reseal(file)
    before = fingerprint(sqlite_live)
    result = invoke(sqlite_live, "restore", str(file), "--yes")
    assert_refused(result, reason)
    assert fingerprint(sqlite_live) == before
