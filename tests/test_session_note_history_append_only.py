"""A session note's history stays as written: the database refuses UPDATE and DELETE of
its versions, addenda, the mentee's comments and its linked sign-offs, and of a signed
note itself, while the services still edit unsigned notes, sign them and add to them.
`flask check` reports a trigger that went missing; the migration brings the triggers to
an existing database and takes them away again."""

# ruff: noqa: S608 - the SQL here names tables from the app's own list, never input

from collections.abc import Iterator
from datetime import time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from skills import create_app, timeutil
from skills.extensions import db
from skills.models import Mentee, SessionNote, Skill, User
from skills.models.append_only import (
    APPEND_ONLY_TABLES,
    SIGNED_NOTES,
    signed_notes_ddl,
    trigger_problems,
)
from skills.models.session_notes import SessionNoteAddendum, SessionNoteVersion
from skills.services import assignments, people
from skills.services import curriculum as curriculum_service
from skills.services import session_note_edits as edits
from skills.services import session_notes as notes

from .conftest import MINI_CURRICULUM, OWNER_URL, PASSWORD, POSTGRES_URL
from .test_migrations import empty_database  # noqa: F401 - a fixture used below
from .test_tamper_evidence import as_owner, triggers_restored  # noqa: F401 - a fixture

NOTE_HISTORY = (
    "session_note_versions",
    "session_note_addenda",
    "session_note_comments",
    "session_note_signoffs",
)
# A change to one row of each, in words a forger would want to change.
REWRITES = {
    "session_note_versions": "UPDATE session_note_versions SET what_we_did = 'rewritten'",
    "session_note_addenda": "UPDATE session_note_addenda SET text = 'rewritten'",
    "session_note_comments": "UPDATE session_note_comments SET words = 'rewritten'",
    "session_note_signoffs": "UPDATE session_note_signoffs SET note_id = note_id",
}


def note_details(mentee: Mentee, **changes) -> notes.NoteDetails:
    values = dict(
        contact_on=timeutil.today(mentee.organisation) - timedelta(days=1),
        starts_at=time(10, 0),
        ends_at=time(10, 45),
        mode="in_person",
        place="Library",
        what_we_did="FIRST-TEXT practised the bus route",
        note_visibility="mentee",
    )
    return notes.NoteDetails(**values | changes)


def write_note_history(mentor: User, mentee: Mentee, skill: Skill) -> SessionNote:
    """A note written, edited, signed and added to through the services, with a sign-off
    made from its form: one row in each history table. The caller commits."""
    mentor.credential = mentor.credential or "CPS"
    note = notes.record_note(
        mentee,
        mentor,
        note_details(mentee),
        signoff=notes.NewSignoff(skill_id=skill.id, level=2),
    )
    edits.edit_note(
        note, mentor, note_details(mentee, what_we_did="SECOND-TEXT rode the bus together")
    )
    notes.sign_note(note, mentor)
    notes.add_addendum(note, mentor, "The bus was the 14, not the 41.")
    notes.add_comment(note, db.session.get(User, mentee.user_id), "I liked the bus ride")
    return note


@pytest.fixture
def signed_note(make_user, make_mentee, assign, skill) -> SessionNote:
    mentor = make_user("mentor")
    mentee = make_mentee(with_login=True)
    assign(mentor, mentee)
    note = write_note_history(mentor, mentee, skill())
    db.session.commit()
    return note


def count(table: str) -> int:
    return db.session.scalar(text(f"SELECT count(*) FROM {table}"))


def refused(statement: str, match: str = "append-only", *, owner: bool = True) -> None:
    """The statement fails in the database. Run as the role that owns the tables (the
    app's restricted role is refused before any trigger), or on the app's own engine."""
    db.session.rollback()
    connection = as_owner(None) if owner else db.engine.begin()
    with pytest.raises(DatabaseError, match=match), connection as conn:
        conn.execute(text(statement))


# --- What the services do still works --------------------------------------------------


