"""The mentor, mentee and case-manager workflows, through the test client."""

from datetime import timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import Assignment, AuditEvent, SignoffEvent, SkillStatus
from skills.services import assignments
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

TODAY = today()


@pytest.fixture
def team(make_user, make_mentee, assign):
    """Mentee A with a login, their mentor and case manager; mentee B elsewhere."""
    mentor = make_user("mentor", name="Dana Reyes")
    other_mentor = make_user("mentor")
    cm = make_user("case_manager", name="Casey Whitfield")
    a = make_mentee(name="José García", with_login=True, start_date=TODAY - timedelta(days=60))
    b = make_mentee(name="Zoë Secret", with_login=True)
    assign(mentor, a)
    assign(cm, a)
    assign(other_mentor, b)
    return {"mentor": mentor, "other_mentor": other_mentor, "cm": cm, "a": a, "b": b}


def signoff_form(level=3, shown_on=TODAY, **extra):
    data = {
        "level": str(level),
        "shown_on": shown_on.isoformat(),
        "note": "",
        "note_visibility": "mentee",
    }
    data.update(extra)
    return data


def test_mentor_sees_my_mentees_with_progress(client, login, team, skill):
    record_signoff(team["a"], skill(), team["mentor"], SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    login(team["mentor"])
    page = client.get("/mentor/").get_data(as_text=True)
    assert "José García" in page and "Zoë Secret" not in page
    assert f"Last sign-off: {format_date(TODAY, locale='en_US')}" in page
    assert "Getting around" in page and "1/3" in page


def test_mentor_signs_off_a_skill_and_sees_it_at_once(client, login, team, skill):
    login(team["mentor"])
    url = f"/mentees/{team['a'].id}/skills/{skill().id}"
    form_page = client.get(url).get_data(as_text=True)
    assert "Can do it on my own" in form_page and 'name="idempotency_key"' in form_page
    response = client.post(url, data=signoff_form(note="Rode route 12 alone", support="own"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: Get a transit card" in page
    status = db.session.get(SkillStatus, (team["a"].id, skill().id))
    assert status.level == 3 and status.signed_off
    history = client.get(f"/mentees/{team['a'].id}/history").get_data(as_text=True)
    assert "Rode route 12 alone" in history and "Dana Reyes" in history and "On my own" in history


def test_double_submit_with_same_key_records_one_event(client, login, team, skill):
    login(team["mentor"])
    url = f"/mentees/{team['a'].id}/skills/{skill().id}"
    for _ in range(2):
        client.post(url, data=signoff_form(idempotency_key="abc123"))
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 1


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_every_level_of_the_scale_can_be_recorded_from_the_form(client, login, team, skill, level):
    """Level 0 ("Not started") included: it is falsy, and once was refused as missing."""
    login(team["mentor"])
    url = f"/mentees/{team['a'].id}/skills/{skill().id}"
    response = client.post(url, data=signoff_form(level=level))
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(SignoffEvent))
    assert event.level == level
    status = db.session.get(SkillStatus, (team["a"].id, skill().id))
    assert (status.level, status.signed_off) == (level, level == 3)


def test_a_sign_off_without_a_level_is_refused(client, login, team, skill):
    login(team["mentor"])
    data = signoff_form()
    del data["level"]
    response = client.post(f"/mentees/{team['a'].id}/skills/{skill().id}", data=data)
    assert response.status_code == 422
    assert "Choose a level." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (signoff_form(shown_on=TODAY + timedelta(days=1)), "is in the future"),
        (signoff_form(shown_on=TODAY - timedelta(days=61)), "before José García started"),
        (signoff_form(note="x" * 2001), "at most 2000 characters"),
        (signoff_form(level=7), "Not a valid choice"),
        ({"level": "3", "shown_on": "yesterday"}, "Enter the date, like"),
    ],
)
def test_bad_sign_off_is_refused_beside_the_field_and_nothing_saved(
    client, login, team, skill, data, message
):
    login(team["mentor"])
    response = client.post(f"/mentees/{team['a'].id}/skills/{skill().id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 0


def test_mentor_corrects_own_entry_with_reason(client, login, team, skill):
    event = record_signoff(
        team["a"], skill(), team["mentor"], SignoffDetails(level=3, shown_on=TODAY)
    )
    db.session.commit()
    login(team["mentor"])
    url = f"/signoffs/{event.id}/correct"
    assert "Why correct it" in client.get(url).get_data(as_text=True)
    missing_reason = client.post(url, data=signoff_form(level=2))
    assert missing_reason.status_code == 422 and "Say why" in missing_reason.get_data(as_text=True)
    response = client.post(url, data=signoff_form(level=2, reason="Picked the wrong level"))
    assert response.status_code == 302
    assert db.session.get(SkillStatus, (team["a"].id, skill().id)).level == 2
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == 2


def test_other_mentor_cannot_correct_or_sign_off(client, login, team, skill):
    event = record_signoff(
        team["a"], skill(), team["mentor"], SignoffDetails(level=3, shown_on=TODAY)
    )
    db.session.commit()
    login(team["other_mentor"])
    assert client.get(f"/signoffs/{event.id}/correct").status_code == 403
    assert (
        client.post(f"/mentees/{team['a'].id}/skills/{skill().id}", data=signoff_form()).status_code
        == 403
    )
    page = client.get(f"/mentees/{team['a'].id}").get_data(as_text=True)
    assert "José" not in page


def test_case_manager_reads_but_cannot_sign_off(client, login, team, skill):
    login(team["cm"])
    page = client.get(f"/mentees/{team['a'].id}/skills/{skill().id}").get_data(as_text=True)
    assert "Get a transit card" in page and "Save sign-off" not in page
    assert (
        client.post(f"/mentees/{team['a'].id}/skills/{skill().id}", data=signoff_form()).status_code
        == 403
    )
    denied = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert denied.actor_id == team["cm"].id


def test_ended_assignment_ends_access_on_next_request(client, login, team):
    login(team["mentor"])
    assert client.get(f"/mentees/{team['a'].id}").status_code == 200
    assignment = db.session.scalar(
        select(Assignment).where(Assignment.staff_id == team["mentor"].id)
    )
    assignments.end_assignment(assignment, TODAY)
    db.session.commit()
    assert client.get(f"/mentees/{team['a'].id}").status_code == 403
    assert "José" not in client.get("/mentor/").get_data(as_text=True)


def test_mentee_sees_own_progress_in_plain_language(client, login, team, skill):
    record_signoff(team["a"], skill(), team["mentor"], SignoffDetails(level=3, shown_on=TODAY))
    record_signoff(
        team["a"],
        skill("use-atm"),
        team["mentor"],
        SignoffDetails(level=2, shown_on=TODAY, note="staff eyes only", note_visibility="staff"),
    )
    db.session.commit()
    login(db.session.get(type(team["mentor"]), team["a"].user_id))
    page = client.get("/me/").get_data(as_text=True)
    assert "I can now" in page and "I can get a transit card." in page
    assert "I'm learning" in page and "I am practicing with help" in page
    assert "Zoë" not in page
    history = client.get("/me/history").get_data(as_text=True)
    assert "staff eyes only" not in history and "I can do this on my own" in history


def test_mentee_is_sent_from_staff_page_to_own_page_and_kept_from_others(client, login, team):
    login(db.session.get(type(team["mentor"]), team["a"].user_id))
    own = client.get(f"/mentees/{team['a'].id}")
    assert own.status_code == 302 and own.headers["Location"].endswith("/me/")
    other = client.get(f"/mentees/{team['b'].id}")
    assert other.status_code == 403 and "Zoë" not in other.get_data(as_text=True)
    assert client.get(f"/mentees/{team['a'].id}/history").status_code == 403
    assert client.get("/mentor/").status_code == 403


def test_unknown_mentee_is_404(client, login, team):
    login(team["mentor"])
    assert client.get("/mentees/999999").status_code == 404
    assert client.get(f"/mentees/{team['a'].id}/skills/999999").status_code == 404


def test_caseload_table_filters_and_sorts(client, login, team, make_mentee, assign, skill):
    quiet = make_mentee(name="Quinn Quiet", start_date=TODAY - timedelta(days=90))
    assign(team["cm"], quiet)
    record_signoff(team["a"], skill(), team["mentor"], SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    login(team["cm"])
    page = client.get("/caseload/").get_data(as_text=True)
    assert "José García" in page and "Quinn Quiet" in page and "Zoë" not in page
    assert "Dana Reyes" in page
    stalled = client.get("/caseload/?stalled=y").get_data(as_text=True)
    assert "Quinn Quiet" in stalled and "José García" not in stalled
    by_mentor = client.get("/caseload/?mentor=Dana+Reyes").get_data(as_text=True)
    assert "José García" in by_mentor and "Quinn Quiet" not in by_mentor
    desc = client.get("/caseload/?sort=-progress").get_data(as_text=True)
    assert desc.index("José García") < desc.index("Quinn Quiet")
    asc = client.get("/caseload/?sort=progress").get_data(as_text=True)
    assert asc.index("Quinn Quiet") < asc.index("José García")


def test_staff_view_of_mentee_is_audited(client, login, team):
    login(team["cm"])
    client.get(f"/mentees/{team['a'].id}")
    views = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "mentee.view")).all()
    assert [(v.actor_id, v.mentee_id) for v in views] == [(team["cm"].id, team["a"].id)]


def test_mentee_history_comes_a_page_at_a_time(client, login, team, skill):
    for i in range(22):
        record_signoff(
            team["a"],
            skill(),
            team["mentor"],
            SignoffDetails(
                level=1 + i % 3,
                shown_on=TODAY - timedelta(days=22 - i),
                note=f"entry-{i}-x",
                note_visibility="mentee",  # notes are staff-only unless shared
            ),
            allow_lower=True,
        )
    db.session.commit()
    login(db.session.get(type(team["mentor"]), team["a"].user_id))
    first = client.get("/me/history").get_data(as_text=True)
    assert "entry-21-x" in first and "entry-1-x" not in first and "Page 1 of 2" in first
    second = client.get("/me/history?page=2").get_data(as_text=True)
    assert "entry-1-x" in second and "entry-21-x" not in second
    assert client.get("/me/history?page=99").status_code == 200
