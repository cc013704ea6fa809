"""Every page, for every role: axe-core (WCAG 2.0/2.1 A and AA) at a phone and a desktop
size, reflow at 320 CSS pixels, touch targets of 44 px or more at phone size, and no
errors in the browser console (a load the Content-Security-Policy blocks shows up there).

axe-core comes pinned inside the PyPI package axe-playwright-python; it is injected with
Playwright's evaluate, which goes through the DevTools protocol, so the page's CSP (no
inline script) does not stop it.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from .helpers import DESKTOP, NARROW, PASSWORD, PHONE, code_now, screenshot, sign_in
from .test_workflows import bad_curriculum

AXE_VERSION = "4.12.1"  # the version axe-playwright-python 0.1.8 bundles (pinned in setup.cfg)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@dataclass
class Visit:
    """A page state to check: a path to open, or steps that get the page there."""

    name: str
    path: str | None = None
    steps: Callable | None = None
    status: int = 200


def submit(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def _sign_off_with_errors(page, site):
    page.goto(f"/mentees/{site.mentee_id}/skills/{site.skill_id}")
    page.get_by_label("Date shown").fill("")
    submit(page, "Save sign-off")


def _two_step_code_page(page, site):
    page.goto("/login")
    page.get_by_label("Username").fill(site.two_step)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Sign in")
    assert page.url.endswith("/login/code")


def _two_step_wrong_code(page, site):
    _two_step_code_page(page, site)
    wrong = "000000" if code_now(site.totp_secret) != "000000" else "111111"
    page.get_by_label("6-digit code").fill(wrong)
    submit(page, "Sign in")


def _login_error(page, site):
    page.goto("/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("not the password")
    submit(page, "Sign in")


def _password_errors(page, site):
    page.goto("/account/password")
    submit(page, "Change password")


def _person_errors(page, site):
    page.goto("/admin/people/new")
    submit(page, "Add person")


def _upload_errors(page, site):
    page.goto("/admin/curriculum/upload")
    content, _ = bad_curriculum()
    page.locator("input[type=file]").set_input_files(
        {"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": content}
    )
    submit(page, "Check and load")


def _did_it_errors(page, site):
    page.goto(f"/mentor/did-it/{site.report_id}")
    submit(page, "Confirm")


ACCOUNT = [
    Visit("account", "/account/"),
    Visit("account-password", "/account/password"),
    Visit("account-password-errors", steps=_password_errors),
    Visit("account-two-step", "/account/two-step"),
]

PAGES: dict[str, tuple[str | None, list[Visit]]] = {
    "anonymous": (
        None,
        [
            Visit("sign-in", "/login"),
            Visit("sign-in-error", steps=_login_error),
            Visit("two-step-code", steps=_two_step_code_page),
            Visit("two-step-code-error", steps=_two_step_wrong_code),
        ],
    ),
    "mentee": (
        "mentee",
        [
            Visit("my-progress", "/me/"),
            Visit("my-history", "/me/history"),
            Visit("my-skill", "/me/skills/{skill_id}"),
            Visit("my-new-skill", "/me/skills/{new_skill_id}"),
            *ACCOUNT,
            Visit("forbidden", "/mentor/", status=403),
            Visit("not-found", "/me/skills/999999", status=404),
        ],
    ),
    "unlinked-mentee": ("unlinked_mentee", [Visit("not-linked", "/me/")]),
    "mentor": (
        "mentor",
        [
            Visit("my-mentees", "/mentor/"),
            Visit("mentee", "/mentees/{mentee_id}"),
            Visit("mentee-skill", "/mentees/{mentee_id}/skills/{skill_id}"),
            Visit("mentee-skill-errors", steps=_sign_off_with_errors),
            Visit("mentee-history", "/mentees/{mentee_id}/history"),
            Visit("correct", "/signoffs/{event_id}/correct"),
            Visit("group-session", "/mentor/group"),
            Visit("did-it", "/mentor/did-it/{report_id}"),
            Visit("did-it-errors", steps=_did_it_errors),
            *ACCOUNT,
            Visit("forbidden", "/caseload/", status=403),
            Visit("not-found", "/no-such-page", status=404),
        ],
    ),
    "case-manager": (
        "case_manager",
        [
            Visit("caseload", "/caseload/"),
            Visit("caseload-filtered", "/caseload/?stalled=y&sort=-progress"),
            Visit("mentee", "/mentees/{mentee_id}"),
            Visit("mentee-skill", "/mentees/{mentee_id}/skills/{skill_id}"),
            Visit("mentee-history", "/mentees/{mentee_id}/history"),
            *ACCOUNT,
        ],
    ),
    "admin": (
        "admin",
        [
            Visit("admin", "/admin/"),
            Visit("people", "/admin/people"),
            Visit("person-new", "/admin/people/new"),
            Visit("person-new-errors", steps=_person_errors),
            Visit("person", "/admin/people/{mentor_user_id}"),
            Visit("person-password", "/admin/people/{mentor_user_id}/password"),
            Visit("mentees", "/admin/mentees"),
            Visit("mentee-new", "/admin/mentees/new"),
            Visit("mentee-edit", "/admin/mentees/{mentee_id}"),
            Visit("assignments", "/admin/assignments"),
            Visit("assignment-new", "/admin/assignments/new"),
            Visit("curriculum", "/admin/curriculum"),
            Visit("curriculum-upload", "/admin/curriculum/upload"),
            Visit("curriculum-upload-errors", steps=_upload_errors),
            Visit("audit", "/admin/audit"),
            Visit("local-details", "/admin/resources/"),
            Visit("local-details-edit", "/admin/resources/{skill_id}"),
            *ACCOUNT,
        ],
    ),
}


def run_axe(page) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A and AA violations on the current page."""
    from axe_playwright_python.base import AXE_SCRIPT

    page.evaluate(AXE_SCRIPT)
    assert page.evaluate("axe.version") == AXE_VERSION
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return results["violations"]


