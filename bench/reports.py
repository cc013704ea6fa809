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

Targets (issue 4): single report median <= 40 ms; batch <= 10 s and <= 300 MB.
Prints a table and writes bench/results/reports.json.
"""

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader  # a test dependency; only counts pages here

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results" / "reports.json"
SKILLS = 150
DOMAINS = 8
MENTEES = 500
SINGLE_RUNS = 30
WARM_UP = 3
TIME_LIMIT = 600  # seconds per measuring process
TARGETS = {"single_median_ms": 40.0, "batch_seconds": 10.0, "batch_peak_mb": 300.0}

FIRST = ["José", "Zoë", "Łukasz", "Ánh", "Søren", "Maria", "DeShawn", "Guadalupe", "Wei", "Chloé"]
LAST = ["García", "Müller", "Kowalski", "Nguyễn Thị", "Sørensen", "Johnson", "O'Brien", "Chen"]
WORDS = [
    "bus",
    "card",
    "stop",
    "map",
    "list",
    "shop",
    "cook",
    "stove",
    "bank",
    "budget",
    "bill",
    "phone",
    "call",
    "clinic",
    "pharmacy",
    "refill",
    "calendar",
    "laundry",
    "lease",
    "rent",
    "landlord",
    "form",
    "office",
    "appointment",
    "schedule",
    "practice",
    "calm",
    "ask",
    "help",
    "again",
    "ready",
    "time",
    "safe",
    "store",
    "label",
    "price",
    "fresh",
    "plan",
    "week",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def write_curriculum(directory: Path) -> Path:
    """A curriculum file with SKILLS skills spread over DOMAINS domains."""
    rng = random.Random(7)  # noqa: S311 - reproducible made-up data, not secrets
    lines = [
        "id: bench",
        'version: "1"',
        "title: Benchmark curriculum",
        "signed_off_level: 3",
        "levels:",
    ]
    for value, name, text in [
        (0, "Not started", "Not started yet"),
        (1, "Introduced", "I have seen how it is done"),
        (2, "Practising with support", "I am practising with help"),
        (3, "Can do it on my own", "I can do this on my own"),
    ]:
        lines += [f"  - value: {value}", f"    name: {name}", f"    mentee_text: {text}"]
    lines.append("domains:")
    per_domain = -(-SKILLS // DOMAINS)
    made = 0
    for d in range(DOMAINS):
        lines += [
            f"  - key: area-{d}",
            f"    title: Area {d + 1} {_sentence(rng, 2)}",
            "    skills:",
        ]
        for _ in range(min(per_domain, SKILLS - made)):
            title = _sentence(rng, rng.randint(3, 7))
            lines += [
                f"      - key: skill-{made}",
                f"        title: {title}",
                f"        i_can: I can {title.lower()}.",
                f"        description: {_sentence(rng, 12)}.",
            ]
            made += 1
    path = directory / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_app(directory: Path):
    from skills import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite'}",
            "CURRICULUM_DIR": directory,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )


def build_database(directory: Path) -> dict:
    """Curriculum, a mentor, a case manager, MENTEES mentees and their sign-offs."""
    from sqlalchemy import insert, select

    from skills.extensions import db
    from skills.models import SignoffEvent, Skill
    from skills.services import assignments, curriculum, people
    from skills.services.status import rebuild_statuses

    curriculum_file = write_curriculum(directory)
    app = make_app(directory)
    rng = random.Random(1)  # noqa: S311 - reproducible made-up data, not secrets
    today = date.today()
    with app.app_context():
        db.create_all()
        curriculum.load_files([curriculum_file])
        org = people.get_or_create_organisation("Riverside Peer Support")
        mentor = people.create_user(org, "mentor", "Łukasz Kowalski", "bench-password-1", "mentor")
        manager = people.create_user(
            org, "manager", "Søren Sørensen", "bench-password-1", "case_manager"
        )
        mentees = []
        for i in range(MENTEES):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
            mentee = people.create_mentee(org, name, today - timedelta(days=300))
            assignments.assign(mentor, mentee, "mentor", mentee.start_date)
            assignments.assign(manager, mentee, "case_manager", mentee.start_date)
            mentees.append(mentee)
        skills = list(db.session.scalars(select(Skill).order_by(Skill.id)))
        assert len(skills) == SKILLS
        events = []
        now = datetime.now(UTC)
        for n, mentee in enumerate(mentees):
            for skill in skills:
                # The first mentee has all 150 skills under way; the others most of them.
                if n and rng.random() < 0.15:
                    continue
                shown = today - timedelta(days=rng.randint(40, 290))
                levels = [1, 3] if rng.random() < 0.6 else [rng.randint(1, 2)]
                for level in levels:
                    note = ""
                    roll = rng.random()
                    if roll < 0.02:
                        note = _sentence(rng, 330)[:2000]
                    elif roll < 0.35:
                        note = _sentence(rng, rng.randint(8, 40)) + ". <b>&amp;</b> ok"
                    events.append(
                        {
                            "mentee_id": mentee.id,
                            "skill_id": skill.id,
                            "kind": "signoff",
                            "level": level,
                            "recorded_by_id": mentor.id,
                            "recorded_at": now,
                            "shown_on": shown,
                            "note": note,
                            "note_visibility": "staff" if rng.random() < 0.2 else "mentee",
                            "support": rng.choice([None, "own", "reminders", "shown"]),
                            "place": rng.choice([None, "Library", "Grocery store"]),
                        }
                    )
                    shown += timedelta(days=rng.randint(5, 30))
                    if shown > today:
                        break
        for start in range(0, len(events), 5000):
            db.session.execute(insert(SignoffEvent), events[start : start + 5000])
        rebuild_statuses()
        db.session.commit()
        return {"mentees": MENTEES, "skills": SKILLS, "events": len(events)}


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
    with app.app_context():
        wall, cpu = time.perf_counter(), time.process_time()
        mentees = list(db.session.scalars(select(Mentee).order_by(Mentee.id)))
        view = curriculum_view(mentees[0].organisation_id)
        reports = batch_report_data(mentees, lambda m: Viewer(sees_staff_notes=True), view=view)
        pdf = caseload_batch_pdf(reports)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    reader = PdfReader(BytesIO(pdf))
    return {
        "mentees": len(mentees),
        "pages": len(reader.pages),
        "outline_entries": len(reader.outline),
        "bytes": len(pdf),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mb": round(_peak_mb(), 1),
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
    }


MEASURES = {
    "build": build_database,
    "single": measure_single,
    "batch": measure_batch,
    "builder": measure_builder,
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


if __name__ == "__main__":
    main()
