"""Mentee voice and peer practice, at the service level."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import AuditEvent, SignoffEvent, SkillStatus, User
from skills.services import voice
from skills.services.progress import mentee_progress
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.status import status_differences

from .conftest import today

TODAY = today()


@pytest.fixture
def people(world):
    users = world.users
    return users["mentor_a"], world.mentee_a, users["mentee_a"], world.mentee_b, users["mentee_b"]


def test_goals_come_first_in_next_steps_and_are_capped(people, skill, monkeypatch):
    _, mentee, me, _, _ = people
    voice.set_goal(mentee, skill("use-atm"), me)
    db.session.commit()
    assert mentee_progress(mentee).next_skills[0].skill.key == "use-atm"
    with pytest.raises(voice.VoiceError, match="already one of your goals"):
        voice.set_goal(mentee, skill("use-atm"), me)
    monkeypatch.setattr(voice.mentee, "MAX_GOALS", 3)  # the mini curriculum has only 5 skills
    voice.set_goal(mentee, skill("open-bank-account"), me)
    voice.set_goal(mentee, skill("ride-and-pay"), me)
    with pytest.raises(voice.VoiceError, match="3 goals at a time"):
        voice.set_goal(mentee, skill("read-timetable"), me)
    voice.clear_goal(mentee, skill("use-atm"), me)
    db.session.commit()
    assert [g.skill.key for g in voice.open_goals(mentee)] == ["open-bank-account", "ride-and-pay"]


def test_a_mentee_acts_only_for_themself(people, skill):
    _, mentee_a, _, _, me_b = people
    for action in (
        lambda: voice.set_goal(mentee_a, skill(), me_b),
        lambda: voice.rate_self(mentee_a, skill(), "can", me_b),
        lambda: voice.report_did_it(mentee_a, skill(), "", me_b),
    ):
        with pytest.raises(voice.VoiceError, match="Only the mentee"):
            action()


def test_self_rating_sits_beside_the_level_never_averaged(people, skill):
    _, mentee, me, _, _ = people
    voice.rate_self(mentee, skill(), "help", me)
    voice.rate_self(mentee, skill(), "can", me)
    db.session.commit()
    assert voice.self_ratings([mentee.id]) == {(mentee.id, skill().id): "can"}
    assert db.session.get(SkillStatus, (mentee.id, skill().id)).level == 2  # untouched


def test_did_it_then_mentor_confirms_with_a_level(people, skill):
    mentor, mentee, me, _, _ = people
    report = voice.report_did_it(mentee, skill("ride-and-pay"), "I rode to work!", me)
    db.session.commit()
    assert report in voice.to_confirm(mentor)
    event = voice.confirm_did_it(report, mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    assert report.status == "confirmed" and report.event_id == event.id
    assert report not in voice.to_confirm(mentor)
    with pytest.raises(voice.VoiceError, match="already answered"):
        voice.reply_did_it(report, mentor, "thanks")


def test_other_mentor_cannot_answer_did_it(people, world, skill):
    _, mentee, me, _, _ = people
    report = voice.report_did_it(mentee, skill(), "", me)
    with pytest.raises(voice.VoiceError, match="assigned now"):
        voice.reply_did_it(report, world.users["other_mentor"], "hi")


def test_mentee_confirms_a_sign_off_once(people, skill):
    mentor, mentee, me, _, _ = people
    event = record_signoff(
        mentee, skill("ride-and-pay"), mentor, SignoffDetails(level=3, shown_on=TODAY)
    )
    voice.confirm_signoff(event, me, "Yes, I did it myself.")
    db.session.commit()
    assert voice.confirmations(mentee)[event.id].words == "Yes, I did it myself."
    with pytest.raises(voice.VoiceError, match="already confirmed"):
        voice.confirm_signoff(event, me, "again")


def test_refresher_keeps_the_achievement_and_shows_as_due(people, skill):
    mentor, mentee, _, _, _ = people
    record_signoff(mentee, skill("ride-and-pay"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    with pytest.raises(voice.VoiceError, match="already signed off"):
        voice.mark_refresher(mentee, skill("read-timetable"), mentor)
    voice.mark_refresher(mentee, skill("ride-and-pay"), mentor)
    db.session.commit()
    status = db.session.get(SkillStatus, (mentee.id, skill("ride-and-pay").id))
    assert status.signed_off and status.needs_refresher
    due = voice.due_checks([mentee.id], today())
    assert [(d.skill.key, d.reason) for d in due] == [("ride-and-pay", "refresher")]
    assert status_differences() == []
    record_signoff(mentee, skill("ride-and-pay"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    assert voice.due_checks([mentee.id], today()) == []


def test_recheck_interval_from_the_curriculum(people, skill):
    mentor, mentee, _, _, _ = people
    record_signoff(
        mentee,
        skill("open-bank-account"),
        mentor,
        SignoffDetails(level=3, shown_on=TODAY - timedelta(days=29)),
    )
    db.session.commit()
    assert voice.due_checks([mentee.id], today()) == []
    assert [d.reason for d in voice.due_checks([mentee.id], on=TODAY + timedelta(days=160))] == [
        "recheck"
    ]


def test_group_session_is_one_audited_action_with_an_event_per_mentee(
    world, make_mentee, assign, skill
):
    mentor = world.users["mentor_a"]
    second = make_mentee(start_date=TODAY - timedelta(days=10))
    assign(mentor, second)
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    voice.record_group_session(
        mentor,
        skill("ride-and-pay"),
        TODAY,
        [voice.Attendee(world.mentee_a, 2, "good"), voice.Attendee(second, 1)],
        place="Transit center",
        topic="Riding together",
    )
    db.session.commit()
    events = db.session.scalars(
        select(SignoffEvent).where(SignoffEvent.group_session_id.is_not(None))
    ).all()
    assert len(events) == 2 and {e.practised_with for e in events} == {"group"}
    new_audit = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(before)).all()
    assert [a.action for a in new_audit] == ["group.record"]


def test_group_session_refuses_a_mentee_outside_the_caseload(world, skill):
    mentor = world.users["mentor_a"]
    before = db.session.scalar(select(func.count()).select_from(SignoffEvent))
    with pytest.raises(voice.VoiceError, match="Only your current mentees"):
        voice.record_group_session(
            mentor,
            skill(),
            TODAY,
            [voice.Attendee(world.mentee_a, 2), voice.Attendee(world.mentee_b, 2)],
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == before


def test_local_resources_per_organisation(world, skill):
    admin = world.users["admin"]
    voice.set_resource(
        admin.organisation_id, skill(), "Reduced-fare office: 12 Main St, 9-5", admin
    )
    db.session.commit()
    assert voice.resources(admin.organisation_id) == {
        skill().id: "Reduced-fare office: 12 Main St, 9-5"
    }
    other = world.users["other_org_admin"]
    assert voice.resources(other.organisation_id) == {}
    with pytest.raises(voice.VoiceError):
        voice.set_resource(admin.organisation_id, skill(), "x", other)
    assert isinstance(admin, User)
