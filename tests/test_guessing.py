"""Password guessing, tried as an attacker would: weak passwords, floods of guesses from
one address, from many and all at once, lockouts of the owner, code guessing and replay,
and telling real usernames from unknown ones."""

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from skills import create_app
from skills.demo import DEMO_PASSWORD
from skills.extensions import db
from skills.models import AuditEvent, SignInThrottle, User
from skills.services import people, signin, two_step
from skills.services.passwords import PasswordRejected, check_rules, verify
from skills.web import devices

from .conftest import PASSWORD
from .live_server import live_server  # noqa: F401 - a fixture
from .test_multiserver import CSRF, SECRET_KEY, new_cookie, request
from .test_multiserver import PASSWORD as LIVE_PASSWORD

WRONG = "not-the-right-password"


@pytest.fixture(autouse=True)
def one_window(monkeypatch):
    """The budgets count in fixed slots of the clock (one minute for an account): a
    test's attempts that straddled a slot's end started a new count, so on a slow machine
    a limit could look unreached. Here the budgets' clock stands still in each test; the
    tests that move it say so."""
    now = signin.utcnow()
    monkeypatch.setattr(signin, "utcnow", lambda: now)


def sign_in(client, username, password=PASSWORD, address="127.0.0.1"):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def device_cookie(client):
    return client.get_cookie(devices.COOKIE, path="/login")


# --- Strength -------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Password1!", "Summer2024", "changeme1", "qwertyuiop1"])
def test_guessable_passwords_are_refused_saying_why_and_what_is_allowed(password):
    with pytest.raises(PasswordRejected) as refused:
        check_rules(password)
    message = str(refused.value)
    assert "too easy to guess" in message or "too common" in message
    assert "three or four unrelated words" in message


def test_the_persons_own_username_and_name_make_a_password_weak():
    check_rules("dreyes2024")  # on its own, zxcvbn rates it strong enough
    with pytest.raises(PasswordRejected, match="too easy to guess"):
        check_rules("dreyes2024", ["dreyes", "Dana Reyes"])


def test_creating_a_login_passes_the_username_to_the_check(app, org):
    with pytest.raises(PasswordRejected):
        people.create_user(org, "dreyes", "Dana Reyes", "dreyes2024", ["mentor"])


@pytest.mark.parametrize(
    "password",
    [
        PASSWORD,
        DEMO_PASSWORD,
        "sturdy lantern orbit meadow",
        "Tm4#pLq9-Wx2&vBn7!Rs5*Kd8@Hj3%Fg6^Zc1(Ye0)Ua4+Io9=Pe2~Nb7?Mw5<Lr8>Qs3;Vt6",
    ],
)
def test_fixture_demo_and_long_passwords_are_accepted(password):
    check_rules(password)  # a password longer than zxcvbn's 72 is checked, not an error


def test_a_very_long_repetitive_password_is_refused_not_an_error():
    with pytest.raises(PasswordRejected, match="too easy to guess"):
        check_rules("a" * 100)


def test_admin_setting_a_guessable_password_sees_why_beside_the_field(client, login, make_user):
    login(make_user("admin"))
    response = client.post(
        "/admin/people/new",
        data={"username": "newbie", "display_name": "New Person", "roles": ["mentor"]}
        | {"password": "Summer2024"},
    )
    assert response.status_code == 200
    assert "too easy to guess" in text(response)
    assert db.session.scalar(select(User).where(User.username == "newbie")) is None


def test_changing_to_a_guessable_password_is_refused(client, login, make_user):
    user = make_user("mentor")
    login(user)
    response = client.post("/account/password", data={"current": PASSWORD, "new": "changeme1"})
    assert "too easy to guess" in text(response)
    assert sign_in(client.application.test_client(), user.username).status_code == 302


# --- Budgets --------------------------------------------------------------------------


def test_one_address_cannot_sweep_many_accounts(client, make_user):
    accounts = [make_user("mentor").username for _ in range(signin.ADDRESS.limit + 1)]
    for username in accounts[:-1]:
        assert sign_in(client, username, WRONG, "203.0.113.7").status_code == 200
    refused = sign_in(client, accounts[-1], WRONG, "203.0.113.7")
    assert refused.status_code == 429 and "from this network" in text(refused)
    # Another address is not held back.
    assert sign_in(client, accounts[-1], address="203.0.113.8").status_code == 302


