"""In-process page timings: `python bench/pages.py LOGINS_JSON REPEATS` (DATABASE_URL set).

Each page is requested through the Flask test client as a signed-in person (full layout,
CSRF on, the app as `create_app()` builds it, with `gc.freeze()` after start-up as
`skills.wsgi` does), each request in its own app context as on a server. The pages are
interleaved: every round requests each page once, in a shuffled order, so no page is
measured in a warm loop of its own (mixed pages are slower than one page repeated).
/health is among them, as the floor.

For each request: wall time, this process's CPU time, and on PostgreSQL the CPU time of
the database's server processes (from /proc, summed over the database's backends). Every
answer is checked: status 200 and a response size within 10 % of the first one.
Prints JSON.
"""

import gc
import json
import os
import random
import sys
import time

import procstat
from common import CSRF, PASSWORD, summary_ms

WARM_UP = 5
# The interleaved rounds stop after this long, once there are MIN_ROUNDS of them.
TIME_BUDGET = 90.0
MIN_ROUNDS = 50
# Org-summary function calls: per function.
CALL_BUDGET = 15.0


def sign_in(app, username: str | None):
    client = app.test_client()
    if username is None:
        return client
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username} failed: {response.status_code}")
    return client


def cpu_figures(cpu: list[float], db_cpu: list[float] | None) -> dict:
    """CPU time of this process (p50, p99, mean) and, on PostgreSQL, the mean CPU time of
    the database's server processes per request."""
    figures = summary_ms(cpu)
    result = {
        "cpu_p50_ms": figures["p50_ms"],
        "cpu_p99_ms": figures["p99_ms"],
        "cpu_mean_ms": round(1000 * sum(cpu) / len(cpu), 2),
    }
    if db_cpu is not None:
        result["db_cpu_mean_ms"] = round(1000 * sum(db_cpu) / len(db_cpu), 2)
    return result


class Page:
    def __init__(self, client, path: str, expect: str) -> None:
        self.client, self.path, self.expect = client, path, expect
        self.times: list[float] = []
        self.cpu: list[float] = []
        self.db_cpu: list[float] = []
        self.bytes = 0
        self.size_errors = 0

    def check(self) -> None:
        for _ in range(WARM_UP):
            response = self.client.get(self.path)
        body = response.get_data(as_text=True)
        if response.status_code != 200 or self.expect not in body:
            raise RuntimeError(
                f"GET {self.path}: {response.status_code}, {self.expect!r} not in the page"
            )
        self.bytes = len(response.get_data())

    def request(self, backend_pids: list[int] | None) -> None:
        db_started = procstat.cpu_seconds(backend_pids) if backend_pids else 0.0
        started, cpu_started = time.perf_counter(), time.process_time()
        response = self.client.get(self.path)
        self.times.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - cpu_started)
        if backend_pids:
            self.db_cpu.append(procstat.cpu_seconds(backend_pids) - db_started)
        size = len(response.get_data())
        if response.status_code != 200 or abs(size - self.bytes) > self.bytes / 10:
            self.size_errors += 1

    def result(self, postgres: bool) -> dict:
        return {
            "path": self.path,
            "bytes": self.bytes,
            "bad_answers": self.size_errors,
            **summary_ms(self.times),
            **cpu_figures(self.cpu, self.db_cpu if postgres else None),
        }


def interleaved(pages: dict[str, Page], repeats: int, backend_pids: list[int] | None) -> int:
    """Rounds of every page once, shuffled; returns the number of rounds."""
    order = list(pages)
    rng = random.Random(7)  # noqa: S311 - an order, not a secret
    budget_ends = time.perf_counter() + TIME_BUDGET
    rounds = 0
    while rounds < repeats and (rounds < MIN_ROUNDS or time.perf_counter() < budget_ends):
        rng.shuffle(order)
        for name in order:
            pages[name].request(backend_pids)
        rounds += 1
    return rounds


def time_calls(app, function, repeats: int, backend_pids: list[int] | None) -> dict:
    from skills.extensions import db

    times: list[float] = []
    cpu: list[float] = []
    db_cpu: list[float] = []

    def once():
        with app.app_context():
            db_started = procstat.cpu_seconds(backend_pids) if backend_pids else 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            result = function()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            if backend_pids:
                db_cpu.append(procstat.cpu_seconds(backend_pids) - db_started)
            db.session.remove()
        return result

    for _ in range(3):
        result = once()
    times.clear(), cpu.clear(), db_cpu.clear()
    budget_ends = time.perf_counter() + CALL_BUDGET
    while len(times) < repeats and (len(times) < 20 or time.perf_counter() < budget_ends):
        once()
    return {
        **summary_ms(times),
        **cpu_figures(cpu, db_cpu if backend_pids is not None else None),
        "result": result,
    }


def org_summary_functions(organisation_id: int) -> dict:
    """What is timed as the org-wide summary: `progress_totals.organisation_summary`, and the
    caseload rows of every mentee for comparison."""
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.services import progress, progress_totals

    def caseload_rows():
        mentees = list(
            db.session.scalars(
                select(Mentee)
                .where(Mentee.organisation_id == organisation_id)
                .order_by(Mentee.full_name, Mentee.id)
            )
        )
        rows = progress.caseload_progress(mentees)
        return {"mentees": len(rows), "signed_off": sum(r.signed_off for r in rows)}

    def summary():
        result = progress_totals.organisation_summary(organisation_id)
        return {
            "mentees": result.mentees,
            "signed_off": result.signed_off,
            "stalled": result.stalled,
        }

    return {"organisation_summary": summary, "caseload_progress_all": caseload_rows}


def main() -> None:
    logins = json.loads(sys.argv[1])
    repeats = int(sys.argv[2])
    url = os.environ["DATABASE_URL"]

    from skills import create_app

    started = time.perf_counter()
    app = create_app()
    clients = {
        role: sign_in(app, logins[role])
        for role in ("mentor", "mentee", "case_manager_500", "case_manager_50", "admin")
    }
    build_ms = (time.perf_counter() - started) * 1000
    mentees_big = logins["big_caseload"]
    pages = {
        "health": Page(sign_in(app, None), "/health", "ok"),
        "mentor": Page(clients["mentor"], "/mentor/", 'id="mentee-'),
        "mentee": Page(clients["mentee"], "/me/", 'href="/me/'),
        "caseload_500": Page(
            clients["case_manager_500"], "/caseload/", f"{mentees_big} mentees shown"
        ),
        "caseload_50": Page(clients["case_manager_50"], "/caseload/", "50 mentees shown"),
        # The admin's dashboard shows the org-wide summary over every mentee.
        "admin_dashboard": Page(clients["admin"], "/admin/", 'id="progress-heading"'),
    }
    # As skills.wsgi does after building the app.
    gc.collect()
    gc.freeze()
    for page in pages.values():
        page.check()
    backend = procstat.backends(url)
    pids = backend.pids() if backend else None
    load_before, speed_before = procstat.load(), procstat.speed_ms()
    rounds = interleaved(pages, repeats, pids)
    results: dict = {
        "app_build_and_sign_in_ms": round(build_ms, 1),
        "rounds": rounds,
        "load_before": load_before,
        "speed_before": speed_before,
        "load_after": procstat.load(),
        "postgres_backends": len(pids) if pids is not None else None,
    }
    postgres = backend is not None
    for name, page in pages.items():
        results[name] = page.result(postgres)
    for name, function in org_summary_functions(logins["organisation_id"]).items():
        results[name] = time_calls(app, function, repeats, pids)
    results["load_end"] = procstat.load()
    if backend:
        backend.close()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
