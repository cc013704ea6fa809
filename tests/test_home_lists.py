"""The waiting lists on the mentor's and case manager's home pages show the first few,
oldest first, and how many there are in all; the overdue session notes have a page of
their own with every one."""

import re
from datetime import time, timedelta

from skills.extensions import db
from skills.services import session_notes as notes
from skills.services import voice
from skills.services.session_notes import NoteDetails
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

KEYS = ("get-transit-card", "read-timetable", "ride-and-pay", "open-bank-account", "use-atm")


def _note_links(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/notes/(\d+)"', html)]


def test_overdue_notes_show_ten_of_all_and_the_full_list_has_every_one(
    client, login, make_user, make_mentee, assign
):
    mentor, manager = make_user("mentor"), make_user("case_manager")
    mentee = make_mentee(name="Noa Notes")
    assign(mentor, mentee)
    assign(manager, mentee)
    today = notes.local_now(mentee.organisation).date()
    written = [
        notes.record_note(
            mentee,
            mentor,
            NoteDetails(
                contact_on=today - timedelta(days=20 - n),
                starts_at=time(10, 0),
                ends_at=time(10, 30),
                mode="in_person",
                what_we_did=f"Session {n}",
            ),
        )
        for n in range(12)
    ]
    db.session.commit()
    oldest_first = [n.id for n in written]
    for user, home, full in (
        (mentor, "/mentor/", "/mentor/notes/overdue"),
        (manager, "/caseload/", "/caseload/notes/overdue"),
    ):
        login(user)
        page = client.get(home).get_data(as_text=True)
        assert _note_links(page) == oldest_first[:10]
        assert "10 of 12 shown, oldest first." in page and f'href="{full}"' in page
        page = client.get(full).get_data(as_text=True)
        assert _note_links(page) == oldest_first
        assert "12 notes are past their day for signing" in page
    # The other list is not theirs: a mentor is no case manager.
    login(mentor)
    assert client.get("/caseload/notes/overdue").status_code == 403


def test_due_and_help_lists_show_ten_and_count_the_rest(
    client, login, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentees = [make_mentee(name=f"Dana Due{i}", with_login=True) for i in range(3)]
    for mentee in mentees:
        assign(mentor, mentee)
        for key in KEYS[:4]:  # 12 refreshers and 12 help requests in all
            record_signoff(
                mentee,
                skill(key),
                mentor,
                SignoffDetails(level=3, shown_on=mentee.start_date, note="x"),
            )
            voice.mark_refresher(mentee, skill(key), mentor)
            voice.rate_self(mentee, skill(key), "help", mentee.user)
    db.session.commit()
    due = voice.due_list([m.id for m in mentees], today(), limit=10)
    assert (len(due.items), due.total) == (10, 12)
    assert due.items == voice.due_checks([m.id for m in mentees], today())[:10]
    inbox = voice.mentor_inbox(mentor, limit=10)
    assert (len(inbox.help), inbox.help_total) == (10, 12)
    assert len(voice.mentor_inbox(mentor).help) == 12
    login(mentor)
    page = client.get("/mentor/").get_data(as_text=True)
    assert "2 more are due; each mentee's page lists theirs." in page
    assert "And 2 more." in page
