"""Two-step sign-in with authenticator codes."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from skills import permissions
from skills.extensions import db

from .conftest import PASSWORD


@pytest.fixture
def with_totp(make_user):
    user = make_user("case_manager")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return user


def code_for(user, offset_steps=0):
    totp = pyotp.TOTP(user.totp_secret)
    return totp.at(datetime.now(UTC) + timedelta(seconds=30 * offset_steps))


def test_password_alone_is_not_enough_when_two_step_is_on(client, with_totp):
    response = client.post("/login", data={"username": with_totp.username, "password": PASSWORD})
    assert response.headers["Location"] == "/login/code"
    assert client.get("/caseload/").status_code == 302  # not signed in yet
    wrong = client.post("/login/code", data={"code": "000000"})
    assert "That code is not right" in wrong.get_data(as_text=True)
    right = client.post("/login/code", data={"code": code_for(with_totp)})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/caseload/").status_code == 200


def test_a_code_cannot_be_used_twice(app, with_totp):
    code = code_for(with_totp)
    first = app.test_client()
    first.post("/login", data={"username": with_totp.username, "password": PASSWORD})
    assert first.post("/login/code", data={"code": code}).status_code == 302
    second = app.test_client()
    second.post("/login", data={"username": with_totp.username, "password": PASSWORD})
    replay = second.post("/login/code", data={"code": code})
    assert "already used" in replay.get_data(as_text=True)
    assert second.get("/caseload/").status_code == 302


def test_code_page_without_password_step_sends_back_to_sign_in(client):
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_turning_on_two_step(client, login, make_user):
    user = make_user("mentor")
    login(user)
    page = client.get("/account/two-step").get_data(as_text=True)
    assert "<svg" in page
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    response = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200  # the page of recovery codes, shown once
    assert "Two-step sign-in is on." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_secret == secret
    assert client.get("/mentor/").status_code == 200  # this session carries on


def test_organisation_can_require_two_step_for_admins_and_case_managers(
    client, login, make_user, org
):
    org.two_step_roles = "admin case_manager"
    db.session.commit()
    mentor = make_user("mentor")
    cm = make_user("case_manager")
    login(mentor)
    assert client.get("/mentor/").status_code == 200
    login(cm)
    response = client.get("/caseload/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/two-step"
    assert permissions.two_step_required(cm) and not permissions.two_step_required(mentor)


def test_wrong_codes_count_toward_the_throttle(client, with_totp):
    client.post("/login", data={"username": with_totp.username, "password": PASSWORD})
    for _ in range(5):
        client.post("/login/code", data={"code": "000000"})
    blocked = client.post("/login/code", data={"code": code_for(with_totp)})
    assert blocked.status_code == 429


def test_change_own_password_ends_other_sessions(app, client, login, make_user):
    user = make_user("mentor")
    login(user)
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": user.username, "password": PASSWORD})
    assert elsewhere.get("/mentor/").status_code == 200
    short = client.post("/account/password", data={"current": PASSWORD, "new": "short"})
    assert "at least 8" in short.get_data(as_text=True)
    done = client.post("/account/password", data={"current": PASSWORD, "new": "a-brand-new-secret"})
    assert done.status_code == 302
    assert client.get("/mentor/").status_code == 200
    assert elsewhere.get("/mentor/").status_code == 302
