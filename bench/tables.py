"""The benchmark's results as a table: printed, and written to docs/performance.md.

Every cell says what the other work on the machine was: the 1-minute load average and
the speed check (bench/procstat.py) when that measurement started. CPU times are per
request: the app's process (in-process pages), gunicorn's workers (served pages), and
"db" the PostgreSQL server processes.
"""

import os
import subprocess
from collections.abc import Callable

import procstat
from common import ROOT

TARGETS = {
    "page_cpu_ms": "cpu ≤ 5 ms (SQLite), ≤ 7 ms (PostgreSQL)",
    "page_p99": "p99 ≤ 10 ms, quiet machine",
    "served": "≥ 400/s (SQLite), ≥ 0.35× /health, p99 ≤ 80 ms",
    "caseload_500": "≤ 25 ms",
    "org_summary": "≤ 20 ms at any size",
    "writes": "≥ 500/s, 0 lock errors",
}


def _load(entry: dict, key: str = "load") -> str:
    value = entry.get(key)
    if isinstance(value, list) and value and isinstance(value[0], list):
        value = value[0]
    return _where(value, entry.get("speed_ms"))


def _where(load: list[float] | None, speed: float | list[float] | None) -> str:
    """ " · load 0.9, speed 52 ms": the first of several runs' figures."""
    if isinstance(speed, list):
        speed = speed[0] if speed else None
    speed_text = f", speed {speed:.0f} ms" if speed else ""
    return f" · load {load[0]:.1f}{speed_text}" if load else ""


def page_cell(entry: dict, load: list[float] | None = None, speed: float | None = None) -> str:
    if "error" in entry:
        return "failed: " + entry["error"][-60:]
    db = f" + db {entry['db_cpu_mean_ms']:.1f}" if "db_cpu_mean_ms" in entry else ""
    bad = f", {entry['bad_answers']} BAD ANSWERS" if entry.get("bad_answers") else ""
    where = _where(load, speed)
    return (
        f"{entry['p50_ms']:.1f} / {entry['p99_ms']:.1f} ms; "
        f"cpu {entry['cpu_mean_ms']:.1f}{db} ms{bad}{where}"
    )


def served_cell(entry: dict, health: dict | None) -> str:
    if "error" in entry:
        return "failed: " + entry["error"][-60:]
    if "missing" in entry:
        return entry["missing"]
    rate = entry["requests_per_second"]
    ratio = ""
    if health and health is not entry and health.get("requests_per_second"):
        ratio = f" ({rate / health['requests_per_second']:.2f}× /health)"
    db = (
        f" + db {entry['db_cpu_ms_per_request']:.1f}"
        if entry.get("db_cpu_ms_per_request") is not None
        else ""
    )
    problems = []
    if entry.get("non_2xx"):
        problems.append(f"{entry['non_2xx']} non-2xx")
    errors: dict[str, int] = {}
    for line in entry.get("socket_errors", []):  # "connect 0, read 0, write 0, timeout 7"
        for kind, count in (part.split() for part in line.split(",")):
            errors[kind] = errors.get(kind, 0) + int(count)
    problems += [f"{count} socket {kind} errors" for kind, count in errors.items() if count]
    if not entry.get("sizes_match", True):
        problems.append(
            f"SIZE {entry['bytes_per_response']} B, expected {entry['response_bytes']} B"
        )
    trouble = f", {', '.join(problems)}" if problems else ""
    return (
        f"{rate:.0f}/s{ratio}, p99 {entry['p99_ms']:.0f} ms; "
        f"cpu {entry['cpu_ms_per_request']:.1f}{db} ms{trouble}{_load(entry)}"
    )


def writes_cell(entry: dict) -> str:
    if "error" in entry:
        return "failed: " + entry["error"][-60:]
    db = f" + db {entry['db_cpu_ms_per_signoff']:.1f}" if entry.get("db_cpu_ms_per_signoff") else ""
    other = f", {entry['other_errors']} other errors" if entry.get("other_errors") else ""
    return (
        f"{entry['per_second']:.0f}/s, {entry['lock_errors']} lock errors{other}; "
        f"cpu {entry['cpu_ms_per_signoff']:.1f}{db} ms{_load(entry)}"
    )