def test_the_services_write_every_kind_of_note_history(signed_note):
    for table in NOTE_HISTORY:
        assert count(table) == 1, table
    db.session.expire_all()
    note = db.session.get(SessionNote, signed_note.id)
    assert note.signed and note.what_we_did.startswith("SECOND-TEXT")
    assert db.session.scalar(select(SessionNoteVersion.what_we_did)).startswith("FIRST-TEXT")
    # A second addendum and comment are more rows, after signing.
    notes.add_addendum(note, note.mentor, "And we bought a weekly pass.")
    notes.add_comment(note, db.session.get(User, note.mentee.user_id), "Thank you")
    db.session.commit()
    assert (count("session_note_addenda"), count("session_note_comments")) == (2, 2)


def test_an_unsigned_note_is_still_edited_in_place_and_signed(make_user, make_mentee, assign):
    mentor = make_user("mentor")
    mentor.credential = "CPS"
    mentee = make_mentee()
    assign(mentor, mentee)
    note = notes.record_note(mentee, mentor, note_details(mentee))
    db.session.commit()
    for n, words in enumerate(("SECOND-TEXT", "THIRD-TEXT"), start=1):
        version = edits.edit_note(note, mentor, note_details(mentee, what_we_did=words))
        db.session.commit()
        assert version is not None and version.number == n
    # The owner, at the SQL prompt, may change a draft too: only signing freezes it.
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE session_notes SET place = 'Park' WHERE id = :id"), {"id": note.id}
        )
    db.session.expire_all()
    notes.sign_note(note, mentor)
    db.session.commit()
    db.session.expire_all()
    note = db.session.get(SessionNote, note.id)
    assert (note.signed, note.what_we_did, note.place) == (True, "THIRD-TEXT", "Park")
    first = note_details(mentee).what_we_did
    assert [v.what_we_did for v in edits.versions_of(note)] == ["SECOND-TEXT", first]


# --- What the database refuses ---------------------------------------------------------


@pytest.mark.parametrize("table", NOTE_HISTORY)
@pytest.mark.parametrize("action", ["rewrite", "delete one", "delete all", "truncate"])
def test_note_history_refuses_update_delete_and_truncate(signed_note, table, action):
    """Refused to the owner too, who holds every privilege."""
    assert table in APPEND_ONLY_TABLES  # so `flask check` and the app role's grants know it
    before = db.session.execute(text(f"SELECT * FROM {table}")).all()
    statement = {
        "rewrite": REWRITES[table],
        "delete one": f"DELETE FROM {table} WHERE note_id = {signed_note.id}",
        "delete all": f"DELETE FROM {table}",
        # SQLite has no TRUNCATE; DELETE without WHERE is its stand-in.
        "truncate": f"TRUNCATE {table} CASCADE" if POSTGRES_URL else f"DELETE FROM {table}",
    }[action]
    refused(statement)
    assert db.session.execute(text(f"SELECT * FROM {table}")).all() == before


def test_an_addendum_changed_through_the_orm_is_refused(signed_note):
    addendum = db.session.scalar(select(SessionNoteAddendum))
    addendum.text = "Never mind"
    # As the app's restricted role (CI's third run), the missing privilege refuses first.
    refusal = "append-only" if OWNER_URL == POSTGRES_URL else "permission denied"
    with pytest.raises(DatabaseError, match=refusal):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(SessionNoteAddendum, addendum.id).text.startswith("The bus was")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE session_notes SET what_we_did = 'rewritten'",
        "UPDATE session_notes SET minutes = 90, units = 6",
        # Unsigning it first, to edit it after, is refused too.
        "UPDATE session_notes SET signed_at = NULL, signed_on = NULL",
        "DELETE FROM session_notes",
    ],
)
def test_a_signed_note_refuses_update_and_delete(signed_note, statement):
    before = db.session.execute(text("SELECT * FROM session_notes")).all()
    refused(statement, match="a signed session note cannot change")
    assert db.session.execute(text("SELECT * FROM session_notes")).all() == before


