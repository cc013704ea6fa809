"""Browser tests: the app served on 127.0.0.1 from a thread, driven by Debian's Chromium.

Playwright never downloads a browser here: it launches the `chromium` package's binary.
Without Chromium or Playwright the tests skip locally and fail in CI (CI is set there).
The data is the demo organisation (real curriculum, six months of history) plus a few
extras the pages need: an open "I did it", local details on a skill, a login with
two-step sign-in and a mentee login with no record yet.
"""

import logging
import os
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select

from skills import create_app
from skills.demo import create_demo
from skills.extensions import db
from skills.models import Mentee, SignoffEvent, Skill, SkillStatus, User
from skills.models.session_notes import SessionNote
from skills.services import curriculum as curriculum_service
from skills.services import people, voice

from ..thread_server import served
from .helpers import CHROMIUM, CHROMIUM_ARGS, CURRICULUM, PASSWORD, PHONE, Site


def missing(reason: str):
    """Skip on a developer's machine; in CI a missing browser is a failed run."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs them)")
    pytest.skip(reason)


def _seed() -> dict:
    """Demo data plus the extras; returns plain values for `Site`."""
    curriculum_service.load_files([CURRICULUM])
    demo = create_demo(mentees=10, mentors=2, case_managers=2, months=6, seed=1, password=PASSWORD)
    org = demo.organisation
    mentor = db.session.scalar(select(User).where(User.username == "mentor1"))
    mentee = db.session.scalar(
        select(Mentee).join(User, User.id == Mentee.user_id).where(User.username == "mentee01")
    )
    two_step = people.create_user(org, "twostep", "Tay Twostep", PASSWORD, ["mentor"])
    two_step.totp_secret = pyotp.random_base32()
    people.create_user(org, "newmentee", "Noor Newcomer", PASSWORD, ["mentee"])
    people.create_user(org, "stepnew", "Sam Stepnew", PASSWORD, ["mentor"])  # turns two-step on
    statuses = {
        s.skill_id: s
        for s in db.session.scalars(select(SkillStatus).where(SkillStatus.mentee_id == mentee.id))
    }
    skills = list(db.session.scalars(select(Skill).order_by(Skill.domain_id, Skill.position)))
    fresh = [s for s in skills if s.id not in statuses]
    event = db.session.scalar(
        select(SignoffEvent)
        .where(SignoffEvent.mentee_id == mentee.id, SignoffEvent.recorded_by_id == mentor.id)
        .order_by(SignoffEvent.id.desc())
    )
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    voice.set_resource(org.id, event.skill, "Transit office, 12 Main St. Open 9 to 5.", admin)
    mentee_user = db.session.get(User, mentee.user_id)
    report = voice.report_did_it(mentee, fresh[1], "I did it at the store today.", mentee_user)
    # Issue 15's voice both ways: a claim the mentor answered in words.
    replied = voice.report_did_it(mentee, fresh[2], "I paid it on my own.", mentee_user)
    voice.reply_did_it(replied, mentor, "Good start! Next time, keep the receipt.")
    # A skill with a re-check the mentee can do now: "next re-check on" shows.
    recheck = next(
        s for s in skills if s.recheck_days and s.id in statuses and statuses[s.id].signed_off
    )
    shared_note = db.session.scalar(
        select(SessionNote)
        .where(SessionNote.mentee_id == mentee.id, SessionNote.note_visibility == "mentee")
        .order_by(SessionNote.id.desc())
    )
    # Pages in Spanish: a mentee, a mentor and an admin who chose it as their language.
    for username in ("mentee02", "mentor2"):
        db.session.scalar(select(User).where(User.username == username)).language = "es"
    people.create_user(org, "adminsp", "Ana Administradora", PASSWORD, ["admin"]).language = "es"
    db.session.commit()
    assert report.status == "open" and event is not None and shared_note is not None
    return {
        "mentor": "mentor1",
        "mentee": "mentee01",
        "case_manager": "casemanager1",
        "admin": "admin",
        "two_step": "twostep",
        "totp_secret": two_step.totp_secret,
        "unlinked_mentee": "newmentee",
        "newcomer": "stepnew",
        "mentee_id": mentee.id,
        "mentee_name": mentee.name,
        "skill_id": event.skill_id,
        "new_skill_id": fresh[0].id,
        "keyboard_skill_id": fresh[3].id,
        "event_id": event.id,
        "report_id": report.id,
        "mentor_user_id": mentor.id,
        "reply_skill_id": fresh[2].id,
        "recheck_skill_id": recheck.id,
        "did_it_skill_ids": (fresh[4].id, fresh[5].id, fresh[6].id),
        "shared_note_id": shared_note.id,
        "spanish_mentee": "mentee02",
        "spanish_mentor": "mentor2",
        "spanish_admin": "adminsp",
        "time_zone": org.time_zone,
    }


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The app with demo data, served on a free port of 127.0.0.1 for the whole run."""
    folder = tmp_path_factory.mktemp("browser")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'app.sqlite'}",
            "CURRICULUM_DIR": CURRICULUM.parent,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
            "SQLITE_SYNCHRONOUS": "OFF",
        }
    )
    with app.app_context():
        db.create_all()
        values = _seed()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with served(app) as url:
        yield Site(url=url, **values)
    with app.app_context():
        db.engine.dispose()


def _click_then_load(click):
    """A click that waits for the page it opens to load, not only to start loading.

    Playwright's click returns once a navigation it started has committed: the URL is
    new but the document may be half parsed, so `count()` or `is_visible()` right after
    reads a partial page (a CI run saw an empty history list that way). After a click
    that opened nothing, the current page is loaded already and this returns at once.
    """

    def click_and_load(self, *args, **kwargs):
        click(self, *args, **kwargs)
        self.page.wait_for_load_state()

    return click_and_load


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright (never a browser Playwright downloads)."""
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import Locator, sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    Locator.click = _click_then_load(Locator.click)  # type: ignore[method-assign]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, site):
    """Open a page in a fresh context (no cookies) at a viewport; closed after the test."""
    contexts = []

    def open_page(viewport=PHONE):
        context = browser.new_context(
            base_url=site.url, viewport=viewport, accept_downloads=True, locale="en-US"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