def http_writes_cell(entry: dict) -> str:
    if "error" in entry:
        return "failed: " + entry["error"][-60:]
    db = f" + db {entry['db_cpu_ms_per_signoff']:.1f}" if entry.get("db_cpu_ms_per_signoff") else ""
    errors = sum(entry["errors"].values())
    post = entry["post"] or {}
    return (
        f"{entry['per_second']:.0f}/s, POST p99 {post.get('p99_ms', 0):.0f} ms, "
        f"{entry['refused']} refused, {errors} errors; "
        f"cpu {entry['cpu_ms_per_signoff']:.1f}{db} ms{_load(entry)}"
    )


def table(results: dict) -> list[tuple[str, ...]]:
    dbs = [results.get("sqlite"), results.get("postgres")]

    def row(name: str, show: Callable[[dict], str], target: str = "") -> tuple[str, ...]:
        cells = []
        for db in dbs:
            try:
                cells.append(show(db) if db else "—")
            except (KeyError, TypeError, ZeroDivisionError):
                failed = [k for k, v in db.items() if isinstance(v, dict) and "error" in v]
                cells.append(f"not measured: {failed[0]} failed" if failed else "—")
        return (name, *cells, target)

    def page(name: str):
        return lambda d: page_cell(
            d["pages"] if "error" in d["pages"] else d["pages"][name],
            d["pages"].get("load_before"),
            d["pages"].get("speed_before"),
        )

    def served(name: str):
        return lambda d: served_cell(
            d["served"] if "error" in d["served"] else d["served"][name], d["served"].get("health")
        )

    big = results.get("caseloads", [500])[0]
    return [
        row(
            "demo build (flask demo)",
            lambda d: (
                f"{d['build']['seconds']} s, {d['build']['mentees']:,} mentees, "
                f"{d['build']['signoff_events']:,} events{_load(d['build'])}"
            ),
        ),
        row("/health in-process (the floor)", page("health")),
        row("mentor page, 50 mentees", page("mentor"), TARGETS["page_cpu_ms"]),
        row("caseload page, 50 mentees", page("caseload_50"), TARGETS["page_p99"]),
        row(f"caseload page, {big} mentees", page("caseload_500"), TARGETS["caseload_500"]),
        row("mentee page /me/", page("mentee")),
        row("admin dashboard (org-wide summary)", page("admin_dashboard")),
        row(
            "organisation_summary() alone",
            lambda d: page_cell(d["pages"]["organisation_summary"]),
            TARGETS["org_summary"],
        ),
        row(
            "caseload rows of every mentee",
            lambda d: page_cell(d["pages"]["caseload_progress_all"]),
        ),
        row("served /health (signed out)", served("health")),
        row("served caseload page, 50 mentees", served("caseload_50"), TARGETS["served"]),
        row("served mentor page, 50 mentees", served("mentor"), TARGETS["served"]),
        row(f"served caseload page, {big} mentees", served("caseload_500")),
        row(
            "sign-off writes in-process, 8 writers",
            lambda d: writes_cell(d["writes"]),
            TARGETS["writes"],
        ),
        row("  same, SQLITE_SYNCHRONOUS=NORMAL", lambda d: writes_cell(d["writes_normal"])),
        row(
            "sign-offs over HTTP, 8 mentors (form + post)",
            lambda d: http_writes_cell(d["http_writes"]),
        ),
        row(
            "flask check after the writes",
            lambda d: (
                ("agrees" if d["check"]["agrees"] else "DIFFERS") + f", {d['check']['seconds']} s"
            ),
            "agrees",
        ),
    ]


