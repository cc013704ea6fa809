"""A soak: `python bench/soak.py [--minutes 60] [--clients 8] [--db sqlite|postgresql] [--url URL]`.

Builds the demo in a scratch database (`flask --app skills setup --demo`: a temporary
SQLite file, or a PostgreSQL database named by --url, created and dropped here; its name
must contain "bench"), serves the real entry point `skills.wsgi:app` with gunicorn (2 sync
workers, SKILLS_ENV=production, 127.0.0.1 only) and runs client threads against it over
HTTP, each signed in as a demo account:

- mentors open their home, a mentee, a skill, and post the sign-off form on it;
- case managers open the caseload and a mentee, and now and then download the mentee's PDF;
- mentees open /me/ and /me/history; admins open the dashboard.

Every `--sample-seconds` it reads the RSS (VmRSS) of the master and of each worker and the
load average. At the end it reports requests, errors by route (HTTP 4xx/5xx, exceptions,
and unexpected answers such as a redirect to the sign-in page), p50/p99 per route,
requests/s, memory over time and each worker's growth (least-squares slope in MB/min
after the warm-up), prints the table and writes bench/results/soak-<UTC time>-<db>.json
and .md. Exits 1 if any request failed. Bounded: it stops after --minutes (or on SIGTERM
or Ctrl-C, still reporting), every request has a timeout, and the server is always
stopped (SIGTERM, then SIGKILL).
"""

import argparse
import http.client
import json
import os
import random
import re
import runpy
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import data
import served
from common import CSRF, RESULTS, ROOT, app_env, percentile, sign_in_http

ENTRY_POINT = "skills.wsgi:app"
WORKERS = 2
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/skills_soak_bench"
REQUEST_TIMEOUT = 30.0  # seconds; a mentee's PDF takes tens of milliseconds
# Who the client threads sign in as, in turn: three mentors to each admin.
ROLES = ("mentor", "case_manager", "mentee", "mentor", "mentee", "admin", "mentor", "case_manager")
DEMO_ACCOUNTS = {
    "mentor": [f"mentor{i}" for i in range(1, 6)],
    "case_manager": ["casemanager1", "casemanager2"],
    "mentee": [f"mentee{i:02d}" for i in range(1, 41)],
    "admin": ["admin"],
}
PDF_SHARE = 0.2  # of a case manager's rounds end with a PDF download

MENTEE_LINK = re.compile(r'href="/mentees/(\d+)"')
NUMBER = re.compile(r"/\d+")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


# -- the server and its processes -----------------------------------------------------


