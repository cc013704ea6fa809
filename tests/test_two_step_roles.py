"""Two-step sign-in required per role, secrets encrypted at rest, recovery codes."""

import json
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select, text, update

from skills import permissions, secrets_crypto
from skills.extensions import db
from skills.models import ROLES, AuditEvent, Organisation, RecoveryCode, User
from skills.services import people, recovery_codes, two_step

from .conftest import PASSWORD
from .live_server import live_server  # noqa: F401 - a fixture
from .test_migrations import empty_database  # noqa: F401 - a fixture
from .test_races import Client, _count, _setup, all_at_once, inputs

CODE = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


def stored_secret(user: User) -> str:
    """The column as the database holds it, past the model's decryption."""
    return db.session.scalar(text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user.id})


def previous_code(secret: str) -> str:
    """The code of the step before: still accepted (a phone clock a little behind)."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) - timedelta(seconds=30))


def next_code(secret: str) -> str:
    """The current code: newer than the one `enroll` used, so not refused as used."""
    return pyotp.TOTP(secret).now()


def enroll(client, user) -> tuple[str, list[str]]:
    """Turn on two-step sign-in through the pages; the secret and the codes shown."""
    client.post("/logout")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")
    done = client.post("/account/two-step", data={"code": previous_code(secret)})
    # The codes come in the answer to the POST itself, never through the cookie.
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    return secret, CODE.findall(done.get_data(as_text=True))


def sign_in_with(app, user, code):
    """A fresh browser: password, then `code`; the client and the code step's response."""
    browser = app.test_client()
    first = browser.post("/login", data={"username": user.username, "password": PASSWORD})
    assert first.headers["Location"] == "/login/code"
    return browser, browser.post("/login/code", data={"code": code})


