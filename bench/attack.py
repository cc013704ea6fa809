"""Rerun issue #14's attacks on a real server: `python bench/attack.py [--db sqlite|postgresql]`.

Builds a demo database the README's way (`flask setup --demo`), serves it with gunicorn
in production mode (SKILLS_ENV=production, two workers) and sends what the outside test
sent: curriculum bombs, password guessing, username timing, tampering, bad bytes and
concurrent requests. Prints one row per attack: what was sent, what came back (status,
time, counts) and whether it held. On PostgreSQL the server connects as the restricted
role `skills_app` that docs/deployment.md describes; migrations run as the owner.

Not a test (it takes a minute and its timings depend on the machine); tests/ hold the
deterministic versions of each check. Exit status 1 if any attack was not held.
"""

# ruff: noqa: S105, S106, S607 (demo passwords, wrong guesses, psql from PATH: a bench)
import argparse
import concurrent.futures
import html
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyotp
import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "practice-makes-progress"  # the demo accounts' (README)
SECRET_KEY = "attack-bench-" + "k" * 40
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432"
RESULTS: list[tuple[str, str, bool]] = []


def report(attack: str, result: str, held: bool) -> None:
    RESULTS.append((attack, result, held))
    print(f"{'held ' if held else 'FAIL '} {attack}: {result}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: str, work: Path):
        self.db, self.work = db, work
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        if db == "sqlite":
            self.owner_url = f"sqlite:///{work / 'skills.sqlite'}"
            self.app_url = self.owner_url
        else:
            name = f"attack_{os.getpid()}"
            self.pg_name = name
            psql("postgres", f"DROP DATABASE IF EXISTS {name}")
            psql("postgres", f"CREATE DATABASE {name}")
            self.owner_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            self.app_url = f"postgresql+psycopg://skills_app:skills_app@127.0.0.1:5432/{name}"
        # PYTHONPATH: the server runs this checkout's code, whatever pip installed.
        self.env = {**os.environ, "SECRET_KEY": SECRET_KEY, "FLASK_APP": "skills"}
        self.env["PYTHONPATH"] = str(ROOT)
        self.env.pop("SKILLS_ENV", None)

    def flask(self, *args: str, url: str | None = None, production: bool = False) -> str:
        env = {**self.env, "DATABASE_URL": url or self.owner_url}
        if production:
            env["SKILLS_ENV"] = "production"
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "flask", *args],
            env=env,
            cwd=self.work,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout + done.stderr

    def prepare(self) -> None:
        out = self.flask("setup", "--demo")
        if "mentee01" not in out:
            sys.exit(f"setup --demo failed:\n{out[-2000:]}")
        if self.db == "postgresql":
            ensure_app_role(self.pg_name)

    def start(self) -> None:
        env = {**self.env, "DATABASE_URL": self.app_url, "SKILLS_ENV": "production"}
        self.log = (self.work / "gunicorn.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}"]
            + ["skills.wsgi:app"],
            env=env,
            cwd=self.work,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(200):
            try:
                if requests.get(self.base + "/health/live", timeout=5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        sys.exit("gunicorn did not start: " + (self.work / "gunicorn.log").read_text()[-2000:])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        if self.db == "postgresql":
            psql("postgres", f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)")


def psql(database: str, sql: str, user: str = "postgres", password: str = "") -> tuple[int, str]:
    env = {**os.environ, "PGPASSWORD": password} if password else dict(os.environ)
    done = subprocess.run(  # noqa: S603, S607
        ["psql", "-h", "127.0.0.1", "-U", user, "-d", database, "-tA", "-c", sql],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).strip()


def ensure_app_role(database: str) -> None:
    """The restricted role of docs/deployment.md ("Two roles"), with the grants the app
    itself prints for it (skills/models/append_only.py)."""
    sys.path.insert(0, str(ROOT))
    from skills.models.append_only import app_role_grants  # noqa: PLC0415

    psql(
        "postgres",
        "DO $$ BEGIN CREATE ROLE skills_app LOGIN PASSWORD 'skills_app'; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    )
    for statement in app_role_grants("skills_app", "postgres"):
        code, out = psql(database, statement)
        if code:
            sys.exit(f"{statement}: {out}")


class Client:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def _cookies(self) -> dict:
        # Production cookies are Secure; this bench talks plain HTTP to 127.0.0.1 (as a
        # TLS-terminating proxy would), so send them by hand.
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)}

    def get(self, path: str, **kw) -> requests.Response:
        follow = kw.pop("follow", True)
        response = self.http.get(self.base + path, headers=self._cookies(), allow_redirects=False)
        while follow and response.is_redirect:
            target = response.headers["Location"].replace(self.base, "")
            response = self.http.get(
                self.base + target, headers=self._cookies(), allow_redirects=False
            )
        return response

    def form(self, path: str, has: str = "") -> dict:
        """The fields (with their values) of the first POST form on a page that holds
        `has` (the header's sign-out form comes first on every page)."""
        page = self.get(path).text
        forms = re.findall(r"(<form[^>]*method=\"post\"[^>]*>.*?</form>)", page, re.S | re.I)
        chosen = [f for f in forms if has in f]
        if not chosen:
            raise RuntimeError(f"no form with {has!r} on {path}")
        body = chosen[0]
        fields: dict = {}
        for tag in re.findall(r"<input[^>]*>", body):
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            kind = re.search(r'type="([^"]+)"', tag)
            if not name or (kind and kind.group(1) in ("checkbox", "radio", "submit")):
                if name and kind and kind.group(1) in ("radio",) and "checked" in tag:
                    fields[name.group(1)] = html.unescape(value.group(1)) if value else "on"
                continue
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
        for name, inner in re.findall(
            r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S
        ):
            options = re.findall(r"<option[^>]*>", inner)
            chosen = [o for o in options if re.search(r"\bselected\b", o)] or options[:1]
            value = re.search(r'value="([^"]*)"', chosen[0]) if chosen else None
            fields[name] = html.unescape(value.group(1)) if value else ""
        for name in re.findall(r'<textarea[^>]*name="([^"]+)"', body):
            fields[name] = ""
        return fields

    def post(self, path: str, data: dict, files: dict | None = None, **kw) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, files=files, headers=self._cookies(), allow_redirects=False
        )

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        fields = self.form("/login", "username")
        fields.update(username=username, password=password)
        return self.post("/login", fields)


