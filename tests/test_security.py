"""Sessions, sign-in throttling and response headers."""

import base64
import json
import zlib

import pytest
from sqlalchemy import select

from skills import create_app
from skills.extensions import db
from skills.models import AuditEvent, SignInThrottle
from skills.services.passwords import PasswordRejected, check_rules

from .conftest import PASSWORD


def sign_in(client, user, password=PASSWORD):
    return client.post("/login", data={"username": user.username, "password": password})


@pytest.mark.parametrize("path", ["/login", "/mentor/", "/no-such-page", "/health"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_when_served_over_https(client):
    response = client.get("/login", base_url="https://skills.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_have_no_inline_script_or_style(client, login, make_user):
    login(make_user("mentor"))
    page = client.get("/mentor/").get_data(as_text=True)
    assert "<script" not in page and "style=" not in page


def test_session_cookie_holds_no_personal_data(client, make_user):
    user = make_user("mentor", name="Dana Reyes")
    sign_in(client, user)
    cookie = client.get_cookie("session").value
    payload = cookie.split(".")[1] if not cookie.startswith(".") else cookie.split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.startswith("."):
        raw = zlib.decompress(raw)
    data = json.loads(raw)
    text = json.dumps(data)
    assert user.username not in text and "Dana" not in text
    assert set(data) <= {
        "_user_id",
        "_fresh",
        "_id",
        "signed_in_at",
        "seen_at",
        "_permanent",
        "csrf_token",
    }
    assert client.get_cookie("session").http_only


@pytest.mark.parametrize("field, seconds", [("seen_at", 31 * 60), ("signed_in_at", 12 * 3600 + 1)])
def test_idle_and_absolute_timeouts_end_the_session(client, make_user, field, seconds):
    sign_in(client, make_user("mentor"))
    assert client.get("/mentor/").status_code == 200
    with client.session_transaction() as session:
        session[field] -= seconds
        if field == "signed_in_at":
            session["seen_at"] = session["signed_in_at"] + seconds  # active all along
    response = client.get("/mentor/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/mentor/").status_code == 302


def test_activity_keeps_the_session_alive(client, make_user):
    sign_in(client, make_user("mentor"))
    with client.session_transaction() as session:
        session["seen_at"] -= 29 * 60
    assert client.get("/mentor/").status_code == 200
    with client.session_transaction() as session:
        assert session["seen_at"] >= session["signed_in_at"]


def test_new_session_at_sign_in(client, make_user):
    user = make_user("mentor")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sixth_failed_attempt_in_a_minute_is_refused(client, make_user, app, database_url):
    victim = make_user("mentor")
    bystander = make_user("mentor")
    for _ in range(5):
        assert sign_in(client, victim, "wrong-password").status_code == 200
    # A second app process sharing the database sees the same count. (The name is read
    # first: inside the second app, the test's session would borrow from its pool.)
    username = victim.username
    other = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
            "ARGON2_MEMORY_COST": 64,
            "ARGON2_TIME_COST": 1,
        }
    )
    with other.app_context():
        refused = other.test_client().post(
            "/login", data={"username": username, "password": PASSWORD}
        )
        db.engine.dispose()
    assert refused.status_code == 429
    assert "Wait one minute" in refused.get_data(as_text=True)
    assert sign_in(client, bystander).status_code == 302
    # Five failures counted for the account and the address; the refused attempt used
    # nothing up, and the bystander's success gave its reservation back.
    counts = dict(db.session.execute(select(SignInThrottle.key, SignInThrottle.attempts)).all())
    assert counts == {victim.username: 5, bystander.username: 0, "127.0.0.1": 5, "all": 5}
    throttled = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "throttled"))
    assert throttled.object_id == victim.username


def test_failures_older_than_a_minute_do_not_count(client, make_user):
    from datetime import timedelta

    from skills.timeutil import utcnow

    user = make_user("mentor")
    earlier = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=2)
    db.session.add(
        SignInThrottle(scope="account", key=user.username, window_start=earlier, attempts=5)
    )
    db.session.commit()
    assert sign_in(client, user).status_code == 302


@pytest.mark.parametrize(
    "password, message",
    [
        ("short", "at least 8"),
        ("x" * 129, "at most 128"),
        ("Password1", "too common"),
        ("qwerty123", "too common"),
    ],
)
def test_password_rules(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_rules(password)


def test_old_hash_parameters_are_upgraded_at_sign_in(client, make_user, app):
    user = make_user("mentor")
    old_hash = user.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    assert sign_in(client, user).status_code == 302
    db.session.refresh(user)
    assert user.password_hash != old_hash and "t=2" in user.password_hash
