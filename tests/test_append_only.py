"""The database itself refuses to change or remove sign-off and audit events."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from skills.extensions import db
from skills.services import audit
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today


@pytest.fixture
def one_event(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    event = record_signoff(mentee, skill(), mentor, SignoffDetails(level=2, shown_on=today()))
    audit.record("test.event", mentor)
    db.session.commit()
    return event


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE signoff_events SET level = 3",
        "UPDATE signoff_events SET note = 'changed'",
        "DELETE FROM signoff_events",
        "UPDATE audit_events SET action = 'changed'",
        "DELETE FROM audit_events",
    ],
)
def test_update_and_delete_are_refused_by_the_database(one_event, statement):
    with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT level, note FROM signoff_events")).one() == (2, "")
        assert (
            conn.execute(
                text("SELECT count(*) FROM audit_events WHERE action = 'test.event'")
            ).scalar()
            == 1
        )


def test_orm_change_to_an_event_is_refused(one_event):
    one_event.level = 3
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(type(one_event), one_event.id).level == 2
