"""Page states of this round's admin and account work (issues 15 and 16), and pages in
Spanish for people who chose it: settings, roster import, audit filters, curriculum
files, caseload moves, billing settings, two-step sign-in and recovery codes.

Spanish pages are reached by ids and CSS, not by English words.
"""

import re

from .helpers import PASSWORD, ROOT, code_now
from .steps import Visit, submit, submit_css

SYNTAX_SLIP = b"title: Daily living\ndomains:\n  - title: Money\n   skills: [\n"


def _settings_saved(page, site):
    """The settings sent unchanged: "Nothing was changed." where the eye is."""
    page.goto("/admin/settings")
    submit(page, "Save settings")
    assert page.get_by_role("status").first.is_visible()


def _settings_errors(page, site):
    page.goto("/admin/settings")
    page.get_by_label("Organization name").fill("")
    submit(page, "Save settings")
    assert page.get_by_text("Enter the organization's name.").is_visible()


def _billing_settings_errors(page, site):
    page.goto("/notes/billing/settings")
    page.get_by_label("Service code").fill("")
    submit(page, "Save billing settings")
    assert page.locator(".has-error").count() >= 1


def _roster(page, file: dict, button: str) -> None:
    page.goto("/admin/people/import")
    page.locator("input[type=file]").set_input_files(file)
    submit(page, button, exact=True)


def _roster_preview(page, site):
    """The roster template checked only: what would be added, nothing saved."""
    template = (ROOT / "docs" / "roster-template.csv").read_bytes()
    _roster(page, {"name": "roster.csv", "mimeType": "text/csv", "buffer": template}, "Check only")
    assert page.get_by_text("The files are ready to import").is_visible()


def _roster_errors(page, site):
    bad = b"type,username,name\nstaff,Bad Name!,\nvisitor,,Someone\n"
    _roster(page, {"name": "roster.csv", "mimeType": "text/csv", "buffer": bad}, "Import")
    assert page.get_by_text("Nothing was imported").is_visible()


def _audit_filter_errors(page, site):
    page.goto("/admin/audit")
    page.get_by_label("From", exact=True).fill("2026-03-01")
    page.get_by_label("To", exact=True).fill("2026-02-01")
    submit(page, "Filter")


def _upload(page, name: str, content: bytes) -> None:
    page.goto("/admin/curriculum/upload")
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "application/octet-stream", "buffer": content}
    )
    submit(page, "Check and load")


def _curriculum_syntax_slip(page, site):
    """A YAML syntax slip, told in plain words with its line."""
    _upload(page, "slip.yaml", SYNTAX_SLIP)
    assert "slip.yaml:" in page.get_by_role("alert").inner_text()


def _curriculum_not_yaml(page, site):
    _upload(page, "skills.txt", b"title: Daily living\n")
    assert page.locator(".has-error").count() >= 1


def _transfer_source(page, site):
    page.goto("/admin/assignments/transfer")
    source = page.locator("select#source option:not([value=''])").first.get_attribute("value")
    page.locator("select#source").select_option(source)
    submit(page, "Show their mentees")


def _transfer_errors(page, site):
    """The caseload move sent with no mentee ticked."""
    _transfer_source(page, site)
    submit(page, "Move the ticked mentees")
    assert page.locator(".has-error").count() >= 1


def _mentee_added(page, site):
    """The one form for a new mentee, sent: their page with the saved message."""
    page.goto("/admin/mentees/new")
    page.get_by_label("Full name").fill("Robin Accessible")
    page.get_by_label("Start date").fill("2026-10-01")
    submit(page, "Add mentee")
    assert "/admin/mentees/new" not in page.url
    assert page.get_by_role("status").first.is_visible()


ADMIN = [
    Visit("settings", "/admin/settings"),
    Visit("settings-saved", steps=_settings_saved),
    Visit("settings-errors", steps=_settings_errors),
    Visit("billing-month-errors", "/notes/billing?month=2020-13", status=422),
    Visit("billing-settings-errors", steps=_billing_settings_errors),
    Visit("roster-import", "/admin/people/import"),
    Visit("roster-import-preview", steps=_roster_preview),
    Visit("roster-import-errors", steps=_roster_errors),
    Visit("audit-filtered", "/admin/audit?actor=mentor1&action=signoff"),
    Visit("audit-filter-errors", steps=_audit_filter_errors),
    Visit("curriculum-upload-syntax-slip", steps=_curriculum_syntax_slip),
    Visit("curriculum-upload-not-yaml", steps=_curriculum_not_yaml),
    Visit("assignment-transfer", "/admin/assignments/transfer"),
    Visit("assignment-transfer-source", steps=_transfer_source),
    Visit("assignment-transfer-errors", steps=_transfer_errors),
    Visit("mentees-search", "/admin/mentees?q=a"),
    Visit("mentee-added", steps=_mentee_added),
]


# Two-step sign-in


def _signed_in_with_code(page, site):
    page.goto("/login")
    page.get_by_label("Username").fill(site.two_step)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, "Sign in")
    page.get_by_label("6-digit code").fill(code_now(site.totp_secret))
    submit(page, "Sign in")
    assert "/login" not in page.url


def _recovery_errors(page, site):
    page.goto("/account/recovery-codes")
    page.get_by_label("6-digit code").fill("123")
    submit(page, "Make new codes")
    assert page.locator(".has-error").count() >= 1


TWO_STEP = [
    Visit("signed-in-with-code", steps=_signed_in_with_code),
    Visit("account-two-step-on", "/account/"),
    Visit("two-step-on", "/account/two-step"),
    Visit("recovery-codes", "/account/recovery-codes"),
    Visit("recovery-codes-errors", steps=_recovery_errors),
]


