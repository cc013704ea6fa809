"""Session notes in the progress report: the staff copy lists every note of the period
with total time and units; the mentee's copy only the notes shared with the mentee."""

from datetime import time, timedelta

import pytest

from skills.extensions import db
from skills.permissions import MENTEE_COPY, Viewer
from skills.reports import mentee_report_data, mentee_report_pdf
from skills.reports.content import batch_report_data
from skills.services import session_notes as notes

from .conftest import today
from .test_reports import text_of

STAFF = Viewer(sees_staff_notes=True)
TODAY = today()
START = TODAY - timedelta(days=60)
SHARED = "Rode the number 12 bus marker-shared"
STAFF_ONLY = "Talked about housing worries marker-staff"
BEFORE = "An old session marker-before"
OTHER = "Someone else's session marker-other"


def _note(mentee, mentor, day, what, visibility, start=time(10, 0), end=time(10, 45), **kw):
    return notes.record_note(
        mentee,
        mentor,
        notes.NoteDetails(
            contact_on=day,
            starts_at=start,
            ends_at=end,
            mode="in_person",
            place="Transit center",
            what_we_did=what,
            how_it_went=f"How it went: {what}",
            next_step=f"Next: {what}",
            note_visibility=visibility,
            **kw,
        ),
    )


@pytest.fixture
def contacts(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Dana Reyes")
    mentor.credential = "CPS"
    mentee = make_mentee(name="José García", start_date=START - timedelta(days=30), with_login=True)
    other = make_mentee(name="Zoë Fischer", start_date=START, with_login=True)
    db.session.commit()
    assign(mentor, mentee)
    assign(mentor, other)
    # 45 min (3 units) shared, 22 min (1 unit) staff only, both in the period.
    _note(mentee, mentor, TODAY - timedelta(days=5), SHARED, "mentee")
    staff = _note(mentee, mentor, TODAY - timedelta(days=3), STAFF_ONLY, "staff", end=time(10, 22))
    notes.sign_note(staff, mentor)
    _note(mentee, mentor, START - timedelta(days=10), BEFORE, "mentee")
    _note(other, mentor, TODAY - timedelta(days=4), OTHER, "mentee")
    db.session.commit()
    return mentor, mentee, other


def test_staff_copy_lists_the_periods_session_notes_with_time_and_units(contacts):
    _, mentee, _ = contacts
    data = mentee_report_data(mentee, STAFF, period_from=START)
    assert [n.what_we_did for n in data.session_notes] == [SHARED, STAFF_ONLY]
    assert (data.session_minutes, data.session_units) == (67, 4)
    text = text_of(mentee_report_pdf(data))
    assert SHARED in text and STAFF_ONLY in text and f"Next: {STAFF_ONLY}" in text
    assert "2 sessions, 1 h 7 min in all, 4 billing units." in text
    assert "(45 min, 3 units)" in text and "(22 min, 1 unit)" in text
    assert "STAFF ONLY" in text and "UNSIGNED" in text  # the shared note is not signed yet
    assert BEFORE not in text and OTHER not in text


def test_mentee_copy_holds_only_notes_shared_with_the_mentee(contacts):
    _, mentee, _ = contacts
    data = mentee_report_data(mentee, MENTEE_COPY, period_from=START)
    assert [n.what_we_did for n in data.session_notes] == [SHARED]
    text = text_of(mentee_report_pdf(data))
    assert SHARED in text and "1 session, 45 min in all." in text
    assert "marker-staff" not in text and "housing" not in text
    assert "billing unit" not in text and BEFORE not in text and OTHER not in text


def test_batch_reports_give_each_mentee_their_own_notes_for_their_reader(contacts):
    _, mentee, other = contacts
    reports = list(
        batch_report_data(
            [mentee, other],
            lambda m: MENTEE_COPY if m.id == mentee.id else STAFF,
            period_from=START,
            chunk=10,
        )
    )
    assert [[n.what_we_did for n in r.session_notes] for r in reports] == [[SHARED], [OTHER]]
    # Without a start, each mentee's own start date begins the period.
    reports = list(batch_report_data([mentee, other], lambda m: STAFF))
    assert [n.what_we_did for n in reports[0].session_notes] == [BEFORE, SHARED, STAFF_ONLY]


def test_the_mentees_own_report_page_leaves_out_staff_only_session_notes(client, login, contacts):
    _, mentee, _ = contacts
    login(mentee.user)
    response = client.get(f"/me/report.pdf?from={START.isoformat()}")
    assert response.status_code == 200
    text = text_of(response.get_data())
    assert SHARED in text and "marker-staff" not in text