def audit_rows(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- Who must use it ------------------------------------------------------------------


@pytest.mark.parametrize("required", ROLES)
def test_each_role_can_be_required_on_its_own(make_user, org, required):
    people_by_role = {role: make_user(role) for role in ROLES}
    both = make_user(["mentee", "mentor"])
    org.two_step_roles = required
    db.session.commit()
    asked = {role for role, user in people_by_role.items() if permissions.two_step_required(user)}
    assert asked == {required}
    # Holding any required role is enough.
    assert permissions.two_step_required(both) == (required in ("mentee", "mentor"))


def test_nobody_is_asked_by_default_and_other_organisations_are_untouched(make_user, org):
    other = people.get_or_create_organisation("Other Program")
    mentor_here, mentor_there = make_user("mentor"), make_user("mentor", organisation=other)
    assert not permissions.two_step_required(mentor_here)
    org.two_step_roles = "mentor"
    db.session.commit()
    assert permissions.two_step_required(mentor_here)
    assert not permissions.two_step_required(mentor_there)


def test_a_required_person_reaches_no_page_before_enrolling_but_can_sign_out(
    client, login, make_user, org
):
    mentor, mentee_user = make_user("mentor"), make_user("mentee")
    login(mentor)
    assert client.get("/mentor/").status_code == 200  # not yet required
    org.two_step_roles = "mentor mentee"
    db.session.commit()
    # The very next request of the session already open is sent to enroll.
    for path in ("/", "/mentor/", "/account/", "/account/recovery-codes", "/admin/settings"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-step", path
    assert client.get("/account/two-step").status_code == 200
    assert client.post("/logout").headers["Location"] == "/login"
    assert client.get("/account/two-step").status_code == 302  # signed out for real
    login(mentee_user)
    assert client.get("/me/").headers["Location"] == "/account/two-step"


def test_once_enrolled_the_person_uses_the_pages_and_must_give_a_code(
    app, client, login, make_user, org
):
    org.two_step_roles = "mentor"
    db.session.commit()
    mentor = make_user("mentor")
    secret, _ = enroll(client, mentor)
    assert client.get("/mentor/").status_code == 200
    browser, _ = sign_in_with(app, mentor, "000000")
    assert browser.get("/mentor/").status_code == 302
    browser, answer = sign_in_with(app, mentor, next_code(secret))
    assert answer.headers.get("Location") == "/", answer.get_data(as_text=True)
    assert browser.get("/mentor/").status_code == 200


# --- Secrets at rest ------------------------------------------------------------------


def test_secret_is_encrypted_at_rest_and_read_back_plain(client, login, make_user):
    user = make_user("mentor")
    secret, _ = enroll(client, user)
    raw = stored_secret(user)
    assert raw.startswith("v1:") and secret not in raw
    db.session.expire_all()
    assert db.session.get(User, user.id).totp_secret == secret
    # The same secret sealed twice gives two different values (a fresh nonce each time).
    assert secrets_crypto.encrypt(secret) != secrets_crypto.encrypt(secret)


def test_key_comes_from_totp_key_when_set_else_from_secret_key():
    sealed = secrets_crypto.encrypt("JBSWY3DPEHPK3PXP", {"SECRET_KEY": "first key"})
    assert secrets_crypto.decrypt(sealed, {"SECRET_KEY": "first key"}) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(secrets_crypto.SecretUnreadable):
        secrets_crypto.decrypt(sealed, {"SECRET_KEY": "second key"})
    # Rotating SECRET_KEY keeps secrets readable when TOTP_KEY holds the old key.
    rotated = {"SECRET_KEY": "second key", "TOTP_KEY": "first key"}
    assert secrets_crypto.decrypt(sealed, rotated) == "JBSWY3DPEHPK3PXP"
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(secrets_crypto.SecretUnreadable):
        secrets_crypto.decrypt(tampered, {"SECRET_KEY": "first key"})


def test_a_secret_sealed_with_another_key_fails_closed_without_a_500(app, make_user):
    user = make_user("mentor")
    admin = make_user("admin")
    secret = pyotp.random_base32()
    sealed = secrets_crypto.encrypt(secret, {"SECRET_KEY": "the key before a rotation"})
    db.session.execute(update(User).where(User.id == user.id).values(totp_secret=sealed))
    db.session.commit()
    assert stored_secret(user) == sealed  # written as given, not sealed twice
    _, answer = sign_in_with(app, user, pyotp.TOTP(secret).now())
    assert answer.status_code == 200 and "That code is not right" in answer.get_data(as_text=True)
    browser = app.test_client()
    browser.post("/login", data={"username": admin.username, "password": PASSWORD})
    assert browser.get(f"/admin/people/{user.id}").status_code == 200


def test_a_plain_secret_from_before_encryption_still_works(app, make_user):
    user = make_user("case_manager")
    secret = pyotp.random_base32()
    db.session.execute(
        text("UPDATE users SET totp_secret = :s WHERE id = :id"), {"s": secret, "id": user.id}
    )
    db.session.commit()
    browser, answer = sign_in_with(app, user, pyotp.TOTP(secret).now())
    assert answer.headers["Location"] == "/"


# --- Recovery codes -------------------------------------------------------------------


def test_ten_codes_are_shown_once_at_enrollment_and_stored_only_hashed(client, login, make_user):
    user = make_user("mentor")
    _, codes = enroll(client, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get("/account/recovery-codes").get_data(as_text=True)
    assert CODE.findall(again) == [] and "10 unused recovery codes" in again
    hashes = set(db.session.scalars(select(RecoveryCode.code_hash)))
    assert len(hashes) == 10
    assert not any(c in h or c.replace("-", "") in h for c in codes for h in hashes)
    assert len(audit_rows("user.recovery_codes_new")) == 1


def test_a_recovery_code_signs_in_once_instead_of_an_authenticator_code(
    app, client, login, make_user
):
    user = make_user("case_manager")
    _, codes = enroll(client, user)
    browser, answer = sign_in_with(app, user, codes[3].upper().replace("-", " "))
    assert answer.headers["Location"] == "/"
    assert browser.get("/caseload/").status_code == 200
    used = audit_rows("user.recovery_code_used")
    assert [(e.actor_id, json.loads(e.detail)["remaining"]) for e in used] == [(user.id, 9)]
    _, replay = sign_in_with(app, user, codes[3])
    assert "already used" in replay.get_data(as_text=True)
    failed = [e for e in audit_rows("auth.login") if e.outcome == "failed"]
    assert len(failed) == 1
    # Another person's code is no good for this account.
    other = make_user("mentor")
    _, other_codes = enroll(app.test_client(), other)
    _, wrong = sign_in_with(app, user, other_codes[0])
    assert "not right" in wrong.get_data(as_text=True)


def test_new_codes_need_a_current_code_and_end_the_old_ones(app, client, login, make_user):
    user = make_user("mentor")
    secret, old = enroll(client, user)
    refused = client.post("/account/recovery-codes", data={"code": "000000"})
    assert "That code is not right" in refused.get_data(as_text=True)
    assert recovery_codes.remaining(user) == 10
    made = client.post("/account/recovery-codes", data={"code": next_code(secret)})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    new = CODE.findall(made.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    _, with_old = sign_in_with(app, user, old[0])
    assert "not right" in with_old.get_data(as_text=True)
    _, with_new = sign_in_with(app, user, new[0])
    assert with_new.headers["Location"] == "/"
    assert len(audit_rows("user.recovery_codes_new")) == 2


def test_recovery_codes_page_sends_people_without_two_step_to_set_it_up(client, login, make_user):
    login(make_user("mentor"))
    assert client.get("/account/recovery-codes").headers["Location"] == "/account/two-step"


def test_redeeming_is_a_service_that_refuses_formats_it_does_not_know(make_user):
    user = make_user("mentor")
    user.totp_secret = pyotp.random_base32()
    codes = recovery_codes.replace(user)
    db.session.commit()
    assert all(recovery_codes.looks_like(c) for c in codes)
    assert not recovery_codes.looks_like("123456")
    with pytest.raises(two_step.CodeRejected):
        recovery_codes.redeem(user, "aaaaa-aaaaa")
    assert recovery_codes.redeem(user, codes[0]) == 9


def test_one_recovery_code_used_by_many_sign_ins_at_once_works_once(live_server):  # noqa: F811
    server, url, ids = live_server

    def give_codes(*_):
        mentor = db.session.scalar(select(User).where(User.username == "mentor"))
        mentor.totp_secret = pyotp.random_base32()
        db.session.flush()
        return {"code": recovery_codes.replace(mentor)[0]}

    made = _setup(url, ids, give_codes)
    clients = [Client(server, "mentor") for _ in range(8)]
    forms = []
    for browser in clients:
        status, _, page = browser.call("GET", "/login/code")
        assert status == 200
        forms.append({**inputs(page), "code": made["code"]})

    statuses = all_at_once(
        clients, lambda c: c.call("POST", "/login/code", forms[clients.index(c)])[0]
    )
    assert statuses.count(302) == 1, statuses
    assert 500 not in statuses
    spent = select(func.count()).select_from(RecoveryCode).where(RecoveryCode.used_at.is_not(None))
    assert _count(url, spent) == 1
    used = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "user.recovery_code_used")
    )
    assert _count(url, used) == 1


# --- The command line -----------------------------------------------------------------


def test_cli_requires_two_step_per_role_and_audits_it(runner, org, make_user):
    mentor = make_user("mentor")
    result = runner.invoke(args=["organisation", "two-step", org.name, "--roles", "admin,mentor"])
    assert result.exit_code == 0, result.output
    assert "required of admin, mentor" in result.output
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).two_step_roles == "admin mentor"
    assert permissions.two_step_required(db.session.get(User, mentor.id))
    (event,) = audit_rows("organisation.settings")
    assert event.organisation_id == org.id and event.actor_id is None
    detail = json.loads(event.detail)
    assert detail["via"] == "command line"
    assert detail["changes"] == {"two_step_roles": {"old": "", "new": "admin mentor"}}
    cleared = runner.invoke(args=["organisation", "two-step", org.name, "--roles", "none"])
    assert cleared.exit_code == 0 and "required of no one" in cleared.output
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).two_step_roles == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Test Program", "--roles", "admin,superuser"], "superuser"),
        (["Test Program", "--roles", ","], "--roles"),
        (["No Such Program", "--roles", "admin"], "No organization is named"),
    ],
)
def test_cli_refuses_bad_input_and_changes_nothing(runner, org, args, message):
    result = runner.invoke(args=["organisation", "two-step", *args])
    assert result.exit_code != 0 and message in result.output
    db.session.expire_all()
    assert db.session.get(Organisation, org.id).two_step_roles == ""
    assert audit_rows("organisation.settings") == []


