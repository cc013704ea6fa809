"""Does the org-wide summary cost the same at any size? `python bench/summary_scale.py
[--sizes 5000,50000] [--db sqlite|postgres|both] [--postgres-url URL]`

For each size it builds a scratch database quickly (the schema, the curriculum, then
mentees and their domain counters written in bulk: the summary reads nothing else), lets
`counters.rebuild` fill the latest dates and organisation totals as the app keeps them,
and times `progress_totals.organisation_summary` in-process: p50 / p99 wall time and CPU time
(app, and PostgreSQL's server processes), with the load average. Prints JSON lines and
writes bench/results/summary_scale.json.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import data
import procstat
from common import RESULTS, ROOT, summary_ms

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/skills_bench_scale"
REPEATS = 200


def build(url: str, mentees: int) -> float:
    """The scratch database at `mentees` mentees; returns the seconds it took."""
    from sqlalchemy import select, text

    from skills import create_app
    from skills.demo_bulk import insert_rows
    from skills.extensions import db
    from skills.models import Domain, DomainCounter, Mentee, Skill
    from skills.services import counters, people
    from skills.services import curriculum as curriculum_service

    started = time.perf_counter()
    # A bulk load, not a page: no per-statement deadline (as bench/data.py's build).
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "DATABASE_STATEMENT_TIMEOUT": 0,
            "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT": 0,
        }
    )
    with app.app_context():
        db.create_all()
        org = people.get_or_create_organisation("Scale Program")
        files = sorted((ROOT / "curriculum").glob("*.yaml"))
        curriculum_service.load_files(files, organisation_id=org.id)
        db.session.commit()
        domains = {
            d: n
            for d, n in db.session.execute(
                select(Domain.id, text("count(skills.id)"))
                .join(Skill, Skill.domain_id == Domain.id)
                .group_by(Domain.id)
            )
        }
        rng = random.Random(7)  # noqa: S311 - data, not secrets
        today, now = date.today(), datetime.now(UTC)
        for start in range(0, mentees, 5000):
            rows = [
                {
                    "organisation_id": org.id,
                    "record_number": f"S{n:06d}",
                    "full_name": f"Scale Mentee {n}",
                    "start_date": today - timedelta(days=rng.randint(30, 700)),
                    "status": "active" if rng.random() < 0.85 else "discharged",
                    "created_at": now,
                    "updated_at": now,
                    "version_id": 1,
                }
                for n in range(start, min(mentees, start + 5000))
            ]
            # COPY on PostgreSQL, one executemany per batch on SQLite: the quick way.
            insert_rows(Mentee, rows)
        ids = list(db.session.scalars(select(Mentee.id)))
        for start in range(0, len(ids), 5000):
            insert_rows(
                DomainCounter,
                [
                    {
                        "mentee_id": m,
                        "domain_id": d,
                        "signed_off": (signed := rng.randint(0, total)),
                        "started": rng.randint(0, total - signed),
                        "last_shown_on": today - timedelta(days=rng.randint(0, 120)),
                    }
                    for m in ids[start : start + 5000]
                    for d, total in domains.items()
                ],
            )
        # The latest dates and totals from the counters, as the app keeps them.
        counters._recount_last(None)
        counters._recount_totals(None)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    if url.startswith("postgresql"):
        with data._connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def measure(url: str) -> dict:
    from skills import create_app
    from skills.extensions import db
    from skills.models import Organisation
    from skills.services.progress_totals import organisation_summary

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    backend = procstat.backends(url)
    times, cpu, db_cpu = [], [], []
    with app.app_context():
        org_id = db.session.query(Organisation.id).scalar()
        pids = None
        for n in range(REPEATS + 5):
            with app.app_context():
                if backend and pids is None:
                    db.session.execute(db.text("SELECT 1"))
                    pids = backend.pids()
                d0 = procstat.cpu_seconds(pids or [])
                t0, c0 = time.perf_counter(), time.process_time()
                summary = organisation_summary(org_id)
                if n >= 5:
                    times.append(time.perf_counter() - t0)
                    cpu.append(time.process_time() - c0)
                    db_cpu.append(procstat.cpu_seconds(pids or []) - d0)
                db.session.remove()
    if backend:
        backend.close()
    result = {
        **summary_ms(times),
        "cpu_mean_ms": round(1000 * sum(cpu) / len(cpu), 2),
        "mentees": summary.mentees,
        "stalled": summary.stalled,
    }
    if backend:
        result["db_cpu_mean_ms"] = round(1000 * sum(db_cpu) / len(db_cpu), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    os.environ.setdefault("SECRET_KEY", "bench-only")
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    with tempfile.TemporaryDirectory(prefix="skills-scale-") as tmp:
        for kind in kinds:
            for size in [int(s) for s in args.sizes.split(",")]:
                url = data.create_database(kind, Path(tmp), args.postgres_url)
                try:
                    seconds = build(url, size)
                    load = procstat.load()
                    figures = measure(url)
                finally:
                    data.drop_database(url)
                row = {"database": kind, "size": size, "build_seconds": round(seconds, 1)}
                row.update(load=load, **figures)
                print(json.dumps(row), flush=True)
                results.append(row)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary_scale.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
