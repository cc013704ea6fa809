"""Each audited action writes exactly one audit event, and none holds a secret or a note."""

import logging

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import AuditEvent

from .conftest import PASSWORD, today


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def new_events(before: int) -> list[AuditEvent]:
    db.session.rollback()  # end the test's read transaction to see the app's writes
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id))
    )


def last_id() -> int:
    db.session.rollback()
    return db.session.scalar(select(db.func.max(AuditEvent.id))) or 0


@pytest.fixture
def as_actor(app, world):
    def sign_in(actor):
        client = app.test_client()
        client.post("/login", data={"username": world.users[actor].username, "password": PASSWORD})
        return client

    return sign_in


def test_sign_in_success_and_failure(app, world):
    user = world.users["cm_a"]
    start = last_id()
    app.test_client().post("/login", data={"username": user.username, "password": "not-it-at-all"})
    app.test_client().post("/login", data={"username": user.username, "password": PASSWORD})
    got = [(e.action, e.outcome, e.actor_id) for e in new_events(start)]
    assert got == [("auth.login", "failed", None), ("auth.login", "ok", user.id)]


def test_access_denied_is_one_event(as_actor, world):
    client = as_actor("other_mentor")
    start = last_id()
    assert client.get(f"/mentees/{world.mentee_a.id}").status_code == 403
    got = new_events(start)
    assert [(e.action, e.outcome, e.mentee_id, e.actor_role) for e in got] == [
        ("access.denied", "denied", world.mentee_a.id, "mentor")
    ]


def test_staff_view_is_one_event_and_own_view_none(as_actor, world):
    staff, mentee = as_actor("cm_a"), as_actor("mentee_a")
    start = last_id()
    staff.get(f"/mentees/{world.mentee_a.id}")
    got = [(e.action, e.mentee_id) for e in new_events(start)]
    assert got == [("mentee.view", world.mentee_a.id)]
    start = last_id()
    mentee.get("/me/")
    assert new_events(start) == []


def test_sign_off_and_correction_are_one_event_each(as_actor, world, skill):
    client = as_actor("mentor_a")
    start = last_id()
    client.post(
        f"/mentees/{world.mentee_a.id}/skills/{skill('ride-and-pay').id}",
        data={"level": "2", "shown_on": today().isoformat(), "note": "SECRET-NOTE-TEXT"},
    )
    got = new_events(start)
    assert [e.action for e in got] == ["signoff.record"]
    event_id = int(got[0].object_id)
    start = last_id()
    client.post(
        f"/signoffs/{event_id}/correct",
        data={
            "level": "1",
            "shown_on": today().isoformat(),
            "reason": "typo",
            "note": "SECRET-NOTE-TEXT",
        },
    )
    assert [e.action for e in new_events(start)] == ["signoff.correct"]


def test_audit_never_holds_passwords_codes_or_notes(as_actor, world, skill, caplog):
    caplog.set_level(logging.DEBUG)
    client = as_actor("mentor_a")
    client.post(
        f"/mentees/{world.mentee_a.id}/skills/{skill('ride-and-pay').id}",
        data={"level": "2", "shown_on": today().isoformat(), "note": "SECRET-NOTE-TEXT"},
    )
    as_actor("cm_a")
    session_cookie = client.get_cookie("session").value
    for event in db.session.scalars(select(AuditEvent)):
        blob = " ".join(
            str(v) for v in (event.detail, event.object_id, event.action, event.actor_role)
        )
        for secret in (PASSWORD, "SECRET-NOTE-TEXT", "NOTE-QZA-1", "STAFF-QZA-1", session_cookie):
            assert secret not in blob
    for secret in (PASSWORD, "SECRET-NOTE-TEXT", session_cookie):
        assert secret not in caplog.text
