"""The mentee's voice heard both ways: "That's not right", what became of "I did it",
help requests and disagreements on the mentor's list, goals set with the mentor, and
past goals and self-ratings as history."""

import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from skills.extensions import db
from skills.models import AuditEvent, DidItReport, Goal, SignoffDisagreement, SkillStatus
from skills.services import voice
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import today
from .test_voice_web import client_for

TODAY = today()


@pytest.fixture
def a(world):
    """Mentee A, their login, their mentor, and the sign-off the route tests use."""
    from skills.models import SignoffEvent

    event = db.session.get(SignoffEvent, world.params["event_id"])
    return world.mentee_a, world.users["mentee_a"], world.users["mentor_a"], event


def read(client, path: str) -> str:
    """The page as a reader sees it (entities such as &#39; undone)."""
    response = client.get(path)
    assert response.status_code == 200, path
    return unescape(response.get_data(as_text=True))


def _level(mentee, skill_id) -> int:
    return db.session.get(SkillStatus, (mentee.id, skill_id), populate_existing=True).level


# "That's not right"


def test_not_right_is_stored_in_the_mentees_words_and_leaves_the_level(a):
    mentee, me, _, event = a
    before = _level(mentee, event.skill_id)
    row = voice.disagree_signoff(event, me, "  We only talked about it.  ")
    db.session.commit()
    assert row.words == "We only talked about it."
    assert voice.disagreements(mentee)[event.id].words == "We only talked about it."
    assert _level(mentee, event.skill_id) == before
    assert db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "signoff.disagree", AuditEvent.object_id == str(event.id)
        )
    )


def test_each_sign_off_is_answered_once_either_way(a, world, skill):
    mentee, me, mentor, event = a
    voice.disagree_signoff(event, me, "Not yet")
    db.session.commit()
    with pytest.raises(voice.VoiceError, match="already told your mentor"):
        voice.confirm_signoff(event, me, "")
    with pytest.raises(voice.VoiceError, match="already told your mentor"):
        voice.disagree_signoff(event, me, "Again")
    other = record_signoff(
        mentee, skill("read-timetable"), mentor, SignoffDetails(level=1, shown_on=TODAY)
    )
    voice.confirm_signoff(other, me, "")
    db.session.commit()
    with pytest.raises(voice.VoiceError, match="already confirmed"):
        voice.disagree_signoff(other, me, "Changed my mind")


def test_not_right_needs_words_and_the_mentee_themself(a, world):
    mentee, me, _, event = a
    with pytest.raises(voice.VoiceError, match="what is not right") as caught:
        voice.disagree_signoff(event, me, "   ")
    assert caught.value.field == "words"
    with pytest.raises(voice.VoiceError, match="Only the mentee"):
        voice.disagree_signoff(event, world.users["mentee_b"], "Not mine")
    with pytest.raises(voice.VoiceError, match="500 characters"):
        voice.disagree_signoff(event, me, "x" * 501)
    assert db.session.scalar(select(func.count()).select_from(SignoffDisagreement)) == 0


def test_a_refresher_is_not_answered(a):
    mentee, me, mentor, event = a
    record_signoff(
        mentee, event.skill, mentor, SignoffDetails(level=3, shown_on=TODAY), allow_lower=True
    )
    refresher = voice.mark_refresher(mentee, event.skill, mentor)
    with pytest.raises(voice.VoiceError, match="refresher"):
        voice.disagree_signoff(refresher, me, "Hmm")


def test_the_database_keeps_disagreements_append_only(a):
    _, me, _, event = a
    voice.disagree_signoff(event, me, "Not yet")
    db.session.commit()
    for statement in (
        "UPDATE signoff_disagreements SET words = 'x'",
        "DELETE FROM signoff_disagreements",
    ):
        with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert db.session.scalar(select(SignoffDisagreement.words)) == "Not yet"


# The mentor's list


def test_disagreement_waits_on_the_mentors_list_until_they_record_something(a, world):
    mentee, me, mentor, event = a
    voice.disagree_signoff(event, me, "I needed help with it")
    db.session.commit()
    inbox = voice.mentor_inbox(mentor)
    assert [(d.mentee_id, d.event_id, d.words) for d in inbox.disagreements] == [
        (mentee.id, event.id, "I needed help with it")
    ]
    # Only current mentors: an ended assignment and another mentee's mentor see nothing.
    assert not voice.mentor_inbox(world.users["mentor_ended"]).disagreements
    assert not voice.mentor_inbox(world.users["other_mentor"]).disagreements
    correct_signoff(
        event, mentor, SignoffDetails(level=1, shown_on=TODAY), "She needed help, she said"
    )
    db.session.commit()
    assert not voice.mentor_inbox(mentor).disagreements


