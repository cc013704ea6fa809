"""Concurrent sign-off writes: several processes, each a mentor recording sign-offs.

`run(url, writers, seconds)` starts the writer processes (`python bench/writes.py
--worker N BARRIER SECONDS`), which get ready (import, connect, look up their mentees),
say so in the BARRIER folder and wait there for a common start time, then record sign-offs
through `services.signoffs.record_signoff` and commit each one, as the sign-off view does.
A "lock error" is a failed transaction that says the database was locked or busy, a
deadlock, or a serialization failure; any other failure is counted apart.
"""

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import procstat
from common import BENCH, app_env, summary_ms

READY_TIMEOUT = 300  # seconds for every writer to import, connect and get ready
LOCK_WORDS = ("locked", "busy", "deadlock", "could not serialize", "serialization")


def worker(index: int, barrier: str, seconds: float) -> dict:
    from sqlalchemy import select, text
    from sqlalchemy.exc import DBAPIError

    from skills import create_app
    from skills.extensions import db
    from skills.models import Mentee, Skill, User
    from skills.permissions import mentees_assigned
    from skills.services.signoffs import SignoffDetails, record_signoff
    from skills.timeutil import today

    app = create_app()
    ok = locks = other = 0
    first_error = ""
    latencies = []
    with app.app_context():
        mentor = db.session.scalar(select(User).where(User.username == f"mentor{index + 1}"))
        mentee_ids = [
            m.id
            for m in db.session.scalars(mentees_assigned(mentor, "mentor"))
            if m.status == "active"
        ]
        skill_ids = list(db.session.scalars(select(Skill.id).where(Skill.retired.is_(False))))
        mentor_id = mentor.id
        # The PostgreSQL server process of this writer's one pooled connection, for its CPU.
        backend = []
        if db.engine.dialect.name == "postgresql":
            backend = [db.session.scalar(text("SELECT pg_backend_pid()"))]
        db.session.remove()
        n = index
        time.sleep(max(0.0, _wait_for_start(Path(barrier), index) - time.time()))
        ends = time.time() + seconds
        cpu_started = time.process_time()
        db_cpu_started = procstat.cpu_seconds(backend)
        while time.time() < ends:
            n += 1
            started = time.perf_counter()
            try:
                # Load, check, act, commit: what one sign-off request does.
                mentee = db.session.get(Mentee, mentee_ids[n % len(mentee_ids)])
                skill = db.session.get(Skill, skill_ids[(n * 7) % len(skill_ids)])
                recorder = db.session.get(User, mentor_id)
                details = SignoffDetails(level=1 + n % 3, shown_on=today(), note="bench")
                record_signoff(mentee, skill, recorder, details, allow_lower=True)
                db.session.commit()
                ok += 1
                latencies.append(time.perf_counter() - started)
            except DBAPIError as exc:
                db.session.rollback()
                message = str(exc.orig).lower()
                if any(word in message for word in LOCK_WORDS):
                    locks += 1
                else:
                    other += 1
                first_error = first_error or str(exc.orig)[:200]
            except Exception as exc:  # noqa: BLE001 - counted and reported, not hidden
                db.session.rollback()
                other += 1
                first_error = first_error or repr(exc)[:200]
            finally:
                db.session.remove()
        cpu = time.process_time() - cpu_started
        db_cpu = procstat.cpu_seconds(backend) - db_cpu_started
    return {
        "cpu": cpu,
        "db_cpu": db_cpu if backend else None,
        "ok": ok,
        "lock_errors": locks,
        "other_errors": other,
        "first_error": first_error,
        "latencies": latencies,
    }


def _wait_for_start(barrier: Path, index: int) -> float:
    """Say this writer is ready; wait for the start time the parent writes when all are."""
    (barrier / f"ready-{index}").touch()
    go = barrier / "go"
    deadline = time.time() + READY_TIMEOUT
    while not go.exists():
        if time.time() > deadline:
            raise SystemExit("no start signal")
        time.sleep(0.05)
    return float(go.read_text())


def run(url: str, writers: int = 8, seconds: float = 10, env: dict | None = None) -> dict:
    """Start `writers` processes against `url`; sum what they did in `seconds`.
    `env` adds settings, for example SQLITE_SYNCHRONOUS."""
    barrier = Path(tempfile.mkdtemp(prefix="bench-writes-"))
    processes = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [
                sys.executable,
                str(BENCH / "writes.py"),
                "--worker",
                str(i),
                str(barrier),
                str(seconds),
            ],
            env={**app_env(url), **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(writers)
    ]
    # Start together once every writer is ready, however long a busy machine takes to
    # import and connect.
    deadline = time.time() + READY_TIMEOUT
    while len(list(barrier.glob("ready-*"))) < writers and time.time() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        time.sleep(0.1)
    load = procstat.load()
    (barrier / "go.tmp").write_text(str(time.time() + 0.5))
    (barrier / "go.tmp").rename(barrier / "go")
    results = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=seconds + 120)
            if process.returncode:
                sys.stderr.write(err[-3000:])
                raise RuntimeError("a writer process failed")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(barrier, ignore_errors=True)
    latencies = [t for r in results for t in r.pop("latencies")]
    ok = sum(r["ok"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    db_cpu = [r["db_cpu"] for r in results if r["db_cpu"] is not None]
    return {
        "load": load,
        "load_after": procstat.load(),
        "cpu_ms_per_signoff": round(1000 * cpu / ok, 2) if ok else None,
        "db_cpu_ms_per_signoff": round(1000 * sum(db_cpu) / ok, 2) if ok and db_cpu else None,
        "settings": env or {},
        "writers": writers,
        "seconds": seconds,
        "signoffs": ok,
        "per_second": round(ok / seconds, 1),
        "lock_errors": sum(r["lock_errors"] for r in results),
        "other_errors": sum(r["other_errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), ""),
        "latency": summary_ms(latencies) if latencies else None,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, required=True)
    parser.add_argument("barrier")
    parser.add_argument("seconds", type=float)
    args = parser.parse_args()
    print(json.dumps(worker(args.worker, args.barrier, args.seconds)))
