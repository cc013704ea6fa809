"""Sweeps over the URL map: CSRF on every POST, no GET changes data, no mass assignment."""

import pytest
from sqlalchemy import select, text

from skills import create_app
from skills.extensions import db
from skills.models import Mentee, SignoffEvent, User

from .conftest import today

# Reading a mentee's record is itself recorded; nothing else may change on a GET.
READ_SIDE_EFFECT_TABLES = {"audit_events"}


def snapshot(exclude=frozenset()) -> dict[str, list]:
    """Every row of every table, to compare before and after a request."""
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in exclude:
                rows[table.name] = sorted(map(tuple, conn.execute(table.select())), key=repr)
    return rows


def sign_in_by_session(client, user) -> None:
    """Sign in without posting the login form (which needs a CSRF token too)."""
    import time

    now = int(time.time())
    with client.session_transaction() as session:
        session.update(_user_id=user.get_id(), _fresh=True, signed_in_at=now, seen_at=now)


def rules(method: str):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    return sorted(
        (r.endpoint, r.rule)
        for r in app.url_map.iter_rules()
        if method in r.methods and r.endpoint != "static"
    )


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("endpoint, rule", rules("POST"))
def test_post_without_csrf_token_is_refused_and_changes_nothing(csrf_app, world, endpoint, rule):
    url = world.url(rule)
    for actor in ("anonymous", "admin", "mentor_a"):
        client = csrf_app.test_client()
        if actor != "anonymous":
            sign_in_by_session(client, world.users[actor])
        before = snapshot()
        response = client.post(
            url, data={"level": "3", "shown_on": today().isoformat(), "reason": "x"}
        )
        assert response.status_code == 400, f"{actor} {url}: {response.status_code}"
        assert snapshot() == before, f"{actor} {url} changed data without a CSRF token"


@pytest.mark.parametrize("endpoint, rule", rules("GET"))
def test_no_get_request_changes_data(app, world, endpoint, rule):
    url = world.url(rule)
    for actor in ("mentee_a", "mentor_a", "cm_a", "admin"):
        client = app.test_client()
        sign_in_by_session(client, world.users[actor])
        before = snapshot(READ_SIDE_EFFECT_TABLES)
        response = client.get(url)
        assert response.status_code < 500, f"{actor} {url}: {response.status_code}"
        assert snapshot(READ_SIDE_EFFECT_TABLES) == before, f"GET {url} as {actor} changed data"


def test_sign_off_ignores_fields_naming_other_people_or_times(client, login, world, skill):
    login(world.users["mentor_a"])
    url = f"/mentees/{world.mentee_a.id}/skills/{skill('read-timetable').id}"
    response = client.post(
        url,
        data={
            "level": "3",
            "shown_on": today().isoformat(),
            "note_visibility": "mentee",
            "mentee_id": str(world.mentee_b.id),
            "recorded_by_id": str(world.users["admin"].id),
            "recorded_by": str(world.users["admin"].id),
            "recorded_at": "2001-01-01T00:00:00",
            "kind": "correction",
            "corrects_id": "1",
        },
    )
    assert response.status_code == 302
    event = db.session.scalar(select(SignoffEvent).order_by(SignoffEvent.id.desc()))
    assert event.mentee_id == world.mentee_a.id
    assert event.recorded_by_id == world.users["mentor_a"].id
    assert event.kind == "signoff" and event.corrects_id is None
    assert event.recorded_at.year == today().year


def test_own_account_forms_ignore_role_and_organisation_fields(client, login, world):
    mentor = world.users["mentor_a"]
    login(mentor)
    client.post(
        "/account/password",
        data={
            "current": "wrong",
            "new": "another-long-one",
            "roles": "admin",
            "organisation_id": "99",
            "active": "y",
            "username": "root",
        },
    )
    db.session.expire_all()
    user = db.session.get(User, mentor.id)
    assert (user.roles, user.username, user.organisation_id) == (
        "mentor",
        mentor.username,
        mentor.organisation_id,
    )


def test_admin_mentee_edit_ignores_organisation_and_status_fields(client, login, world):
    admin = world.users["admin"]
    login(admin)
    mentee = world.mentee_a
    page = client.get(f"/admin/mentees/{mentee.id}")
    if page.status_code == 404:
        pytest.fail("admin mentee edit page is missing")
    client.post(
        f"/admin/mentees/{mentee.id}",
        data={
            "full_name": "Alma Qzmarkera",
            "start_date": mentee.start_date.isoformat(),
            "version_id": str(mentee.version_id),
            "organisation_id": "99",
            "status": "discharged",
            "user_id": str(world.users["mentee_b"].id),
        },
    )
    db.session.expire_all()
    fresh = db.session.get(Mentee, mentee.id)
    assert (fresh.organisation_id, fresh.status, fresh.user_id) == (
        mentee.organisation_id,
        "active",
        world.users["mentee_a"].id,
    )


def test_snapshot_sees_changes(app, world):
    before = snapshot()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET display_name = 'changed' WHERE id = 1"))
    assert snapshot() != before