# --- The migration --------------------------------------------------------------------


def test_migration_turns_the_boolean_into_staff_roles_and_encrypts_secrets(
    empty_database,  # noqa: F811
):
    from flask_migrate import downgrade, upgrade

    from skills import create_app

    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "k" * 40})
    with migrated.app_context():
        upgrade(revision="0008")
        now = datetime.now(UTC).replace(tzinfo=None)
        secret = pyotp.random_base32()
        with db.engine.begin() as conn:
            for name, required in (("Strict Program", True), ("Easy Program", False)):
                conn.execute(
                    text(
                        "INSERT INTO organisations (name, require_two_step, created_at) "
                        "VALUES (:n, :r, :at)"
                    ),
                    {"n": name, "r": required, "at": now},
                )
            conn.execute(
                text(
                    "INSERT INTO users (organisation_id, username, display_name, password_hash,"
                    " roles, active, session_version, totp_secret, created_at, updated_at,"
                    " version_id) VALUES (1, 'cm', 'C M', 'x', 'case_manager', :t, 1, :s,"
                    " :at, :at, 1)"
                ),
                {"s": secret, "at": now, "t": True},
            )
        upgrade(revision="0009")
        with db.engine.connect() as conn:
            roles = dict(conn.execute(text("SELECT name, two_step_roles FROM organisations")).all())
            zones = set(conn.scalars(text("SELECT time_zone FROM organisations")))
            raw = conn.scalar(text("SELECT totp_secret FROM users"))
        assert roles == {"Strict Program": "admin case_manager mentor", "Easy Program": ""}
        assert zones == {"America/New_York"}
        assert raw.startswith("v1:") and secret not in raw
        assert db.session.scalar(select(User.totp_secret)) == secret  # the app reads it
        db.session.remove()
        downgrade(revision="0008")
        with db.engine.connect() as conn:
            back = dict(
                conn.execute(text("SELECT name, require_two_step FROM organisations")).all()
            )
            assert conn.scalar(text("SELECT totp_secret FROM users")) == secret
        assert {name: bool(value) for name, value in back.items()} == {
            "Strict Program": True,
            "Easy Program": False,
        }
        downgrade(revision="base")
        db.engine.dispose()


def test_neither_the_pending_secret_nor_the_codes_travel_readable_in_the_cookie(client, make_user):
    """The session cookie is signed, not encrypted: what it carries is sealed or absent."""
    from flask.sessions import SecureCookieSessionInterface

    user = make_user("mentor")
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.get("/account/two-step").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7 ]+)</code>", page).group(1).replace(" ", "")

    def cookie_text() -> str:
        serializer = SecureCookieSessionInterface().get_signing_serializer(client.application)
        return str(serializer.loads(client.get_cookie("session").value))

    assert secret not in cookie_text()
    done = client.post("/account/two-step", data={"code": previous_code(secret)})
    codes = CODE.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    carried = cookie_text()
    assert secret not in carried and not any(code in carried for code in codes)
