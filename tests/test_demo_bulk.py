"""The demo's bulk loads: a big table is loaded with its secondary indexes (and, on
PostgreSQL, its foreign keys) out of the way and gets them all back, the same, at the
end; a bad row still fails the load; a table with rows in it, or a role that may not
change the schema, is loaded with its indexes in place."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from skills.demo import STATUS_FIELDS, create_demo
from skills.demo_bulk import built_after, insert_rows
from skills.extensions import db
from skills.models import Assignment, SignoffEvent, SkillStatus
from skills.models.chain import chain_problems
from skills.services import curriculum as curriculum_service
from skills.services.page_cache import page_versions
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.status import status_differences

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


def test_the_demo_gives_back_every_index_and_foreign_key_it_set_aside(app):
    before = {t: schema_of(t) for t in ("signoff_events", "skill_status")}
    assert index_names("signoff_events")  # there is something to set aside
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
