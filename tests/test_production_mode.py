"""Production mode: configuration that is refused, demo data kept out, and passwords an
admin chose changed by their owner before anything else."""

import os
import secrets

import pytest
from sqlalchemy import create_engine, inspect, select

from skills.config import ConfigError, load_config
from skills.demo import create_demo
from skills.extensions import db
from skills.models import Organisation, User

from .conftest import PASSWORD
from .test_setup import flask

STRONG_KEY = secrets.token_hex(32)


# --- Configuration ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["Production", "PRODUCTION", "prod", "production ", "", "dev"])
def test_an_unknown_environment_is_refused_naming_the_allowed_values(tmp_path, value):
    with pytest.raises(ConfigError) as refused:
        load_config(tmp_path, {"SKILLS_ENV": value, "SECRET_KEY": STRONG_KEY})
    message = str(refused.value)
    assert f"SKILLS_ENV is {value!r}" in message
    assert "development, production" in message


def test_production_turns_on_secure_cookies_and_development_does_not(tmp_path):
    production = load_config(tmp_path, {"SKILLS_ENV": "production", "SECRET_KEY": STRONG_KEY})
    assert production["PRODUCTION"] and production["SESSION_COOKIE_SECURE"]
    for env in ({"SKILLS_ENV": "development"}, {}):
        development = load_config(tmp_path, env)
        assert not development["PRODUCTION"] and not development["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize(
    "key",
    [
        "x",
        "changeme",
        secrets.token_hex(15) + "a",  # 31 bytes
        "x" * 64,  # long, but one character repeated
        "abababababababababababababababababab",
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key):
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak") as refused:
        load_config(tmp_path, {"SKILLS_ENV": "production", "SECRET_KEY": key})
    assert "at least 32 bytes" in str(refused.value)


def test_production_accepts_a_random_key_of_32_bytes(tmp_path):
    key = secrets.token_hex(16)
    assert len(key) == 32
    config = load_config(tmp_path, {"SKILLS_ENV": "production", "SECRET_KEY": key})
    assert config["SECRET_KEY"] == key


def test_production_refuses_a_missing_or_empty_secret_key(tmp_path):
    for env in ({"SKILLS_ENV": "production"}, {"SKILLS_ENV": "production", "SECRET_KEY": ""}):
        with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
            load_config(tmp_path, env)
    assert not (tmp_path / "secret_key").exists()  # no key invented in production


def test_development_still_accepts_a_short_key(tmp_path):
    assert load_config(tmp_path, {"SECRET_KEY": "x"})["SECRET_KEY"] == "x"


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "11"])
def test_trusted_proxies_must_be_a_small_whole_number(tmp_path, value):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_config(tmp_path, {"TRUSTED_PROXIES": value})


def test_trusted_proxies_default_to_none(tmp_path):
    assert load_config(tmp_path, {})["TRUSTED_PROXIES"] == 0
    assert load_config(tmp_path, {"TRUSTED_PROXIES": "1"})["TRUSTED_PROXIES"] == 1


def test_the_app_will_not_start_with_a_capitalised_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SKILLS_ENV")}
    env |= {
        "SKILLS_ENV": "Production",
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
    }
    result = flask("routes", env=env)
    assert result.returncode != 0
    assert "SKILLS_ENV is 'Production'; use one of: development, production" in result.stderr


# --- Demo data --------------------------------------------------------------------------


def test_setup_with_demo_is_refused_in_production_before_anything_is_made(tmp_path):
    database = tmp_path / "prod.sqlite"
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SKILLS_ENV")}
    env |= {
        "SKILLS_ENV": "production",
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": f"sqlite:///{database}",
    }
    result = flask("setup", "--demo", env=env)
    assert result.returncode == 1
    assert "Demo data cannot be created in production" in result.stderr
    assert "Traceback" not in result.stderr
    engine = create_engine(f"sqlite:///{database}")
    assert inspect(engine).get_table_names() == []  # not even the schema was made
    engine.dispose()


def test_demo_command_is_refused_in_production(app, runner):
    app.config["PRODUCTION"] = True
    result = runner.invoke(args=["demo", "--mentees", "1", "--months", "1"])
    assert result.exit_code == 1
    assert "Demo data cannot be created in production" in result.output
    db.session.rollback()
    assert db.session.scalar(select(Organisation).where(Organisation.name.contains("demo"))) is None


