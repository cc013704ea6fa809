"""Editing an unsigned session note (every edit kept as a version, never overwritten;
signed notes only take addenda) and making a sign-off from the note form."""

import html
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import AuditEvent, SessionNote, SignoffEvent, SkillStatus
from skills.models.session_notes import SessionNoteSignoff, SessionNoteVersion
from skills.services import session_note_edits as edits
from skills.services import session_note_queries as queries
from skills.services import session_notes as notes
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

YESTERDAY = today() - timedelta(days=1)


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Dana Mentor")
    mentor.credential = "CPS"
    mentee = make_mentee(name="Eli Mentee", with_login=True)
    db.session.commit()
    assign(mentor, mentee)
    return mentor, mentee


def details(**changes):
    values = dict(
        contact_on=YESTERDAY,
        starts_at=time(14, 0),
        ends_at=time(14, 45),
        mode="in_person",
        place="Library",
        what_we_did="FIRST-TEXT practised the bus route",
        how_it_went="Found the stop alone",
        next_step="Ride it together Friday",
        note_visibility="staff",
    )
    values.update(changes)
    return notes.NoteDetails(**values)


def edit_form(**changes):
    data = {
        "contact_on": YESTERDAY.isoformat(),
        "starts_at": "14:00",
        "ends_at": "14:45",
        "mode": "in_person",
        "place": "Library",
        "what_we_did": "SECOND-TEXT rode the bus together",
        "how_it_went": "Found the stop alone",
        "next_step": "Ride it together Friday",
        "note_visibility": "mentee",
        "seen_versions": "0",
    }
    data.update(changes)
    return data


def versions() -> list[SessionNoteVersion]:
    db.session.expire_all()
    return list(db.session.scalars(select(SessionNoteVersion).order_by(SessionNoteVersion.id)))


# --- Editing --------------------------------------------------------------------------


def test_the_author_edits_an_unsigned_note_and_every_version_is_kept(client, login, pair, skill):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details(skill_ids=[skill().id]))
    db.session.commit()
    login(mentor)
    page = client.get(f"/notes/{note.id}")
    assert f"/notes/{note.id}/edit" in page.text
    form = client.get(f"/notes/{note.id}/edit")
    assert form.status_code == 200 and "FIRST-TEXT" in form.text
    response = client.post(f"/notes/{note.id}/edit", data=edit_form(ends_at="15:00"))
    assert response.status_code == 302, response.text
    response = client.post(
        f"/notes/{note.id}/edit",
        data=edit_form(what_we_did="THIRD-TEXT", ends_at="15:00", seen_versions="1"),
    )
    assert response.status_code == 302
    db.session.refresh(note)
    assert note.what_we_did == "THIRD-TEXT" and note.note_visibility == "mentee"
    # 60 minutes now: units follow the new times; the skill worked on was unticked.
    assert (note.minutes, note.units) == (60, 4)
    assert queries.parts([note.id]).skills == {}
    first, second = versions()
    assert (first.number, first.what_we_did, first.minutes, first.units) == (
        1,
        "FIRST-TEXT practised the bus route",
        45,
        3,
    )
    assert first.note_visibility == "staff" and first.skill_ids == str(skill().id)
    assert (second.number, second.what_we_did) == (2, "SECOND-TEXT rode the bus together")
    assert first.replaced_by_id == mentor.id
    # Staff who read the note read what it said before; the audit log names only the
    # parts that changed, never the words.
    page = client.get(f"/notes/{note.id}").text
    assert "FIRST-TEXT" in page and "SECOND-TEXT" in page and "THIRD-TEXT" in page
    events = list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "session_note.edit"))
    )
    assert len(events) == 2
    assert "TEXT" not in events[0].detail and "what_we_did" in events[0].detail


