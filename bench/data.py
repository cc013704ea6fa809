"""Benchmark databases: create one, fill it with the demo at scale, add bench logins.

`python bench/data.py --staff` (run by bench/run.py with DATABASE_URL set) adds two
case managers with caseloads of 500 and 50 and prints the logins to use, as JSON.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from common import BIG_CASELOAD, PASSWORD, ROOT, SMALL_CASELOAD, app_env

DEMO_SIGNOFFS = re.compile(r"(\d+) mentees, (\d+) sign-offs")


def _connect(url: str, database: str | None = None):
    """An autocommit psycopg connection to the URL's server (optionally another database)."""
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return psycopg.connect(parsed.render_as_string(hide_password=False), autocommit=True)


def _bench_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    # Only ever create or drop a database meant for benchmarks.
    if "bench" not in name:
        raise SystemExit(f"refusing to create or drop database {name!r}: its name needs 'bench'")
    return name


def create_database(kind: str, workdir: Path, postgres_url: str) -> str:
    """A new empty database; return its SQLAlchemy URL."""
    if kind == "sqlite":
        path = workdir / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = _bench_name(postgres_url)
    with _connect(postgres_url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = _bench_name(url)
    with _connect(url, "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _flask(env: dict, *args: str, timeout: float) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "flask", "--app", "skills", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stdout[-2000:] + result.stderr[-4000:])
        raise RuntimeError(f"flask {' '.join(args)} failed")
    return result.stdout


def build(url: str, sizes: dict, timeout: float = 600) -> dict:
    """Migrate, load the curriculum, and time `flask demo` at the given sizes."""
    env = app_env(url)
    # A bulk load, not a page: the app's per-statement and idle-in-transaction limits
    # (PostgreSQL) would end it on a busy machine.
    env.update(DATABASE_STATEMENT_TIMEOUT="0", DATABASE_IDLE_IN_TRANSACTION_TIMEOUT="0")
    _flask(env, "db", "upgrade", timeout=timeout)
    _flask(env, "curriculum", "load", timeout=timeout)
    args = [
        "demo",
        *("--mentees", str(sizes["mentees"])),
        *("--mentors", str(sizes["mentors"])),
        *("--case-managers", str(sizes["case_managers"])),
        *("--months", str(sizes["months"])),
        *("--seed", str(sizes["seed"])),
    ]
    started = time.perf_counter()
    output = _flask(env, *args, timeout=timeout)
    seconds = time.perf_counter() - started
    match = DEMO_SIGNOFFS.search(output)
    if url.startswith("postgresql"):
        # What autovacuum would do shortly after a bulk load: give the planner statistics.
        with _connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
    return {
        "command": "flask --app skills " + " ".join(args),
        "seconds": round(seconds, 1),
        "mentees": int(match.group(1)) if match else None,
        "signoff_events": int(match.group(2)) if match else None,
    }


def add_bench_staff() -> dict:
    """Two case managers (caseloads of 500 and 50); pick the mentor and mentee to sign in."""
    from sqlalchemy import func, select

    from skills import create_app
    from skills.demo import DEMO_ORGANISATION
    from skills.extensions import db
    from skills.models import Assignment, Mentee, Organisation, SkillStatus, User
    from skills.services import assignments, people

    app = create_app()
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == DEMO_ORGANISATION))
        mentees = list(
            db.session.scalars(
                select(Mentee)
                .where(Mentee.organisation_id == org.id, Mentee.status == "active")
                .order_by(Mentee.id)
                .limit(BIG_CASELOAD)
            )
        )
        logins = {}
        for size in (BIG_CASELOAD, SMALL_CASELOAD):
            username = f"benchcm{size}"
            user = people.create_user(
                org, username, f"Bench Caseload {size}", PASSWORD, ["case_manager"]
            )
            for mentee in mentees[:size]:
                assignments.assign(user, mentee, "case_manager", mentee.start_date)
            logins[f"case_manager_{size}"] = username
        # The mentor with the most current mentees, and the mentee with the most progress.
        mentor_id, count = db.session.execute(
            select(Assignment.staff_id, func.count())
            .where(Assignment.kind == "mentor", Assignment.ends_on.is_(None))
            .group_by(Assignment.staff_id)
            .order_by(func.count().desc(), Assignment.staff_id)
            .limit(1)
        ).one()
        logins["mentor"] = db.session.get(User, mentor_id).username
        logins["mentor_mentees"] = count
        mentee_id = db.session.scalar(
            select(SkillStatus.mentee_id)
            .join(Mentee, Mentee.id == SkillStatus.mentee_id)
            .where(Mentee.status == "active", Mentee.user_id.is_not(None))
            .group_by(SkillStatus.mentee_id)
            .order_by(func.count().desc(), SkillStatus.mentee_id)
            .limit(1)
        )
        logins["mentee"] = db.session.get(Mentee, mentee_id).user.username
        logins["admin"] = db.session.scalar(
            select(User.username)
            .where(User.organisation_id == org.id, User.roles.contains("admin"))
            .order_by(User.id)
            .limit(1)
        )
        logins["organisation_id"] = org.id
        logins["big_caseload"] = min(BIG_CASELOAD, len(mentees))
        db.session.commit()
    return logins


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", action="store_true", required=True)
    parser.parse_args()
    print(json.dumps(add_bench_staff()))
