import pytest
from sqlalchemy import select

from skills import create_app
from skills.extensions import db
from skills.models import AuditEvent

from .conftest import PASSWORD


def test_anonymous_user_is_sent_to_sign_in(client):
    response = client.get("/mentor/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/mentor/")


def test_health_check_is_public(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_sign_in_and_out(client, make_user):
    mentor = make_user("mentor")
    response = client.post(
        "/login", data={"username": mentor.username.upper(), "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/mentor/"
    client.post("/logout")
    assert client.get("/mentor/").status_code == 302


def test_wrong_password_is_refused_and_audited(client, make_user):
    mentor = make_user("mentor")
    response = client.post(
        "/login", data={"username": mentor.username, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login"))
    assert failed.outcome == "failed"


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user("mentor", active=False)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200 and "do not match an active account" in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/caseload/", "/caseload/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_is_followed_only_for_local_paths(client, make_user, target, expected):
    cm = make_user("case_manager")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": cm.username, "password": PASSWORD},
    )
    assert response.headers["Location"] == expected


def test_cookie_from_before_sign_out_is_refused(client, make_user, app):
    mentor = make_user("mentor")
    client.post("/login", data={"username": mentor.username, "password": PASSWORD})
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/mentor/").status_code == 302


def test_post_without_csrf_token_is_refused(database_url, make_user):
    strict = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ARGON2_MEMORY_COST": 64,
            "ARGON2_TIME_COST": 1,
        }
    )
    # Read outside the second app: inside it, the test's own session would borrow a
    # connection from the second app's pool and leave it open.
    username = make_user("mentor").username
    with strict.app_context():
        response = strict.test_client().post(
            "/login", data={"username": username, "password": PASSWORD}
        )
        db.engine.dispose()
    assert response.status_code == 400
