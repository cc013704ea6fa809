"""Served load: the production entry point (`gunicorn skills.wsgi:app`, SKILLS_ENV=production)
on 127.0.0.1, and wrk against several pages in turn, signed in.

`run(url, targets, seconds)` starts one server and loads each target for the same time,
in rounds (health, page, page, ..., then again), so /health, the floor, is measured for as
long as each page and under the same conditions. For each target it records the rate,
latency, the load average, the CPU time of gunicorn's workers per request and (PostgreSQL)
that of the database's server processes, and checks that the answers are what a signed-in
person gets: wrk's bytes read per response must match the page's size.

Everything is bounded: the server gets 60 s to answer /health, wrk runs for a fixed
duration, and the server is stopped (SIGTERM, then SIGKILL) whatever happens.
"""

import http.client
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import procstat
from common import BENCH, ROOT, app_env, sign_in_http

HOST = "127.0.0.1"
GUNICORN_CONFIG = BENCH / "gunicorn_bench.py"
ENTRY_POINT = "skills.wsgi:app"
UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited before answering")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port} within {timeout} s")


def start_gunicorn(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    """gunicorn as docs/deployment.md runs it (sync workers, the WSGI module, production
    settings), on a free loopback port."""
    port = free_port()
    env = app_env(url)
    env["SKILLS_ENV"] = "production"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--config={GUNICORN_CONFIG}",
        f"--workers={workers}",
        "--worker-class=sync",
        f"--bind={HOST}:{port}",
        ENTRY_POINT,
    ]
    process = subprocess.Popen(  # noqa: S603 - our own interpreter
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_healthy(port, process)
    except Exception:
        stop(process)
        raise
    return process, port


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else 0,
        "bytes_read": float(total.group(2)) * UNITS[total.group(3)] if total else 0.0,
        "p50_ms": _ms(*p50.groups()) if p50 else None,
        "p99_ms": _ms(*p99.groups()) if p99 else None,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


@dataclass
class Target:
    """One page to load: as whom (None: signed out), and a text its answer must hold."""

    name: str
    path: str
    username: str | None
    expect: str
    cookie: str = ""
    response_bytes: int = 0  # status line, headers and body, as wrk counts them
    runs: list[dict] = field(default_factory=list)

    def prepare(self, port: int) -> None:
        if self.username:
            self.cookie = sign_in_http(HOST, port, self.username)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", self.path, headers=self.headers())
        response = conn.getresponse()
        body = response.read()
        conn.close()
        if response.status != 200 or self.expect not in body.decode():
            raise RuntimeError(f"GET {self.path} as {self.username}: HTTP {response.status}")
        head = f"HTTP/1.1 {response.status} {response.reason}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in response.getheaders()) + "\r\n"
        self.response_bytes = len(head.encode()) + len(body)

    def headers(self) -> dict:
        return {"Cookie": f"session={self.cookie}"} if self.cookie else {}

    def summary(self) -> dict:
        requests = sum(r["requests"] for r in self.runs)
        seconds = sum(r["seconds"] for r in self.runs)
        per_response = sum(r["bytes_read"] for r in self.runs) / requests if requests else 0
        result = {
            "path": self.path,
            "as": self.username,
            "rounds": len(self.runs),
            "seconds": seconds,
            "requests": requests,
            "requests_per_second": round(requests / seconds, 1) if seconds else None,
            # wrk gives percentiles per run; the worst run's p99 is the honest one.
            "p50_ms": max((r["p50_ms"] or 0) for r in self.runs),
            "p99_ms": max((r["p99_ms"] or 0) for r in self.runs),
            "non_2xx": sum(r["non_2xx"] for r in self.runs),
            "socket_errors": [r["socket_errors"] for r in self.runs if r["socket_errors"]],
            "response_bytes": self.response_bytes,
            "bytes_per_response": round(per_response),
            # Headers vary by a few bytes (cookie, dates); a sign-in page or an error page
            # would differ by far more.
            "sizes_match": abs(per_response - self.response_bytes) <= 0.05 * self.response_bytes,
            "cpu_ms_per_request": _per(self.runs, "cpu", requests),
            "load": [r["load"] for r in self.runs],
            "speed_ms": [r["speed_ms"] for r in self.runs],
        }
        if any("db_cpu" in r for r in self.runs):
            result["db_cpu_ms_per_request"] = _per(self.runs, "db_cpu", requests)
        return result


def _per(runs: list[dict], key: str, requests: int) -> float | None:
    return round(1000 * sum(r[key] for r in runs) / requests, 2) if requests else None


def _wrk(wrk: str, port: int, target: Target, seconds: float, connections: int) -> dict:
    header = [f"--header=Cookie: session={target.cookie}"] if target.cookie else []
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [
            wrk,
            "--threads=2",
            f"--connections={connections}",
            f"--duration={seconds}s",
            "--timeout=5s",
            "--latency",
            *header,
            f"http://{HOST}:{port}{target.path}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return parse_wrk(result.stdout)


def run(
    url: str,
    targets: list[Target],
    seconds: int = 20,
    rounds: int = 2,
    connections: int = 16,
    workers: int = 2,
) -> dict:
    """Serve the app and load each target for `seconds` in all, in `rounds` turns."""
    wrk = shutil.which("wrk")
    if not wrk:
        return {"missing": "wrk is not installed (Debian: apt-get install wrk)"}
    process, port = start_gunicorn(url, workers)
    backend = procstat.backends(url)
    try:
        for target in targets:
            target.prepare(port)
        worker_pids = procstat.children(process.pid)
        per_run = max(1, round(seconds / rounds))
        for _ in range(rounds):
            for target in targets:
                db_pids = backend.pids() if backend else []
                load, speed = procstat.load(), procstat.speed_ms()
                cpu, db_cpu = procstat.cpu_seconds(worker_pids), procstat.cpu_seconds(db_pids)
                figures = _wrk(wrk, port, target, per_run, connections)
                figures["cpu"] = procstat.cpu_seconds(worker_pids) - cpu
                if backend:
                    figures["db_cpu"] = procstat.cpu_seconds(db_pids) - db_cpu
                figures["seconds"] = per_run
                figures["load"] = load
                figures["speed_ms"] = speed
                target.runs.append(figures)
    finally:
        if backend:
            backend.close()
        stop(process)
    return {
        "entry_point": ENTRY_POINT,
        "workers": workers,
        "connections": connections,
        **{t.name: t.summary() for t in targets},
    }
