"""What the benchmark scripts share: paths, sizes, percentiles, child processes, sign-in."""

import http.client
import json
import math
import os
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The demo's shared password (skills/demo.py); every bench login uses it.
PASSWORD = "practice-makes-progress"  # noqa: S105 - demo data only
# Both the in-process app and the served app sign cookies with this key.
SECRET_KEY = "bench-only-not-a-secret-but-32-bytes-long"  # noqa: S105 - production mode wants 32+

FULL_SIZES = {"mentees": 5000, "mentors": 100, "case_managers": 20, "months": 24, "seed": 7}
QUICK_SIZES = {"mentees": 1000, "mentors": 20, "case_managers": 4, "months": 12, "seed": 7}
# Extra case managers the harness adds, so both caseload sizes of the issue exist.
BIG_CASELOAD = 500
SMALL_CASELOAD = 50

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: p99 of 200 samples is the 198th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary_ms(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(max(ms), 2),
    }


def app_env(database_url: str) -> dict:
    """The environment an app process of the benchmark runs with."""
    env = {k: v for k, v in os.environ.items() if k not in ("SKILLS_ENV", "FLASK_APP")}
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, PYTHONPATH=str(ROOT))
    return env


def run_child(script: str, args: list[str], env: dict, timeout: float) -> dict:
    """Run `python bench/<script> ...` and return the JSON object on its last line."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and scripts
        [sys.executable, str(BENCH / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise RuntimeError(f"bench/{script} {' '.join(args)} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def sign_in_http(host: str, port: int, username: str, timeout: float = 10) -> str:
    """Sign in to a running server; return the `session` cookie value."""

    def request(method: str, path: str, body: str | None = None, cookie: str = ""):
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        headers = {"Cookie": cookie} if cookie else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read().decode()
        conn.close()
        return response, data

    def cookie_of(response, fallback: str) -> str:
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                return value.split(";", 1)[0]
        return fallback

    response, page = request("GET", "/login")
    cookie = cookie_of(response, "")
    token = CSRF.search(page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD})
    response, _ = request("POST", "/login", form, cookie)
    if response.status != 302:
        raise RuntimeError(f"sign-in as {username} failed: HTTP {response.status}")
    return cookie_of(response, cookie).split("=", 1)[1]
