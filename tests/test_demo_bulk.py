"""The demo's bulk loads: a big table is loaded with its secondary indexes (and, on
PostgreSQL, its foreign keys) out of the way and gets them all back, the same, at the
end; a bad row still fails the load; a table with rows in it, or a role that may not
change the schema, is loaded with its indexes in place."""

import gc
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Column, Date, DateTime, Integer, MetaData, Table, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError

from skills.cycles import cyclic_gc_paused
from skills.demo import STATUS_FIELDS, create_demo
from skills.demo_bulk import _preparer, built_after, insert_rows
from skills.extensions import db
from skills.models import Assignment, SignoffEvent, SkillStatus
from skills.models.chain import chain_problems
from skills.services import curriculum as curriculum_service
from skills.services.page_cache import page_versions
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.status import status_differences
from skills.timeutil import UTCDateTime

from .conftest import today

CURRICULUM = Path(__file__).resolve().parents[1] / "curriculum" / "daily-living.yaml"


def schema_of(table: str) -> set[tuple[str, str]]:
    """The table's indexes and foreign keys, as the database describes them."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"
                " UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        )
    else:
        rows = connection.execute(
            text(
                "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE tbl_name = :t"
                ' UNION SELECT \'fk \' || "from", "table" || \'.\' || "to"'
                " FROM pragma_foreign_key_list(:t)"
            ),
            {"t": table},
        )
    return {(name, definition) for name, definition in rows}


def index_names(table: str) -> set[str]:
    return {name for name, definition in schema_of(table) if "INDEX" in definition.upper()}


# The tables the demo loads with their indexes (and SQLite's version triggers) set aside.
BUILT_AFTER = (
    "signoff_events",
    "skill_status",
    "session_notes",
    "session_note_skills",
    "session_note_signoffs",
    "goals",
    "self_ratings",
    "did_it_reports",
    "signoff_confirmations",
    "signoff_disagreements",
)


def test_the_demo_gives_back_every_index_and_foreign_key_it_set_aside(app):
    before = {t: schema_of(t) for t in BUILT_AFTER}
    assert index_names("signoff_events")  # there is something to set aside
    assert index_names("session_notes")
    curriculum_service.load_files([CURRICULUM])
    create_demo(mentees=12, mentors=2, case_managers=1, months=4, password="demo-pass-1")
    db.session.commit()
    assert {t: schema_of(t) for t in before} == before
    assert status_differences() == []


def test_a_row_naming_no_such_mentee_still_fails_the_load(app, skill):
    with pytest.raises(IntegrityError), built_after(SkillStatus):
        nobody = 999_999  # no such mentee, sign-off or user
        row = (nobody, skill("use-atm").id, 2, False, nobody, date(2026, 1, 5), nobody, False)
        insert_rows(SkillStatus, [row], STATUS_FIELDS)
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM skill_status")) == 0
    assert index_names("skill_status")  # the rollback put back what was set aside


def test_a_table_with_rows_keeps_its_indexes_while_loading(
    app, make_user, make_mentee, assign, skill
):
    mentor, mentee = make_user("mentor"), make_mentee()
    assign(mentor, mentee)
    record_signoff(mentee, skill("use-atm"), mentor, SignoffDetails(level=2, shown_on=today()))
    db.session.commit()
    indexes = index_names("signoff_events")
    with built_after(SignoffEvent):
        assert index_names("signoff_events") == indexes


def test_as_the_app_role_the_load_goes_ahead_with_the_indexes_in_place(app, make_user, make_mentee):
    """Also run by .ci/run as the app's restricted PostgreSQL role (`-k app_role`), which
    may write rows but not drop an index: the load then goes row by row."""
    mentor, mentee = make_user("mentor"), make_mentee()
    before = schema_of("assignments")
    with built_after(Assignment):
        insert_rows(
            Assignment,
            [(mentee.id, mentor.id, "mentor", mentee.start_date, None)],
            ("mentee_id", "staff_id", "kind", "starts_on", "ends_on"),
        )
    db.session.commit()
    assert schema_of("assignments") == before
    assert db.session.scalar(text("SELECT count(*) FROM assignments")) == 1


def test_rows_in_many_batches_go_in_in_order_and_keep_the_chain(
    app, make_user, make_mentee, skill, monkeypatch
):
    """Rows are sealed and written a batch at a time: every row arrives once, in
    order, each batch continuing the chain from the one before."""
    monkeypatch.setattr("skills.demo_bulk.BATCH", 2)
    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    rows = [
        {
            "recorded_at": datetime(2026, 1, 5, 15, i, tzinfo=UTC),
            "mentee_id": mentee.id,
            "skill_id": atm.id,
            "level": 1 + i % 3,
            "recorded_by_id": mentor.id,
            "shown_on": date(2026, 1, 5),
            "note": f"row {i}",
        }
        for i in range(7)
    ]
    insert_rows(SignoffEvent, rows)
    db.session.commit()
    notes = db.session.scalars(select(SignoffEvent.note).order_by(SignoffEvent.id)).all()
    assert notes == [f"row {i}" for i in range(7)]
    assert chain_problems(db.session.connection()) == []


def test_chained_rows_given_as_tuples_are_sealed_as_dicts_are(
    app, make_user, make_mentee, skill, monkeypatch
):
    """A bulk load gives millions of sign-offs as tuples (a dict each would double its
    memory): each value lands in its own column, in order, and the chain holds."""
    monkeypatch.setattr("skills.demo_bulk.BATCH", 3)
    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    fields = ("recorded_at", "mentee_id", "skill_id", "level", "recorded_by_id", "shown_on")
    fields += ("note", "support")
    rows = [
        (
            datetime(2026, 1, 5, 15, i, tzinfo=UTC),
            mentee.id,
            atm.id,
            1 + i % 3,
            mentor.id,
            date(2026, 1, 1 + i),
            f"row {i}",
            "own" if i % 2 else None,
        )
        for i in range(8)
    ]
    ids = insert_rows(SignoffEvent, rows, fields)
    db.session.commit()
    # The ids handed back are the rows' own, in the order of the rows.
    notes = dict(db.session.execute(select(SignoffEvent.id, SignoffEvent.note)).all())
    assert [notes[i] for i in ids] == [f"row {i}" for i in range(8)]
    stored = db.session.execute(
        select(
            SignoffEvent.level,
            SignoffEvent.shown_on,
            SignoffEvent.note,
            SignoffEvent.support,
            SignoffEvent.kind,
            SignoffEvent.note_visibility,
        ).order_by(SignoffEvent.id)
    ).all()
    assert [tuple(row) for row in stored] == [
        (1 + i % 3, date(2026, 1, 1 + i), f"row {i}", "own" if i % 2 else None, "signoff", "mentee")
        for i in range(8)
    ]
    assert chain_problems(db.session.connection()) == []


def _event_rows(mentor, mentee, skill, count: int, bad_at: int | None = None) -> list[tuple]:
    """Sign-off rows in EVENT_ROW order; row `bad_at` has a day that is not a date."""
    return [
        (
            datetime(2026, 1, 5, 15, i % 60, tzinfo=UTC),
            mentee.id,
            skill.id,
            1 + i % 3,
            mentor.id,
            "the fifth" if i == bad_at else date(2026, 1, 5),
            f"row {i}",
        )
        for i in range(count)
    ]


EVENT_ROW = ("recorded_at", "mentee_id", "skill_id", "level", "recorded_by_id", "shown_on")
EVENT_ROW += ("note",)


@pytest.fixture
def forked(monkeypatch):
    """Small batches, and a forked process to make them from the second row on; lists
    the processes forked."""
    import multiprocessing
    import sys

    import skills.demo_bulk

    if not sys.platform.startswith("linux"):
        pytest.skip("the bulk load forks on Linux only (serial elsewhere)")
    monkeypatch.setattr(skills.demo_bulk, "BATCH", 3)
    monkeypatch.setattr(skills.demo_bulk, "FORK_FROM", 2)
    forks = []
    real = skills.demo_bulk._made_by_a_child

    def counted(batches):
        made = real(batches)
        forks.extend(multiprocessing.active_children())
        return made

    monkeypatch.setattr(skills.demo_bulk, "_made_by_a_child", counted)
    return forks


def test_a_big_chained_load_made_by_a_forked_process_arrives_whole_and_in_order(
    app, make_user, make_mentee, skill, forked
):
    """The forked process seals and prepares each batch while this one writes: every
    row arrives once, in order, the chain holds (continued from the row before the
    load), and the process is gone afterwards."""
    import multiprocessing

    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    # One row first (too few to fork): the forked process continues the chain from it.
    insert_rows(SignoffEvent, _event_rows(mentor, mentee, atm, 1), EVENT_ROW)
    assert forked == []
    insert_rows(SignoffEvent, _event_rows(mentor, mentee, atm, 11), EVENT_ROW)
    db.session.commit()
    assert [child.exitcode for child in forked] == [0]  # it ended by itself
    notes = db.session.scalars(select(SignoffEvent.note).order_by(SignoffEvent.id)).all()
    assert notes == ["row 0", *(f"row {i}" for i in range(11))]
    assert chain_problems(db.session.connection()) == []
    assert multiprocessing.active_children() == []


def test_a_bad_row_met_by_the_forked_process_fails_the_whole_load(
    app, make_user, make_mentee, skill, forked
):
    """The error in the forked process (a later batch) reaches the caller as itself,
    nothing of the load stays, and the process has ended."""
    import multiprocessing

    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    with pytest.raises(Exception, match="date"):
        insert_rows(SignoffEvent, _event_rows(mentor, mentee, atm, 11, bad_at=7), EVENT_ROW)
    db.session.rollback()
    assert [child.exitcode for child in forked] == [0]  # it ended by itself
    assert db.session.scalar(text("SELECT count(*) FROM signoff_events")) == 0
    assert multiprocessing.active_children() == []


def test_a_failed_write_stops_the_forked_process(app, make_user, make_mentee, skill, forked):
    """When writing fails here (a skill that does not exist), the forked process is not
    left behind, waiting to send the rest: it learns that nobody reads and ends."""
    import multiprocessing

    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    # Long notes fill the pipe: the forked process is still sending when writing fails.
    rows = [(*row[:-1], "x" * 20_000) for row in _event_rows(mentor, mentee, atm, 30)]
    rows[1] = (*rows[1][:2], 987654, *rows[1][3:])
    # SQLite refuses the row as it goes in; PostgreSQL's COPY (the driver's own error)
    # when it ends.
    with pytest.raises((IntegrityError, psycopg.errors.IntegrityError)):
        insert_rows(SignoffEvent, rows, EVENT_ROW)
        db.session.commit()
    db.session.rollback()
    assert [child.exitcode for child in forked] == [0]  # it ended by itself
    assert multiprocessing.active_children() == []
    assert db.session.scalar(text("SELECT count(*) FROM signoff_events")) == 0


def test_an_error_in_a_later_batch_fails_the_whole_load(app, make_user, make_mentee, monkeypatch):
    """The first batch is written before the second is found bad: the error reaches
    the caller, and nothing of the load stays."""
    monkeypatch.setattr("skills.demo_bulk.BATCH", 1)
    mentor, mentee = make_user("mentor"), make_mentee()
    fields = ("mentee_id", "staff_id", "kind", "starts_on", "ends_on")
    rows = [
        (mentee.id, mentor.id, "mentor", date(2026, 1, 5), None),
        (mentee.id, mentor.id, "mentor", "the fifth", None),  # not a date
    ]
    with pytest.raises(Exception, match="date"):
        insert_rows(Assignment, rows, fields)
    db.session.rollback()
    assert db.session.scalar(text("SELECT count(*) FROM assignments")) == 0


def test_a_load_gives_the_caseload_a_new_version_and_its_triggers_come_back(
    app, make_user, make_mentee, assign, skill
):
    """SQLite bumps the version once per row; the load sets that trigger aside. The
    cached caseload pages must still see the load, and later changes still bump."""
    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    assign(mentor, mentee)
    before = page_versions()
    row = {
        "recorded_at": datetime(2026, 1, 5, 15, tzinfo=UTC),
        "mentee_id": mentee.id,
        "skill_id": atm.id,
        "level": 1,
        "recorded_by_id": mentor.id,
        "shown_on": date(2026, 1, 5),
    }
    with built_after(SignoffEvent):
        insert_rows(SignoffEvent, [row])
    loaded = page_versions()
    assert loaded[0] == before[0]  # the curriculum is untouched
    assert loaded[1] != before[1]
    record_signoff(
        mentee, skill("get-transit-card"), mentor, SignoffDetails(level=1, shown_on=today())
    )
    assert page_versions()[1] != loaded[1]  # the triggers are back


def test_bound_times_are_remembered_only_where_equal_times_bind_alike():
    """Preparing rows remembers the bound form of a date or a UTC time (millions of
    sign-offs share some thousands of them). A plain DateTime binds an aware time's own
    clock time on SQLite, so two equal times in two zones bind differently: not
    remembered. A naive time equal in clock time to a remembered UTC one is not the same
    value, and is still refused."""
    table = Table(
        "times",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime),
        Column("plain", DateTime),
        Column("day", Date),
    )
    _names, prepare = _preparer(table, ("id", "at", "plain", "day"), sqlite.dialect())
    utc = datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
    new_york = utc.astimezone(ZoneInfo("America/New_York"))
    first, second = prepare(
        [(1, utc, utc, date(2026, 11, 30)), (2, new_york, new_york, date(2026, 11, 30))]
    )
    assert first[1] == second[1] == "2026-12-01 02:05:00.000000"
    assert first[2] == "2026-12-01 02:05:00.000000"
    assert second[2] == "2026-11-30 21:05:00.000000"
    assert first[3] == second[3] == "2026-11-30"
    with pytest.raises(ValueError, match="naive datetime"):
        prepare([(3, utc.replace(tzinfo=None), None, None)])
    # The night clocks go back, 1:30 a.m. comes twice: equal as values, an hour apart.
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    once, twice = prepare([(4, first, None, None), (5, first.replace(fold=1), None, None)])
    assert (once[1], twice[1]) == ("2026-11-01 05:30:00.000000", "2026-11-01 06:30:00.000000")


def test_rows_of_a_chained_table_take_the_ids_the_chain_reserves(
    app, make_user, make_mentee, skill
):
    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    row = dict(zip(EVENT_ROW, _event_rows(mentor, mentee, atm, 1)[0], strict=True))
    with pytest.raises(ValueError, match="signoff_events take the ids their chain reserves"):
        insert_rows(SignoffEvent, [{**row, "id": 99}])
    with pytest.raises(ValueError, match="signoff_events take the ids"):
        insert_rows(SignoffEvent, [(99, *row.values())], ("id", *row))
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 0
    # Other tables are numbered by the database: no ids to hand back.
    assert insert_rows(Assignment, [_assignment_row(mentee, mentor)]) == []


def test_a_block_of_ids_taken_at_once_leaves_the_next_writer_the_id_after_it(
    app, make_user, make_mentee, assign, skill
):
    """A bulk load takes its ids as one block (PostgreSQL: one round trip, not a row per
    id); the block is contiguous and the next sign-off recorded live takes the id after
    it, continuing the chain."""
    mentor, mentee, atm = make_user("mentor"), make_mentee(), skill("use-atm")
    assign(mentor, mentee)
    first = insert_rows(SignoffEvent, _event_rows(mentor, mentee, atm, 1), EVENT_ROW)
    block = insert_rows(SignoffEvent, _event_rows(mentor, mentee, atm, 5), EVENT_ROW)
    assert block == list(range(first[0] + 1, first[0] + 6))
    details = SignoffDetails(level=2, shown_on=today(), note="live")
    live = record_signoff(mentee, atm, mentor, details)
    db.session.commit()
    assert live.id == block[-1] + 1
    assert chain_problems(db.session.connection()) == []


def _assignment_row(mentee, staff) -> dict:
    return {
        "mentee_id": mentee.id,
        "staff_id": staff.id,
        "kind": "mentor",
        "starts_on": date(2026, 1, 1),
        "ends_on": None,
    }


@pytest.mark.parametrize("enabled", [True, False])
def test_the_cycle_collector_is_paused_within_a_load_and_restored_after(enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        with cyclic_gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with pytest.raises(KeyError), cyclic_gc_paused():
            raise KeyError("a failed load")
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()
