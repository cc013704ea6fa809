"""Every page, for every role: axe-core (WCAG 2.0/2.1 A and AA) at a phone and a desktop
size, reflow at 320 CSS pixels, touch targets of 44 px or more at phone size, and no
errors in the browser console (a load the Content-Security-Policy blocks shows up there).

axe-core comes pinned inside the PyPI package axe-playwright-python; it is injected with
Playwright's evaluate, which goes through the DevTools protocol, so the page's CSP (no
inline script) does not stop it.
"""

import pytest

from . import states_admin, states_daily
from .helpers import DESKTOP, NARROW, PASSWORD, PHONE, code_now, screenshot, sign_in
from .steps import Visit, open_all_details, submit
from .test_workflows import bad_curriculum

AXE_VERSION = "4.12.1"  # the version axe-playwright-python 0.1.8 bundles (pinned in setup.cfg)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


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


def _mentee_new_duplicate(page, site):
    """The add-a-mentee form sent with an existing mentee's name and start date."""
    page.goto(f"/admin/mentees/{site.mentee_id}")
    name = page.locator("#full_name").input_value()
    started = page.locator("#start_date").input_value()
    page.goto("/admin/mentees/new")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Start date").fill(started)
    submit(page, "Add mentee")
    assert page.get_by_text("Is this someone already on record?").is_visible()


def _mentee_new_errors(page, site):
    page.goto("/admin/mentees/new")
    page.get_by_label("Username (optional)").fill("Not Valid!")
    submit(page, "Add mentee")


def _person_deactivate_errors(page, site):
    page.goto(f"/admin/people/{site.mentor_user_id}/deactivate")
    submit(page, "Deactivate")
    assert page.get_by_text("Choose what happens to their assignments.").first.is_visible()


def _assignment_end(page, site):
    page.goto("/admin/assignments")
    with page.expect_navigation():
        page.locator("a[href*='/end']").first.click()


def _did_it_errors(page, site):
    page.goto(f"/mentor/did-it/{site.report_id}")
    submit(page, "Confirm")


def _my_mentees_opened(page, site):
    page.goto("/mentor/")
    page.locator("ul.mentee-lines summary").first.click()


def _quick_sign_off_saved(page, site):
    """A level recorded from the search results of another mentee: the Saved message
    beside the skill."""
    page.goto("/mentor/")
    others = page.locator(f"ul.mentee-lines > li:not(#mentee-{site.mentee_id}) > a")
    with page.expect_navigation():
        others.last.click()
    page.get_by_role("searchbox", name="Find a skill").fill("a")
    with page.expect_navigation():
        page.get_by_role("searchbox", name="Find a skill").press("Enter")
    with page.expect_navigation():
        page.locator("#found button[name=level]").first.click()
    assert "?saved=" in page.url


def _my_area(page, site):
    page.goto("/me/")
    with page.expect_navigation():
        page.locator("ul.areas a").last.click()


def _my_skill_answers_open(page, site):
    """The mentee's skill page with "That's right" and "That's not right" open."""
    page.goto(f"/me/skills/{site.skill_id}")
    open_all_details(page)
    assert page.get_by_role("button", name="That's not right").first.is_visible()


def _my_claim_status(page, site):
    """The skill page of a sent "I did it": its status, reached from the progress page."""
    page.goto("/me/")
    with page.expect_navigation():
        page.locator("#told-mentor + ul li:has(.badge:text-is('Sent')) a").first.click()
    assert page.get_by_text("Waiting for your mentor").first.is_visible()


def _my_history_said_open(page, site):
    page.goto("/me/history")
    open_all_details(page)


def _mentee_skill_not_right(page, site):
    """The staff skill page of a sign-off the mentee said is not right, from the list."""
    page.goto("/mentor/")
    with page.expect_navigation():
        page.locator("#not-right + ul a").first.click()
    assert page.get_by_text("Not right, says").first.is_visible()
    open_all_details(page)


def _mentee_history_said_open(page, site):
    page.goto(f"/mentees/{site.mentee_id}/history")
    open_all_details(page)


def _session_note_errors(page, site):
    """The session note form sent with the end before the start: errors beside fields."""
    page.goto(f"/mentor/notes/new?mentee_id={site.mentee_id}")
    page.get_by_label("Start time").fill("15:00")
    page.get_by_label("End time").fill("14:00")
    submit(page, "Save note")


