"""Two app servers, one PostgreSQL database: nothing a person does depends on which
server answers. Sessions are signed cookies checked against the database, the sign-in
throttle counts failures in the database, and sign-offs are in the database.

Starts two `flask run` processes on loopback ports with the same SECRET_KEY against a
database created for this module (skills_multiserver_<pid>, dropped afterwards). Skipped only
when PostgreSQL cannot be reached and CI is not set; in CI it must run.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from .conftest import POSTGRES_URL, today

ROOT = Path(__file__).resolve().parent.parent
# One database per test process, so two suites running at once do not share it.
DATABASE = f"skills_multiserver_{os.getpid()}"
SECRET_KEY = "multiserver-test-secret-shared-by-both"
PASSWORD = "a-long-test-password"
HOST = "127.0.0.1"
START_TIMEOUT = 30  # seconds for a server to answer /health
REQUEST_TIMEOUT = 15
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"')


def _database_url() -> str:
    base = os.environ.get("MULTISERVER_DATABASE_URL") or POSTGRES_URL
    if base:
        return make_url(base).set(database=DATABASE).render_as_string(hide_password=False)
    return f"postgresql+psycopg://postgres@{HOST}:5432/{DATABASE}"


def _maintenance(url: str):
    import psycopg

    server = make_url(url).set(drivername="postgresql", database="postgres")
    return psycopg.connect(
        server.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, form: dict | None = None, cookie: str = ""):
    """One HTTP request to a server on this machine: (status, headers, body), no redirects."""
    conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class Server:
    """One `flask run` process and a minimal HTTP client for it (standard library only)."""

    def __init__(self, name: str, env: dict, log: Path):
        self.name = name
        self.port = _free_port()
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "skills",
                "run",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--no-reload",
                "--no-debugger",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-2000:]}")
            try:
                if self.request("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within {START_TIMEOUT} s")

    def request(self, method: str, path: str, form: dict | None = None, cookie: str = ""):
        """Return (status, headers, body); redirects are not followed."""
        return request(self.port, method, path, form, cookie)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()


def new_cookie(headers: dict, old: str = "") -> str:
    match = re.search(r"session=([^;]*)", headers.get("Set-Cookie", ""))
    return match.group(1) if match else old


def login_form(server: Server, cookie: str = "") -> tuple[str, str]:
    """The sign-in page's CSRF token and the session cookie that goes with it."""
    status, headers, page = server.request("GET", "/login", cookie=cookie)
    assert status == 200
    return CSRF.search(page).group(1), new_cookie(headers, cookie)


def sign_in(server: Server, username: str, password: str = PASSWORD) -> str:
    token, cookie = login_form(server)
    form = {"csrf_token": token, "username": username, "password": password}
    status, headers, _ = server.request("POST", "/login", form, cookie)
    assert status == 302, f"sign-in as {username} on {server.name}: HTTP {status}"
    return new_cookie(headers, cookie)


def _prepare(url: str) -> dict:
    """Schema, curriculum and first admin through the documented setup command; then a
    mentor, a mentee and an assignment through the services."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    env.pop("SKILLS_ENV", None)
    setup = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "skills",
            "setup",
            "--organisation",
            "Two Servers Peer Support",
            "--admin-username",
            "admin",
            "--admin-name",
            "Avery Admin",
            "--admin-password",
            PASSWORD,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr

    from sqlalchemy import select

    from skills import create_app
    from skills.extensions import db
    from skills.models import Organisation, Skill
    from skills.services import assignments, people

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET_KEY,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        mentor = people.create_user(org, "mentor", "Dana Reyes", PASSWORD, ["mentor"])
        people.create_user(org, "throttled", "Sam Okafor", PASSWORD, ["mentor"])
        mentee = people.create_mentee(org, "José García", date(2026, 1, 5))
        assignments.assign(mentor, mentee, "mentor", mentee.start_date)
        skill = db.session.scalar(select(Skill).where(Skill.key == "get-transit-card"))
        db.session.commit()
        ids = {"mentee": mentee.id, "skill": skill.id, "skill_title": skill.title}
        db.session.remove()
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    url = _database_url()
    try:
        maintenance = _maintenance(url)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable at {url} and CI must run this test: {exc}")
        pytest.skip(f"PostgreSQL is unreachable at {url}: {exc}")
    with maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        maintenance.execute(f'CREATE DATABASE "{DATABASE}"')
    started: list[Server] = []
    try:
        ids = _prepare(url)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
        env["SKILLS_ENV"] = "production"  # as deployed: SECRET_KEY must come from here
        logs = tmp_path_factory.mktemp("servers")
        for name in ("server-1", "server-2"):
            for attempt in range(3):  # a free port can be taken between choosing and binding
                server = Server(name, env, logs / f"{name}-{attempt}.log")
                started.append(server)
                try:
                    server.wait_ready()
                    break
                except RuntimeError:
                    server.stop()
                    if attempt == 2:
                        raise
        ready = [server for server in started if server.process.poll() is None]
        yield ready[0], ready[1], ids
    finally:
        for server in started:
            server.stop()
        with _maintenance(url) as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def test_session_from_server_1_works_on_server_2(servers):
    one, two, ids = servers
    cookie = sign_in(one, "mentor")
    status, headers, page = two.request("GET", "/mentor/", cookie=cookie)
    assert status == 200 and "José García" in page
    # Signing out on server 2 ends the session on server 1 too (session version in the db).
    cookie, token = new_cookie(headers, cookie), CSRF.search(page).group(1)
    status, _, _ = two.request("POST", "/logout", {"csrf_token": token}, cookie)
    assert status == 302
    status, headers, _ = one.request("GET", "/mentor/", cookie=cookie)
    assert status == 302 and "/login" in headers["Location"]


def test_sign_in_throttle_counts_failures_on_both_servers(servers):
    one, two, _ = servers
    token, cookie = login_form(one)
    wrong = {"csrf_token": token, "username": "throttled", "password": "not-the-password"}
    # Three failures on one server and two on the other: five in the minute.
    for server in (one, two, one, two, one):
        status, headers, page = server.request("POST", "/login", wrong, cookie)
        assert status == 200 and "do not match" in page, server.name
        cookie = new_cookie(headers, cookie)
    right = {**wrong, "password": PASSWORD}
    status, _, page = two.request("POST", "/login", right, cookie)
    assert status == 429 and "Too many tries" in page


def test_signoff_made_on_one_server_is_seen_on_the_other(servers):
    one, two, ids = servers
    cookie = sign_in(one, "mentor")
    skill_page = f"/mentees/{ids['mentee']}/skills/{ids['skill']}"
    status, headers, page = one.request("GET", skill_page, cookie=cookie)
    assert status == 200
    cookie = new_cookie(headers, cookie)
    form = {
        "csrf_token": CSRF.search(page).group(1),
        "idempotency_key": IDEMPOTENCY.search(page).group(1),
        "level": "3",
        "shown_on": today().isoformat(),
        "note": "Bought a transit card on her own (recorded on server 2)",
        "note_visibility": "mentee",
    }
    # The form came from server 1; it is sent to server 2.
    status, headers, _ = two.request("POST", skill_page, form, cookie)
    assert status == 302, status
    cookie = new_cookie(headers, cookie)
    status, _, page = one.request("GET", f"/mentees/{ids['mentee']}/history", cookie=cookie)
    assert status == 200 and "recorded on server 2" in page
    status, _, page = one.request("GET", skill_page, cookie=cookie)
    assert status == 200 and "Can do it on my own" in page
