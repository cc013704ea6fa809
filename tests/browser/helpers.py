"""Helpers and constants shared by the browser tests."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyotp

ROOT = Path(__file__).resolve().parents[2]
CURRICULUM = ROOT / "curriculum" / "daily-living.yaml"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PASSWORD = "browser-test-pass-1"
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Offline and quiet: no first-run, sync, component updates or background fetches.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
NARROW = {"width": 320, "height": 800}


@dataclass
class Site:
    """The running app and the people and records the tests use (plain values)."""

    url: str
    mentor: str
    mentee: str
    case_manager: str
    admin: str
    two_step: str
    totp_secret: str
    unlinked_mentee: str
    newcomer: str  # a mentor who turns on two-step sign-in
    mentee_id: int
    mentee_name: str
    skill_id: int  # a skill the mentee has history on
    new_skill_id: int  # a skill the mentee has not started (signed off by one test)
    keyboard_skill_id: int  # another one (signed off by the keyboard test)
    event_id: int  # a sign-off by the mentor, open to correction
    report_id: int  # an open "I did it"
    mentor_user_id: int
    reply_skill_id: int  # an "I did it" the mentor answered with a reply
    recheck_skill_id: int  # signed off, with a re-check date
    did_it_skill_ids: tuple[int, ...]  # not started: for "I did it" (one per test that sends)
    shared_note_id: int  # a session note the mentee may read and comment on
    spanish_mentee: str  # people whose language is Spanish
    spanish_mentor: str
    spanish_admin: str
    time_zone: str  # the organization's

    def __call__(self, path: str) -> str:
        return self.url + path


def sign_in(page, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()  # waits for the next page to load
    assert "/login" not in page.url, f"{username} could not sign in"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def code_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()
