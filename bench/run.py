"""The benchmark harness: `python bench/run.py [--db sqlite|postgres|both] [--quick]`.

For each database it builds the demo at state-wide size with the `flask demo` command
(timed), adds two case managers with caseloads of 500 and 50, then measures:

- pages in-process (Flask test client, signed in, full layout), interleaved: /health,
  the mentor page (50 mentees), the mentee page, the caseload page (500 and 50 mentees),
  the admin dashboard; p50 and p99, and CPU time per request (app, PostgreSQL);
- the org-wide summary over every mentee (the function alone);
- served load: `gunicorn skills.wsgi:app` (2 workers) on 127.0.0.1 and wrk, 16
  connections, /health and each page for the same time: requests/s, p99, CPU per request,
  response sizes checked;
- sign-off writes: 8 writer processes through the service; 8 mentors posting the sign-off
  form over HTTP;
- `flask check` afterwards: the current-status rows and counters still agree.

The load average is recorded beside every figure. The PDF figures come from
bench/reports.py (run once, SQLite). Prints a table, writes JSON to bench/results/ and,
for a full run, the table to docs/performance.md. PostgreSQL: a database named by
--postgres-url (default skills_bench on 127.0.0.1) is created and dropped; its name must
contain "bench". Everything runs on loopback and every step has a time limit.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import data
import http_writes
import procstat
import served
import tables
import writes
from common import (
    BENCH,
    BIG_CASELOAD,
    FULL_SIZES,
    QUICK_SIZES,
    RESULTS,
    ROOT,
    SMALL_CASELOAD,
    app_env,
    run_child,
)

DEFAULT_POSTGRES = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/skills_bench"
)
DOCUMENT = ROOT / "docs" / "performance.md"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def step(result: dict, name: str, work) -> bool:
    """Run one measurement, with the load average and speed check when it started; a
    failure is recorded in the results and the run goes on."""
    load, speed = procstat.load(), procstat.speed_ms()
    try:
        result[name] = work()
    except Exception as exc:  # noqa: BLE001 - reported in the table and the JSON
        log(f"  {name} failed: {exc}")
        result[name] = {"error": str(exc)[-500:]}
        return False
    if isinstance(result[name], dict):
        result[name].setdefault("load", load)
        result[name].setdefault("speed_ms", speed)
    return True


def measure_database(kind: str, url: str, sizes: dict, quick: bool, workdir: Path) -> dict:
    result: dict = {"database": kind}
    load_start, speed_start = procstat.load(), procstat.speed_ms()
    log(
        f"{kind}: building the demo ({sizes['mentees']} mentees), load {load_start},"
        f" speed check {speed_start} ms"
    )
    url = data.create_database(kind, workdir, url)
    env = app_env(url)
    seconds = 6 if quick else 20
    try:
        if not step(result, "build", lambda: data.build(url, sizes)):
            return result
        if not step(result, "logins", lambda: run_child("data.py", ["--staff"], env, 300)):
            return result
        logins = result["logins"]
        log(f"{kind}: pages in-process, load {procstat.load()}")
        repeats = 50 if quick else 300
        step(
            result,
            "pages",
            lambda: run_child("pages.py", [json.dumps(logins), str(repeats)], env, 900),
        )
        log(f"{kind}: served load, load {procstat.load()}")
        targets = [
            served.Target("health", "/health", None, "ok"),
            served.Target("caseload_50", "/caseload/", logins["case_manager_50"], "50 mentees"),
            served.Target("mentor", "/mentor/", logins["mentor"], 'id="mentee-'),
        ]
        if not quick:
            big = f"{logins['big_caseload']} mentees"
            targets.append(
                served.Target("caseload_500", "/caseload/", logins["case_manager_500"], big)
            )
        step(result, "served", lambda: served.run(url, targets, seconds=seconds))
        log(f"{kind}: sign-off writes, load {procstat.load()}")
        write_seconds = 3 if quick else 10
        step(result, "writes", lambda: writes.run(url, writers=8, seconds=write_seconds))
        if kind == "sqlite":
            # The same with SQLite's lighter durability level, for comparison.
            normal = {"SQLITE_SYNCHRONOUS": "NORMAL"}
            step(
                result,
                "writes_normal",
                lambda: writes.run(url, writers=8, seconds=write_seconds, env=normal),
            )
        mentors = [f"mentor{i}" for i in range(1, 9)]
        step(
            result,
            "http_writes",
            lambda: http_writes.run(url, mentors, seconds=write_seconds),
        )
        log(f"{kind}: flask check")
        step(result, "check", lambda: check(env))
    finally:
        result["load_span"] = [load_start, procstat.load()]
        result["speed_span"] = [speed_start, procstat.speed_ms()]
        if not os.environ.get("BENCH_KEEP"):
            data.drop_database(url)
    return result


def check(env: dict) -> dict:
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "flask", "--app", "skills", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return {
        "agrees": completed.returncode == 0,
        "seconds": round(time.perf_counter() - started, 1),
        "output": (completed.stdout + completed.stderr).strip().splitlines()[-1:],
    }


def measure_reports(quick: bool) -> dict:
    script = BENCH / "reports.py"
    if not script.exists():
        return {"missing": "bench/reports.py is not there"}
    if quick:
        return {"missing": "skipped with --quick"}
    log("PDF reports (bench/reports.py)")
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    out = RESULTS / "reports.json"
    if completed.returncode or not out.exists():
        return {"missing": f"bench/reports.py failed: {completed.stderr.strip()[-300:]}"}
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 mentees, fewer repeats, shorter loads"
    )
    parser.add_argument("--mentees", type=int, help="another number of mentees to build")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-reports", action="store_true", help="skip bench/reports.py")
    parser.add_argument(
        "--no-document", action="store_true", help="leave docs/performance.md as it is"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    sizes = dict(QUICK_SIZES if args.quick else FULL_SIZES)
    if args.mentees:
        sizes["mentees"] = args.mentees
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": tables.commit(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "sizes": sizes,
        "caseloads": [BIG_CASELOAD, SMALL_CASELOAD],
        "load_at_start": procstat.load(),
    }
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="skills-bench-") as tmp:
        for kind in kinds:
            url = args.postgres_url if kind == "postgres" else ""
            results[kind] = measure_database(kind, url, sizes, args.quick, Path(tmp))
    results["reports"] = (
        {"missing": "skipped with --no-reports"} if args.no_reports else measure_reports(args.quick)
    )
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["load_at_end"] = procstat.load()

    rows = tables.table(results) + tables.reports_rows(results["reports"])
    tables.print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in (f"run-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(tables.markdown(rows))
    print(f"Wrote bench/results/run-{stamp}.json ({results['seconds']} s in all)")
    if not (args.quick or args.no_document):
        command = "python bench/run.py " + " ".join(sys.argv[1:])
        DOCUMENT.write_text(tables.document(results, rows, command.strip()))
        print(f"Wrote {DOCUMENT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
