"""Many writers at once, writers killed mid-write, double submits, two edits of one record.

The writers are separate processes, each building its own app, as separate web workers
would be. The tests at the end pin down how SQLite transactions start (skills/transactions.py).
"""

import multiprocessing
import os
import random
import signal
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from skills import create_app
from skills.config import ConfigError
from skills.extensions import db
from skills.models import Mentee, SignoffEvent, Skill, User
from skills.services import assignments, people
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.status import status_differences

from .conftest import DATA, MINI_CURRICULUM, PASSWORD, today

SPAWN = multiprocessing.get_context("spawn")
# The crash test starts fresh writers every round. "forkserver" starts each from a clean
# server process that has already imported the app: no database connection is inherited
# (as with "spawn"), but a writer starts in a fraction of the time.
FORKSERVER = multiprocessing.get_context("forkserver")
WRITERS = 8
WRITES_EACH = 40
CRASH_ROUNDS = 10
CRASH_WRITERS = 3
WAIT = 120  # seconds: an upper bound for a stuck child, never reached when all is well


def _app(url: str):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "CURRICULUM_DIR": DATA,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )


def _skill_ids() -> list[int]:
    return list(db.session.scalars(select(Skill.id).order_by(Skill.id)))


def _mentors_with_mentees(org, mentors: int, mentees_each: int) -> dict[int, list[int]]:
    """Create mentors, each assigned to their own mentees; {mentor id: [mentee ids]}."""
    plan = {}
    for n in range(mentors):
        mentor = people.create_user(org, f"writer{n}", f"Writer {n}", PASSWORD, ["mentor"])
        mentees = []
        for m in range(mentees_each):
            mentee = people.create_mentee(org, f"Mentee {n}-{m}", today().replace(day=1))
            db.session.flush()
            assignments.assign(mentor, mentee, "mentor", mentee.start_date, None)
            mentees.append(mentee)
        db.session.flush()
        plan[mentor.id] = [mentee.id for mentee in mentees]
    db.session.commit()
    return plan


def _sign_off(mentor_id: int, mentee_id: int, skill_id: int, level: int, key: str) -> int:
    event = record_signoff(
        db.session.get(Mentee, mentee_id),
        db.session.get(Skill, skill_id),
        db.session.get(User, mentor_id),
        SignoffDetails(level=level, shown_on=today(), note=f"note {key}"),
        idempotency_key=key,
        allow_lower=True,  # levels go up and down at random here
    )
    db.session.commit()
    return event.id


# --- 8 writers at once ------------------------------------------------------------------


def _steady_writer(url, mentor_id, mentee_ids, skill_ids, start, results) -> None:
    app = _app(url)
    written, errors = [], []
    with app.app_context():
        start.wait(WAIT)
        for n in range(WRITES_EACH):
            key = f"w{mentor_id}-{n}"
            mentee_id = mentee_ids[n % len(mentee_ids)]
            skill_id = skill_ids[(n // len(mentee_ids)) % len(skill_ids)]
            try:
                _sign_off(mentor_id, mentee_id, skill_id, n % 4, key)
            except Exception as exc:  # every failure is reported to the parent
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}")
            else:
                written.append(key)
    results.put((mentor_id, written, errors))


def test_eight_processes_write_at_once_without_lock_errors(app, org, database_url):
    plan = _mentors_with_mentees(org, WRITERS, mentees_each=2)
    skill_ids = _skill_ids()
    start, results = SPAWN.Barrier(WRITERS), SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=_steady_writer,
            args=(database_url, mentor_id, mentee_ids, skill_ids, start, results),
        )
        for mentor_id, mentee_ids in plan.items()
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=WAIT) for _ in processes]
    for process in processes:
        process.join(WAIT)

    errors = [error for _, _, errs in outcomes for error in errs]
    assert errors == []
    written = {key for _, keys, _ in outcomes for key in keys}
    assert len(written) == WRITERS * WRITES_EACH
    db.session.rollback()
    stored = set(db.session.scalars(select(SignoffEvent.idempotency_key)))
    assert written <= stored
    assert db.session.scalar(select(func.count(SignoffEvent.id))) == WRITERS * WRITES_EACH
    assert status_differences() == []


# --- double submit from two processes ------------------------------------------------------


def _double_submitter(url, mentor_id, mentee_id, skill_id, keys, start, results) -> None:
    app = _app(url)
    with app.app_context():
        ids, errors = [], []
        for key in keys:
            start.wait(WAIT)  # both processes submit each key at the same moment
            try:
                ids.append(_sign_off(mentor_id, mentee_id, skill_id, 2, key))
            except Exception as exc:  # every failure is reported to the parent
                db.session.rollback()
                errors.append(f"{type(exc).__name__}: {exc}")
        results.put((ids, errors))


