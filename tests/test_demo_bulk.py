"""The demo's bulk loads: a big table is loaded with its secondary indexes (and, on
PostgreSQL, its foreign keys) out of the way and gets them all back, the same, at the
end; a bad row still fails the load; a table with rows in it, or a role that may not
change the schema, is loaded with its indexes in place."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from skills.demo import STATUS_FIELDS, create_demo
from skills.demo_bulk import built_after, insert_rows
from skills.extensions import db
from skills.models import Assignment, SignoffEvent, SkillStatus
from skills.services import curriculum as curriculum_service
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