# Touch targets under 44 CSS pixels tall at phone size: buttons, fields, the rows of radio
# buttons and checkboxes, disclosure summaries and links that start a list item. Links
# inside running text are exempt (WCAG 2.5.5 makes the same exception).
SMALL_TARGETS = """() => {
  const targets = [...document.querySelectorAll('button, .button, input:not([type=hidden]), '
    + 'select, textarea, summary, main li > a:first-child')];
  return targets.filter(el => el.checkVisibility()).map(el => {
    const box = ['radio', 'checkbox'].includes(el.type) ? el.closest('.radio, label') || el : el;
    return [el.outerHTML.slice(0, 90), Math.round(box.getBoundingClientRect().height)];
  }).filter(([html, height]) => height < 44);
}"""


def describe(violations: list[dict]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(n["target"]) for n in v["nodes"][:3])
        for v in violations
    ]


@pytest.mark.parametrize("role", PAGES)
def test_every_page_passes_axe_reflows_and_has_large_targets(role, browser, site):
    who, visits = PAGES[role]
    context = browser.new_context(base_url=site.url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    console: list[str] = []

    def on_console(message):
        # The page's own status (a 404 page) is checked above; everything else counts.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            console.append(message.text)

    def on_response(response):
        if response.request.resource_type != "document" and response.status >= 400:
            console.append(f"{response.status} for {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    problems: list[str] = []
    try:
        if who:
            sign_in(page, site, getattr(site, who))
        for visit in visits:
            page.set_viewport_size(DESKTOP)
            console.clear()
            if visit.steps:
                visit.steps(page, site)
            else:
                response = page.goto(visit.path.format(**vars(site)))
                assert response.status == visit.status, f"{visit.name}: {response.status}"
            where = f"{role} {visit.name} ({page.url.removeprefix(site.url)})"
            page.wait_for_load_state()
            for size in (PHONE, DESKTOP):
                page.set_viewport_size(size)
                for line in describe(run_axe(page)):
                    problems.append(f"{where} at {size['width']} px: {line}")
            page.set_viewport_size(PHONE)
            for html, height in page.evaluate(SMALL_TARGETS):
                problems.append(f"{where}: touch target {height} px tall: {html}")
            screenshot(page, f"a11y-{role}-{visit.name}")
            page.set_viewport_size(NARROW)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > NARROW["width"]:
                problems.append(f"{where}: scrolls sideways at 320 px ({width} px wide)")
            problems.extend(f"{where}: {text}" for text in console)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