def test_a_signed_note_changed_through_the_orm_is_refused(signed_note):
    signed_note.what_we_did = "rewritten after signing"
    with pytest.raises(DatabaseError, match="a signed session note cannot change"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(SessionNote, signed_note.id).what_we_did.startswith("SECOND-TEXT")


def test_only_the_signed_notes_are_frozen(signed_note, make_mentee, assign):
    mentee = make_mentee()
    assign(signed_note.mentor, mentee)
    draft = notes.record_note(mentee, signed_note.mentor, note_details(mentee))
    db.session.commit()
    refused("UPDATE session_notes SET place = 'Park'", match="a signed session note")
    db.session.rollback()
    with db.engine.begin() as conn:
        changed = conn.execute(
            text("UPDATE session_notes SET place = 'Park' WHERE signed_at IS NULL")
        ).rowcount
    assert changed == 1
    db.session.expire_all()
    assert db.session.get(SessionNote, draft.id).place == "Park"
    assert db.session.get(SessionNote, signed_note.id).place == "Library"


def test_the_notes_table_refuses_truncate(signed_note):
    # SQLite has no TRUNCATE; DELETE without WHERE is its stand-in.
    statement = (
        f"TRUNCATE {SIGNED_NOTES} CASCADE" if POSTGRES_URL else f"DELETE FROM {SIGNED_NOTES}"
    )
    refused(statement, match="a signed session note cannot change")
    assert count(SIGNED_NOTES) == 1 and count("session_note_addenda") == 1


# --- flask check -----------------------------------------------------------------------


@pytest.fixture
def signed_triggers_restored(app) -> Iterator[None]:
    """The PostgreSQL schema outlives the test: put the signed-note triggers back."""
    yield
    if not POSTGRES_URL:
        return  # a fresh SQLite file per test
    db.session.remove()
    with as_owner(app) as conn:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {SIGNED_NOTES}_signed ON {SIGNED_NOTES}"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS {SIGNED_NOTES}_no_truncate ON {SIGNED_NOTES}"))
        for statement in signed_notes_ddl("postgresql"):
            conn.execute(text(statement))


def check_output(runner) -> tuple[int, list[str]]:
    result = runner.invoke(args=["check"])
    db.session.rollback()
    return result.exit_code, result.output.splitlines()


def test_check_passes_with_every_trigger_in_place(signed_note, runner):
    code, lines = check_output(runner)
    assert code == 0, lines
    with db.engine.connect() as conn:
        assert trigger_problems(conn) == []


@pytest.mark.usefixtures("signed_triggers_restored")
def test_check_reports_a_dropped_signed_note_trigger(signed_note, app, runner):
    name = f"{SIGNED_NOTES}_signed" if POSTGRES_URL else f"{SIGNED_NOTES}_signed_no_update"
    db.session.rollback()
    with as_owner(app) as conn:
        conn.execute(text(f"DROP TRIGGER {name}" + (f" ON {SIGNED_NOTES}" if POSTGRES_URL else "")))
    code, lines = check_output(runner)
    assert code == 1
    assert f"session_notes has lost the trigger that keeps signed notes unchanged ({name})" in lines
    # With it gone, the database lets a signed note be rewritten.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE session_notes SET what_we_did = 'rewritten'"))


@pytest.mark.usefixtures("signed_triggers_restored")
def test_check_reports_a_signed_note_trigger_that_refuses_nothing(signed_note, app, runner):
    db.session.rollback()
    with as_owner(app) as conn:
        if POSTGRES_URL:
            conn.execute(text(f"ALTER TABLE {SIGNED_NOTES} DISABLE TRIGGER {SIGNED_NOTES}_signed"))
        else:
            conn.execute(text("DROP TRIGGER session_notes_signed_no_delete"))
            conn.execute(
                text(
                    "CREATE TRIGGER session_notes_signed_no_delete BEFORE DELETE ON session_notes "
                    "WHEN 0 BEGIN SELECT RAISE(ABORT, 'never'); END"
                )
            )
    code, lines = check_output(runner)
    assert code == 1
    if POSTGRES_URL:
        assert (
            "session_notes: trigger session_notes_signed is disabled; re-enable it with "
            "ALTER TABLE session_notes ENABLE TRIGGER session_notes_signed"
        ) in lines
    else:
        assert (
            "session_notes: trigger session_notes_signed_no_delete no longer refuses DELETE"
        ) in lines