def test_an_ipv6_client_is_counted_by_its_64_block():
    key = signin.address_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:198.51.100.4") == key("198.51.100.4") == "198.51.100.4"


def test_guessing_spread_over_addresses_meets_the_overall_budget(client, make_user, monkeypatch):
    monkeypatch.setattr(signin, "OVERALL", dataclasses.replace(signin.OVERALL, limit=3))
    owner = make_user("mentor")
    assert sign_in(client, owner.username).status_code == 302  # this browser is known now
    client.post("/logout")
    attacker = client.application.test_client()
    for n in range(3):
        victim = make_user("mentor").username
        assert sign_in(attacker, victim, WRONG, f"198.51.100.{n}").status_code == 200
    refused = sign_in(attacker, make_user("mentor").username, PASSWORD, "198.51.100.99")
    assert refused.status_code == 429 and "on this site" in text(refused)
    assert sign_in(client, owner.username, address="198.51.100.200").status_code == 302


def test_a_success_gives_its_attempt_back(client, make_user):
    user = make_user("mentor")
    for _ in range(signin.ACCOUNT.limit - 1):
        assert sign_in(client, user.username, WRONG).status_code == 200
    assert sign_in(client, user.username).status_code == 302
    stranger = client.application.test_client()  # no device cookie
    assert sign_in(stranger, user.username, WRONG).status_code == 200  # the budget's last
    assert sign_in(stranger, user.username, WRONG).status_code == 429


# --- The owner is never locked out ----------------------------------------------------


def test_owner_with_a_device_cookie_signs_in_while_a_stranger_locks_the_account(app, make_user):
    owner_browser, attacker, new_browser = (app.test_client() for _ in range(3))
    user = make_user("mentor")
    assert sign_in(owner_browser, user.username).status_code == 302
    cookie = device_cookie(owner_browser)
    assert cookie.http_only and cookie.path == "/login" and user.username not in cookie.value
    owner_browser.post("/logout")
    for _ in range(signin.ACCOUNT.limit):
        sign_in(attacker, user.username, WRONG, "192.0.2.66")
    assert sign_in(attacker, user.username, address="192.0.2.66").status_code == 429
    assert sign_in(new_browser, user.username).status_code == 429  # no cookie, no way round
    assert sign_in(owner_browser, user.username).status_code == 302


def test_a_device_cookie_has_its_own_small_budget(client, make_user):
    user = make_user("mentor")
    sign_in(client, user.username)
    client.post("/logout")
    for _ in range(signin.DEVICE.limit):
        assert sign_in(client, user.username, WRONG).status_code == 200
    refused = sign_in(client, user.username)
    assert refused.status_code == 429 and "on this device" in text(refused)
    account = select(SignInThrottle.attempts).where(SignInThrottle.scope == "account")
    assert db.session.scalar(account) == 0  # only the first sign-in, given back


@pytest.mark.parametrize("forgery", ["not-signed", "other-key", "other-user"])
def test_a_forged_or_borrowed_device_cookie_earns_no_trust(app, make_user, forgery):
    owner, other = make_user("mentor"), make_user("mentor")
    browser = app.test_client()
    sign_in(browser, other.username if forgery == "other-user" else owner.username)
    browser.post("/logout")
    value = device_cookie(browser).value
    if forgery == "not-signed":
        value = value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB")
    elif forgery == "other-key":
        with app.test_request_context():
            app.config["SECRET_KEY"] = "another-deployment"
            value = devices._serializer().dumps(
                [[owner.id, "nonce", int(datetime.now().timestamp())]]
            )
            app.config["SECRET_KEY"] = "test"
    browser.set_cookie(devices.COOKIE, value, path="/login")
    for _ in range(signin.ACCOUNT.limit):
        sign_in(app.test_client(), owner.username, WRONG, "192.0.2.66")
    assert sign_in(browser, owner.username).status_code == 429


# --- Equal work for known and unknown usernames ---------------------------------------