def test_the_mentee_never_sees_earlier_versions(client, login, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details(what_we_did="STAFF-ONLY-FIRST"))
    db.session.commit()
    edits.edit_note(note, mentor, details(what_we_did="SHARED-NOW", note_visibility="mentee"))
    db.session.commit()
    login(mentee.user)
    page = client.get(f"/me/notes/{note.id}")
    assert page.status_code == 200
    assert "SHARED-NOW" in page.text and "STAFF-ONLY-FIRST" not in page.text
    assert "STAFF-ONLY-FIRST" not in client.get("/me/notes").text


def test_nothing_changed_keeps_no_version(app, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    assert edits.edit_note(note, mentor, details()) is None
    assert versions() == []


def test_a_signed_note_cannot_be_edited_only_added_to(client, login, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    notes.sign_note(note, mentor)
    db.session.commit()
    login(mentor)
    assert client.get(f"/notes/{note.id}/edit").status_code == 403
    assert client.post(f"/notes/{note.id}/edit", data=edit_form()).status_code == 403
    assert f"/notes/{note.id}/edit" not in client.get(f"/notes/{note.id}").text
    with pytest.raises(notes.SessionNoteError, match="Only the mentor who wrote"):
        edits.edit_note(note, mentor, details(what_we_did="changed"))
    db.session.rollback()
    db.session.refresh(note)
    assert note.what_we_did == "FIRST-TEXT practised the bus route" and versions() == []


def test_only_the_author_edits(client, login, pair, make_user, assign):
    mentor, mentee = pair
    colleague = make_user("mentor")
    assign(colleague, mentee)
    note = notes.record_note(mentee, mentor, details())
    db.session.commit()
    login(colleague)
    assert client.get(f"/notes/{note.id}").status_code == 200
    assert client.post(f"/notes/{note.id}/edit", data=edit_form()).status_code == 403
    with pytest.raises(notes.SessionNoteError, match="Only the mentor who wrote"):
        edits.edit_note(note, colleague, details(what_we_did="changed"))
    db.session.rollback()
    assert versions() == []


def test_an_edit_made_on_an_older_copy_is_refused(client, login, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    db.session.commit()
    login(mentor)
    assert client.post(f"/notes/{note.id}/edit", data=edit_form()).status_code == 302
    # A second tab, opened before that edit, still says 0 earlier versions.
    stale = client.post(f"/notes/{note.id}/edit", data=edit_form(what_we_did="STALE"))
    assert stale.status_code == 422 and "changed since you opened it" in stale.text
    db.session.refresh(note)
    assert note.what_we_did == "SECOND-TEXT rode the bus together" and len(versions()) == 1


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ends_at": "13:30"}, "ends_at", "must be after the start time"),
        (
            {"contact_on": (today() + timedelta(days=1)).isoformat()},
            "contact_on",
            "is in the future",
        ),
        ({"what_we_did": " "}, "what_we_did", "Say what you did together"),
        ({"skill_ids": ["999999"]}, "skill_ids", "not in this mentee's program"),
    ],
)
def test_a_bad_edit_is_refused_beside_its_field_and_changes_nothing(
    client, login, pair, changes, field, message
):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    db.session.commit()
    login(mentor)
    response = client.post(f"/notes/{note.id}/edit", data=edit_form(**changes))
    assert response.status_code == 422
    errors = html.unescape(response.text).split(f'id="{field}-errors"', 1)
    assert len(errors) == 2 and message in errors[1].split("</ul>", 1)[0]
    db.session.refresh(note)
    assert note.what_we_did.startswith("FIRST-TEXT") and versions() == []


def test_the_date_moves_the_last_day_to_sign_unless_sign_offs_are_linked(app, pair, skill):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    edits.edit_note(note, mentor, details(contact_on=YESTERDAY - timedelta(days=2)))
    assert note.sign_by == YESTERDAY - timedelta(days=2) + timedelta(days=3)
    event = record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=YESTERDAY))
    linked = notes.record_note(mentee, mentor, details(signoff_ids=[event.id]))
    with pytest.raises(notes.SessionNoteError, match="its date stays") as refused:
        edits.edit_note(linked, mentor, details(contact_on=YESTERDAY - timedelta(days=1)))
    assert refused.value.field == "contact_on"
    day = linked.contact_on
    assert f"its date stays {day:%b} {day.day}, {day.year}." in str(refused.value)


