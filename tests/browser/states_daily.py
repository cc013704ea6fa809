"""Page states of this round's daily work (issues 15 and 17), as the mentee, the mentor
and the case manager reach them: the mentee's voice both ways, re-check dates, saves
that would lower a level, session notes from writing to signing, and photos.

Each `_name(page, site)` gets the page into a state; test_accessibility.py checks it.
"""

from datetime import date, timedelta

from .steps import Visit, not_a_photo, open_all_details, photo_file, submit

# Answers typed in these states; the walk-through tests use words of their own.
NOT_RIGHT_WORDS = "I only did it with help that day."


# The mentee


def _my_did_it_sent(page, site):
    """A skill not started, after "I did it": the thanks, and the claim marked Sent."""
    page.goto(f"/me/skills/{site.did_it_skill_ids[0]}")
    page.get_by_label("Tell your mentor about it").fill("I asked at the front desk.")
    submit(page, "Tell my mentor")
    assert "Your mentor will see it" in page.get_by_role("status").first.inner_text()
    assert page.get_by_text("Waiting for your mentor to answer.").is_visible()


def _my_not_right_sent(page, site):
    """A sign-off the mentee said is not right, with their words, back on the history."""
    page.goto("/me/history")
    answer = page.locator('details:has(button:text-is("That\'s not right"))').first
    answer.locator("summary").click()
    answer.locator("textarea").fill(NOT_RIGHT_WORDS)
    with page.expect_navigation():
        answer.get_by_role("button", name="That's not right").click()
    assert page.get_by_text(f"You said this is not right: “{NOT_RIGHT_WORDS}”").first.is_visible()


def _my_goal_added(page, site):
    page.goto(f"/me/skills/{site.reply_skill_id}")
    submit(page, "Make this one of my goals")
    assert "Added to my goals." in page.get_by_role("status").first.inner_text()


def _my_comment_errors(page, site):
    page.goto(f"/me/notes/{site.shared_note_id}")
    submit(page, "Save my comment")
    assert page.get_by_text("Write your comment first.").is_visible()


def _my_comment_saved(page, site):
    page.goto(f"/me/notes/{site.shared_note_id}")
    page.get_by_label("Your comment").fill("We also looked at the bus map.")
    submit(page, "Save my comment")
    assert "your mentor can read it" in page.get_by_role("status").first.inner_text()


def _photo_refused(page, path):
    page.goto(path)
    page.get_by_label("Photo").set_input_files(not_a_photo())
    submit(page, "Add photo")


def _photo_added(page, path):
    page.goto(path)
    page.get_by_label("Photo").set_input_files(photo_file())
    submit(page, "Add photo")
    page.locator("ul.photos img").last.scroll_into_view_if_needed()  # loads the small copy


def _my_photo_refused(page, site):
    _photo_refused(page, f"/photos/did-it/{site.report_id}")


def _my_photo_added(page, site):
    _photo_added(page, f"/photos/did-it/{site.report_id}")
    assert page.locator("ul.photos img").count() >= 1


MENTEE = [
    Visit("my-skill-reply", "/me/skills/{reply_skill_id}"),
    Visit("my-skill-recheck", "/me/skills/{recheck_skill_id}"),
    Visit("my-did-it-sent", steps=_my_did_it_sent),
    Visit("my-not-right-sent", steps=_my_not_right_sent),
    Visit("my-goal-added", steps=_my_goal_added),
    Visit("my-session-note", "/me/notes/{shared_note_id}"),
    Visit("my-session-note-comment-errors", steps=_my_comment_errors),
    Visit("my-session-note-comment-saved", steps=_my_comment_saved),
    Visit("my-session-note-photos", "/photos/session-notes/{shared_note_id}"),
    Visit("my-did-it-photos", "/photos/did-it/{report_id}"),
    Visit("my-did-it-photo-refused", steps=_my_photo_refused),
    Visit("my-did-it-photo-added", steps=_my_photo_added),
]


# The mentor


def _choose_level(page, value: int) -> None:
    page.locator(f"input[name=level][value='{value}']").check()


def _sign_off_lower(page, site):
    """A sign-off below the mentee's level: refused until the mentor ticks the box."""
    page.goto(f"/mentees/{site.mentee_id}/skills/{site.recheck_skill_id}")
    _choose_level(page, 1)
    submit(page, "Save sign-off")
    assert page.get_by_label("Yes, record the lower level").is_visible()


def _group_lower(page, site):
    """The group form with a mentee set below their level: the warning, nothing saved."""
    page.goto(f"/mentor/group?skill_id={site.recheck_skill_id}")
    page.locator(f"#attend-{site.mentee_id}").check()
    page.locator(f"#level-{site.mentee_id}").select_option("1")
    submit(page, "Save group session")
    assert page.get_by_label("Yes, record the lower level").is_visible()


def yesterday(page) -> str:
    """The day before the form's date: a contact that cannot be in the future."""
    shown = date.fromisoformat(page.get_by_label("Date", exact=True).input_value())
    return (shown - timedelta(days=1)).isoformat()


