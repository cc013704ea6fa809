"""Fixtures: an app on a fresh database per test, a client, and factories for people.

Set TEST_DATABASE_URL (for example postgresql+psycopg://postgres@127.0.0.1:5432/test)
to run the whole suite against PostgreSQL; the default is a SQLite file per test.
"""

import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from skills import create_app, timeutil
from skills.extensions import db
from skills.models import Organisation
from skills.models.append_only import app_role_grants
from skills.models.people import DEFAULT_TIME_ZONE
from skills.services import assignments, passwords, people
from skills.services import curriculum as curriculum_service

from .snapshots import Snapshot, delete_all_rows, fingerprint, restart_ids

# The suite's clock starts at 9 pm in the test organizations' zone on the day the run
# starts and runs on from there. Every run crosses no midnight (CI takes under an hour;
# a run that did saw "tomorrow" accepted as today halfway through), and every run is at
# the hour when UTC's date is already tomorrow, so a rule that takes UTC's date for the
# organization's fails each time, not only in evening runs. Processes the tests start
# read the same clock (tests/clock/sitecustomize.py).
_ZONE = ZoneInfo(DEFAULT_TIME_ZONE)
CLOCK_OFFSET = datetime.combine(datetime.now(_ZONE).date(), dt_time(21), _ZONE) - datetime.now(UTC)


def _suite_clock() -> datetime:
    return datetime.now(UTC) + CLOCK_OFFSET


timeutil._clock = _suite_clock
os.environ["SKILLS_TEST_CLOCK_OFFSET"] = str(CLOCK_OFFSET.total_seconds())
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(Path(__file__).parent / "clock"), os.environ.get("PYTHONPATH")])
)
os.environ["TZ"] = DEFAULT_TIME_ZONE  # local times in logs and files read as the org's
time.tzset()


def today() -> date:
    """The test organizations' date on the suite's clock."""
    return timeutil.today(DEFAULT_TIME_ZONE)


DATA = Path(__file__).parent / "data"
MINI_CURRICULUM = DATA / "mini.yaml"
PASSWORD = "test-password-1"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
# The role that owns the tables: it builds the schema and empties it between tests. The
# same as TEST_DATABASE_URL's unless TEST_OWNER_DATABASE_URL is set, as CI does to run
# tests as the app's restricted role (docs/deployment.md, "Two roles").
OWNER_URL = os.environ.get("TEST_OWNER_DATABASE_URL", "") or POSTGRES_URL


def pytest_report_header(config):
    return f"database: {POSTGRES_URL or 'SQLite (a file per test)'}"