def test_same_idempotency_key_from_two_processes_records_one_event(app, org, database_url):
    ((mentor_id, (mentee_id,)),) = _mentors_with_mentees(org, 1, mentees_each=1).items()
    skill_id = _skill_ids()[0]
    keys = [uuid.uuid4().hex for _ in range(10)]
    start, results = SPAWN.Barrier(2), SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=_double_submitter,
            args=(database_url, mentor_id, mentee_id, skill_id, keys, start, results),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    (first_ids, first_errors), (second_ids, second_errors) = (
        results.get(timeout=WAIT) for _ in processes
    )
    for process in processes:
        process.join(WAIT)

    assert first_errors == second_errors == []
    assert first_ids == second_ids  # the second submit of each key got the first one's event
    db.session.rollback()
    per_key = dict(
        db.session.execute(
            select(SignoffEvent.idempotency_key, func.count(SignoffEvent.id)).group_by(
                SignoffEvent.idempotency_key
            )
        ).all()
    )
    assert per_key == {key: 1 for key in keys}
    assert status_differences() == []


# --- writers killed at random moments --------------------------------------------------------


def _crash_writer(url, mentor_id, mentee_ids, skill_ids, ack_path, ready) -> None:
    app = _app(url)
    with app.app_context():
        ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        for n in range(100_000):  # bounded; the parent kills us long before the end
            key = uuid.uuid4().hex
            mentee_id = mentee_ids[n % len(mentee_ids)]
            skill_id = skill_ids[n % len(skill_ids)]
            _sign_off(mentor_id, mentee_id, skill_id, n % 4, key)
            # Acknowledged only once the commit has returned, as a web response would be.
            os.write(ack, f"{key}\n".encode())
            if n == 0:
                ready.release()


def _acknowledged(ack_path: Path) -> set[str]:
    if not ack_path.exists():
        return set()
    # A writer killed in the middle of writing an acknowledgement leaves no newline.
    return {line for line in ack_path.read_text().split("\n")[:-1]}


def test_writers_killed_at_random_moments_lose_no_acknowledged_signoff(tmp_path):
    """SQLite only: the crash safety of a database file. PostgreSQL has its own WAL."""
    db_path = tmp_path / "crash.sqlite"
    url = f"sqlite:///{db_path}"
    app = _app(url)
    with app.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        org = people.get_or_create_organisation("Crash Program")
        plan = _mentors_with_mentees(org, CRASH_WRITERS, mentees_each=2)
        skill_ids = _skill_ids()

    # The kill moments are random but the same on every run (timing, not security).
    rng = random.Random(20261123)  # noqa: S311
    FORKSERVER.set_forkserver_preload([__name__, "skills.web", "skills.cli"])
    checked = 0
    for round_number in range(CRASH_ROUNDS):
        ack_path = tmp_path / f"acks-{round_number}.txt"
        ready = FORKSERVER.Semaphore(0)
        processes = [
            FORKSERVER.Process(
                target=_crash_writer,
                args=(url, mentor_id, mentee_ids, skill_ids, str(ack_path), ready),
            )
            for mentor_id, mentee_ids in plan.items()
        ]
        for process in processes:
            process.start()
        for _ in processes:
            # Every writer has committed at least once before the clock starts.
            assert ready.acquire(timeout=WAIT), "a writer never got going"
        time.sleep(rng.uniform(0.2, 1.0))
        for process in processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
        for process in processes:
            process.join(WAIT)
            assert process.exitcode == -signal.SIGKILL, "a writer stopped before it was killed"

        acknowledged = _acknowledged(ack_path)
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            stored = {key for (key,) in conn.execute("SELECT idempotency_key FROM signoff_events")}
        conn.close()
        assert acknowledged - stored == set(), f"round {round_number}: acknowledged but lost"
        with app.app_context():
            assert status_differences() == []
        checked += len(acknowledged)

    assert checked >= CRASH_ROUNDS * CRASH_WRITERS
    print(f"\ncrash test: {checked} acknowledged sign-offs checked over {CRASH_ROUNDS} rounds")


# --- two people editing the same record ------------------------------------------------------


def test_second_of_two_concurrent_edits_is_refused_by_the_version_check(app, make_mentee):
    mentee_id = make_mentee(name="Before Edit").id
    # Two admins open the same record; each session keeps what it read, as a form does.
    first = Session(db.engine, expire_on_commit=False)
    second = Session(db.engine, expire_on_commit=False)
    try:
        mine, theirs = first.get(Mentee, mentee_id), second.get(Mentee, mentee_id)
        mine.full_name = "First Edit"
        first.commit()
        theirs.full_name = "Second Edit"
        with pytest.raises(StaleDataError):
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    db.session.rollback()
    assert db.session.get(Mentee, mentee_id).full_name == "First Edit"