# --- A sign-off made from the note form -----------------------------------------------


def note_form(mentee, **changes):
    data = {
        "mentee_id": str(mentee.id),
        "contact_on": YESTERDAY.isoformat(),
        "starts_at": "10:00",
        "ends_at": "10:30",
        "mode": "in_person",
        "what_we_did": "Practised paying the fare",
        "note_visibility": "mentee",
        "idempotency_key": "form-key-1",
    }
    data.update(changes)
    return data


def test_a_sign_off_is_made_from_the_note_form_and_linked(client, login, pair, skill):
    mentor, mentee = pair
    login(mentor)
    page = client.get(f"/mentor/notes/new?mentee_id={mentee.id}")
    assert 'name="signoff_skill_id"' in page.text and 'name="signoff_level"' in page.text
    data = note_form(mentee, signoff_skill_id=str(skill().id), signoff_level="2")
    first = client.post("/mentor/notes/new", data=data)
    second = client.post("/mentor/notes/new", data=data)  # a double submit
    assert first.status_code == second.status_code == 302
    note = db.session.scalar(select(SessionNote))
    event = db.session.scalar(select(SignoffEvent))
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 1
    # Through the sign-off service: the date is the note's, the status row follows.
    assert (event.mentee_id, event.skill_id, event.level) == (mentee.id, skill().id, 2)
    assert event.shown_on == YESTERDAY and event.recorded_by_id == mentor.id
    assert event.note_visibility == "mentee"
    status = db.session.scalar(
        select(SkillStatus).where(
            SkillStatus.mentee_id == mentee.id, SkillStatus.skill_id == skill().id
        )
    )
    assert status.level == 2
    assert [e.id for e in queries.parts([note.id]).signoffs[note.id]] == [event.id]
    assert [s.id for s in queries.parts([note.id]).skills[note.id]] == [skill().id]
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "signoff.record" in actions and "session_note.record" in actions


def test_a_lower_level_from_the_note_form_needs_confirming_and_stores_nothing(
    client, login, pair, skill
):
    mentor, mentee = pair
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=3, shown_on=YESTERDAY))
    db.session.commit()
    login(mentor)
    data = note_form(mentee, signoff_skill_id=str(skill().id), signoff_level="1")
    refused = client.post("/mentor/notes/new", data=data)
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "This would lower" in text and 'name="confirm_lower"' in text
    assert db.session.scalar(select(func.count()).select_from(SessionNote)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 1
    confirmed = client.post("/mentor/notes/new", data={**data, "confirm_lower": "y"})
    assert confirmed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SessionNoteSignoff)) == 1


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"signoff_skill_id": "SKILL"}, "signoff_level", "Choose the level reached"),
        ({"signoff_level": "2"}, "signoff_level", "Choose the skill this level is for"),
        ({"signoff_skill_id": "999999", "signoff_level": "2"}, "signoff_skill_id", "from the list"),
        ({"signoff_skill_id": "SKILL", "signoff_level": "9"}, "signoff_level", "not in this"),
    ],
)
def test_a_bad_sign_off_on_the_note_form_is_refused_beside_its_field(
    client, login, pair, skill, changes, field, message
):
    mentor, mentee = pair
    login(mentor)
    changes = {k: v.replace("SKILL", str(skill().id)) for k, v in changes.items()}
    response = client.post("/mentor/notes/new", data=note_form(mentee, **changes))
    assert response.status_code == 422
    errors = html.unescape(response.text).split(f'id="{field}-errors"', 1)
    assert len(errors) == 2 and message in errors[1].split("</ul>", 1)[0]
    assert db.session.scalar(select(func.count()).select_from(SessionNote)) == 0
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 0
