"""Group contacts (one note and billing line per mentee, the group modifiers) and the
billing export for a case manager's caseload."""

import csv
import html
import io
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import SessionNote
from skills.services import billing_settings
from skills.services import session_note_groups as groups
from skills.services import session_notes as notes
from skills.services.organisations import SettingsRefused

from .conftest import today

YESTERDAY = today() - timedelta(days=1)


@pytest.fixture
def team(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Dana Mentor")
    mentor.credential = "CPS"
    mentees = [make_mentee(name=name, with_login=True) for name in ("Ann Aa", "Ben Bb", "Cat Cc")]
    for n, mentee in enumerate(mentees):
        mentee.record_number = f"R-{n + 1}"
        assign(mentor, mentee)
    db.session.commit()
    return mentor, mentees


def group_form(mentees, **changes):
    data = {
        "contact_on": YESTERDAY.isoformat(),
        "starts_at": "10:00",
        "ends_at": "11:00",
        "mode": "in_person",
        "place": "Peer center",
        "what_we_did": "GROUP-TEXT budgeting workshop",
        "next_step": "Bring a bank statement",
        "note_visibility": "mentee",
        "idempotency_key": "group-key-1",
    }
    for m in mentees:
        data[f"attend-{m.id}"] = "y"
        data[f"how_it_went-{m.id}"] = f"OWN-WORDS-{m.name}"
    data.update(changes)
    return data


def note_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SessionNote))


def test_each_mentee_of_a_group_gets_their_own_note_and_billing_line(client, login, team):
    mentor, mentees = team
    came = mentees[:2]
    login(mentor)
    assert client.get("/mentor/notes/group").status_code == 200
    first = client.post("/mentor/notes/group", data=group_form(came))
    second = client.post("/mentor/notes/group", data=group_form(came))  # a double submit
    assert first.status_code == second.status_code == 302
    saved = list(db.session.scalars(select(SessionNote).order_by(SessionNote.mentee_id)))
    assert [n.mentee_id for n in saved] == [m.id for m in came]
    for note, mentee in zip(saved, came, strict=True):
        # Same time, mode and place; units per mentee by the rule; own words.
        assert (note.contact_on, note.starts_at, note.ends_at) == (YESTERDAY, time(10), time(11))
        assert (note.mode, note.place, note.minutes, note.units) == (
            "in_person",
            "Peer center",
            60,
            4,
        )
        assert note.how_it_went == f"OWN-WORDS-{mentee.name}"
        assert note.modifiers == "HQ" and note.group_key == "group-key-1"
    assert groups.group_size(saved[0]) == 2
    # A mentee reads their own note: never the other member's name or words.
    login(came[0].user)
    page = client.get(f"/me/notes/{saved[0].id}").text
    assert "GROUP-TEXT" in page and "OWN-WORDS-Ann Aa" in page
    assert "Ben Bb" not in page and "OWN-WORDS-Ben Bb" not in page


def test_a_refusal_for_one_member_saves_nothing_for_anyone(client, login, team):
    mentor, mentees = team
    mentees[2].start_date = today()  # started after the session
    db.session.commit()
    login(mentor)
    response = client.post("/mentor/notes/group", data=group_form(mentees))
    assert response.status_code == 422
    assert "Cat Cc: The date" in html.unescape(response.text)
    assert note_count() == 0
    too_long = group_form(mentees[:2], **{f"how_it_went-{mentees[1].id}": "x" * 2001})
    response = client.post("/mentor/notes/group", data=too_long)
    assert response.status_code == 422
    assert f'id="err-{mentees[1].id}"' in response.text and "2001 characters" in response.text
    assert note_count() == 0


def test_a_group_needs_two_of_my_mentees(client, login, team, make_mentee):
    mentor, mentees = team
    stranger = make_mentee(name="Sam Stranger")
    login(mentor)
    # An id the form did not offer is not read at all, so this is a group of one.
    response = client.post("/mentor/notes/group", data=group_form([mentees[0], stranger]))
    assert response.status_code == 422
    assert "Choose at least two mentees" in response.text and "Sam Stranger" not in response.text
    assert note_count() == 0