def signed_in(client: Client, username: str) -> Client:
    response = client.login(username)
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not sign in: {response.status_code}")
    return client


def timed(call):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


# --- 1. curriculum files ----------------------------------------------------------------


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    return text + "# " + "x" * (6800 - len(text)) + "\n"


def curriculum_attacks(server: Server) -> None:
    admin = signed_in(Client(server.base), "admin")
    cases = {
        "alias bomb (6.8 KB)": alias_bomb(),
        "unknown tag !foo": "domains: !foo\n  - x\n",
        "python tag": "domains: !!python/object/apply:os.system ['true']\n",
        "!!int x": "version: !!int x\n",
        "5,000-deep nesting": "domains: " + "[" * 5000 + "]" * 5000 + "\n",
        "huge integer": "version: " + "9" * 5000 + "\n",
    }
    for name, text in cases.items():
        fields = admin.form("/admin/curriculum/upload", 'type="file"')
        file_field = "file" if "file" not in fields else "file"
        (response, took) = timed(
            lambda t=text, f=fields, ff=file_field: admin.post(
                "/admin/curriculum/upload",
                {k: v for k, v in f.items() if k != ff},
                files={ff: ("bad.yaml", t.encode(), "application/x-yaml")},
            )
        )
        line_message = re.search(r"bad\.yaml:\d+", response.text)
        held = response.status_code < 500 and took < 1.0 and bool(line_message)
        held = held and len(response.content) < 200_000
        report(
            f"upload {name}",
            f"{response.status_code} in {took * 1000:.0f} ms, {len(response.content):,} bytes, "
            f"message {line_message.group(0) if line_message else 'without file:line'}",
            held,
        )
    bomb = server.work / "bomb.yaml"
    bomb.write_text(alias_bomb())
    out, took = timed(lambda: server.flask("curriculum", "check", str(bomb)))
    _, start_up = timed(lambda: server.flask("curriculum", "check", "--help"))
    report(
        "flask curriculum check on the alias bomb",
        f"{took:.2f} s, of which {start_up:.2f} s is the command's start-up (--help); "
        f"{len(out):,} characters: {out.strip().splitlines()[0][:100]}",
        took - start_up < 1 and len(out) < 5000 and "bomb.yaml:" in out,
    )


# --- 2. guessing ------------------------------------------------------------------------


