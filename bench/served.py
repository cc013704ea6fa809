"""Served load: gunicorn on 127.0.0.1 and wrk against one page, signed in.

Everything is bounded: the server gets 30 s to answer /health, wrk runs for a fixed
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

from common import BENCH, ROOT, app_env, sign_in_http

HOST = "127.0.0.1"
GUNICORN_CONFIG = BENCH / "gunicorn_bench.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
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


def start_gunicorn(url: str, workers: int, freeze: bool) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = app_env(url)
    env["BENCH_GC_FREEZE"] = "1" if freeze else ""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(GUNICORN_CONFIG),
        "--workers",
        str(workers),
        "--bind",
        f"{HOST}:{port}",
        "skills:create_app()",
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
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_second": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else None,
        "p50_ms": _ms(*p50.groups()) if p50 else None,
        "p99_ms": _ms(*p99.groups()) if p99 else None,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def run(
    url: str,
    username: str,
    path: str,
    expect: str,
    seconds: int = 20,
    connections: int = 16,
    workers: int = 2,
    freeze: bool = True,
) -> dict:
    """Serve the app with gunicorn and load `path` with wrk as `username`."""
    wrk = shutil.which("wrk")
    if not wrk:
        return {"missing": "wrk is not installed (Debian: apt-get install wrk)"}
    process, port = start_gunicorn(url, workers, freeze)
    try:
        cookie = sign_in_http(HOST, port, username)
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        conn.request("GET", path, headers={"Cookie": f"session={cookie}"})
        response = conn.getresponse()
        body = response.read().decode()
        if response.status != 200 or expect not in body:
            raise RuntimeError(f"GET {path} as {username}: HTTP {response.status}")
        result = subprocess.run(  # noqa: S603 - a fixed command line
            [
                wrk,
                "--threads",
                "2",
                "--connections",
                str(connections),
                "--duration",
                f"{seconds}s",
                "--timeout",
                "5s",
                "--latency",
                "--header",
                f"Cookie: session={cookie}",
                f"http://{HOST}:{port}{path}",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
        figures = parse_wrk(result.stdout)
    finally:
        stop(process)
    return {
        "path": path,
        "as": username,
        "workers": workers,
        "connections": connections,
        "seconds": seconds,
        "gc_freeze": freeze,
        "bytes": len(body),
        **figures,
    }