def test_group_modifiers_follow_the_usual_ones_each_once(app, team):
    mentor, mentees = team
    org = mentor.organisation
    org.billing_modifiers, org.group_modifiers = "U1 HQ", "HQ"
    assert groups.group_modifiers(org) == "U1 HQ"
    org.billing_modifiers, org.group_modifiers = "U1", "HQ"
    assert groups.group_modifiers(org) == "U1 HQ"
    members = [groups.GroupMember(m) for m in mentees]
    detail = notes.NoteDetails(YESTERDAY, time(9), time(9, 22), "phone", what_we_did="Call")
    saved = groups.record_group_notes(mentor, members, detail, idempotency_key="k2")
    assert {(n.modifiers, n.units) for n in saved} == {("U1 HQ", 1)}
    one = notes.record_note(mentees[0], mentor, detail)
    assert one.modifiers == "U1" and one.group_key is None


def test_group_modifiers_are_a_checked_setting(app, team):
    org = team[0].organisation
    wanted = billing_settings.BillingSettings("H0038", "U1 U2 U3", 15, 8, 3, "HQ U4")
    with pytest.raises(SettingsRefused, match="more than 4") as refused:
        billing_settings.update(org, wanted, None)
    assert refused.value.field == "group_modifiers"
    with pytest.raises(SettingsRefused) as refused:
        billing_settings.update(
            org, billing_settings.BillingSettings("H0038", "", 15, 8, 3, "H"), None
        )
    assert refused.value.field == "group_modifiers"
    changes = billing_settings.update(
        org, billing_settings.BillingSettings("H0038", "U1", 15, 8, 3, "hq"), None
    )
    assert set(changes) == {"billing_modifiers"}  # "hq" is the HQ already set
    assert (org.billing_modifiers, org.group_modifiers) == ("U1", "HQ")


# --- The billing export of a caseload -------------------------------------------------


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_case_manager_exports_their_caseloads_billing(
    client, login, team, make_user, make_mentee, assign
):
    mentor, mentees = team
    manager = make_user("case_manager")
    assign(manager, mentees[0])
    assign(manager, mentees[1])
    other = make_mentee(name="Olga Other")
    other.record_number = "R-OTHER"
    assign(mentor, other)
    members = [groups.GroupMember(m) for m in mentees]
    detail = notes.NoteDetails(YESTERDAY, time(9), time(10), "in_person", what_we_did="Group")
    for note in groups.record_group_notes(mentor, members, detail, idempotency_key="g1"):
        notes.sign_note(note, mentor)
    notes.record_note(other, mentor, detail)
    db.session.commit()
    month = YESTERDAY.strftime("%Y-%m")
    login(manager)
    caseload = client.get("/caseload/").text
    assert "/notes/billing?scope=caseload" in html.unescape(caseload)
    page = client.get(f"/notes/billing?scope=caseload&month={month}")
    assert page.status_code == 200 and "my caseload" in page.text
    export = client.get(f"/notes/billing.csv?scope=caseload&month={month}")
    assert export.status_code == 200
    assert f"billing-{month}-caseload.csv" in export.headers["Content-Disposition"]
    rows = _rows(export.data)
    billed = rows[1 : rows.index([])]
    # Only the caseload's mentees, each with the whole group's size.
    assert sorted(r[0] for r in billed) == ["R-1", "R-2"] and {r[-1] for r in billed} == {"3"}
    assert "R-OTHER" not in export.text and "R-3" not in export.text
    # The organization's export is for admins only.
    admin = make_user("admin")
    login(admin)
    everything = client.get(f"/notes/billing.csv?month={month}").text
    assert "R-3" in everything and "R-OTHER" in everything
    login(mentor)
    assert client.get(f"/notes/billing.csv?month={month}").status_code == 403