def guessing_attacks(server: Server) -> None:
    admin = signed_in(Client(server.base), "admin")
    person = count(server, "SELECT id FROM users WHERE username = 'mentor5'")
    refused = []
    for weak in ("Password1!", "Summer2024", "changeme1", "Baseball2023!", "qwerty123456"):
        if person:
            path = f"/admin/people/{person}/password"
            fields = admin.form(path, "password")
            for key in fields:
                if "password" in key or key in ("new", "confirm"):
                    fields[key] = weak
            response = admin.post(path, fields)
            refused.append(response.status_code != 302)
    report(
        "weak passwords set by an admin",
        f"{sum(refused)} of {len(refused)} refused (Password1!, Summer2024, changeme1, ...)",
        bool(refused) and all(refused),
    )

    # Equal work for known and unknown usernames (throttles cleared between tries, so
    # both are checked in full: all of this bench's clients share 127.0.0.1).
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(12):
        for kind, name in (("known", f"mentee{10 + i:02d}"), ("unknown", f"nobody{i:03d}")):
            execute(server, "DELETE FROM sign_in_throttles")
            fresh = Client(server.base)
            fields = fresh.form("/login", "username")
            fields.update(username=name, password="wrong-password-42")
            _, took = timed(lambda f=fields, c=fresh: c.post("/login", f))
            times[kind].append(took)
    known, unknown = (statistics.median(times[k]) * 1000 for k in ("known", "unknown"))
    report(
        "sign-in time, known vs unknown username (medians of 12)",
        f"{known:.0f} ms vs {unknown:.0f} ms (ratio {known / unknown:.2f})",
        0.67 < known / unknown < 1.5,
    )

    # 40 concurrent guesses at one account: counted atomically, so at most its budget
    # (5 a minute) is checked, whatever the timing.
    execute(server, "DELETE FROM sign_in_throttles")
    owner = signed_in(Client(server.base), "mentee30")
    owner.post("/logout", owner.form("/account/"))  # any form carries a CSRF token

    def guess(_: int) -> str:
        response = Client(server.base).login("mentee30", "not-the-password-9")
        return throttled_or_checked(response)

    with concurrent.futures.ThreadPoolExecutor(40) as pool:
        outcomes = list(pool.map(guess, range(40)))
    report(
        "40 concurrent guesses at one account",
        f"{outcomes.count('checked')} checked, {outcomes.count('throttled')} throttled",
        outcomes.count("checked") <= 5,
    )
    # The owner comes from elsewhere: forget this address's count, keep the account's.
    execute(server, "DELETE FROM sign_in_throttles WHERE scope <> 'account'")
    response = owner.login("mentee30")
    report(
        "owner signs in (device cookie) while the account is throttled",
        f"status {response.status_code}",
        response.status_code == 302,
    )
    stranger = Client(server.base).login("mentee30")
    report(
        "a new device with the right password while the account is throttled",
        f"{throttled_or_checked(stranger)} (status {stranger.status_code}); OWASP's device "
        "cookie keeps the owner in, a new device waits out the minute",
        throttled_or_checked(stranger) == "throttled",
    )

    # One client, many accounts, wrong password each: the per-address budget must bite.
    execute(server, "DELETE FROM sign_in_throttles")
    client = Client(server.base)
    statuses = [
        throttled_or_checked(client.login(f"mentee{i:02d}", "wrong-password-123"))
        for i in range(1, 39)
    ]
    first = statuses.index("throttled") + 1 if "throttled" in statuses else None
    report(
        "one client tries 38 accounts back to back",
        f"{statuses.count('checked')} checked, {statuses.count('throttled')} throttled"
        + (f" (from attempt {first})" if first else ""),
        first is not None and first <= 21,
    )


def throttled_or_checked(response: requests.Response) -> str:
    return "throttled" if "Too many" in response.text or response.status_code == 429 else "checked"


