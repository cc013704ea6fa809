"""The demo shows every part of the product: goals, self-ratings, "I did it" claims and
replies, confirmations, disagreements, group sessions, local details, refreshers,
stalled mentees and notes that fit their skills; the same seed gives the same data."""

from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills import timeutil
from skills.demo import create_demo
from skills.demo_notes import HOW_IT_WENT
from skills.demo_text import (
    DOMAIN_NOTES,
    GENERAL_NOTES,
    SKILL_NOTES,
    STAFF_NOTE_GENERAL,
    STAFF_NOTES,
)
from skills.extensions import db
from skills.models import (
    Assignment,
    DidItReport,
    Domain,
    Goal,
    GroupSession,
    Mentee,
    Organisation,
    Photo,
    SelfRating,
    SignoffConfirmation,
    SignoffDisagreement,
    SignoffEvent,
    Skill,
    SkillResource,
    User,
)
from skills.models.session_notes import (
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from skills.services import curriculum as curriculum_service
from skills.services import voice
from skills.services.photos import encode
from skills.services.progress import caseload_progress, curriculum_view
from skills.services.session_note_queries import billing_month
from skills.services.session_notes import minutes_between, units_for
from skills.services.status import status_differences

from .conftest import MINI_CURRICULUM, today

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


def test_the_mentees_answer_sign_offs_only_after_they_were_recorded(app):
    """Corrections the demo records live are answered too: their answers may not come
    before the correction was recorded, though the skill was shown days earlier."""
    curriculum_service.load_files([CURRICULUM])
    create_demo(mentees=40, mentors=3, case_managers=1, months=6, seed=7, password="demo-pass-1")
    db.session.commit()
    answers = [
        (row.at, db.session.get(SignoffEvent, row.event_id))
        for model in (SignoffConfirmation, SignoffDisagreement)
        for row in db.session.scalars(select(model))
    ]
    assert any(event.kind == "correction" for _, event in answers)
    for at, event in answers:
        assert at > event.recorded_at, (event.id, event.kind)


def test_the_demo_history_is_numbered_in_the_order_it_was_recorded(demo):
    """As live sign-offs are: by time, then mentee (the generated times are whole
    minutes; what the demo records live afterwards comes last)."""
    rows = db.session.execute(
        select(SignoffEvent.id, SignoffEvent.recorded_at, SignoffEvent.mentee_id).order_by(
            SignoffEvent.id
        )
    ).all()
    generated = [row for row in rows if row.recorded_at.second == row.recorded_at.microsecond == 0]
    assert len(generated) > 400
    assert [(r.recorded_at, r.mentee_id) for r in generated] == sorted(
        (r.recorded_at, r.mentee_id) for r in generated
    )
    assert max(r.id for r in generated) < min(r.id for r in rows if r not in generated)


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
    assert voice.due_checks(list(db.session.scalars(select(Mentee.id))), today())
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


def test_demo_session_notes_add_up_and_fit_their_sign_offs(demo):
    notes = db.session.scalars(select(SessionNote).where(SessionNote.organisation_id == demo.id))
    notes = notes.all()
    on = timeutil.today(demo)
    assert len(notes) > 50
    mentors = {n.mentor_id for n in notes}
    assert mentors == set(
        db.session.scalars(
            select(User.id).where(User.organisation_id == demo.id, User.roles == "mentor")
        )
    )
    for note in notes:
        assert 15 <= note.minutes <= 90 and note.contact_on < on
        assert note.minutes == minutes_between(note.starts_at, note.ends_at)
        assert note.units == units_for(note.minutes) and note.service_code == "H0038"
        assert note.contact_on >= note.mentee.start_date
        assert note.what_we_did and note.how_it_went and note.next_step
        if note.signed:
            assert note.signed_name == note.mentor.display_name
            assert note.signed_credential == note.mentor.credential
            assert note.signed_on >= note.contact_on
        if note.note_visibility == "mentee":  # shared notes never carry staff-only words
            staff_words = (*STAFF_NOTES.values(), STAFF_NOTE_GENERAL)
            assert not any(w in note.how_it_went for w in staff_words), note.how_it_went
    # Sign-offs of the day are linked to the note, and its skills are theirs.
    links = db.session.execute(
        select(SessionNote, SignoffEvent)
        .join(SessionNoteSignoff, SessionNoteSignoff.note_id == SessionNote.id)
        .join(SignoffEvent, SignoffEvent.id == SessionNoteSignoff.signoff_event_id)
    ).all()
    assert len(links) > 50
    for note, event in links:
        assert (event.mentee_id, event.recorded_by_id, event.shown_on) == (
            note.mentee_id,
            note.mentor_id,
            note.contact_on,
        )
        skills = set(
            db.session.scalars(
                select(SessionNoteSkill.skill_id).where(SessionNoteSkill.note_id == note.id)
            )
        )
        assert event.skill_id in skills
        skill = db.session.get(Skill, event.skill_id)
        assert skill.title in note.what_we_did
    # Check-ins without a sign-off: no level change, still documented.
    check_ins = [n for n in notes if n.how_it_went == HOW_IT_WENT[0]]
    assert check_ins and all(n.mode == "phone" for n in check_ins)
    # Each falls on a quiet day between two meetings of the same mentee.
    met = {(note.mentee_id, note.contact_on) for note, _ in links}
    for call in check_ins:
        days = sorted(day for mentee_id, day in met if mentee_id == call.mentee_id)
        assert any(a < call.contact_on < b for a, b in pairwise(days)), call.contact_on
        assert (call.mentee_id, call.contact_on) not in met


def test_demo_session_notes_are_mostly_signed_on_time_some_late_some_overdue(demo):
    notes = db.session.scalars(select(SessionNote)).all()
    on = timeutil.today(demo)
    on_time = [n for n in notes if n.signed and not n.late]
    late = [n for n in notes if n.late]
    overdue = [n for n in notes if n.overdue(on)]
    assert late and overdue
    assert len(on_time) > 4 * (len(late) + len(overdue))
    for mentor_id in {n.mentor_id for n in notes}:
        mine = [n for n in notes if n.mentor_id == mentor_id]
        assert any(n.overdue(on) for n in mine) or len(mine) < 10
    shared = [n for n in notes if n.note_visibility == "mentee"]
    assert 0.2 < len(shared) / len(notes) < 0.6
    # Last month's billing has both sections.
    last_month = (on.replace(day=1) - timedelta(days=1)).replace(day=1)
    month = billing_month(demo, last_month)
    assert month.billable and month.not_billed
    assert {n.mode for n in notes} == {"in_person", "phone", "video"}


def test_demo_has_addenda_comments_and_credentials(demo):
    addenda = db.session.scalars(select(SessionNoteAddendum)).all()
    assert addenda
    for addendum in addenda:
        note = db.session.get(SessionNote, addendum.note_id)
        assert note.signed and addendum.at > note.signed_at
        assert addendum.author_id == note.mentor_id
    comments = db.session.scalars(select(SessionNoteComment)).all()
    assert comments
    for comment in comments:
        note = db.session.get(SessionNote, comment.note_id)
        assert note.note_visibility == "mentee"
        assert comment.author_id == note.mentee.user_id
    mentors = db.session.scalars(select(User).where(User.roles == "mentor")).all()
    assert all(m.credential for m in mentors) and "CPS" in {m.credential for m in mentors}


def test_demo_photos_are_stored_as_an_upload_would_be(demo):
    photos = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    assert 3 <= len(photos) <= 5
    assert any(p.did_it_id for p in photos)
    assert any(p.signoff_event_id for p in photos)
    assert any(p.session_note_id for p in photos)
    withdrawn = [p for p in photos if p.withdrawn]
    assert len(withdrawn) == 1 and withdrawn[0].data is None and withdrawn[0].withdrawn_by_id
    for photo in photos:
        if photo.withdrawn:
            continue
        assert photo.data[:3] == b"\xff\xd8\xff" and len(photo.data) == photo.byte_size
        # Encoding again changes nothing in size: what is stored is what an upload stores.
        again = encode(photo.data)
        assert (again.width, again.height) == (photo.width, photo.height)
        assert b"Exif" not in photo.data[:200]
        if photo.session_note_id:
            note = db.session.get(SessionNote, photo.session_note_id)
            assert note.mentee_id == photo.mentee_id and note.mentor_id == photo.uploaded_by_id
            assert not note.signed or photo.uploaded_at <= note.signed_at


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
        "notes": rows(
            select(
                SessionNote.mentee_id,
                SessionNote.contact_on,
                SessionNote.starts_at,
                SessionNote.ends_at,
                SessionNote.mode,
                SessionNote.place,
                SessionNote.what_we_did,
                SessionNote.how_it_went,
                SessionNote.note_visibility,
                SessionNote.signed_on,
                SessionNote.signed_credential,
            ).where(SessionNote.mentee_id.in_(mine))
        ),
        "addenda": rows(select(SessionNoteAddendum.text, SessionNoteAddendum.at)),
        "comments": rows(select(SessionNoteComment.words, SessionNoteComment.at)),
        "photos": rows(
            select(Photo.mentee_id, Photo.data, Photo.width, Photo.withdrawn_at.is_(None)).where(
                Photo.mentee_id.in_(mine)
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
    assert first["notes"] and first["photos"]
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