def test_demo_logins_are_not_asked_to_change_their_password(app):
    create_demo(mentees=2, mentors=1, case_managers=1, months=1)
    db.session.commit()
    demo_users = list(db.session.scalars(select(User)))
    assert demo_users and not any(u.must_change_password for u in demo_users)


# --- A password chosen by someone else --------------------------------------------------


@pytest.fixture
def as_admin(app, make_user):
    client = app.test_client()
    admin = make_user("admin", username="boss")
    client.post("/login", data={"username": admin.username, "password": PASSWORD})
    return client


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _sign_in(app, username: str, password: str):
    browser = app.test_client()
    response = browser.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    return browser, response


def _owes_a_new_password(app, browser) -> None:
    """Every page but the password page and sign-out sends them to the password page."""
    for path in ("/", "/mentor/", "/account/", "/caseload/", "/admin/", "/me/", "/mentor/group"):
        response = browser.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].endswith("/account/password"), path
    # A write elsewhere is not carried out either.
    assert browser.post("/account/two-step", data={"code": "123456"}).status_code == 302
    page = browser.get("/account/password")
    assert page.status_code == 200
    assert "set by someone else" in page.get_data(as_text=True)


def test_a_person_an_admin_adds_must_choose_a_password_before_anything_else(app, as_admin):
    response = as_admin.post(
        "/admin/people/new",
        data={
            "username": "newbie",
            "display_name": "Nia Newbie",
            "roles": ["mentor"],
            "password": "given-by-the-admin-7",
        },
    )
    assert response.status_code == 302
    assert _user("newbie").must_change_password
    browser, _ = _sign_in(app, "newbie", "given-by-the-admin-7")
    _owes_a_new_password(app, browser)

    # Keeping the password the admin chose is not a change.
    same = browser.post(
        "/account/password",
        data={"current": "given-by-the-admin-7", "new": "given-by-the-admin-7"},
    )
    assert same.status_code == 200
    assert "different from the current one" in same.get_data(as_text=True)
    assert _user("newbie").must_change_password

    done = browser.post(
        "/account/password",
        data={"current": "given-by-the-admin-7", "new": "only-i-know-this-one"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert not _user("newbie").must_change_password
    assert browser.get("/mentor/").status_code == 200
    # The admin's password no longer works; theirs does.
    refused = app.test_client().post(
        "/login", data={"username": "newbie", "password": "given-by-the-admin-7"}
    )
    assert refused.status_code != 302
    _sign_in(app, "newbie", "only-i-know-this-one")


def test_a_password_reset_by_an_admin_must_be_changed_at_the_next_sign_in(app, as_admin, make_user):
    mentor = make_user("mentor", username="reset-me")
    assert not mentor.must_change_password  # their own password: nothing owed
    response = as_admin.post(
        f"/admin/people/{mentor.id}/password", data={"password": "temporary-secret-4"}
    )
    assert response.status_code == 302
    assert _user("reset-me").must_change_password
    browser, signed_in = _sign_in(app, "reset-me", "temporary-secret-4")
    _owes_a_new_password(app, browser)
    browser.post(
        "/account/password", data={"current": "temporary-secret-4", "new": "my-own-secret-22"}
    )
    assert not _user("reset-me").must_change_password
    assert browser.get("/mentor/").status_code == 200


def test_signing_out_works_while_a_password_change_is_owed(app, as_admin, make_user):
    mentor = make_user("mentor", username="leaving")
    as_admin.post(f"/admin/people/{mentor.id}/password", data={"password": "temporary-secret-4"})
    browser, _ = _sign_in(app, "leaving", "temporary-secret-4")
    response = browser.post("/logout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "/login" in browser.get("/account/password").headers["Location"]
    assert _user("leaving").must_change_password  # still owed at the next sign-in


def test_a_login_made_from_the_command_line_must_change_its_password(app, runner, org):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "clicreated",
            "--name",
            "Cli Person",
            "--role",
            "case_manager",
            "--organisation",
            org.name,
            "--password",
            "operator-chose-this-1",
        ]
    )
    assert result.exit_code == 0, result.output
    assert _user("clicreated").must_change_password
    browser, _ = _sign_in(app, "clicreated", "operator-chose-this-1")
    assert browser.get("/caseload/").headers["Location"].endswith("/account/password")


def test_people_the_fixtures_make_owe_nothing(make_user):
    assert not make_user("mentor").must_change_password