@pytest.mark.usefixtures("triggers_restored")
def test_check_reports_a_condition_slipped_into_an_append_only_trigger(signed_note, app, runner):
    """A WHEN that is never true keeps the trigger's name and message, and refuses nothing."""
    table = "session_note_addenda"
    db.session.rollback()
    with as_owner(app) as conn:
        if POSTGRES_URL:
            name = f"{table}_append_only"
            conn.execute(text(f"DROP TRIGGER {name} ON {table}"))
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW WHEN (false) EXECUTE FUNCTION {name}()"
                )
            )
        else:
            name = f"{table}_no_delete"
            conn.execute(text(f"DROP TRIGGER {name}"))
            conn.execute(
                text(
                    f"CREATE TRIGGER {name} BEFORE DELETE ON {table} "
                    "WHEN 0 BEGIN SELECT RAISE(ABORT, 'append-only'); END"
                )
            )
    code, lines = check_output(runner)
    assert code == 1
    refuses = "changes" if POSTGRES_URL else "DELETE"
    assert f"{table}: trigger {name} no longer refuses {refuses}" in lines
    with as_owner(app) as conn:  # and indeed it lets a row go
        conn.execute(text(f"DELETE FROM {table}"))


# --- The migration -----------------------------------------------------------------------


def _people_and_curriculum() -> tuple[User, Mentee, Skill]:
    """What a note needs, made through the services on a database just upgraded."""
    curriculum_service.load_files([MINI_CURRICULUM])
    org = people.get_or_create_organisation("Migration Program")
    db.session.flush()
    mentor = people.create_user(org, "migmentor", "Mig Mentor", PASSWORD, ["mentor"])
    user = people.create_user(org, "migmentee", "Mig Mentee", PASSWORD, ["mentee"])
    mentee = people.create_mentee(org, "Mig Mentee", timeutil.today(org) - timedelta(days=30))
    mentee.user_id = user.id
    db.session.flush()
    assignments.assign(mentor, mentee, "mentor", mentee.start_date, None)
    db.session.commit()
    skill = db.session.scalar(select(Skill).where(Skill.key == "get-transit-card"))
    return mentor, mentee, skill


def _new_problems() -> list[str]:
    """The trigger problems about session-note tables."""
    with db.engine.connect() as conn:
        return [p for p in trigger_problems(conn) if p.startswith("session_note")]


def _rows() -> dict[str, int]:
    return {table: count(table) for table in (*NOTE_HISTORY, SIGNED_NOTES)}


def test_the_migration_guards_an_existing_database_and_the_downgrade_lets_go(
    empty_database,  # noqa: F811 - the fixture
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade(revision="0016")
        note = write_note_history(*_people_and_curriculum())
        db.session.commit()
        note_id, before = note.id, _rows()
        # Before the upgrade nothing guards them: every new trigger is reported lost.
        lost = _new_problems()
        assert len(lost) == len(NOTE_HISTORY) * 2 + 2, lost
        db.session.remove()

        upgrade()
        assert _new_problems() == []
        assert _rows() == before  # the rows written before stay
        refused("UPDATE session_note_versions SET what_we_did = 'rewritten'", owner=False)
        refused("DELETE FROM session_note_comments", owner=False)
        refused(
            f"UPDATE session_notes SET place = 'Park' WHERE id = {note_id}",
            match="a signed session note cannot change",
            owner=False,
        )
        # The app keeps working on the upgraded database.
        note = db.session.get(SessionNote, note_id)
        notes.add_addendum(note, note.mentor, "Added after the upgrade.")
        db.session.commit()
        db.session.remove()

        downgrade(revision="0016")
        assert len(_new_problems()) == len(NOTE_HISTORY) * 2 + 2
        with db.engine.begin() as conn:  # nothing refuses any more
            conn.execute(text("UPDATE session_note_versions SET what_we_did = 'rewritten'"))
            conn.execute(text(f"UPDATE session_notes SET place = 'Park' WHERE id = {note_id}"))
        upgrade()
        assert _new_problems() == []
        db.session.remove()
        db.engine.dispose()


def test_flask_setup_on_a_fresh_database_guards_note_history(
    empty_database,  # noqa: F811 - the fixture
):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert trigger_problems(conn) == []
        note = write_note_history(*_people_and_curriculum())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(SessionNoteVersion)) == 1
        refused("DELETE FROM session_note_addenda", owner=False)
        refused(
            f"DELETE FROM session_notes WHERE id = {note.id}",
            match="a signed session note cannot change",
            owner=False,
        )
        db.session.remove()
        db.engine.dispose()
