"""The four workflows again with the keyboard alone (Tab, Shift+Tab, Enter, Space and the
arrow keys inside a radio group). Every element that takes focus on the way must show a
visible focus ring, be on screen, and come after the one before it in reading order."""

import re
from pathlib import Path

import pytest

from .helpers import DESKTOP, PASSWORD, PHONE, screenshot
from .test_workflows import bad_curriculum

# What the focused element is and how it looks; `window.__lastFocus` remembers the one
# before, so each step can check that focus moved forward in document order.
FOCUS_INFO = """() => {
  const el = document.activeElement;
  const prev = window.__lastFocus;
  window.__lastFocus = el;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    name: el.getAttribute('name') || '',
    value: el.value || '',
    href: el.getAttribute('href') || '',
    text: (el.innerText || el.value || '').trim().slice(0, 80),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    onScreen: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0
      && rect.top < innerHeight && rect.left < innerWidth,
    forward: !prev || !document.contains(prev) || prev === el
      || !!(prev.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
  };
}"""


class Keyboard:
    """Tabs through a page, checking every stop, until it reaches the wanted element."""

    def __init__(self, page):
        self.page = page
        self.stops: list[dict] = []

    def start(self) -> None:
        """A fresh page: focus starts from the top of the document."""
        self.page.evaluate("() => { window.__lastFocus = null; }")

    def check(self, info: dict) -> None:
        where = f"{self.page.url} {info['tag']} {info['text']!r}"
        assert info["outlineStyle"] != "none" and info["outlineWidth"] >= 2, (
            f"no visible focus ring on {where}"
        )
        assert info["onScreen"], f"focused element is off screen: {where}"
        assert info["forward"], f"focus went backwards to {where}"

    def tab_to(self, matches, limit: int = 250) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            info = self.page.evaluate(FOCUS_INFO)
            self.stops.append(info)
            self.check(info)
            if matches(info):
                return info
        raise AssertionError(f"Tab never reached the element on {self.page.url}")

    def activate(self, key: str = "Enter") -> None:
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.start()


def link_to(pattern: str):
    return lambda info: info["tag"] == "a" and re.search(pattern, info["href"])


def button(text: str):
    return lambda info: info["tag"] == "button" and info["text"] == text


def field(name: str):
    return lambda info: info["name"] == name


def sign_in_by_keyboard(page, keys: Keyboard, username: str) -> None:
    page.goto("/login")
    keys.start()
    first = keys.tab_to(lambda info: True)
    assert first["text"] == "Skip to main content", "the skip link comes first"
    keys.tab_to(field("username"))
    page.keyboard.type(username)
    keys.tab_to(field("password"))
    page.keyboard.type(PASSWORD)
    keys.activate("Enter")  # Enter in a field submits its form
    assert "/login" not in page.url


@pytest.fixture
def keyboard_page(new_page):
    def open_page(viewport):
        page = new_page(viewport)
        return page, Keyboard(page)

    return open_page


def test_skip_link_moves_focus_to_the_main_content(keyboard_page, site):
    page, keys = keyboard_page(PHONE)
    sign_in_by_keyboard(page, keys, site.mentee)
    keys.tab_to(lambda info: info["text"] == "Skip to main content")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    keys.start()
    after = keys.tab_to(lambda info: True)
    assert after["href"] != "/" and "Skills tracker" not in after["text"], "past the header"


def test_mentor_signs_off_by_keyboard(keyboard_page, site):
    page, keys = keyboard_page(PHONE)
    sign_in_by_keyboard(page, keys, site.mentor)
    keys.tab_to(link_to(rf"^/mentees/{site.mentee_id}$"))
    keys.activate()
    keys.tab_to(link_to(rf"/skills/{site.keyboard_skill_id}$"))
    keys.activate()
    first = keys.tab_to(field("level"))
    assert first["value"] == "0"
    for _ in range(3):  # arrow keys move through a radio group and choose
        page.keyboard.press("ArrowDown")
    chosen = page.evaluate(FOCUS_INFO)
    keys.check(chosen)
    assert chosen["value"] == "3"
    keys.tab_to(field("note"))
    page.keyboard.type("Shown at the bank, by keyboard.")
    keys.tab_to(button("Save sign-off"))
    screenshot(page, "keyboard-mentor-before-save-phone")
    keys.activate("Space")
    assert page.get_by_role("status").inner_text().startswith("Saved: ")
    assert "Can do it on my own" in page.locator(f"#skill-{site.keyboard_skill_id}").inner_text()


def test_mentee_reads_progress_by_keyboard(keyboard_page, site):
    page, keys = keyboard_page(PHONE)
    sign_in_by_keyboard(page, keys, site.mentee)
    assert page.url.endswith("/me/")
    keys.tab_to(link_to(r"^/me/skills/\d+$"))
    keys.activate()
    keys.tab_to(link_to(r"^/me/$"))  # "Back to my progress"
    keys.activate()
    keys.tab_to(link_to(r"^/me/history$"))
    keys.activate()
    assert page.url.endswith("/me/history")
    screenshot(page, "keyboard-mentee-history-phone")


def test_case_manager_downloads_by_keyboard(keyboard_page, site):
    page, keys = keyboard_page(DESKTOP)
    sign_in_by_keyboard(page, keys, site.case_manager)
    keys.tab_to(link_to(rf"^/mentees/{site.mentee_id}$"))
    keys.activate()
    # The whole history first (a link), then the report form: its period, copy, and PDF.
    keys.tab_to(link_to(r"/history\.csv$"))
    with page.expect_download() as history:
        page.keyboard.press("Enter")
    assert Path(history.value.path()).read_bytes().decode("utf-8-sig").startswith("record")
    keys.tab_to(button("Progress report (PDF)"))
    with page.expect_download() as pdf:
        page.keyboard.press("Enter")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")


def test_admin_uploads_a_curriculum_by_keyboard(keyboard_page, site):
    page, keys = keyboard_page(DESKTOP)
    # Playwright turns on the browser's file-chooser interception without waiting
    # for it, when the first listener is added. Added only at the key press (as
    # expect_file_chooser does) it can arrive after the press, and the chooser
    # then never reaches the test (CI timed out once). Listening from the start
    # turns it on long before.
    page.on("filechooser", lambda _chooser: None)
    sign_in_by_keyboard(page, keys, site.admin)
    keys.tab_to(link_to(r"^/admin/curriculum/upload$"))
    keys.activate()
    keys.tab_to(lambda info: info["type"] == "file")
    content, line = bad_curriculum()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(
        {"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": content}
    )
    keys.tab_to(button("Check and load"))
    keys.activate()
    assert f"bad.yaml:{line}: " in page.get_by_role("alert").inner_text()
    screenshot(page, "keyboard-admin-upload-error-desktop")