@pytest.fixture
def verifications(monkeypatch):
    """The hashes argon2 was asked to verify a password against."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_unknown_usernames_cost_one_verification_like_real_ones(client, make_user, verifications):
    real = make_user("mentor")
    inactive = make_user("mentor", active=False)
    answers = []
    for username in (real.username, "nobody-by-this-name", inactive.username):
        verifications.clear()
        response = sign_in(client, username, WRONG)
        answers.append((response.status_code, "do not match an active account" in text(response)))
        assert len(verifications) == 1, username
        # Same argon2 parameters as the real hashes, so the same time.
        assert verifications[0].split("$")[3] == real.password_hash.split("$")[3]
    assert answers == [(200, True)] * 3


def test_a_refused_attempt_checks_no_password(client, make_user, verifications):
    user = make_user("mentor")
    for _ in range(signin.ACCOUNT.limit):
        sign_in(client, user.username, WRONG)
    verifications.clear()
    assert sign_in(client, user.username).status_code == 429
    assert verifications == []


# --- Two-step codes -------------------------------------------------------------------


@pytest.fixture
def with_totp(make_user):
    user = make_user("case_manager")
    user.totp_secret = pyotp.random_base32()
    db.session.commit()
    return user


def test_codes_have_a_budget_apart_from_passwords(app, with_totp):
    username, secret = with_totp.username, with_totp.totp_secret
    browser = app.test_client()
    for _ in range(signin.ACCOUNT.limit - 1):
        assert sign_in(browser, username, WRONG).status_code == 200
    assert sign_in(browser, username).headers["Location"] == "/login/code"
    for _ in range(signin.CODE.limit):
        assert browser.post("/login/code", data={"code": "000000"}).status_code == 200
    refused = browser.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429 and "Too many codes" in text(refused)
    # Code guesses used none of the password budget, and the code budget is the person's.
    other = app.test_client()
    assert sign_in(other, username).headers["Location"] == "/login/code"
    assert other.post("/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 429


def test_code_guesses_have_a_daily_cap_beyond_the_five_minute_budget(app, with_totp, monkeypatch):
    """Five every five minutes would still be 1,440 guesses a day: a day caps them at 20."""
    start = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    refusals = []
    for n in range(40):  # 5 tries in each of 8 five-minute windows, all in one UTC day
        monkeypatch.setattr(signin, "utcnow", lambda n=n: start + timedelta(minutes=5 * (n // 5)))
        refused = signin.reserve_code(with_totp).refused_by
        refusals.append(refused.scope if refused else None)
    assert refusals[: signin.CODE_DAY.limit] == [None] * signin.CODE_DAY.limit
    assert set(refusals[signin.CODE_DAY.limit :]) == {"code_day"}
    # The next day starts afresh.
    monkeypatch.setattr(signin, "utcnow", lambda: start + timedelta(days=1))
    assert signin.reserve_code(with_totp).refused_by is None


def test_a_right_code_gives_its_attempt_back(app, with_totp):
    totp = pyotp.TOTP(with_totp.totp_secret)
    browser = app.test_client()
    sign_in(browser, with_totp.username)
    for _ in range(signin.CODE.limit - 1):
        browser.post("/login/code", data={"code": "000000"})
    assert browser.post("/login/code", data={"code": totp.now()}).status_code == 302
    later = app.test_client()
    sign_in(later, with_totp.username)
    assert "not right" in text(later.post("/login/code", data={"code": "000000"}))  # the last
    assert later.post("/login/code", data={"code": "000000"}).status_code == 429


def test_only_the_current_and_previous_step_are_accepted_each_once(app, with_totp):
    totp = pyotp.TOTP(with_totp.totp_secret)
    now = datetime(2026, 11, 30, 14, 0, 10, tzinfo=UTC)

    def at(steps):
        return totp.at(now + timedelta(seconds=30 * steps))

    def refused(code, why):
        with pytest.raises(two_step.CodeRejected, match=why):
            two_step.verify_code(with_totp, code, now=now)
        db.session.rollback()

    refused(at(1), "not right")  # a step ahead
    refused(at(-2), "not right")  # two steps back
    two_step.verify_code(with_totp, at(-1), now=now)
    db.session.commit()
    refused(at(-1), "already used")
    two_step.verify_code(with_totp, at(0), now=now)
    db.session.commit()
    refused(at(0), "already used")
    refused(at(-1), "already used")


# --- Real concurrency against a gunicorn server ---------------------------------------

GUESSES = 40


def _in_app(url, work):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


def _login_forms(port, count):
    """A sign-in page's CSRF token and session cookie per would-be browser."""
    forms = []
    for _ in range(count):
        status, headers, page = request(port, "GET", "/login")
        assert status == 200
        forms.append((CSRF.search(page).group(1), new_cookie(headers)))
    return forms