def _edit_mentee(mentee: Mentee, name: str, version: int) -> None:
    people.update_mentee(mentee, name, None, mentee.record_number, mentee.start_date, version)


def _edit_user(user: User, name: str, version: int) -> None:
    people.update_user(user, name, ["mentor"], version)


@pytest.mark.parametrize(
    ("entity", "name_field", "edit", "message"),
    [
        (Mentee, "full_name", _edit_mentee, people.STALE_MENTEE_MESSAGE),
        (User, "display_name", _edit_user, people.STALE_MESSAGE),
    ],
)
def test_service_tells_the_second_editor_the_record_changed(
    app, make_mentee, make_user, entity, name_field, edit, message
):
    target = make_mentee() if entity is Mentee else make_user("mentor")
    target_id = target.id
    # This request read the record, and its form carries the version it read ...
    stale = db.session.get(entity, target_id)
    version = stale.version_id
    # ... while another request saves its own edit.
    with Session(db.engine) as other:
        setattr(other.get(entity, target_id), name_field, "Saved First")
        other.commit()

    with pytest.raises(people.PeopleError, match=message):
        edit(stale, "Saved Second", version)
    db.session.rollback()
    assert getattr(db.session.get(entity, target_id), name_field) == "Saved First"


# --- how SQLite transactions start --------------------------------------------------------


@pytest.fixture
def sqlite_app(tmp_path):
    """An app on its own SQLite file, whatever database the rest of the suite uses."""
    sqlite = _app(f"sqlite:///{tmp_path / 'tx.sqlite'}")
    with sqlite.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        db.session.commit()
        yield sqlite
        db.session.remove()
        db.engine.dispose()


INSERT_AUDIT = (
    "INSERT INTO audit_events (at, action, outcome, detail) "
    "VALUES (CURRENT_TIMESTAMP, :action, 'ok', '')"
)


# The tests below use audit_events as a scratch table; the setup's curriculum.load event
# is left out (the table is append-only, so it cannot be cleared).
SCRATCH = "FROM audit_events WHERE action != 'curriculum.load'"


def _audit_rows() -> int:
    return db.session.scalar(text("SELECT count(*) " + SCRATCH))


def test_a_session_that_read_can_still_write_after_another_commit(sqlite_app):
    # With a plain deferred BEGIN this is "database is locked" at once: the first
    # session's snapshot is older than the other's commit, and no timeout helps.
    assert _audit_rows() == 0
    with Session(db.engine) as other:
        other.execute(text(INSERT_AUDIT), {"action": "other"})
        other.commit()
    db.session.execute(text(INSERT_AUDIT), {"action": "mine"})
    db.session.commit()
    assert _audit_rows() == 2


def test_an_idle_session_that_only_read_does_not_block_writers(sqlite_app):
    assert _audit_rows() == 0  # this session has read and stays open
    with Session(db.engine) as other:
        other.connection().exec_driver_sql("PRAGMA busy_timeout=100")  # fail fast if blocked
        other.execute(text(INSERT_AUDIT), {"action": "other"})
        other.commit()
    assert _audit_rows() == 1


def test_a_rolled_back_savepoint_keeps_the_rest_of_the_transaction(sqlite_app):
    db.session.execute(text(INSERT_AUDIT), {"action": "kept"})
    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.execute(text(INSERT_AUDIT), {"action": "undone"})
        raise RuntimeError("refused")
    db.session.commit()
    assert list(db.session.scalars(text("SELECT action " + SCRATCH))) == ["kept"]


def test_a_savepoint_first_does_not_commit_on_release(sqlite_app):
    with db.session.begin_nested():
        db.session.execute(text(INSERT_AUDIT), {"action": "inside"})
    db.session.rollback()
    assert _audit_rows() == 0


def _db(tmp_path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'sync.sqlite'}"}


@pytest.mark.parametrize(
    ("configured", "environment", "pragma"),
    [(None, None, 2), ("normal", None, 1), (None, "NORMAL", 1), ("FULL", "NORMAL", 2)],
)
def test_sqlite_synchronous_level_is_configurable_and_full_by_default(
    tmp_path, monkeypatch, configured, environment, pragma
):
    if environment:
        monkeypatch.setenv("SQLITE_SYNCHRONOUS", environment)
    else:
        monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    config = {"SQLITE_SYNCHRONOUS": configured} if configured else {}
    app = create_app({"TESTING": True, "SECRET_KEY": "test", **config} | _db(tmp_path))
    with app.app_context():
        assert db.session.scalar(text("PRAGMA synchronous")) == pragma
        db.engine.dispose()


def test_an_unknown_synchronous_level_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="SQLITE_SYNCHRONOUS"):
        create_app(
            {"TESTING": True, "SECRET_KEY": "test", "SQLITE_SYNCHRONOUS": "fast"} | _db(tmp_path)
        )