def start_server(url: str, server_log: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn as docs/deployment.md runs it, on a free loopback port."""
    port = served.free_port()
    env = app_env(url)
    env["SKILLS_ENV"] = "production"
    options = [
        f"--config={served.GUNICORN_CONFIG}",
        f"--workers={WORKERS}",
        "--worker-class=sync",
        f"--bind={served.HOST}:{port}",
    ]
    with server_log.open("ab") as stderr:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter
            [sys.executable, "-m", "gunicorn", *options, ENTRY_POINT],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        served.wait_healthy(port, process, timeout=60)
    except Exception:
        served.stop(process)
        raise
    return process, port


def recycling() -> dict:
    """Would gunicorn replace workers after some requests? Only if max_requests is set."""
    from gunicorn.config import Config

    defaults = Config()
    settings = runpy.run_path(str(served.GUNICORN_CONFIG))
    return {
        "max_requests": settings.get("max_requests", defaults.max_requests),
        "max_requests_jitter": settings.get("max_requests_jitter", defaults.max_requests_jitter),
        "config": str(served.GUNICORN_CONFIG.relative_to(ROOT)),
        "note": "docs/deployment.md sets no max_requests: workers live until restarted",
    }


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# -- the clients ----------------------------------------------------------------------


class Client(threading.Thread):
    """One signed-in person going round their pages until `stop` is set."""

    def __init__(self, port: int, role: str, username: str, stop: threading.Event, args):
        super().__init__(name=f"soak-{username}", daemon=True)
        self.port, self.role, self.username, self.stop = port, role, username, stop
        self.think = args.think
        self.rng = random.Random(f"{args.seed}-{username}-{role}")  # noqa: S311 - not crypto
        self.cookie = sign_in_http(served.HOST, port, username)
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.count = 0
        self.signoffs = 0

    def run(self) -> None:
        rounds = {
            "mentor": self.mentor_round,
            "case_manager": self.case_manager_round,
            "mentee": self.mentee_round,
            "admin": self.admin_round,
        }[self.role]
        while not self.stop.is_set():
            rounds()

    def request(self, path: str, form: dict | None = None, expect: int = 200):
        """One request: (response, body) if the answer was the expected one, else None
        (and the failure is counted)."""
        if self.stop.is_set():
            return None
        method = "POST" if form is not None else "GET"
        route = f"{method} {NUMBER.sub('/<id>', path)}"
        headers = {"Cookie": f"session={self.cookie}"}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            conn = http.client.HTTPConnection(served.HOST, self.port, timeout=REQUEST_TIMEOUT)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                content = response.read()
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as exc:
            self.count += 1
            self.errors[route][f"no answer: {type(exc).__name__}"] += 1
            return None
        self.count += 1
        self.times[route].append(time.perf_counter() - started)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0].split("=", 1)[1]
        self.stop.wait(self.rng.uniform(0, 2 * self.think))
        if response.status == expect:
            return response, content
        location = response.getheader("Location", "")
        if 300 <= response.status < 400 and "/login" in location:
            self.errors[route]["redirected to sign-in"] += 1
        else:
            self.errors[route][f"HTTP {response.status}"] += 1
        return None

    def page(self, path: str) -> str:
        answer = self.request(path)
        return answer[1].decode() if answer else ""

    def mentor_round(self) -> None:
        mentees = MENTEE_LINK.findall(self.page("/mentor/"))
        if not mentees:
            return
        mentee = self.rng.choice(mentees)
        skills = re.findall(
            rf'href="/mentees/{mentee}/skills/(\d+)"', self.page(f"/mentees/{mentee}")
        )
        if not skills:
            return
        path = f"/mentees/{mentee}/skills/{self.rng.choice(skills)}"
        form = self.signoff_form(self.page(path))
        if form is None:
            return  # a retired skill, or the page failed (counted)
        saved = self.request(path, form, expect=302)
        if saved:
            self.signoffs += 1
            self.page(urllib.parse.urlsplit(saved[0].getheader("Location", "")).path)

    def signoff_form(self, page: str) -> dict | None:
        """What a mentor fills in: a level, the date the page suggests, a short note."""
        levels = re.findall(r'name="level"[^>]*value="(\d+)"', page)
        token = CSRF.search(page)
        if not levels or not token:
            return None
        return {
            "csrf_token": token.group(1),
            "idempotency_key": field_value(page, "idempotency_key") or "",
            "level": self.rng.choice(levels),
            "shown_on": field_value(page, "shown_on") or "",
            "note": f"Soak round {self.signoffs}: practised together, went well.",
            "what_we_did": "",
            "how_it_went": "",
            "next_step": "",
            "note_visibility": self.rng.choice(["mentee", "staff"]),
            "support": "",
            "practised_with": "",
            "place": "",
        }

    def case_manager_round(self) -> None:
        mentees = MENTEE_LINK.findall(self.page("/caseload/"))
        if not mentees:
            return
        mentee = self.rng.choice(mentees)
        self.page(f"/mentees/{mentee}")
        if self.rng.random() < PDF_SHARE:
            pdf = self.request(f"/mentees/{mentee}/report.pdf")
            if pdf and not pdf[1].startswith(b"%PDF"):
                self.errors["GET /mentees/<id>/report.pdf"]["not a PDF"] += 1

    def mentee_round(self) -> None:
        self.page("/me/")
        self.page("/me/history")

    def admin_round(self) -> None:
        self.page("/admin/")


def start_clients(port: int, args, stop: threading.Event) -> list[Client]:
    used: Counter = Counter()
    clients = []
    for i in range(args.clients):
        role = ROLES[i % len(ROLES)]
        accounts = DEMO_ACCOUNTS[role]
        clients.append(Client(port, role, accounts[used[role] % len(accounts)], stop, args))
        used[role] += 1
    for client in clients:
        client.start()
    return clients


# -- sampling and figures -------------------------------------------------------------


def sample(master: int, started: float, clients: list[Client]) -> dict:
    load = os.getloadavg()
    return {
        "minute": round((time.monotonic() - started) / 60, 2),
        "load": [round(x, 2) for x in load],
        "master_mb": rss_mb(master),
        "workers_mb": {str(pid): rss_mb(pid) for pid in children(master)},
        "requests": sum(c.count for c in clients),
    }


def growth(samples: list[dict], warmup: float) -> dict:
    """Per worker: least-squares slope of RSS (MB/min) after the warm-up and over the
    second half of the run; a leak keeps its slope, a plateau's second half is flat."""
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s in samples:
        for pid, mb in s["workers_mb"].items():
            if mb is not None:
                series[pid].append((s["minute"], mb))
    end = samples[-1]["minute"] if samples else 0

    def slope(points: list[tuple[float, float]]) -> float | None:
        if len(points) < 3:
            return None
        xs, ys = zip(*points, strict=True)
        return round(statistics.linear_regression(xs, ys).slope, 3)

    result = {}
    for pid, points in series.items():
        after = [p for p in points if p[0] >= warmup]
        result[pid] = {
            "first_mb": points[0][1],
            "after_warmup_mb": after[0][1] if after else None,
            "last_mb": points[-1][1],
            "samples_after_warmup": len(after),
            "slope_mb_per_min": slope(after),
            "slope_second_half_mb_per_min": slope([p for p in points if p[0] >= end / 2]),
        }
    return result


def routes(clients: list[Client], seconds: float) -> dict:
    times: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, Counter] = defaultdict(Counter)
    for client in clients:
        for route, values in client.times.items():
            times[route] += values
        for route, kinds in client.errors.items():
            errors[route].update(kinds)
    result = {}
    for route in sorted(set(times) | set(errors)):
        ms = [t * 1000 for t in times[route]]
        result[route] = {
            "requests": len(ms) + _no_answer(errors[route]),
            "errors": sum(errors[route].values()),
            "error_kinds": dict(errors[route]),
            "per_second": round(len(ms) / seconds, 2) if seconds else None,
            "p50_ms": round(percentile(ms, 50), 1) if ms else None,
            "p99_ms": round(percentile(ms, 99), 1) if ms else None,
            "max_ms": round(max(ms), 1) if ms else None,
        }
    return result


