"""Sign-offs over HTTP, as a mentor's browser makes them: the served app (`served.py`),
several mentors signed in, each opening a skill's page (the sign-off form, with its CSRF
token and idempotency key) and posting the form, again and again.

`run(url, mentors, seconds)` reports sign-offs saved per second, the POST's latency,
refusals and errors, and the CPU time per sign-off (form and post together) of the app's
workers and (PostgreSQL) of the database's server processes.
"""

import http.client
import random
import re
import threading
import time
import urllib.parse

import procstat
import served
from common import CSRF, sign_in_http, summary_ms

MENTEE_LINK = re.compile(r'href="/mentees/(\d+)"')
LEVEL = re.compile(r'name="level"[^>]*value="(\d+)"')


def _value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else ""


class Mentor(threading.Thread):
    def __init__(self, port: int, username: str, seed: int) -> None:
        super().__init__(name=f"writes-{username}", daemon=True)
        self.port, self.username = port, username
        self.rng = random.Random(seed)  # noqa: S311 - not crypto
        self.cookie = sign_in_http(served.HOST, port, username)
        self.saved = 0
        self.refused = 0  # the form came back with an error (HTTP 422)
        self.errors: dict[str, int] = {}
        self.post_times: list[float] = []
        self.start_at = 0.0
        self.ends_at = 0.0
        self.paths = self._skill_pages()

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": f"session={self.cookie}"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(served.HOST, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read().decode()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        return response.status, content

    def _skill_pages(self) -> list[str]:
        """Skill pages of a few of this mentor's mentees, found as a person would."""
        status, page = self.request("GET", "/mentor/")
        mentees = sorted(set(MENTEE_LINK.findall(page)))[:10]
        paths = []
        for mentee in mentees:
            _, detail = self.request("GET", f"/mentees/{mentee}")
            skills = sorted(set(re.findall(rf'href="/mentees/{mentee}/skills/(\d+)"', detail)))
            paths += [f"/mentees/{mentee}/skills/{s}" for s in skills]
        if not paths:
            raise RuntimeError(f"{self.username}: no skill pages found (HTTP {status})")
        return paths

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.time()))
        while time.time() < self.ends_at:
            path = self.rng.choice(self.paths)
            try:
                self.sign_off(path)
            except (OSError, http.client.HTTPException) as exc:
                self.count(f"no answer: {type(exc).__name__}")

    def count(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    def sign_off(self, path: str) -> None:
        status, page = self.request("GET", path)
        token, levels = CSRF.search(page), LEVEL.findall(page)
        if status != 200 or not token or not levels:
            self.count(f"form: HTTP {status}")
            return
        form = {
            "csrf_token": token.group(1),
            "idempotency_key": _value(page, "idempotency_key"),
            "level": self.rng.choice(levels),
            "shown_on": _value(page, "shown_on"),
            "note": "Practised together at the bus stop; went well.",
            "note_visibility": "staff",
            "confirm_lower": "y",  # a mentor may record a lower level when they confirm it
        }
        started = time.perf_counter()
        status, _ = self.request("POST", path, form)
        if status == 302:
            self.post_times.append(time.perf_counter() - started)
            self.saved += 1
        elif status == 422:
            self.refused += 1
        else:
            self.count(f"post: HTTP {status}")


def run(url: str, mentors: list[str], seconds: float = 10, workers: int = 2) -> dict:
    process, port = served.start_gunicorn(url, workers)
    backend = procstat.backends(url)
    try:
        clients = [Mentor(port, name, seed) for seed, name in enumerate(mentors)]
        worker_pids = procstat.children(process.pid)
        db_pids = backend.pids() if backend else []
        start_at = time.time() + 1
        for client in clients:
            client.start_at, client.ends_at = start_at, start_at + seconds
        time.sleep(max(0.0, start_at - time.time() - 0.5))
        load = procstat.load()
        cpu, db_cpu = procstat.cpu_seconds(worker_pids), procstat.cpu_seconds(db_pids)
        own_cpu = time.process_time()
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=seconds + 60)
        cpu = procstat.cpu_seconds(worker_pids) - cpu
        db_cpu = procstat.cpu_seconds(db_pids) - db_cpu
        own_cpu = time.process_time() - own_cpu
    finally:
        if backend:
            backend.close()
        served.stop(process)
    saved = sum(c.saved for c in clients)
    errors: dict[str, int] = {}
    for client in clients:
        for what, n in client.errors.items():
            errors[what] = errors.get(what, 0) + n
    times = [t for c in clients for t in c.post_times]
    result = {
        "entry_point": served.ENTRY_POINT,
        "workers": workers,
        "mentors": len(mentors),
        "seconds": seconds,
        "signoffs": saved,
        "per_second": round(saved / seconds, 1),
        "refused": sum(c.refused for c in clients),
        "errors": errors,
        "post": summary_ms(times) if times else None,
        "cpu_ms_per_signoff": round(1000 * cpu / saved, 2) if saved else None,
        "client_cpu_ms_per_signoff": round(1000 * own_cpu / saved, 2) if saved else None,
        "load": load,
        "load_after": procstat.load(),
    }
    if backend:
        result["db_cpu_ms_per_signoff"] = round(1000 * db_cpu / saved, 2) if saved else None
    return result