def two_step_attacks(server: Server) -> None:
    admin = signed_in(Client(server.base), "admin")
    fields = admin.form("/admin/settings", "two_step")
    required = [k for k in fields if "two_step" in k or "require" in k]
    page = admin.get("/admin/settings").text
    boxes = checkboxes(page)
    data = dict(fields)
    chosen = [(n, v) for n, v in boxes if "two" in n or "step" in n]
    payload = list(data.items()) + [(n, v) for n, v in chosen if v in ("mentor", "mentors")]
    response = admin.post("/admin/settings", payload)
    mentor = Client(server.base)
    signed = mentor.login("mentor2")
    landing = mentor.get("/").url
    report(
        "admin requires two-step for mentors; a mentor signs in",
        f"settings {response.status_code} ({required or [n for n, _ in chosen]}); mentor lands on "
        f"{landing.replace(server.base, '')}",
        signed.status_code == 302 and "two-step" in landing,
    )
    page = mentor.get("/account/two-step").text
    shown = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page)
    if not shown:
        report("two-step setup shows a secret", "no base32 secret found on the page", False)
        return
    secret = shown.group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    fields = mentor.form("/account/two-step", "code")
    fields["code"] = totp.now()
    for key in fields:
        if "password" in key:
            fields[key] = PASSWORD
    done = mentor.post("/account/two-step", fields)
    stored = stored_secrets(server)
    report(
        "TOTP secret at rest",
        f"turned on: {done.status_code} (recovery codes shown: {'ecovery code' in done.text}); "
        "secret in the database in plain text: "
        f"{secret in stored}",
        secret not in stored,
    )
    # The same code twice: the second use must be refused. (The code that turned two-step
    # on is spent already: wait for the next 30-second step.)
    time.sleep(30 - time.time() % 30 + 1)
    used = totp.now()
    first, second = Client(server.base), Client(server.base)
    results = []
    for client in (first, second):
        client.login("mentor2")
        code_fields = client.form("/login/code", "code")
        code_fields["code"] = used
        results.append(client.post("/login/code", code_fields).status_code)
    report(
        "one TOTP code used twice",
        f"statuses {results}",
        results[0] == 302 and results[1] != 302,
    )
    execute(server, "DELETE FROM sign_in_throttles")
    wrong = Client(server.base)
    wrong.login("mentor2")
    statuses = []
    for i in range(12):
        code_fields = wrong.form("/login/code", "code")
        code_fields["code"] = f"{(int(used) + 1000 + i) % 1000000:06d}"
        response = wrong.post("/login/code", code_fields)
        statuses.append(throttled_or_checked(response))
    report(
        "12 wrong codes in a row",
        f"{statuses.count('checked')} checked, {statuses.count('throttled')} throttled",
        "throttled" in statuses,
    )


def stored_secrets(server: Server) -> str:
    query = "SELECT * FROM users"
    if server.db == "sqlite":
        with sqlite3.connect(server.work / "skills.sqlite") as db:
            return repr(db.execute(query).fetchall())
    return psql(server.pg_name, query)[1]


# --- files, tampering ---------------------------------------------------------------------


def file_modes(server: Server) -> None:
    if server.db != "sqlite":
        return
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in server.work.glob("skills.sqlite*")}
    report(
        "SQLite files' modes",
        ", ".join(f"{k} {v}" for k, v in sorted(modes.items())),
        all(v == "0o600" for v in modes.values()),
    )


# A column the first round's checksum left out (recorded_by_id), rewritten in place.
REWRITE = (
    "UPDATE signoff_events SET recorded_by_id = (SELECT min(id) FROM users) "
    "WHERE id = (SELECT max(id) FROM signoff_events)"
)


def tamper_attacks(server: Server) -> None:
    if server.db == "postgresql":
        for sql in (
            "TRUNCATE audit_events",
            "UPDATE signoff_events SET level = 0",
            "DELETE FROM audit_events",
            "ALTER TABLE signoff_events DISABLE TRIGGER ALL",
            "DROP TRIGGER IF EXISTS signoff_events_append_only ON signoff_events",
        ):
            code, out = psql(server.pg_name, sql, user="skills_app", password="skills_app")
            report(f"as the app role: {sql}", out.splitlines()[0][:90] if out else "ok", code != 0)
        code, out = psql(server.pg_name, "TRUNCATE audit_events")
        report(
            "as the owner: TRUNCATE audit_events",
            out.splitlines()[0][:90] if out else "ok",
            code != 0,
        )
        triggers = psql(
            server.pg_name,
            "SELECT tgname FROM pg_trigger "
            "WHERE tgrelid = 'signoff_events'::regclass AND NOT tgisinternal",
        )[1].split()
        psql(server.pg_name, "ALTER TABLE signoff_events DISABLE TRIGGER " + triggers[0])
        out = server.flask("check")
        report(
            "owner disables a trigger; flask check",
            " ".join(out.split())[:140],
            "trigger" in out.lower() and "disabled" in out.lower(),
        )
        psql(server.pg_name, "ALTER TABLE signoff_events ENABLE TRIGGER ALL")
        psql(
            server.pg_name,
            f"ALTER TABLE signoff_events DISABLE TRIGGER USER; {REWRITE}; "
            "ALTER TABLE signoff_events ENABLE TRIGGER USER",
        )
    else:
        path = server.work / "skills.sqlite"
        with sqlite3.connect(path) as db:
            names = [
                r[0]
                for r in db.execute(
                    "SELECT name FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'signoff_events'"
                )
            ]
            for name in names:
                db.execute(f"DROP TRIGGER {name}")
            db.execute(REWRITE)
    out = server.flask("check")
    changed = [line.strip() for line in out.splitlines() if "was changed" in line]
    report(
        "who recorded a sign-off rewritten behind the app (triggers off); flask check",
        changed[0][:120] if changed else " ".join(out.split())[:160],
        bool(changed),
    )