def _no_answer(kinds: Counter) -> int:
    """Requests that got no answer at all (their time is not in the percentiles)."""
    return sum(n for kind, n in kinds.items() if kind.startswith("no answer"))


# -- the report -----------------------------------------------------------------------


def thinned(samples: list[dict], rows: int = 13) -> list[dict]:
    """About `rows` samples evenly spread over the run, the first and the last included."""
    if len(samples) <= rows:
        return samples
    step = (len(samples) - 1) / (rows - 1)
    return [samples[round(i * step)] for i in range(rows)]


def tables(result: dict) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report as (title, header, rows) tables, for the terminal and for Markdown."""

    def ms(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    route_rows = [
        [route, str(r["requests"]), str(r["errors"]), f"{r['per_second']:.1f}"]
        + [ms(r["p50_ms"]), ms(r["p99_ms"]), ms(r["max_ms"])]
        for route, r in result["routes"].items()
    ]
    error_rows = [
        [route, kind, str(n)]
        for route, r in result["routes"].items()
        for kind, n in r["error_kinds"].items()
    ]
    pids = sorted({pid for s in result["samples"] for pid in s["workers_mb"]}, key=int)
    memory_rows = [
        [f"{s['minute']:.1f}", f"{s['load'][0]:.2f}", str(s["requests"]), str(s["master_mb"])]
        + [str(s["workers_mb"].get(pid, "—")) for pid in pids]
        for s in thinned(result["samples"])
    ]

    def slope(value: float | None) -> str:
        return "—" if value is None else f"{value:+.3f}"

    growth_rows = [
        [pid, str(g["first_mb"]), str(g["after_warmup_mb"]), str(g["last_mb"])]
        + [str(g["samples_after_warmup"]), slope(g["slope_mb_per_min"])]
        + [slope(g["slope_second_half_mb_per_min"])]
        for pid, g in result["growth"].items()
    ]
    warmup = result["warmup_minutes"]
    return [
        (
            "Requests by route",
            ["route", "requests", "errors", "per s", "p50 ms", "p99 ms", "max ms"],
            route_rows,
        ),
        ("Errors", ["route", "what", "count"], error_rows or [["—", "none", "0"]]),
        (
            "Memory (RSS, MB) over time",
            ["minute", "load 1m", "requests", "master", *[f"worker {p}" for p in pids]],
            memory_rows,
        ),
        (
            f"Worker growth (least squares, MB/min; warm-up {warmup:g} min)",
            ["worker", "first", "after warm-up", "last", "samples", "slope", "2nd-half slope"],
            growth_rows,
        ),
    ]


def summary_lines(result: dict) -> list[str]:
    load = [s["load"][0] for s in result["samples"]] or [0.0]
    rec = result["recycling"]
    return [
        f"soak of {ENTRY_POINT} ({result['database']}), {result['minutes']:g} min planned, "
        f"{result['seconds'] / 60:.1f} min run{' (interrupted)' if result['interrupted'] else ''}",
        f"{result['clients']} clients ({result['roles']}), think time ≤ {2 * result['think']:g} s; "
        f"gunicorn {WORKERS} sync workers, max_requests={rec['max_requests']} "
        f"({'no recycling' if not rec['max_requests'] else 'workers are recycled'}); "
        f"worker pids seen: {len(result['growth'])}",
        f"{result['requests']} requests ({result['per_second']:.1f}/s), "
        f"{result['errors']} errors, {result['signoffs']} sign-offs saved",
        f"load average (1 min) during the run: min {min(load):.2f}, "
        f"mean {statistics.fmean(load):.2f}, max {max(load):.2f} on {os.cpu_count()} CPUs",
    ]


def print_report(result: dict) -> None:
    print("\n".join(summary_lines(result)))
    for title, header, rows in tables(result):
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        print(f"\n{title}")
        for r in [header, ["-" * w for w in widths], *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def markdown(result: dict) -> str:
    lines = ["# Soak " + result["when"], "", *[f"- {line}" for line in summary_lines(result)]]
    for title, header, rows in tables(result):
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * len(header))
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


# -- the run --------------------------------------------------------------------------


def soak(args, url: str, workdir: Path, stop: threading.Event) -> tuple[dict, list[Client]]:
    server_log = workdir / "gunicorn.log"
    process, port = start_server(url, server_log)
    samples: list[dict] = []
    clients: list[Client] = []
    try:
        log(f"gunicorn {process.pid} on {served.HOST}:{port}; signing in {args.clients} clients")
        clients = start_clients(port, args, stop)
        started = time.monotonic()
        deadline = started + args.minutes * 60
        while True:
            samples.append(sample(process.pid, started, clients))
            last = samples[-1]
            errors = sum(sum(k.values()) for c in clients for k in c.errors.values())
            log(
                f"{last['minute']:.1f} min: {last['requests']} requests, {errors} errors, "
                f"load {last['load'][0]:.2f}, RSS master {last['master_mb']} MB, workers "
                + ", ".join(f"{pid}: {mb}" for pid, mb in last["workers_mb"].items())
            )
            remaining = deadline - time.monotonic()
            if remaining <= 0 or stop.is_set() or process.poll() is not None:
                break
            stop.wait(min(args.sample_seconds, remaining))
        seconds = time.monotonic() - started
    finally:
        stop.set()
        for client in clients:
            client.join(REQUEST_TIMEOUT + 5)
        served.stop(process)
    return {
        "seconds": round(seconds, 1),
        "server_exit": process.returncode,
        "server_log_tail": server_log.read_text(errors="replace").splitlines()[-30:],
        "samples": samples,
    }, clients


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", default=DEFAULT_POSTGRES, help="PostgreSQL database to create")
    parser.add_argument("--think", type=float, default=0.1, help="mean pause, s (default 0.1)")
    parser.add_argument("--sample-seconds", type=float, default=30)
    parser.add_argument(
        "--warmup-minutes", type=float, default=5, help="(half the run if that is shorter)"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    stop = threading.Event()
    interrupted: list[str] = []

    def on_signal(signum: int, _frame) -> None:
        interrupted.append(signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)

    when = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="skills-soak-") as tmp:
        url = data.create_database(args.db, Path(tmp), args.url)
        try:
            log(f"{args.db}: flask --app skills setup --demo")
            data._flask(app_env(url), "setup", "--demo", timeout=600)
            run, clients = soak(args, url, Path(tmp), stop)
        finally:
            data.drop_database(url)
    by_route = routes(clients, run["seconds"])
    requests = sum(r["requests"] for r in by_route.values())
    warmup = min(args.warmup_minutes, args.minutes / 2)
    result = {
        "when": when.isoformat(timespec="seconds"),
        "database": args.db,
        "entry_point": ENTRY_POINT,
        "workers": WORKERS,
        "minutes": args.minutes,
        "clients": args.clients,
        "roles": ", ".join(f"{n} {role}" for role, n in Counter(c.role for c in clients).items()),
        "accounts": [c.username for c in clients],
        "think": args.think,
        "interrupted": ", ".join(interrupted),
        "recycling": recycling(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "requests": requests,
        "errors": sum(r["errors"] for r in by_route.values()),
        "per_second": round(requests / run["seconds"], 2) if run["seconds"] else 0.0,
        "signoffs": sum(c.signoffs for c in clients),
        "warmup_minutes": warmup,
        "routes": by_route,
        "growth": growth(run["samples"], warmup),
        **run,
    }
    print_report(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"soak-{when.strftime('%Y%m%d-%H%M%S')}-{args.db}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    print(f"\nWrote bench/results/{stem}.json and .md")
    return 1 if result["errors"] or not requests else 0


if __name__ == "__main__":
    sys.exit(main())