def test_help_request_reaches_the_mentor_until_answered(a, skill):
    mentee, me, mentor, _ = a
    atm, timetable = skill("use-atm"), skill("read-timetable")
    voice.rate_self(mentee, atm, "help", me)
    voice.rate_self(mentee, timetable, "help", me)
    db.session.commit()
    assert {h.skill.key for h in voice.mentor_inbox(mentor).help} == {"use-atm", "read-timetable"}
    # A newer "I can do this" takes it off; so does anything the mentor records after it.
    voice.rate_self(mentee, timetable, "can", me)
    record_signoff(mentee, atm, mentor, SignoffDetails(level=2, shown_on=TODAY))
    db.session.commit()
    assert voice.mentor_inbox(mentor).help == []


def test_mentor_list_shows_claims_help_and_not_right(app, a, skill):
    mentee, me, mentor, event = a
    voice.rate_self(mentee, skill("use-atm"), "help", me)
    voice.disagree_signoff(event, me, "WORDS-QZ-NOTRIGHT")
    db.session.commit()
    page = read(client_for(app, mentor), "/mentor/")
    section = page[page.index('id="from-mentees"') :]
    assert "To confirm" in section and "Ride and pay" in section  # the open claim
    assert "Asked for help" in section and "Use an ATM" in section
    assert "Says a sign-off is not right" in section and "WORDS-QZ-NOTRIGHT" in section
    assert f"#event-{event.id}" in section


# Through the pages, as the mentee


def test_mentee_says_not_right_and_staff_see_it_beside_the_sign_off(app, a, world):
    mentee, me_user, _, event = a
    me = client_for(app, me_user)
    page = read(me, f"/me/skills/{event.skill_id}")
    assert "Is this right? Tell your mentor" in page
    # One form, two buttons: "That's not right" sends the same words elsewhere.
    assert f'formaction="/me/signoffs/{event.id}/not-right?back=skill"' in page
    assert f'action="/me/signoffs/{event.id}/confirm?back=skill"' in page
    response = me.post(
        f"/me/signoffs/{event.id}/not-right?back=skill", data={"words": "I only watched"}
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/me/skills/{event.skill_id}#signoff-{event.id}")
    page = read(me, f"/me/skills/{event.skill_id}")
    assert "You said this is not right: “I only watched”" in page
    assert f"/me/signoffs/{event.id}/not-right" not in page  # answered once
    assert _level(mentee, event.skill_id) == 2
    for staff in ("mentor_a", "cm_a"):
        page = read(
            client_for(app, world.users[staff]), f"/mentees/{mentee.id}/skills/{event.skill_id}"
        )
        assert "Not right, says" in page and "“I only watched”" in page


def test_empty_not_right_is_refused_with_a_message(app, a):
    _, me_user, _, event = a
    me = client_for(app, me_user)
    response = me.post(f"/me/signoffs/{event.id}/not-right", data={"words": ""})
    assert response.status_code == 302
    assert "what is not right" in read(me, "/me/history")
    assert db.session.scalar(select(func.count()).select_from(SignoffDisagreement)) == 0


def test_mentee_cannot_answer_someone_elses_sign_off(app, a, world):
    _, _, _, event = a
    other = client_for(app, world.users["mentee_b"])
    response = other.post(f"/me/signoffs/{event.id}/not-right", data={"words": "no"})
    assert response.status_code == 404


def test_mentee_sees_i_did_it_was_sent_and_what_the_mentor_said(app, a, world, skill):
    _, me_user, mentor_user, _ = a
    me = client_for(app, me_user)
    ride = skill("ride-and-pay")
    page = read(me, f"/me/skills/{ride.id}")
    assert "What I told my mentor" in page and "Waiting for your mentor" in page
    assert "I rode the bus" in page
    mentor = client_for(app, mentor_user)
    mentor.post(
        f"/mentor/did-it/{world.params['report_id']}",
        data={"reply-reply": "REPLY-QZ Let's ride together first"},
    )
    page = read(me, f"/me/skills/{ride.id}")
    assert "Not yet" in page and "REPLY-QZ Let's ride together first" in page
    assert "Waiting for your mentor" not in page
    assert "REPLY-QZ" in read(me, "/me/")  # on the progress page too

    atm = skill("use-atm")
    me.post(f"/me/skills/{atm.id}/did-it", data={"note": "Took out $20"})
    report = db.session.scalar(select(DidItReport).where(DidItReport.skill_id == atm.id))
    mentor.post(
        f"/mentor/did-it/{report.id}",
        data={"confirm-level": "3", "confirm-shown_on": TODAY.isoformat()},
    )
    page = read(me, f"/me/skills/{atm.id}")
    assert "Confirmed" in page and "Took out $20" in page


def test_earlier_self_rating_is_chosen_on_the_form(app, a, skill):
    _, me_user, _, _ = a
    me = client_for(app, me_user)
    atm = skill("use-atm")
    page = read(me, f"/me/skills/{atm.id}")
    assert "checked" not in page[page.index('name="rating"') - 200 :][:2000]
    me.post(f"/me/skills/{atm.id}/rating", data={"rating": "help"})
    page = read(me, f"/me/skills/{atm.id}")
    checked = re.findall(r"<input[^>]*checked[^>]*>", page)
    assert len(checked) == 1 and 'value="help"' in checked[0]


# Goals with the mentor, and history


def test_mentor_sets_and_takes_off_a_goal_with_the_mentee(app, a, skill):
    mentee, _, mentor_user, _ = a
    mentor = client_for(app, mentor_user)
    atm = skill("use-atm")
    page = read(mentor, f"/mentees/{mentee.id}/skills/{atm.id}")
    assert "Make this one of Alma Qzmarkera's goals" in page
    response = mentor.post(f"/mentees/{mentee.id}/skills/{atm.id}/goal")
    assert response.status_code == 302
    goal = db.session.scalar(select(Goal))
    assert (goal.skill_id, goal.set_by_id, goal.cleared_at) == (atm.id, mentor_user.id, None)
    audit_row = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "goal.set"))
    assert audit_row.actor_id == mentor_user.id and json.loads(audit_row.detail)["with_mentee"]
    page = read(mentor, f"/mentees/{mentee.id}/skills/{atm.id}")
    assert "Take off Alma Qzmarkera's goals" in page
    mentor.post(f"/mentees/{mentee.id}/skills/{atm.id}/goal/clear")
    db.session.expire_all()
    assert db.session.scalar(select(Goal)).cleared_at is not None
    assert db.session.scalar(
        select(func.count()).where(
            AuditEvent.action == "goal.clear", AuditEvent.actor_id == mentor_user.id
        )
    )


