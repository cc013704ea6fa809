"""The four workflows of issue 5 in a real browser, with a screenshot of each page."""

import csv
import io
import re
from pathlib import Path

from .helpers import DESKTOP, PHONE, screenshot, sign_in

DATA = Path(__file__).resolve().parents[1] / "data"
# Bytes over the wire for the page and everything it loaded (headers included), once the
# fonts are in: Resource Timing's transferSize, as a phone on a data plan would pay.
TRANSFERRED = """() => document.fonts.ready.then(() => {
  const sizes = [...performance.getEntriesByType('navigation'),
                 ...performance.getEntriesByType('resource')].map(e => e.transferSize);
  return {total: sizes.reduce((a, b) => a + b, 0), files: sizes.length};
})"""


def cold_transfer(page) -> int:
    """Reload the page with the browser cache off, as on a first visit; bytes transferred."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    page.reload()
    sent = page.evaluate(TRANSFERRED)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    cdp.detach()
    assert sent["files"] >= 5, sent  # the page, two style sheets, two fonts
    return sent["total"]


def bad_curriculum() -> tuple[bytes, int]:
    """The mini curriculum with an unknown field added; returns the file and its line."""
    lines = (DATA / "mini.yaml").read_text().splitlines()
    at = lines.index("        title: Read a timetable") + 1
    lines.insert(at, "        colour: blue")
    return ("\n".join(lines) + "\n").encode(), at + 1


def test_mentor_signs_off_a_skill_on_a_phone_and_sees_it_saved(new_page, site):
    page = new_page(PHONE)
    sign_in(page, site, site.mentor)
    assert page.url.endswith("/mentor/")
    screenshot(page, "mentor-my-mentees-phone")

    page.locator(f"#mentee-{site.mentee_id} a").click()
    assert page.url.endswith(f"/mentees/{site.mentee_id}")
    screenshot(page, "mentor-mentee-phone")

    page.locator(f"#skill-{site.new_skill_id} a").click()
    title = page.locator("h1").inner_text()
    screenshot(page, "mentor-skill-form-phone")
    page.get_by_label("3 · Can do it on my own").check()
    page.get_by_label("Note").first.fill("Did it at the corner store, no help.")
    page.get_by_role("button", name="Save sign-off").click()

    saved = site.new_skill_id
    assert re.search(rf"/mentees/{site.mentee_id}\?saved={saved}#skill-{saved}$", page.url)
    flash = page.locator(f"#skill-{saved}").get_by_role("status")  # beside the skill
    assert f"Saved: {title} — 3 · Can do it on my own." in flash.inner_text()
    row = page.locator(f"#skill-{site.new_skill_id}")
    assert "Can do it on my own" in row.inner_text()
    screenshot(page, "mentor-saved-phone")

    page.reload()  # saved in the database, not just shown once
    assert "Can do it on my own" in page.locator(f"#skill-{site.new_skill_id}").inner_text()


def test_mentee_signs_in_and_reads_their_progress(new_page, site):
    page = new_page(PHONE)
    sign_in(page, site, site.mentee)
    assert page.url.endswith("/me/")
    assert page.locator("h1").inner_text() == f"Hi, {site.mentee_name}"
    # Told by what is done and being learned, not by what is missing.
    summary = page.locator(".me-summary").inner_text()
    assert re.search(r"You can do \d+ skills? on your own\.", summary) and " of " not in summary
    months = page.locator("svg.timeline[role=img]").get_attribute("aria-label")
    assert months.startswith("Skills I learned each month: ") and months.count(";") == 5
    assert page.get_by_role("heading", name="I can now …").is_visible()
    screenshot(page, "mentee-progress-phone")
    assert cold_transfer(page) <= 100_000

    page.locator("h2:has-text('I can now') + ul a").first.click()
    assert "/me/skills/" in page.url
    assert page.get_by_role("heading", name="What I have done").is_visible()
    screenshot(page, "mentee-skill-phone")
    assert cold_transfer(page) <= 100_000

    page.goto("/me/")
    page.get_by_role("link", name="What I have done so far").click()
    assert page.url.endswith("/me/history")
    assert page.locator("ul.history li").count() > 0
    screenshot(page, "mentee-history-phone")


def test_case_manager_downloads_a_pdf_report_and_a_csv(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, site, site.case_manager)
    assert page.url.endswith("/caseload/")
    screenshot(page, "case-manager-caseload-desktop")

    page.locator(f"a[href='/mentees/{site.mentee_id}']").first.click()
    screenshot(page, "case-manager-mentee-desktop")
    with page.expect_download() as pdf:
        page.get_by_role("button", name="Progress report (PDF)").click()
    assert pdf.value.suggested_filename.endswith(".pdf")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    with page.expect_download() as history:
        page.get_by_role("link", name="History (CSV)").click()
    text = Path(history.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == [
        "record number",
        "name",
        "entry",
        "date shown",
        "recorded at (UTC)",
        "area",
    ]
    assert len(rows) > 1

    page.goto("/caseload/")
    with page.expect_download() as summary:
        page.get_by_role("link", name="Caseload summary (CSV)").click()
    text = Path(summary.value.path()).read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("name,record number,status,")


def test_admin_uploads_a_curriculum_with_an_error_and_sees_the_line(new_page, site):
    page = new_page(DESKTOP)
    sign_in(page, site, site.admin)
    page.goto("/admin/curriculum/upload")
    screenshot(page, "admin-curriculum-upload-desktop")
    content, line = bad_curriculum()
    page.get_by_label("Curriculum file").set_input_files(
        {"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": content}
    )
    page.get_by_role("button", name="Check and load").click()
    alert = page.get_by_role("alert")
    assert "The file was not loaded" in alert.inner_text()
    assert f"bad.yaml:{line}: " in alert.inner_text()
    assert "unknown field 'colour'" in alert.inner_text()
    screenshot(page, "admin-curriculum-error-desktop")