def fill_contact(page, start: str = "09:00", end: str = "09:40") -> None:
    page.get_by_label("Date", exact=True).fill(yesterday(page))
    page.get_by_label("Start time").fill(start)
    page.get_by_label("End time").fill(end)
    page.get_by_role("radio", name="Phone", exact=True).check()


def write_note(page, site, what: str = "Planned the week's shopping") -> str:
    """A note written and saved (not signed); returns its address."""
    page.goto(f"/mentor/notes/new?mentee_id={site.mentee_id}")
    fill_contact(page)
    page.get_by_label("What we did").fill(what)
    submit(page, "Save note")
    assert "/notes/" in page.url and "/new" not in page.url, page.url
    return page.url


def _note_lower(page, site):
    """A note whose sign-off would lower a level: the same warning as the sign-off form."""
    page.goto(f"/mentor/notes/new?mentee_id={site.mentee_id}")
    fill_contact(page)
    page.get_by_label("Skill signed off").select_option(str(site.recheck_skill_id))
    page.get_by_label("Level reached").select_option("1")
    page.get_by_label("What we did").fill("Went over the prescription refill.")
    submit(page, "Save note")
    assert page.get_by_label("Yes, record the lower level").is_visible()


def _note_edit(page, site):
    write_note(page, site)
    with page.expect_navigation():
        page.get_by_role("link", name="Edit this note").click()


def _note_edit_errors(page, site):
    _note_edit(page, site)
    page.get_by_label("End time").fill("08:00")
    submit(page, "Save changes")
    assert page.locator(".has-error").count() >= 1


def _note_edited(page, site):
    """The note after an edit: its page lists the earlier version."""
    _note_edit(page, site)
    page.get_by_label("What we did").fill("Planned the week's shopping and the bus route")
    submit(page, "Save changes")
    assert page.get_by_text("The earlier version is kept").is_visible()
    open_all_details(page)


def _note_signed(page, site):
    write_note(page, site)
    submit(page, "Sign this note")
    assert "Note signed" in page.get_by_role("status").first.inner_text()


def _addendum_errors(page, site):
    _note_signed(page, site)
    submit(page, "Add addendum")
    assert page.get_by_text("Write the addendum.").is_visible()


def _addendum_added(page, site):
    _note_signed(page, site)
    page.get_by_label("Addendum").fill("The call was on the mentee's own phone.")
    submit(page, "Add addendum")
    assert "Addendum added." in page.get_by_role("status").first.inner_text()


def _group_note_errors(page, site):
    """Group notes sent with no one ticked as came."""
    page.goto("/mentor/notes/group")
    fill_contact(page)
    page.get_by_label("What we did").fill("Budgeting group")
    submit(page, "Save the group’s notes")
    assert page.get_by_role("alert").first.is_visible()


def _signoff_photo_refused(page, site):
    _photo_refused(page, f"/photos/signoffs/{site.event_id}")


def _report_period_errors(page, site):
    """The report form with the period's end before its start: the page that says so."""
    page.goto(f"/mentees/{site.mentee_id}")
    page.get_by_label("From", exact=True).fill("2026-03-01")
    page.get_by_label("To", exact=True).fill("2026-02-01")
    submit(page, "Progress report (PDF)")


MENTOR = [
    Visit("mentee-skill-recheck", "/mentees/{mentee_id}/skills/{recheck_skill_id}"),
    Visit("mentee-skill-lower", steps=_sign_off_lower),
    Visit("group-session-skill", "/mentor/group?skill_id={recheck_skill_id}"),
    Visit("group-session-lower", steps=_group_lower),
    Visit("mentee-report-period-errors", steps=_report_period_errors),
    Visit("session-note-lower", steps=_note_lower),
    Visit("session-note-edit", steps=_note_edit),
    Visit("session-note-edit-errors", steps=_note_edit_errors),
    Visit("session-note-edited", steps=_note_edited),
    Visit("session-note-signed", steps=_note_signed),
    Visit("session-note-addendum-errors", steps=_addendum_errors),
    Visit("session-note-addendum-added", steps=_addendum_added),
    Visit("session-note-group", "/mentor/notes/group"),
    Visit("session-note-group-errors", steps=_group_note_errors),
    Visit("session-note-shared", "/notes/{shared_note_id}"),
    Visit("photos-signoff", "/photos/signoffs/{event_id}"),
    Visit("photos-signoff-refused", steps=_signoff_photo_refused),
    Visit("photos-session-note", "/photos/session-notes/{shared_note_id}"),
]

CASE_MANAGER = [
    Visit("mentee-recheck", "/mentees/{mentee_id}/skills/{recheck_skill_id}"),
    Visit("session-notes", "/mentees/{mentee_id}/notes"),
    Visit("session-note", "/notes/{shared_note_id}"),
    Visit("billing", "/notes/billing"),
    Visit("photos-session-note", "/photos/session-notes/{shared_note_id}"),
]