def wait_for_postgres(url: str, within: float = 90.0, attempt_timeout: int = 10) -> None:
    """Return once `url` answers a query; raise the last error after `within` seconds.

    The session's first connection is tried again: pytest keeps a session fixture's
    error and gives it to every test that uses it, so one attempt timing out while CI
    starts three test runs on two cores made all 1,441 PostgreSQL tests fail at once."""
    engine = create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": attempt_timeout}
    )
    deadline = time.monotonic() + within
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except OperationalError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(1)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_schema():
    """On PostgreSQL, build the schema once; each test then empties the tables."""
    if not POSTGRES_URL:
        yield None
        return
    wait_for_postgres(OWNER_URL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": OWNER_URL, "TESTING": True})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        db.create_all()
        if OWNER_URL != POSTGRES_URL:
            with db.engine.begin() as conn:
                for statement in app_role_grants(
                    make_url(POSTGRES_URL).username, make_url(OWNER_URL).username
                ):
                    conn.execute(text(statement))
        db.engine.dispose()
    yield POSTGRES_URL


@pytest.fixture(scope="session")
def owner_engine(postgres_schema):
    """On PostgreSQL, an engine of the role that owns the tables (None on SQLite)."""
    if not postgres_schema:
        yield None
        return
    # No pool: an idle connection left open would stop tests that rename the database.
    engine = create_engine(OWNER_URL, poolclass=NullPool)
    yield engine
    engine.dispose()


def _empty_postgres(engine) -> None:
    """Delete every row and restart the ids at 1."""
    with engine.begin() as conn:
        delete_all_rows(conn)
        restart_ids(conn)


@pytest.fixture
def database_url(tmp_path, postgres_schema):
    return postgres_schema or f"sqlite:///{tmp_path / 'test.sqlite'}"


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as on a real server.

    Tests hold an app context open for the database; without this, requests would
    share its `g` (and Flask-Login's cached user) with each other.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def _statements_built_in_this_session():
    """Build the statements the services cache per process afresh in each test session.
    Mutation testing runs each mutant's session in a fork of one warmed-up process: a
    statement cached there was built by the unmutated rule (`recheck_due_on_sql` in the
    due list), so its mutants could never fail a test."""
    from skills.services.voice import inbox, staff

    for built_once in (staff._due_query, inbox._queries):
        built_once.cache_clear()


@pytest.fixture(autouse=True)
def _close_pooled_connections():
    """Close every app's pooled connections after each test. Apps a test makes itself (a
    second server, a migration run) kept theirs open until garbage collection, and an
    open PostgreSQL connection collected then warns in whichever test happens to run."""
    yield
    for engines in list(db._app_engines.values()):  # Flask-SQLAlchemy's engines per app
        for engine in engines.values():
            engine.dispose()


def _test_app(database_url: str):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "CURRICULUM_DIR": DATA,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            # Tests need no power-loss durability; skipping fsync keeps them fast.
            "SQLITE_SYNCHRONOUS": "OFF",
        }
    )
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, postgres_schema):
    """On SQLite, a database with the schema and the test curriculum, built once; each
    test starts from a copy of the file (building it took most of a short test's time)."""
    if postgres_schema:
        return None
    path = tmp_path_factory.mktemp("template") / "test.sqlite"
    app = _test_app(f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the last connection to close checkpoints the WAL
    assert not path.with_name(path.name + "-wal").exists()
    return path


# On PostgreSQL, the schema with the test curriculum loaded: what SQLite's template file
# is there (inserting the rows takes a fifth of loading the curriculum again).
_postgres_start: list[Snapshot] = []


@pytest.fixture
def app(database_url, owner_engine, sqlite_template):
    if sqlite_template:
        shutil.copyfile(sqlite_template, make_url(database_url).database)
    app = _test_app(database_url)
    with app.app_context():
        if database_url.startswith("postgresql"):
            owner = db.engine if OWNER_URL == POSTGRES_URL else owner_engine
            if _postgres_start:  # the rows the first test's loading left, put back
                _postgres_start[0].restore(owner)
            else:
                _empty_postgres(owner)
                curriculum_service.load_files([MINI_CURRICULUM])
                _postgres_start.extend(filter(None, [Snapshot.take((), {}, {}, Path())]))
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def org(app):
    organisation = people.get_or_create_organisation("Test Program")
    db.session.commit()
    return organisation


_password_hashes: list[str] = []


def _hash_of_password(password: str, user_inputs=()) -> str:
    """PASSWORD's hash, made once: every test login has the same password, and judging
    and hashing it anew for each took a tenth of a short test. The password rules have
    tests of their own (tests/test_security.py, tests/test_guessing.py)."""
    assert password == PASSWORD
    if not _password_hashes:
        _password_hashes.append(passwords.hash_password(PASSWORD, user_inputs))
    return _password_hashes[0]


@pytest.fixture
def make_user(app, org):
    made = [0]  # how many so far: a restored world (tests/snapshots.py) moves it on

    def make(roles="mentor", username=None, name=None, organisation=None, active=True):
        made[0] += 1
        n = made[0]
        role_list = roles.split() if isinstance(roles, str) else roles
        with mock.patch.object(people, "hash_password", _hash_of_password):
            user = people.create_user(
                organisation or org,
                username or f"{role_list[0].replace('_', '')}{n}",
                name or f"{role_list[0].title()} Person {n}",
                PASSWORD,
                role_list,
            )
        user.active = active
        db.session.commit()
        return user

    make.made = made
    return make


@pytest.fixture
def make_mentee(app, org, make_user):
    made = [0]

    def make(name=None, start_date=None, with_login=False, organisation=None):
        made[0] += 1
        n = made[0]
        mentee = people.create_mentee(
            organisation or org,
            name or f"Mentee Person {n}",
            start_date or today() - timedelta(days=90),
        )
        if with_login:
            user = make_user("mentee", organisation=organisation or org, name=mentee.full_name)
            mentee.user_id = user.id
        db.session.commit()
        return mentee

    make.made = made
    return make


@pytest.fixture
def assign(app):
    def make(staff, mentee, kind=None, starts_on=None, ends_on=None):
        kind = kind or ("mentor" if staff.has_role("mentor") else "case_manager")
        assignment = assignments.assign(
            staff, mentee, kind, starts_on or mentee.start_date, ends_on
        )
        db.session.commit()
        return assignment

    return make


@pytest.fixture
def login(client):
    def do(user, password=PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return do


@pytest.fixture
def skill(app):
    from skills.models import Skill

    def get(key="get-transit-card"):
        return db.session.scalar(db.select(Skill).where(Skill.key == key))

    return get


ACTORS = (
    "anonymous",
    "mentee_a",
    "mentee_b",
    "mentor_a",
    # Mentors of mentee A whose assignment starts today, ended yesterday, starts tomorrow.
    "mentor_today",
    "mentor_ended",
    "mentor_future",
    "other_mentor",
    "cm_a",
    "other_cm",
    "admin",
    # The second organisation: its admin, a mentor and that mentor's mentee C.
    "other_org_admin",
    "other_org_mentor",
    "mentee_c",
    "deactivated",
)


@dataclass
class World:
    users: dict
    mentee_a: object
    mentee_b: object
    mentee_c: object
    params: dict
    # Text that may appear only where mentee A's (or B's, C's) data may be seen; the
    # staff markers only where staff who may see that mentee read notes.
    markers_a: tuple[str, ...] = ("Alma Qzmarkera", "NOTE-QZA-1")
    markers_b: tuple[str, ...] = ("Bo Qzmarkerb", "NOTE-QZB-1")
    markers_c: tuple[str, ...] = ("Cy Qzmarkerc", "NOTE-QZC-1")
    staff_markers_a: tuple[str, ...] = ("STAFF-QZA-1", "STAFF-QZA-2")
    staff_markers_b: tuple[str, ...] = ("STAFF-QZB-1",)
    staff_markers_c: tuple[str, ...] = ("STAFF-QZC-1",)

    def url(self, rule: str) -> str:
        for name, value in self.params.items():
            rule = rule.replace(f"<int:{name}>", str(value))
        assert "<" not in rule, f"no test value for a parameter of {rule}"
        return rule


_world_snapshots: list[Snapshot] = []


@pytest.fixture
def world(app, org, make_user, make_mentee, assign, skill, owner_engine, tmp_path_factory):
    """Three mentees in two organisations, their staff, admins, and awkward assignments.

    Mentee A has a mentor whose assignment starts today (access), one whose assignment
    ended yesterday and one whose starts tomorrow (no access). Names and notes carry
    unique markers so the leak check can look for them, and staff-only notes sit on the
    very skill the route tests visit.

    Built through the services once per run; later tests that start where that one did
    get the same rows back from a snapshot (tests/snapshots.py).
    """
    from skills.models import Mentee, User

    before = fingerprint()
    untouched = not (make_user.made[0] or make_mentee.made[0]) and timeutil._clock is _suite_clock
    # Under mutation testing each test must run the code it depends on: mutmut picks the
    # tests to run for a mutant by which ones called the function.
    untouched = untouched and "MUTANT_UNDER_TEST" not in os.environ
    saved = next((s for s in _world_snapshots if s.before == before), None)
    if untouched and saved:
        saved.restore(owner_engine or db.engine)
        make_user.made[0], make_mentee.made[0] = saved.made["users"], saved.made["mentees"]
        users = {name: db.session.get(User, id) for name, id in saved.ids["users"].items()}
        a, b, c = (db.session.get(Mentee, id) for id in saved.ids["mentees"])
        return World(users, a, b, c, dict(saved.ids["params"]))
    built = _build_world(org, make_user, make_mentee, assign, skill)
    if untouched and len(_world_snapshots) < 4:
        ids = {
            "users": {name: user.id for name, user in built.users.items()},
            "mentees": [built.mentee_a.id, built.mentee_b.id, built.mentee_c.id],
            "params": dict(built.params),
        }
        made = {"users": make_user.made[0], "mentees": make_mentee.made[0]}
        snapshot = Snapshot.take(before, ids, made, tmp_path_factory.mktemp("world"))
        if snapshot:
            _world_snapshots.append(snapshot)
    return built


def _build_world(org, make_user, make_mentee, assign, skill) -> "World":
    from skills.models import Assignment, User
    from skills.services import audit, photos, voice
    from skills.services.signoffs import SignoffDetails, record_signoff

    other_org = people.get_or_create_organisation("Other Program")
    db.session.commit()
    users = {
        "mentor_a": make_user("mentor"),
        "mentor_today": make_user("mentor"),
        "mentor_ended": make_user("mentor"),
        "mentor_future": make_user("mentor"),
        "other_mentor": make_user("mentor"),
        "cm_a": make_user("case_manager"),
        "other_cm": make_user("case_manager"),
        "admin": make_user("admin"),
        "other_org_admin": make_user("admin", organisation=other_org),
        "other_org_mentor": make_user("mentor", organisation=other_org),
        "deactivated": make_user("mentor"),
    }
    today = timeutil.today(org)  # the organisation's date, as the rules see it
    mentee_a = make_mentee(
        name="Alma Qzmarkera", with_login=True, start_date=today - timedelta(days=30)
    )
    mentee_b = make_mentee(name="Bo Qzmarkerb", with_login=True)
    mentee_c = make_mentee(name="Cy Qzmarkerc", with_login=True, organisation=other_org)
    for name, mentee in (("mentee_a", mentee_a), ("mentee_b", mentee_b), ("mentee_c", mentee_c)):
        users[name] = db.session.get(User, mentee.user_id)
    assign(users["mentor_a"], mentee_a)
    assign(users["mentor_today"], mentee_a, starts_on=today)
    assign(
        users["mentor_ended"],
        mentee_a,
        starts_on=today - timedelta(days=20),
        ends_on=today - timedelta(days=1),
    )
    assign(users["mentor_future"], mentee_a, starts_on=today + timedelta(days=1))
    assign(users["cm_a"], mentee_a)
    assign(users["deactivated"], mentee_a)
    assign(users["other_mentor"], mentee_b)
    assign(users["other_cm"], mentee_b)
    assign(users["other_org_mentor"], mentee_c)

    def sign(mentee, key, mentor, level, note, visibility="mentee"):
        return record_signoff(
            mentee,
            skill(key),
            users[mentor],
            SignoffDetails(level=level, shown_on=today, note=note, note_visibility=visibility),
        )

    event = sign(mentee_a, "get-transit-card", "mentor_a", 2, "NOTE-QZA-1")
    sign(mentee_a, "use-atm", "mentor_a", 1, "STAFF-QZA-1", "staff")
    # A staff-only note on the skill whose pages the route tests open.
    sign(mentee_a, "get-transit-card", "mentor_a", 2, "STAFF-QZA-2", "staff")
    sign(mentee_b, "get-transit-card", "other_mentor", 3, "NOTE-QZB-1")
    sign(mentee_b, "get-transit-card", "other_mentor", 3, "STAFF-QZB-1", "staff")
    sign(mentee_c, "get-transit-card", "other_org_mentor", 2, "NOTE-QZC-1")
    sign(mentee_c, "get-transit-card", "other_org_mentor", 2, "STAFF-QZC-1", "staff")
    audit.record("test.seed", users["admin"])
    report = voice.report_did_it(
        mentee_a, skill("ride-and-pay"), "I rode the bus", users["mentee_a"]
    )
    # Session notes carry the markers too: one shared with mentee A, one staff-only.
    shared_note = _session_note(mentee_a, users["mentor_a"], "NOTE-QZA-1", "mentee")
    _session_note(mentee_a, users["mentor_a"], "STAFF-QZA-2", "staff")
    _session_note(mentee_b, users["other_mentor"], "STAFF-QZB-1", "staff")
    photo = photos.add_photo(report, tiny_jpeg(), users["mentee_a"])
    db.session.commit()
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.staff_id == users["mentor_a"].id)
    )
    params = {
        "mentee_id": mentee_a.id,
        "skill_id": skill().id,
        "domain_id": skill().domain_id,
        "event_id": event.id,
        "user_id": users["mentor_a"].id,
        "assignment_id": assignment.id,
        "report_id": report.id,
        "note_id": shared_note.id,
        "photo_id": photo.id,
        "curriculum_id": skill().curriculum_id,
    }
    return World(users, mentee_a, mentee_b, mentee_c, params)


def tiny_jpeg(size=(4, 3), color=(200, 80, 40), **save) -> bytes:
    """A small JPEG made here (Pillow), for photo uploads."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def _session_note(mentee, mentor, text, visibility):
    from datetime import time

    from skills.services.session_notes import NoteDetails, record_note

    details = NoteDetails(
        contact_on=today() - timedelta(days=1),
        starts_at=time(10, 0),
        ends_at=time(10, 30),
        mode="in_person",
        what_we_did=text,
        note_visibility=visibility,
    )
    return record_note(mentee, mentor, details)


class QueryCounter:
    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _count(self, conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK|PRAGMA)", statement, re.I):
            self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._count)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    return lambda: QueryCounter(db.engine)


def raw_engine(url: str):
    return create_engine(url)


__all__ = ["Organisation", "PASSWORD", "raw_engine"]


_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # In CI every test must run: a skip there means a missing install step.
    if os.environ.get("CI") and _skipped:
        print(f"\nCI: {len(_skipped)} test(s) were skipped; CI must run them all:")
        for nodeid in _skipped:
            print(f"  {nodeid}")
        session.exitstatus = 1
