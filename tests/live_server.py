"""A real gunicorn server for tests that need real concurrency (kill -9, races).

`live_server` (a fixture) builds a database the documented way (`flask setup`, then a
mentor and a mentee through the services; see tests/test_multiserver.py), serves it
with gunicorn's production entry point and two workers, and drops it afterwards. On
SQLite the database is a file; with TEST_DATABASE_URL it is a PostgreSQL database of
its own.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from .conftest import POSTGRES_URL
from .test_multiserver import HOST, SECRET_KEY, _free_port, _maintenance, _prepare, request

ROOT = Path(__file__).resolve().parent.parent
DATABASE = f"skills_live_{os.getpid()}"


class Gunicorn:
    """A gunicorn master with two workers on a fixed port, restartable after a kill."""

    def __init__(self, env: dict, log: Path):
        self.env, self.log, self.port = env, log, _free_port()
        self.log_file = log.open("a")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"{HOST}:{self.port}",
                "--timeout",
                "30",
                "skills.wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                if request(self.port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def workers(self) -> list[int]:
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(pid) for pid in found.stdout.split()]

    def kill_master(self) -> None:
        workers = self.workers()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        for pid in workers:  # orphaned workers would keep the port
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def close(self) -> None:
        self.stop()
        self.log_file.close()


def _url(tmp_path: Path) -> str:
    if not POSTGRES_URL:
        return f"sqlite:///{tmp_path / 'crash.sqlite'}"
    url = make_url(POSTGRES_URL).set(database=DATABASE).render_as_string(hide_password=False)
    with _maintenance(url) as maintenance:
        maintenance.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        maintenance.execute(f'CREATE DATABASE "{DATABASE}"')
    return url


@pytest.fixture
def live_server(tmp_path):
    if POSTGRES_URL:
        try:
            _maintenance(POSTGRES_URL).close()
        except Exception as exc:  # noqa: BLE001 - any failure to connect means "unreachable"
            if os.environ.get("CI"):
                pytest.fail(f"PostgreSQL is unreachable and CI must run this test: {exc}")
            pytest.skip(f"PostgreSQL is unreachable: {exc}")
    url = _url(tmp_path)
    ids = _prepare(url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    env["SKILLS_ENV"] = "production"
    server = Gunicorn(env, tmp_path / "gunicorn.log")
    server.start()
    try:
        yield server, url, ids
    finally:
        server.close()
        if POSTGRES_URL:
            with _maintenance(url) as maintenance:
                maintenance.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
