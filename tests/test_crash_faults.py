"""kill -9 under load: every sign-off a server acknowledged is kept, once.

A real gunicorn server (the production entry point, `skills.wsgi:app`, two workers)
takes sign-offs from several writer threads over HTTP while the test kills workers,
and then the master, with SIGKILL. A writer that got no answer retries with the same
idempotency key, as a browser's resubmission would. Afterwards every acknowledged
sign-off is in the database exactly once, and the current-status rows and counters
agree with the events (`flask check`).

Runs on SQLite (a file) and, when TEST_DATABASE_URL is set, on PostgreSQL (a database
of its own, dropped afterwards).
"""

import http.client
import os
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import create_engine, func, select, text

from .conftest import today
from .live_server import ROOT, Gunicorn, live_server, request  # noqa: F401 - live_server is a fixture
from .test_multiserver import CSRF, IDEMPOTENCY, PASSWORD, SECRET_KEY, new_cookie

WRITERS = 4
WORKER_KILLS = 6


class Writer(threading.Thread):
    """Signs in, then records sign-offs until told to stop; retries unanswered ones."""

    def __init__(self, server: Gunicorn, path: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.path, self.stop_event = server, path, stop
        self.acknowledged: list[str] = []
        self.cookie = ""
        self.errors: list[str] = []

    def _call(self, method: str, path: str, form: dict | None = None):
        """One request, retried until the server answers (it may be restarting)."""
        while True:
            try:
                status, headers, body = request(self.server.port, method, path, form, self.cookie)
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
                continue
            self.cookie = new_cookie(headers, self.cookie)
            return status, headers, body

    def _sign_in(self) -> None:
        self.cookie = ""
        _, _, page = self._call("GET", "/login")
        form = {"csrf_token": CSRF.search(page).group(1), "username": "mentor"}
        status, _, _ = self._call("POST", "/login", {**form, "password": PASSWORD})
        assert status == 302

    def run(self) -> None:
        try:
            self._sign_in()
            level = 0
            while not self.stop_event.is_set():
                status, _, page = self._call("GET", self.path)
                if status != 200:
                    self._sign_in()
                    continue
                form = {
                    "csrf_token": CSRF.search(page).group(1),
                    "idempotency_key": IDEMPOTENCY.search(page).group(1),
                    "level": str(level % 4),
                    "shown_on": today().isoformat(),
                    "note": f"crash test {level}",
                    "note_visibility": "mentee",
                    "confirm_lower": "y",  # the levels go round, so some are lower
                }
                # An unanswered POST is sent again with the same key until answered.
                status, _, body = self._call("POST", self.path, form)
                if status == 302:
                    self.acknowledged.append(form["idempotency_key"])
                    level += 1
                elif status != 400:  # 400: the CSRF token of a lost session; fetch again
                    self.errors.append(f"HTTP {status}: {body[:200]}")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(exc))


def test_kill_9_loses_no_acknowledged_sign_off_and_duplicates_none(live_server):
    server, url, ids = live_server
    path = f"/mentees/{ids['mentee']}/skills/{ids['skill']}"
    stop = threading.Event()
    writers = [Writer(server, path, stop) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    killed = 0
    time.sleep(2.0)  # steady writing first
    for _ in range(WORKER_KILLS):
        workers = server.workers()
        if workers:
            os.kill(workers[0], signal.SIGKILL)
            killed += 1
        time.sleep(0.7)
    server.kill_master()
    time.sleep(0.3)
    server.start()
    time.sleep(1.5)
    stop.set()
    for writer in writers:
        writer.join(timeout=60)
    assert not any(w.is_alive() for w in writers), "a writer never finished"
    errors = [e for w in writers for e in w.errors]
    assert not errors, errors
    acknowledged = [key for w in writers for key in w.acknowledged]
    print(f"killed {killed} workers and the master; {len(acknowledged)} acknowledged")
    assert killed == WORKER_KILLS and len(acknowledged) >= WRITERS  # the load was real
    server.stop()

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    text(
                        "SELECT idempotency_key, count(*) FROM signoff_events "
                        "WHERE idempotency_key IS NOT NULL GROUP BY idempotency_key"
                    )
                ).all()
            )
            total = conn.scalar(select(func.count()).select_from(text("signoff_events")))
    finally:
        engine.dispose()
    missing = [key for key in acknowledged if key not in counts]
    assert not missing, f"{len(missing)} acknowledged sign-offs were lost"
    assert all(n == 1 for n in counts.values()), "a sign-off was recorded twice"
    assert total == len(counts)
    check = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "skills", "check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
