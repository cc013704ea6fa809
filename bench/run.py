"""The benchmark harness: `python bench/run.py [--db sqlite|postgres|both] [--quick]`.

For each database it builds the demo at state-wide size with the `flask demo` command
(timed), adds two case managers with caseloads of 500 and 50, then measures:

- pages in-process (Flask test client, signed in, full layout): the mentor page (50
  mentees), the mentee page, the caseload page (500 and 50 mentees): p50 and p99;
- the org-wide summary over every mentee (the admin dashboard, and the function alone): p50
  and p99;
- served load: gunicorn (2 workers) on 127.0.0.1 and wrk, 16 connections for 20 s,
  against the 50- and the 500-mentee caseload page: requests/s and p99;
- sign-off writes: 8 writer processes for 10 s: sign-offs/s and lock errors;
- `flask check` afterwards: the current-status rows still agree with the events.

The PDF figures come from bench/reports.py (another script, run once, SQLite).
Prints a table beside the issue's targets and writes JSON to bench/results/.
PostgreSQL: a database named by --postgres-url (default skills_bench on 127.0.0.1) is
created and dropped; its name must contain "bench". Everything runs on loopback and
every step has a time limit.
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
import served
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
TARGETS = {
    "mentor_p99_ms": 15.0,
    "served_rps": 400.0,
    "served_p99_ms": 80.0,
    "org_summary_ms": 50.0,
    "writes_per_second": 500.0,
    "pdf_single_median_ms": 40.0,
    "pdf_batch_seconds": 10.0,
    "pdf_batch_peak_mb": 300.0,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def step(result: dict, name: str, work) -> bool:
    """Run one measurement; a failure is recorded in the results and the run goes on."""
    try:
        result[name] = work()
        return True
    except Exception as exc:  # noqa: BLE001 - reported in the table and the JSON
        log(f"  {name} failed: {exc}")
        result[name] = {"error": str(exc)[-500:]}
        return False


def measure_database(kind: str, url: str, quick: bool, workdir: Path) -> dict:
    sizes = QUICK_SIZES if quick else FULL_SIZES
    result: dict = {"database": kind}
    log(f"{kind}: building the demo ({sizes['mentees']} mentees)")
    url = data.create_database(kind, workdir, url)
    env = app_env(url)
    seconds = 5 if quick else 20
    try:
        if not step(result, "build", lambda: data.build(url, sizes)):
            return result
        if not step(result, "logins", lambda: run_child("data.py", ["--staff"], env, 300)):
            return result
        logins = result["logins"]
        log(f"{kind}: pages in-process")
        repeats = 50 if quick else 300
        step(
            result,
            "pages",
            lambda: run_child("pages.py", [json.dumps(logins), str(repeats)], env, 900),
        )
        log(f"{kind}: served load")
        step(
            result,
            "served_empty",
            lambda: served.run(url, logins["mentor"], "/health", "ok", seconds=5),
        )
        step(
            result,
            "served_caseload_50",
            lambda: served.run(
                url, logins["case_manager_50"], "/caseload/", "50 mentees", seconds=seconds
            ),
        )
        if not quick:
            big = f"{logins['big_caseload']} mentees"
            step(
                result,
                "served_caseload_500",
                lambda: served.run(
                    url, logins["case_manager_500"], "/caseload/", big, seconds=seconds
                ),
            )
        log(f"{kind}: sign-off writes")
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
        log(f"{kind}: flask check")
        step(result, "check", lambda: check(env))
    finally:
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


def _ms(entry: dict | None) -> str:
    if not entry:
        return "—"
    cpu = f" (cpu {entry['cpu_p50_ms']:.1f})" if "cpu_p50_ms" in entry else ""
    return f"{entry['p50_ms']:.1f} / {entry['p99_ms']:.1f} ms{cpu}"


def _served(entry: dict | None) -> str:
    if not entry:
        return "—"
    if "missing" in entry:
        return entry["missing"]
    bad = f", {entry['non_2xx']} non-2xx" if entry.get("non_2xx") else ""
    return f"{entry['requests_per_second']:.0f}/s, p99 {entry['p99_ms']:.0f} ms{bad}"


def table(results: dict) -> list[tuple[str, ...]]:
    dbs = [results.get("sqlite"), results.get("postgres")]

    def row(name: str, show, target: str) -> tuple[str, ...]:
        cells = []
        for db in dbs:
            try:
                cells.append(show(db) if db else "—")
            except (KeyError, TypeError):
                failed = [k for k, v in (db or {}).items() if isinstance(v, dict) and "error" in v]
                cells.append(f"failed: {failed[0]}" if failed else "—")
        return (name, *cells, target)

    rows = [
        row(
            "demo build (flask demo)",
            lambda d: f"{d['build']['seconds']} s, {d['build']['signoff_events']:,} events",
            "a few minutes",
        ),
        row(
            "mentor page, 50 mentees (p50 / p99)",
            lambda d: _ms(d["pages"]["mentor"]),
            "p99 ≤ 15 ms",
        ),
        row("  same, before gc.freeze()", lambda d: _ms(d["pages"]["mentor_unfrozen"]), ""),
        row("mentee page /me/", lambda d: _ms(d["pages"]["mentee"]), ""),
        row("caseload page, 500 mentees", lambda d: _ms(d["pages"]["caseload_500"]), ""),
        row("caseload page, 50 mentees", lambda d: _ms(d["pages"]["caseload_50"]), ""),
        row(
            "admin dashboard with the org-wide summary",
            lambda d: _ms(d["pages"]["admin_dashboard"]),
            "≤ 50 ms",
        ),
        row(
            "  organisation_summary() alone",
            lambda d: _ms(d["pages"]["organisation_summary"]),
            "≤ 50 ms",
        ),
        row(
            "  caseload rows of every mentee",
            lambda d: _ms(d["pages"]["caseload_progress_all"]),
            "",
        ),
        row("served /health (empty route)", lambda d: _served(d["served_empty"]), ""),
        row(
            "served caseload page, 50 mentees",
            lambda d: _served(d["served_caseload_50"]),
            "≥ 400/s, p99 ≤ 80 ms",
        ),
        row(
            "served caseload page, 500 mentees",
            lambda d: _served(d.get("served_caseload_500")),
            "",
        ),
        row(
            "sign-off writes, 8 writers",
            lambda d: (
                f"{d['writes']['per_second']:.0f}/s, {d['writes']['lock_errors']} lock errors"
                + (f", {d['writes']['other_errors']} other" if d["writes"]["other_errors"] else "")
            ),
            "≥ 500/s, 0 lock errors",
        ),
        row(
            "  same, SQLITE_SYNCHRONOUS=NORMAL",
            lambda d: (
                f"{d['writes_normal']['per_second']:.0f}/s, "
                f"{d['writes_normal']['lock_errors']} lock errors"
            ),
            "",
        ),
        row(
            "flask check after the writes",
            lambda d: (
                ("agrees" if d["check"]["agrees"] else "DIFFERS") + f", {d['check']['seconds']} s"
            ),
            "agrees",
        ),
    ]
    reports = results.get("reports", {})
    if "missing" in reports:
        rows.append(("PDF reports (bench/reports.py)", reports["missing"], "", ""))
    else:
        single, batch = reports.get("single", {}), reports.get("batch", {})
        rows += [
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
    return rows


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = (
        "measure (p50 / p99; cpu: p50 CPU time of the app process)",
        "SQLite",
        "PostgreSQL",
        "target",
    )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


def markdown(rows: list[tuple[str, ...]]) -> str:
    """The same table in Markdown, for docs/deployment.md."""
    lines = ["| measure | SQLite | PostgreSQL | target |", "|---|---|---|---|"]
    for r in rows:
        cells = [cell.replace("|", "\\|") or " " for cell in r]
        if cells[0].startswith("  "):
            cells[0] = "↳ " + cells[0].strip()
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 mentees, fewer repeats, shorter loads"
    )
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-reports", action="store_true", help="skip bench/reports.py")
    args = parser.parse_args()

    started = time.perf_counter()
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "quick": args.quick,
        "sizes": QUICK_SIZES if args.quick else FULL_SIZES,
        "caseloads": [BIG_CASELOAD, SMALL_CASELOAD],
        "targets": TARGETS,
    }
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="skills-bench-") as tmp:
        for kind in kinds:
            url = args.postgres_url if kind == "postgres" else ""
            results[kind] = measure_database(kind, url, args.quick, Path(tmp))
    results["reports"] = (
        {"missing": "skipped with --no-reports"} if args.no_reports else measure_reports(args.quick)
    )
    results["seconds"] = round(time.perf_counter() - started, 1)

    rows = table(results)
    print_table(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    for name in (f"run-{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(markdown(rows))
    print(f"Wrote bench/results/run-{stamp}.json ({results['seconds']} s in all)")


if __name__ == "__main__":
    main()
