"""The demo shows every part of the product: goals, self-ratings, "I did it" claims and
replies, confirmations, disagreements, group sessions, local details, refreshers,
stalled mentees and notes that fit their skills; the same seed gives the same data."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills.demo import create_demo
from skills.demo_text import DOMAIN_NOTES, GENERAL_NOTES, SKILL_NOTES, STAFF_NOTES
from skills.extensions import db
from skills.models import (
    Assignment,
    DidItReport,
    Domain,
    Goal,
    GroupSession,
    Mentee,
    Organisation,
    SelfRating,
    SignoffConfirmation,
    SignoffDisagreement,
    SignoffEvent,
    Skill,
    SkillResource,
    User,
)
from skills.services import curriculum as curriculum_service
from skills.services import voice
from skills.services.progress import caseload_progress, curriculum_view
from skills.services.status import status_differences

from .conftest import MINI_CURRICULUM

CURRICULUM = Path(__file__).resolve().parents[1] / "curriculum" / "daily-living.yaml"


@pytest.fixture
def demo(app):
    curriculum_service.load_files([CURRICULUM])
    summary = create_demo(mentees=16, mentors=3, case_managers=1, months=6, password="demo-pass-1")
    db.session.commit()
    return summary.organisation


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_has_goals_past_and_present_some_set_with_the_mentor(demo):
    mentee_users = select(Mentee.user_id)
    assert _count(Goal, Goal.cleared_at.is_(None)) >= 8
    assert _count(Goal, Goal.cleared_at.is_not(None)) >= 2
    assert _count(Goal, Goal.set_by_id.not_in(mentee_users)) >= 2  # set with the mentor
    open_per_mentee = db.session.execute(
        select(func.count()).where(Goal.cleared_at.is_(None)).group_by(Goal.mentee_id)
    ).scalars()
    assert max(open_per_mentee) <= 5


def test_demo_has_self_ratings_that_changed(demo):
    assert _count(SelfRating, SelfRating.rating == "can") >= 4
    assert _count(SelfRating, SelfRating.rating == "help") >= 4
    changed = db.session.execute(
        select(SelfRating.mentee_id, SelfRating.skill_id)
        .group_by(SelfRating.mentee_id, SelfRating.skill_id)
        .having(func.count(func.distinct(SelfRating.rating)) == 2)
    ).all()
    assert changed


def test_demo_has_claims_waiting_confirmed_and_replied(demo):
    for status in ("open", "confirmed", "replied"):
        assert _count(DidItReport, DidItReport.status == status) >= 2, status
    replied = db.session.scalars(select(DidItReport).where(DidItReport.status == "replied"))
    assert all(r.reply and r.resolved_by_id for r in replied)
    for report in db.session.scalars(select(DidItReport).where(DidItReport.status == "confirmed")):
        event = db.session.get(SignoffEvent, report.event_id)
        assert (event.mentee_id, event.skill_id) == (report.mentee_id, report.skill_id)


def test_demo_has_confirmations_and_disagreements_never_on_the_same_sign_off(demo):
    confirmed = set(db.session.scalars(select(SignoffConfirmation.event_id)))
    disagreed = set(db.session.scalars(select(SignoffDisagreement.event_id)))
    assert len(confirmed) >= 4 and len(disagreed) >= 2
    assert not confirmed & disagreed
    for row in db.session.scalars(select(SignoffDisagreement)):
        assert row.words and db.session.get(SignoffEvent, row.event_id).mentee_id == row.mentee_id


def test_each_demo_mentor_has_something_from_their_mentees(demo):
    mentors = db.session.scalars(
        select(User).where(User.organisation_id == demo.id, User.roles == "mentor")
    ).all()
    inboxes = [voice.mentor_inbox(mentor) for mentor in mentors]
    assert all(inboxes)
    assert any(i.claims for i in inboxes)
    assert any(i.help for i in inboxes)
    assert any(i.disagreements for i in inboxes)


def test_demo_has_group_sessions_refreshers_and_local_details(demo):
    sessions = db.session.scalars(select(GroupSession)).all()
    assert len(sessions) >= 2
    for session in sessions:
        attendees = _count(SignoffEvent, SignoffEvent.group_session_id == session.id)
        assert attendees >= 2
    assert _count(SignoffEvent, SignoffEvent.kind == "refresher") >= 1
    assert voice.due_checks(list(db.session.scalars(select(Mentee.id))))
    details = db.session.scalars(
        select(SkillResource).where(SkillResource.organisation_id == demo.id)
    ).all()
    assert len(details) >= 3 and all(d.details for d in details)
    assert status_differences() == []


def test_demo_has_stalled_and_active_mentees(demo):
    mentees = db.session.scalars(select(Mentee).where(Mentee.status == "active")).all()
    rows = caseload_progress(mentees, curriculum_view(demo.id))
    stalled = [r for r in rows if r.stalled]
    assert 1 <= len(stalled) < len(rows) // 2


def test_demo_notes_fit_their_skills(demo):
    rows = db.session.execute(
        select(SignoffEvent.note, SignoffEvent.note_visibility, Skill.key, Domain.key)
        .join(Skill, Skill.id == SignoffEvent.skill_id)
        .join(Domain, Domain.id == Skill.domain_id)
        .where(
            SignoffEvent.kind == "signoff",
            SignoffEvent.group_session_id.is_(None),
            SignoffEvent.note != "",
        )
    ).all()
    assert len(rows) > 100
    checked = 0
    for note, visibility, skill_key, domain_key in rows:
        if visibility == "staff":
            assert note in (STAFF_NOTES.get(domain_key), *STAFF_NOTES_GENERAL), note
            continue
        fitting = SKILL_NOTES.get(skill_key) or DOMAIN_NOTES.get(domain_key) or GENERAL_NOTES
        if note.startswith("Corrected:"):
            continue
        assert note in fitting, (note, skill_key)
        checked += 1
    assert checked > 100
    # Notes are about the skill: a transport note never lands on a money skill.
    assert not any(
        note in DOMAIN_NOTES["getting-around"]
        for note, _, _, domain in rows
        if domain != "getting-around"
    )


STAFF_NOTES_GENERAL = ("Check in with the case manager before the next session.",)


def _snapshot(org: Organisation) -> dict:
    """What the demo holds for one organisation, without ids or the organisation."""
    mentees = {
        m.id: m.full_name
        for m in db.session.scalars(select(Mentee).where(Mentee.organisation_id == org.id))
    }
    skills = {s.id: s.key for s in db.session.scalars(select(Skill))}

    def rows(query):
        return sorted(
            tuple(
                mentees.get(v, v)
                if k == "mentee_id"
                else skills.get(v, v)
                if k == "skill_id"
                else v
                for k, v in row._mapping.items()
            )
            for row in db.session.execute(query)
        )

    mine = list(mentees)
    return {
        "events": rows(
            select(
                SignoffEvent.mentee_id,
                SignoffEvent.skill_id,
                SignoffEvent.level,
                SignoffEvent.kind,
                SignoffEvent.shown_on,
                SignoffEvent.note,
            ).where(SignoffEvent.mentee_id.in_(mine))
        ),
        "goals": rows(
            select(Goal.mentee_id, Goal.skill_id, Goal.cleared_at.is_(None)).where(
                Goal.mentee_id.in_(mine)
            )
        ),
        "ratings": rows(
            select(SelfRating.mentee_id, SelfRating.skill_id, SelfRating.rating).where(
                SelfRating.mentee_id.in_(mine)
            )
        ),
        "claims": rows(
            select(
                DidItReport.mentee_id, DidItReport.skill_id, DidItReport.status, DidItReport.reply
            ).where(DidItReport.mentee_id.in_(mine))
        ),
        "disagreements": rows(
            select(SignoffDisagreement.mentee_id, SignoffDisagreement.words).where(
                SignoffDisagreement.mentee_id.in_(mine)
            )
        ),
        "assignments": len(
            rows(select(Assignment.mentee_id).where(Assignment.mentee_id.in_(mine)))
        ),
    }


def test_same_seed_same_day_gives_the_same_demo(app, tmp_path):
    from skills import create_app

    def build() -> dict:
        curriculum_service.load_files([CURRICULUM])
        summary = create_demo(mentees=10, mentors=2, months=4, seed=7)
        db.session.commit()
        return _snapshot(summary.organisation)

    first = build()
    assert first["events"] and first["goals"] and first["claims"] and first["disagreements"]
    # Demo usernames are fixed, so the second run goes into a second (SQLite) database.
    second_app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'second.sqlite'}",
            "TESTING": True,
            "CURRICULUM_DIR": CURRICULUM.parent,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )
    with second_app.app_context():
        db.create_all()
        curriculum_service.load_files([MINI_CURRICULUM])  # as the `app` fixture does
        second = build()
        db.session.remove()
        db.engine.dispose()
    assert second == first
