"""Benchmark the report builders: `python bench/reports.py`.

Builds a temporary SQLite database with a synthetic 150-skill curriculum and 500
mentees with months of sign-offs, then measures, each in a fresh process so the
memory figures are its own:

- one mentee's progress report (150 skills): warm-up, then the median of 30 builds;
- a batch of 500 mentees' reports in one PDF, end to end as the web download makes
  it (data streamed from the database, then drawn): wall and CPU time, peak memory
  (RSS of the process and of any child processes);
- the batch PDF builder alone, given data gathered per mentee with
  `mentee_report_data` (and how long that gathering takes).

Targets (issue 4): single report median <= 40 ms; batch <= 10 s and <= 300 MB. The
PDFs are tagged (issue 16): the figures include the structure tree.
Prints a table, with the load averages beside the figures (the machine may be shared),
and writes bench/results/reports.json.

`--peer weasyprint` measures instead the single report against WeasyPrint rendering
the same data (bench/report_peer.py; `pip install -e '.[bench]'`): CPU ratio, target
at least 40 times faster.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader  # a test dependency; only counts pages here
from report_data import build_database, make_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "reports.json"
SINGLE_RUNS = 30
WARM_UP = 3
TIME_LIMIT = 600  # seconds per measuring process
TARGETS = {"single_median_ms": 40.0, "batch_seconds": 10.0, "batch_peak_mb": 300.0}
PEER_RATIO = 40.0  # WeasyPrint's CPU time over ours, at least


def _load() -> str:
    """The 1, 5 and 15 minute load averages, to print beside a figure."""
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _peak_mb() -> float:
    """Peak RSS of this process plus the largest child (ru_maxrss is in KiB on Linux)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def measure_single(directory: Path) -> dict:
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.permissions import Viewer
    from skills.reports import mentee_report_data, mentee_report_pdf
    from skills.services.progress import curriculum_view

    app = make_app(directory)
    load = _load()
    with app.app_context():
        mentee = db.session.scalar(select(Mentee).order_by(Mentee.id))
        started = time.perf_counter()
        view = curriculum_view(mentee.organisation_id)
        data = mentee_report_data(mentee, Viewer(sees_staff_notes=True), view=view)
        gather_ms = (time.perf_counter() - started) * 1000
        checklist = sum(len(d.skills) for d in data.domains)
        first = time.perf_counter()
        pdf = mentee_report_pdf(data)  # includes the one-off font registration
        first_ms = (time.perf_counter() - first) * 1000
        for _ in range(WARM_UP - 1):
            mentee_report_pdf(data)
        times, cpus = [], []
        for _ in range(SINGLE_RUNS):
            t, c = time.perf_counter(), time.process_time()
            mentee_report_pdf(data)
            times.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
        gathers = []
        mentee_id = mentee.id
        for _ in range(10):
            db.session.remove()  # as a new request would: a fresh session, nothing cached
            t = time.perf_counter()
            mentee = db.session.get(Mentee, mentee_id)
            mentee_report_data(mentee, Viewer(sees_staff_notes=True))
            gathers.append((time.perf_counter() - t) * 1000)
        pages = len(PdfReader(BytesIO(pdf)).pages)
    return {
        "skills": checklist,
        "pages": pages,
        "bytes": len(pdf),
        "first_build_ms": round(first_ms, 1),
        "median_ms": round(statistics.median(times), 1),
        "cpu_median_ms": round(statistics.median(cpus), 1),
        "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 1),
        "gather_first_ms": round(gather_ms, 1),
        "gather_median_ms": round(statistics.median(gathers), 1),
        "peak_mb": round(_peak_mb(), 1),
        "load": f"{load}, after {_load()}",
    }


def measure_batch(directory: Path) -> dict:
    """End to end as the web's batch download does it: streamed data, one PDF."""
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.permissions import Viewer
    from skills.reports import caseload_batch_pdf
    from skills.reports.content import batch_report_data
    from skills.services.progress import curriculum_view

    app = make_app(directory)
    load = _load()
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        mentees = list(db.session.scalars(select(Mentee).order_by(Mentee.id)))
        view = curriculum_view(mentees[0].organisation_id)
        reports = batch_report_data(mentees, lambda m: Viewer(sees_staff_notes=True), view=view)
        pdf = caseload_batch_pdf(reports)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # The peak before pypdf reads the file back to count its pages: pypdf holds all of
    # a tagged file's cross-reference entries (over half a million) as Python objects.
    peak, load = _peak_mb(), f"{load}, after {_load()}"
    reader = PdfReader(BytesIO(pdf))
    return {
        "mentees": len(mentees),
        "pages": len(reader.pages),
        "outline_entries": len(reader.outline),
        "bytes": len(pdf),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mb": round(peak, 1),
        "load": load,
    }


def measure_builder(directory: Path) -> dict:
    """The PDF builder alone, given 500 reports' data gathered one mentee at a time."""
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.permissions import Viewer
    from skills.reports import caseload_batch_pdf, mentee_report_data
    from skills.services.progress import curriculum_view

    app = make_app(directory)
    load = _load()
    with app.app_context():
        mentees = list(db.session.scalars(select(Mentee).order_by(Mentee.id)))
        view = curriculum_view(mentees[0].organisation_id)
        started = time.perf_counter()
        data = [mentee_report_data(m, Viewer(sees_staff_notes=True), view=view) for m in mentees]
        gather = time.perf_counter() - started
        wall, cpu = time.perf_counter(), time.process_time()
        pdf = caseload_batch_pdf(data)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "gather_seconds": round(gather, 2),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "bytes": len(pdf),
        "peak_mb": round(_peak_mb(), 1),
        "load": f"{load}, after {_load()}",
    }