# --- 500s ---------------------------------------------------------------------------------


def bad_bytes(server: Server) -> None:
    client = Client(server.base)
    fields = client.form("/login", "username")
    fields.update(username="ad\x00min", password="x\x00y")
    response = client.post("/login", fields)
    report(
        "NUL byte in the sign-in username and password",
        f"status {response.status_code}",
        response.status_code < 500,
    )
    admin = signed_in(Client(server.base), "admin")
    codes = []
    for path in (
        "/admin/people?q=a%00b",
        "/admin/mentees?q=%00",
        "/admin/audit?q=%00",
        "/caseload/?q=%00",
    ):
        codes.append(admin.get(path).status_code)
    fields = admin.form("/admin/people/new", "username")
    for key in fields:
        if key not in ("csrf_token", "role"):
            fields[key] = "x\x00y"
    codes.append(admin.post("/admin/people/new", fields).status_code)
    report(
        "NUL byte in search boxes and the new-person form", f"statuses {codes}", max(codes) < 500
    )
    paths = (
        "/admin/audit?until=9999-12-31",
        "/admin/audit?since=0001-01-01",
        "/admin/audit?_method=POST",
        "/admin/audit.csv?until=9999-12-31",
    )
    codes = [admin.get(p).status_code for p in paths]
    manager = signed_in(Client(server.base), "casemanager1")
    codes.append(manager.get("/caseload/report.pdf?_method=POST").status_code)
    codes.append(manager.get("/caseload/report.pdf?since=9999-12-31&until=0001-01-01").status_code)
    report(
        "far dates and ?_method=POST on the audit page and reports",
        f"statuses {codes}",
        max(codes) < 500,
    )


# --- races ----------------------------------------------------------------------------------