def _setup_errors(page, site):
    page.goto("/account/two-step")
    page.get_by_label("6-digit code").fill("12")
    submit(page, "Turn on")
    assert page.locator(".has-error").count() >= 1


def _turned_on(page, site):
    """Two-step turned on with the key the page shows: the recovery codes, shown once."""
    page.goto("/account/two-step")
    key = re.sub(r"\s", "", page.locator("main p code").inner_text())
    page.get_by_label("6-digit code").fill(code_now(key))
    submit(page, "Turn on")
    assert page.locator("ol.recovery-codes li").count() >= 5


NEWCOMER = [
    Visit("two-step-setup", "/account/two-step"),
    Visit("two-step-setup-errors", steps=_setup_errors),
    Visit("two-step-turned-on", steps=_turned_on),
]


# In Spanish: people whose language is "es", and a browser that asks for it


def _in_spanish(page) -> None:
    assert page.locator("html").get_attribute("lang") == "es", page.url


def _es(path: str):
    def steps(page, site):
        page.goto(path)
        _in_spanish(page)

    return steps


def _es_click(path: str, link: str):
    """Open `path`, then the first link matching the CSS `link`."""

    def steps(page, site):
        page.goto(path)
        with page.expect_navigation():
            page.locator(link).first.click()
        _in_spanish(page)

    return steps


def _ask_for_spanish(route) -> None:
    # The context's locale would win over set_extra_http_headers: rewrite the request.
    route.continue_(headers={**route.request.headers, "accept-language": "es"})


def _es_sign_in_error(page, site):
    """The sign-in page of a browser set to Spanish, after a wrong password."""
    page.route("**/*", _ask_for_spanish)
    try:
        page.goto("/login")
        page.locator("#username").fill("nadie")
        page.locator("#password").fill("no es la contraseña")
        submit_css(page, "form button[type=submit]")
    finally:
        page.unroute("**/*", _ask_for_spanish)
    _in_spanish(page)


def _es_mentee_skill_lower(page, site):
    """A mentor in Spanish sets a level below the mentee's: the warning in Spanish."""
    page.goto("/mentor/")
    with page.expect_navigation():
        page.locator("ul.mentee-lines > li > a").first.click()
    done = page.locator(".skill-list li[id^=skill-]:has(.badge.ok) > a").first
    with page.expect_navigation():
        done.click()
    page.locator("input[name=level][value='0']").check()
    submit_css(page, "form:has(input[name=level]) button[type=submit]")
    assert page.locator(".confirm-lower").is_visible()
    _in_spanish(page)


def _es_note_errors(page, site):
    page.goto("/mentor/notes/new")
    with page.expect_navigation():
        page.locator(".choose-list a").first.click()
    page.locator("#starts_at").fill("15:00")
    page.locator("#ends_at").fill("14:00")
    submit_css(page, "form.session-note button[type=submit]")
    assert page.locator(".has-error").count() >= 1
    _in_spanish(page)


def _es_duplicate(page, site):
    page.goto(f"/admin/mentees/{site.mentee_id}")
    name = page.locator("#full_name").input_value()
    started = page.locator("#start_date").input_value()
    page.goto("/admin/mentees/new")
    page.locator("#full_name").fill(name)
    page.locator("#start_date").fill(started)
    submit_css(page, "form.narrow .actions button[type=submit]")
    assert page.locator("#duplicate-heading").is_visible()
    _in_spanish(page)


def _es_roster_errors(page, site):
    page.goto("/admin/people/import")
    page.locator("input[type=file]").set_input_files(
        {"name": "lista.csv", "mimeType": "text/csv", "buffer": b"type,username\nstaff,Mal!\n"}
    )
    submit_css(page, "button[value=check]")
    assert page.locator("#errors-heading").is_visible()
    _in_spanish(page)


ANONYMOUS_SPANISH = [
    Visit("sign-in-error-es", steps=_es_sign_in_error),
]

MENTEE_SPANISH = [
    Visit("my-progress-es", steps=_es("/me/")),
    Visit("my-area-es", steps=_es_click("/me/", "ul.areas a")),
    Visit("my-skill-told-es", steps=_es_click("/me/", "#told-mentor + ul a")),
    Visit("my-history-es", steps=_es("/me/history")),
    Visit("my-session-notes-es", steps=_es("/me/notes")),
    Visit("my-session-note-es", steps=_es_click("/me/notes", "main a[href^='/me/notes/']")),
    Visit("account-es", steps=_es("/account/")),
]

MENTOR_SPANISH = [
    Visit("my-mentees-es", steps=_es("/mentor/")),
    Visit("mentee-es", steps=_es_click("/mentor/", "ul.mentee-lines > li > a")),
    Visit("mentee-skill-lower-es", steps=_es_mentee_skill_lower),
    Visit("group-session-es", steps=_es("/mentor/group")),
    Visit("session-note-choose-es", steps=_es("/mentor/notes/new")),
    Visit("session-note-errors-es", steps=_es_note_errors),
    Visit("account-es", steps=_es("/account/")),
]

ADMIN_SPANISH = [
    Visit("admin-es", steps=_es("/admin/")),
    Visit("people-es", steps=_es("/admin/people")),
    Visit("mentee-new-duplicate-es", steps=_es_duplicate),
    Visit("audit-es", steps=_es("/admin/audit")),
    Visit("settings-es", steps=_es("/admin/settings")),
    Visit("roster-import-errors-es", steps=_es_roster_errors),
    Visit("billing-es", steps=_es("/notes/billing")),
]