def test_mentor_goals_keep_the_limit_and_the_assignment(app, a, world, skill, monkeypatch):
    mentee, _, mentor_user, _ = a
    monkeypatch.setattr(voice.mentee, "MAX_GOALS", 2)
    for key in ("use-atm", "read-timetable"):
        voice.set_goal(mentee, skill(key), mentor_user)
    db.session.commit()
    with pytest.raises(voice.VoiceError, match="Alma Qzmarkera can have 2 goals"):
        voice.set_goal(mentee, skill("open-bank-account"), mentor_user)
    for user in ("mentor_ended", "mentor_future", "cm_a", "other_mentor"):
        with pytest.raises(voice.VoiceError, match="Only the mentee, or their mentor"):
            voice.set_goal(mentee, skill("open-bank-account"), world.users[user])
    db.session.rollback()  # the refused additions held the mentee's write lock
    ended = client_for(app, world.users["mentor_ended"])
    assert ended.post(f"/mentees/{mentee.id}/skills/{skill().id}/goal").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Goal)) == 2


def test_past_goals_and_ratings_are_history_for_mentee_and_staff(app, a, world, skill):
    mentee, me_user, mentor_user, _ = a
    atm = skill("use-atm")
    voice.rate_self(mentee, atm, "help", me_user)
    voice.set_goal(mentee, atm, mentor_user)
    db.session.commit()
    voice.clear_goal(mentee, atm, me_user)
    voice.rate_self(mentee, atm, "can", me_user)
    db.session.commit()
    said = voice.voice_history(mentee, atm)
    # Newest first: nothing is lost when a goal is taken off or a rating changes.
    assert [(s.kind, s.rating) for s in said] == [
        ("rating", "can"),
        ("goal_cleared", None),
        ("goal_set", None),
        ("rating", "help"),
    ]
    assert said[2].set_by_name == mentor_user.display_name

    me = client_for(app, me_user)
    for path in (f"/me/skills/{atm.id}", "/me/history"):
        page = read(me, path)
        history = page[page.index("My goals and answers before") :]
        assert "I said: “I'd like help with this”" in history
        assert f"(with {mentor_user.display_name})" in history and "Took it off my goals" in history
    for staff in ("mentor_a", "cm_a", "admin"):
        client = client_for(app, world.users[staff])
        for path in (f"/mentees/{mentee.id}/skills/{atm.id}", f"/mentees/{mentee.id}/history"):
            page = read(client, path)
            history = page[page.index("Goals and self-ratings over time") :]
            assert "said “I'd like help with this”" in history and "taken off goals" in history