def reports_rows(reports: dict) -> list[tuple[str, ...]]:
    if "missing" in reports:
        return [("PDF reports (bench/reports.py)", reports["missing"], "", "")]
    single, batch = reports.get("single", {}), reports.get("batch", {})
    return [
        (
            "one mentee's PDF, 150 skills (median)",
            f"{single.get('median_ms')} ms",
            "(SQLite only)",
            "≤ 40 ms",
        ),
        (
            "500-mentee batch PDF",
            f"{batch.get('seconds')} s, {batch.get('peak_mb')} MB",
            "(SQLite only)",
            "≤ 10 s, ≤ 300 MB",
        ),
    ]


LOAD_NOTE = (
    "Each cell gives the load and the speed check when its measurement started. The speed "
    f"check is the CPU time a fixed Python loop of {procstat.SPEED_STEPS:,} steps takes "
    "(bench/procstat.py). "
    "The machine may be shared: wall times swing with the load, and CPU times swing with "
    "the speed check, which the load does not show (one afternoon here, the same "
    "50,000-mentee build used 513 s of CPU at one hour and 211 s at another). Compare "
    "figures measured at similar speeds."
)
HEADER = ("measure", "SQLite", "PostgreSQL", "target")


def print_table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(4)]
    for r in [HEADER, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def markdown(rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|"]
    for r in rows:
        cells = [cell.replace("|", "\\|") or " " for cell in r]
        if cells[0].startswith("  "):
            cells[0] = "↳ " + cells[0].strip()
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def commit() -> str:
    """The commit measured, and whether the working tree had changes on top of it
    (BENCH_COMMIT overrides: a copy of the tree has no repository)."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]

    def git(*args: str) -> str:
        command = ["git", *args]  # noqa: S607 - git from PATH, read-only commands
        return subprocess.run(  # noqa: S603 - a fixed command line
            command, cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("log", "-1", "--format=%h (%cs)")
    changed = git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no")
    return head + (", with uncommitted changes" if changed else "") if head else "unknown"


def document(results: dict, rows: list[tuple[str, ...]], command: str) -> str:
    """docs/performance.md: generated, never edited by hand."""
    sizes = results["sizes"]
    loads = []
    for kind in ("sqlite", "postgres"):
        if kind in results:
            span = results[kind].get("load_span")
            speeds = results[kind].get("speed_span")
            if span:
                speed = (
                    f" (speed check {speeds[0]:.0f} ms, then {speeds[1]:.0f} ms)" if speeds else ""
                )
                loads.append(
                    f"{kind}: {span[0][0]:.1f} at the start, {span[1][0]:.1f} at the end{speed}"
                )
    return f"""# Performance

<!-- Generated by bench/run.py; do not edit by hand: run it again. -->

Generated by `{command}` on {results["when"]} (UTC), commit {results["commit"]}, Python {
        results["python"]
    }, {results["cpus"]} CPUs.

Data: `flask demo` with {sizes["mentees"]:,} mentees, {sizes["mentors"]} mentors, {
        sizes["case_managers"]
    } case managers, {sizes["months"]} months, plus two case managers with caseloads of {
        results["caseloads"][0]
    } and {results["caseloads"][1]}.

1-minute load average and speed check: {"; ".join(loads) or "not recorded"}. {LOAD_NOTE}

How to read the cells:

- In-process pages: p50 / p99 wall time of signed-in requests through the Flask test
  client, the pages interleaved (each round requests every page once, shuffled), and
  "cpu": the app process's mean CPU time per request, "+ db": the mean CPU time of the
  PostgreSQL server processes per request. Every answer is checked (status 200, size).
- Served: `gunicorn skills.wsgi:app` with 2 sync workers (production settings) and `wrk`
  with 16 connections, each page for the same time in two rounds, /health included;
  requests/s, the ratio to /health in the same run, the worst round's p99, and CPU time
  per request of the workers (+ db). A mismatch of response sizes (a sign-in page or an
  error instead of the page) is flagged.
- Writes: 8 processes recording sign-offs through the service (as the view does), and
  8 mentors posting the real sign-off form over HTTP (each opens the skill page for its
  CSRF token and key, then posts); CPU time per sign-off.

{markdown(rows)}"""