def measure_peer(directory: Path) -> dict:
    """Our single report against WeasyPrint's, from the same data (bench/report_peer.py)."""
    from report_peer import measure_peer as peer
    from sqlalchemy import select

    from skills.extensions import db
    from skills.models import Mentee
    from skills.permissions import Viewer
    from skills.reports import mentee_report_data

    app = make_app(directory)
    with app.app_context():
        mentee = db.session.scalar(select(Mentee).order_by(Mentee.id))
        return peer(mentee_report_data(mentee, Viewer(sees_staff_notes=True)))


MEASURES = {
    "build": build_database,
    "single": measure_single,
    "batch": measure_batch,
    "builder": measure_builder,
    "peer": measure_peer,
}


def _child(kind: str, directory: Path) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, __file__, "--measure", kind, str(directory)],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"measuring {kind} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("directory", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--peer",
        choices=["weasyprint"],
        help="measure the single report against this renderer instead (CPU ratio)",
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(MEASURES[args.measure](args.directory)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        directory = Path(tmp)
        # Every step runs in its own process, the database build too: Linux carries a
        # parent's peak RSS over into a forked child's ru_maxrss.
        t = time.perf_counter()
        setup = _child("build", directory)
        setup["seconds"] = round(time.perf_counter() - t, 1)
        print(
            f"Database: {setup['mentees']} mentees, {setup['skills']} skills, "
            f"{setup['events']} sign-off events ({setup['seconds']} s to build)"
        )
        if args.peer:
            _report_peer(_child("peer", directory))
            return
        single = _child("single", directory)
        batch = _child("batch", directory)
        builder = _child("builder", directory)

    checks = {
        "single_median_ms": single["median_ms"] <= TARGETS["single_median_ms"],
        "batch_seconds": batch["seconds"] <= TARGETS["batch_seconds"],
        "batch_peak_mb": batch["peak_mb"] <= TARGETS["batch_peak_mb"],
    }
    rows = [
        ("single report (150 skills), median of 30", f"{single['median_ms']} ms", "<= 40 ms"),
        ("single report, CPU median", f"{single['cpu_median_ms']} ms", ""),
        ("single report, 90th percentile", f"{single['p90_ms']} ms", ""),
        ("single report, first build in a process", f"{single['first_build_ms']} ms", ""),
        ("single report, gathering its data", f"{single['gather_median_ms']} ms", ""),
        ("single report, pages / size", f"{single['pages']} / {single['bytes']:,} B", ""),
        ("batch of 500, data + PDF (as the web)", f"{batch['seconds']} s", "<= 10 s"),
        ("batch of 500, CPU time", f"{batch['cpu_seconds']} s", ""),
        ("batch of 500, peak RSS", f"{batch['peak_mb']} MB", "<= 300 MB"),
        ("batch of 500, pages / size", f"{batch['pages']} / {batch['bytes']:,} B", ""),
        ("batch builder alone (data ready)", f"{builder['seconds']} s", ""),
        ("batch data via mentee_report_data x 500", f"{builder['gather_seconds']} s", ""),
        ("builder process peak RSS (all data held)", f"{builder['peak_mb']} MB", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>22}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")
    for name, measured in (("single", single), ("batch", batch), ("builder", builder)):
        print(f"{name}: {measured['load']}")
    print("All targets met." if all(checks.values()) else f"Targets missed: {checks}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "setup": setup,
                "single": single,
                "batch": batch,
                "builder": builder,
                "targets": TARGETS,
                "met": checks,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"Wrote {RESULTS.relative_to(ROOT)}")


def _report_peer(peer: dict) -> None:
    """Print the peer comparison and write it to bench/results/reports-peer.json."""
    ms, pages = peer["cpu_median_ms"], peer["pages"]
    print(f"WeasyPrint {peer['weasyprint']}, CPU time per report, median:")
    for key, name in (
        ("ours", "ours (reportlab, tagged)"),
        ("weasyprint", "WeasyPrint"),
        ("weasyprint_tagged", "WeasyPrint, pdf_tags=True"),
    ):
        print(f"  {name:<28} {ms[key]:>9.1f} ms  {pages[key]} pages  ({peer['runs'][key]} runs)")
    ratio = peer["ratio"]
    print(
        f"CPU ratio: {ratio}x (WeasyPrint tagged: {peer['ratio_tagged']}x); "
        f"target >= {PEER_RATIO:g}x: {'met' if ratio >= PEER_RATIO else 'MISSED'}"
    )
    print(f"load {peer['load_before']} before, {peer['load_after']} after (1, 5, 15 min)")
    path = RESULTS.with_name("reports-peer.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = {"when": datetime.now(UTC).isoformat(timespec="seconds")}
    path.write_text(json.dumps(stamp | peer, indent=2) + "\n")
    print(f"Wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
