"""In-process page timings: `python bench/pages.py LOGINS_JSON REPEATS` (DATABASE_URL set).

Each page is requested through the Flask test client as a signed-in person (full layout,
CSRF on, the app as `create_app()` builds it), each request in its own app context as on
a server. The mentor page is measured twice: before and after `gc.freeze()`, which moves
the objects made while building the app out of the collector's sight. Prints JSON.
"""

import gc
import json
import sys
import time

from common import CSRF, PASSWORD, summary_ms

WARM_UP = 10
# A page stops being timed after this long, once it has at least MIN_SAMPLES samples.
TIME_BUDGET = 20.0
MIN_SAMPLES = 50


def sign_in(app, username: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "username": username, "password": PASSWORD}
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in as {username} failed: {response.status_code}")
    return client


def time_requests(client, path: str, repeats: int, expect: str) -> dict:
    for _ in range(WARM_UP):
        response = client.get(path)
    body = response.get_data(as_text=True)
    if response.status_code != 200 or expect not in body:
        raise RuntimeError(f"GET {path}: {response.status_code}, {expect!r} not in the page")
    times, cpu = [], []
    budget_ends = time.perf_counter() + TIME_BUDGET
    for _ in range(repeats):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        assert response.status_code == 200
        if len(times) >= MIN_SAMPLES and started > budget_ends:
            break
    return {"path": path, "bytes": len(body), **summary_ms(times), **cpu_ms(cpu)}


def cpu_ms(seconds: list[float]) -> dict:
    """CPU time of this process: less disturbed than wall time on a busy machine, but
    it leaves out the work a PostgreSQL server process does for the request."""
    figures = summary_ms(seconds)
    return {"cpu_p50_ms": figures["p50_ms"], "cpu_p99_ms": figures["p99_ms"]}


def time_calls(app, function, repeats: int) -> dict:
    from skills.extensions import db

    def once():
        with app.app_context():
            started, cpu_started = time.perf_counter(), time.process_time()
            result = function()
            elapsed = time.perf_counter() - started
            cpu.append(time.process_time() - cpu_started)
            db.session.remove()
        return elapsed, result

    cpu: list[float] = []
    for _ in range(3):
        _, result = once()
    cpu.clear()
    times = []
    budget_ends = time.perf_counter() + TIME_BUDGET
    while len(times) < repeats and (
        len(times) < MIN_SAMPLES // 2 or time.perf_counter() < budget_ends
    ):
        times.append(once()[0])
    return {**summary_ms(times), **cpu_ms(cpu), "result": result}


def org_summary_functions(organisation_id: int) -> dict:
    """What is timed as the org-wide summary: `progress.organisation_summary` (read from
    the per-domain counters), and the caseload rows of every mentee for comparison."""
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.services import progress

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
        result = progress.organisation_summary(organisation_id)
        return {
            "mentees": result.mentees,
            "signed_off": result.signed_off,
            "stalled": result.stalled,
        }

    return {"organisation_summary": summary, "caseload_progress_all": caseload_rows}


def main() -> None:
    logins = json.loads(sys.argv[1])
    repeats = int(sys.argv[2])

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
        "mentor": (clients["mentor"], "/mentor/", "My mentees"),
        "mentee": (clients["mentee"], "/me/", "I can"),
        "caseload_500": (clients["case_manager_500"], "/caseload/", f"{mentees_big} mentees"),
        "caseload_50": (clients["case_manager_50"], "/caseload/", "50 mentees"),
        # The admin's dashboard shows the org-wide summary over every mentee.
        "admin_dashboard": (clients["admin"], "/admin/", "Progress across the organisation"),
    }
    results = {"app_build_and_sign_in_ms": round(build_ms, 1)}
    # Before the freeze: the collector still scans everything made at start-up.
    client, path, expect = pages["mentor"]
    results["mentor_unfrozen"] = time_requests(client, path, repeats, expect)
    gc.collect()
    gc.freeze()
    results["gc_frozen_objects"] = gc.get_freeze_count()
    for name, (client, path, expect) in pages.items():
        results[name] = time_requests(client, path, repeats, expect)
    for name, function in org_summary_functions(logins["organisation_id"]).items():
        results[name] = time_calls(app, function, repeats)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