def _all_at_once(jobs):
    barrier = threading.Barrier(len(jobs))
    results = []

    def run(job):
        barrier.wait(timeout=30)
        results.append(job())

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(jobs), "a request never finished"
    return results


def _early_in_a_window(budget, needed=30.0):
    """Wait, if need be, until the budget's current window has `needed` seconds left.
    Budgets count in fixed windows on the clock, so a burst that straddles a window's end
    gets a fresh budget halfway (a loaded machine once let six of forty guesses through)."""
    length = budget.window.total_seconds()
    left = length - time.time() % length
    if left < needed:
        time.sleep(left + 0.2)


def test_forty_concurrent_guesses_get_only_the_budget_checked(live_server):
    server, url, _ = live_server

    def guess(n, token, cookie):
        form = {"csrf_token": token, "username": "throttled", "password": f"guess-{n}"}
        return lambda: request(server.port, "POST", "/login", form, cookie)

    forms = _login_forms(server.port, GUESSES)
    _early_in_a_window(signin.ACCOUNT)
    results = _all_at_once([guess(n, *form) for n, form in enumerate(forms)])
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [200] * signin.ACCOUNT.limit + [429] * (GUESSES - signin.ACCOUNT.limit)
    assert all("do not match" in page for status, _, page in results if status == 200)

    def recorded():
        user_id = db.session.scalar(select(User.id).where(User.username == "throttled"))
        failed = select(func.count()).select_from(AuditEvent)
        failed = failed.where(AuditEvent.outcome == "failed", AuditEvent.object_id == str(user_id))
        counter = select(SignInThrottle.attempts).where(SignInThrottle.key == "throttled")
        return db.session.scalar(failed), db.session.scalar(counter)

    assert _in_app(url, recorded) == (signin.ACCOUNT.limit, signin.ACCOUNT.limit)


def test_one_code_sent_from_several_browsers_at_once_signs_in_once(live_server):
    server, url, _ = live_server
    secret = pyotp.random_base32()

    def turn_on_two_step():
        user = db.session.scalar(select(User).where(User.username == "throttled"))
        user.totp_secret = secret
        db.session.commit()

    _in_app(url, turn_on_two_step)
    cookies = []
    for token, cookie in _login_forms(server.port, 6):
        form = {"csrf_token": token, "username": "throttled", "password": LIVE_PASSWORD}
        status, headers, _ = request(server.port, "POST", "/login", form, cookie)
        assert status == 302 and headers["Location"].endswith("/login/code")
        cookie = new_cookie(headers, cookie)
        status, headers, page = request(server.port, "GET", "/login/code", cookie=cookie)
        cookies.append((CSRF.search(page).group(1), new_cookie(headers, cookie)))
    code = pyotp.TOTP(secret).now()

    def send(token, cookie):
        return lambda: request(
            server.port, "POST", "/login/code", {"csrf_token": token, "code": code}, cookie
        )

    results = _all_at_once([send(*pair) for pair in cookies])
    signed_in = [headers for status, headers, _ in results if status == 302]
    assert len(signed_in) == 1, [status for status, _, _ in results]
    assert all("already used" in page for status, _, page in results if status != 302)


def test_the_current_password_on_the_change_form_has_the_accounts_budget(client, login, make_user):
    """A borrowed session cannot guess the current password faster than sign-in allows."""
    user = make_user("mentor")
    login(user)
    for _ in range(signin.ACCOUNT.limit):
        wrong = client.post(
            "/account/password", data={"current": WRONG, "new": "plum-harbor-lantern-quiet"}
        )
        assert "That is not your current password." in text(wrong)
    refused = client.post(
        "/account/password", data={"current": PASSWORD, "new": "plum-harbor-lantern-quiet"}
    )
    assert str(signin.ACCOUNT.message) in text(refused)
    db.session.refresh(user)
    assert verify(user.password_hash, PASSWORD)[0]  # unchanged