def race_attacks(server: Server) -> None:
    mentee = signed_in(Client(server.base), "mentee05")
    page = mentee.get("/me/").text
    skill_ids = sorted({int(i) for i in re.findall(r'href="/me/skills/(\d+)"', page)})
    areas = sorted({int(i) for i in re.findall(r'href="/me/areas/(\d+)"', page)})
    for area in areas:
        skill_ids += [
            int(i)
            for i in re.findall(r'href="/me/skills/(\d+)"', mentee.get(f"/me/areas/{area}").text)
        ]
    skill_ids = sorted(set(skill_ids))

    # 10 concurrent goal additions: at most 5 open goals.
    forms = []
    for skill_id in skill_ids:
        goal = f'action="/me/skills/{skill_id}/goal"'
        if len(forms) < 10 and goal in mentee.get(f"/me/skills/{skill_id}").text:
            forms.append((skill_id, mentee.form(f"/me/skills/{skill_id}", goal)))

    def add_goal(item: tuple[int, dict]) -> int:
        skill_id, fields = item
        return mentee.post(
            f"/me/skills/{skill_id}/goal", {"csrf_token": fields["csrf_token"]}
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(add_goal, forms))
    goals = count(
        server,
        "SELECT count(*) FROM goals g JOIN mentees m ON m.id = g.mentee_id "
        "JOIN users u ON u.id = m.user_id WHERE u.username = 'mentee05' AND g.cleared_at IS NULL",
    )
    report(
        "10 concurrent goal additions by one mentee", f"{goals} open goals afterwards", goals <= 5
    )

    # 6 concurrent confirmations of one "I did it".
    skill = skill_ids[0]
    fields = mentee.form(f"/me/skills/{skill}", "/did-it")
    did = mentee.post(
        f"/me/skills/{skill}/did-it", {"csrf_token": fields["csrf_token"], "note": "bench"}
    )
    newest = count(server, "SELECT max(id) FROM did_it_reports")
    found, mentor_name = None, ""
    for name in ("mentor1", "mentor3", "mentor4", "mentor5", "mentor2"):
        probe = signed_in(Client(server.base), name)
        if f'href="/mentor/did-it/{newest}"' in probe.get("/mentor/").text:
            found, mentor_name = (probe, newest), name
            break
    if not found:
        report(
            "6 concurrent confirmations of one 'I did it'",
            f"no did-it report reached a mentor (post {did.status_code})",
            False,
        )
    else:
        mentor, report_id = found
        path = f"/mentor/did-it/{report_id}"
        fields = mentor.form(path, "confirm-level")
        level = re.findall(r'name="confirm-level"[^>]*value="(\d+)"', mentor.get(path).text)
        fields["confirm-level"] = level[-1]
        fields["confirm-confirm_lower"] = "y"
        before = count(server, "SELECT count(*) FROM signoff_events")

        def confirm(_: int) -> int:
            return mentor.post(path, fields).status_code

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(confirm, range(6)))
        made = count(server, "SELECT count(*) FROM signoff_events") - before
        report(
            f"6 concurrent confirmations of one 'I did it' ({mentor_name})",
            f"statuses {sorted(statuses)}; {made} sign-off(s) created",
            made == 1,
        )

    # The group-session form posted twice (same rendered form): no doubled sign-offs.
    mentor = signed_in(Client(server.base), "mentor1")
    page = mentor.get("/mentor/group").text
    has_key = 'name="idempotency_key"' in page
    fields = mentor.form("/mentor/group", "idempotency_key")
    fields["skill_id"] = re.findall(r'<option[^>]*value="(\d+)"', page.split('name="skill_id"')[1])[
        0
    ]
    boxes = [(n, v) for n, v in checkboxes(page) if n.startswith("attend-")]
    payload = list(fields.items()) + boxes[:3]
    before = count(server, "SELECT count(*) FROM signoff_events")
    sessions = count(server, "SELECT count(*) FROM group_sessions")
    first = mentor.post("/mentor/group", payload).status_code
    second = mentor.post("/mentor/group", payload).status_code
    made = count(server, "SELECT count(*) FROM signoff_events") - before
    sessions = count(server, "SELECT count(*) FROM group_sessions") - sessions
    report(
        "group-session form (3 attending) posted twice",
        f"idempotency key rendered: {has_key}; statuses {first}, {second}; {made} sign-off(s) "
        f"and {sessions} group session(s) created",
        has_key and first == second == 302 and made <= 3 and sessions == 1,
    )


def execute(server: Server, sql: str) -> None:
    if server.db == "sqlite":
        with sqlite3.connect(server.work / "skills.sqlite") as db:
            db.execute(sql)
    else:
        psql(server.pg_name, sql)


def checkboxes(page: str) -> list[tuple[str, str]]:
    """(name, value) of every checkbox on a page, whatever the attributes' order."""
    found = []
    for tag in re.findall(r"<input[^>]*>", page):
        if 'type="checkbox"' in tag:
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            found.append((name.group(1) if name else "", value.group(1) if value else "on"))
    return found


def count(server: Server, sql: str) -> int:
    if server.db == "sqlite":
        with sqlite3.connect(server.work / "skills.sqlite") as db:
            return int(db.execute(sql).fetchone()[0])
    code, out = psql(server.pg_name, sql)
    if code:
        raise RuntimeError(out)
    return int(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for db in databases:
        print(f"\n== {db} (load average {os.getloadavg()[0]:.2f})", flush=True)
        with tempfile.TemporaryDirectory(prefix="attack-") as work:
            server = Server(db, Path(work))
            server.prepare()
            server.start()
            try:
                for attack in (
                    file_modes,
                    curriculum_attacks,
                    bad_bytes,
                    race_attacks,
                    two_step_attacks,
                    guessing_attacks,
                    tamper_attacks,
                ):
                    # Every client here is 127.0.0.1: start each attack with no throttle
                    # left by the one before, as separate attackers would.
                    execute(server, "DELETE FROM sign_in_throttles")
                    try:
                        attack(server)
                    except Exception as exc:  # noqa: BLE001 (a broken attack is a finding too)
                        report(attack.__name__, f"could not run: {exc!r}"[:200], False)
            finally:
                server.stop()
    failed = [r for r in RESULTS if not r[2]]
    print(f"\n{len(RESULTS) - len(failed)} held, {len(failed)} not held")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