def _session_note_written(page, site):
    """A note written on the phone-sized form, then its page with the sign button."""
    states_daily.write_note(page, site)


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
            *states_admin.ANONYMOUS_SPANISH,  # last: the browser asks for Spanish from here
        ],
    ),
    "two-step": (None, states_admin.TWO_STEP),
    "newcomer": ("newcomer", states_admin.NEWCOMER),
    "mentee": (
        "mentee",
        [
            Visit("my-progress", "/me/"),
            Visit("my-history", "/me/history"),
            Visit("my-skill", "/me/skills/{skill_id}"),
            Visit("my-new-skill", "/me/skills/{new_skill_id}"),
            Visit("my-skill-answers-open", steps=_my_skill_answers_open),
            Visit("my-claim-status", steps=_my_claim_status),
            Visit("my-history-said-open", steps=_my_history_said_open),
            Visit("my-area", steps=_my_area),
            Visit("my-session-notes", "/me/notes"),
            *states_daily.MENTEE,
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
            Visit("my-mentees-opened", steps=_my_mentees_opened),
            Visit("mentee", "/mentees/{mentee_id}"),
            Visit("mentee-search", "/mentees/{mentee_id}?q=card"),
            Visit("mentee-search-none", "/mentees/{mentee_id}?q=zebra"),
            Visit("mentee-quick-saved", steps=_quick_sign_off_saved),
            Visit("mentee-skill", "/mentees/{mentee_id}/skills/{skill_id}"),
            Visit("mentee-skill-errors", steps=_sign_off_with_errors),
            Visit("mentee-history", "/mentees/{mentee_id}/history"),
            Visit("mentee-history-said-open", steps=_mentee_history_said_open),
            Visit("mentee-skill-not-right", steps=_mentee_skill_not_right),
            Visit("correct", "/signoffs/{event_id}/correct"),
            Visit("group-session", "/mentor/group"),
            Visit("group-session-search", "/mentor/group?q=bus"),
            Visit("did-it", "/mentor/did-it/{report_id}"),
            Visit("did-it-errors", steps=_did_it_errors),
            Visit("session-note-choose", "/mentor/notes/new"),
            Visit("session-note-new", "/mentor/notes/new?mentee_id={mentee_id}"),
            Visit("session-note-errors", steps=_session_note_errors),
            Visit("session-note-written", steps=_session_note_written),
            Visit("session-notes", "/mentees/{mentee_id}/notes"),
            Visit("credential", "/account/credential"),
            *states_daily.MENTOR,
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
            Visit("mentee-search", "/mentees/{mentee_id}?q=card"),
            Visit("mentee-skill", "/mentees/{mentee_id}/skills/{skill_id}"),
            Visit("mentee-history", "/mentees/{mentee_id}/history"),
            *states_daily.CASE_MANAGER,
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
            Visit("people-search", "/admin/people?q=mentor"),
            Visit("person-deactivate", "/admin/people/{mentor_user_id}/deactivate"),
            Visit("person-deactivate-errors", steps=_person_deactivate_errors),
            Visit("mentee-new", "/admin/mentees/new"),
            Visit("mentee-new-errors", steps=_mentee_new_errors),
            Visit("mentee-new-duplicate", steps=_mentee_new_duplicate),
            Visit("mentee-edit", "/admin/mentees/{mentee_id}"),
            Visit("mentee-discharge", "/admin/mentees/{mentee_id}/discharge"),
            Visit("mentees-search-none", "/admin/mentees?q=zebra"),
            Visit("assignments", "/admin/assignments"),
            Visit("assignments-search", "/admin/assignments?q=mentor&show=all"),
            Visit("assignment-end", steps=_assignment_end),
            Visit("assignment-new", "/admin/assignments/new"),
            Visit("curriculum", "/admin/curriculum"),
            Visit("curriculum-upload", "/admin/curriculum/upload"),
            Visit("curriculum-upload-errors", steps=_upload_errors),
            Visit("audit", "/admin/audit"),
            Visit("local-details", "/admin/resources/"),
            Visit("local-details-edit", "/admin/resources/{skill_id}"),
            Visit("billing", "/notes/billing"),
            Visit("billing-settings", "/notes/billing/settings"),
            *states_admin.ADMIN,
            *ACCOUNT,
        ],
    ),
    "mentee-es": ("spanish_mentee", states_admin.MENTEE_SPANISH),
    "mentor-es": ("spanish_mentor", states_admin.MENTOR_SPANISH),
    "admin-es": ("spanish_admin", states_admin.ADMIN_SPANISH),
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
