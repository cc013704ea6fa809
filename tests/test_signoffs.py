import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from skills import timeutil
from skills.extensions import db
from skills.models import Assignment, AuditEvent, Curriculum, Level, SignoffEvent, SkillStatus
from skills.permissions import MENTEE_COPY, Viewer
from skills.services import assignments, people
from skills.services.history import history
from skills.services.signoffs import SignoffDetails, SignoffError, correct_signoff, record_signoff
from skills.services.status import rebuild_statuses, status_differences
from skills.services.voice import mark_refresher

from .conftest import today

STAFF = Viewer(sees_staff_notes=True)

TODAY = today()


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    return mentor, mentee


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_sign_off_writes_event_status_and_audit(pair, skill):
    mentor, mentee = pair
    event = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY, note="Did it!")
    )
    db.session.commit()
    status = db.session.get(SkillStatus, (mentee.id, skill().id))
    assert (status.level, status.signed_off, status.event_id) == (3, True, event.id)
    assert event.recorded_at.tzinfo is not None
    row = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (row.action, row.actor_id, row.mentee_id, row.organisation_id) == (
        "signoff.record",
        mentor.id,
        mentee.id,
        mentee.organisation_id,
    )
    assert (row.object_type, row.object_id, row.outcome) == ("signoff_event", str(event.id), "ok")
    assert json.loads(row.detail) == {"skill": skill().key, "level": 3}


def test_a_sign_off_within_a_larger_action_returns_its_event_unaudited(pair, skill):
    """A group session audits its whole action once: each attendee's sign-off is still
    returned to it, with no audit row of its own."""
    mentor, mentee = pair
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    event = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=2, shown_on=TODAY), audit_action=False
    )
    db.session.commit()
    assert event is not None
    assert (event.id, event.level, event.mentee_id) == (
        db.session.scalar(select(SignoffEvent.id).order_by(SignoffEvent.id.desc())),
        2,
        mentee.id,
    )
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audited


@pytest.mark.parametrize(
    "details, field, message",
    [
        (
            SignoffDetails(level=9, shown_on=TODAY),
            "level",
            "Level 9 is not in this curriculum's scale",
        ),
        (
            SignoffDetails(level=2, shown_on=TODAY + timedelta(days=1)),
            "shown_on",
            "is in the future",
        ),
        (SignoffDetails(level=2, shown_on=TODAY - timedelta(days=31)), "shown_on", "before"),
        (SignoffDetails(level=2, shown_on=TODAY, note="x" * 2001), "note", "the limit is 2000"),
        (SignoffDetails(level=2, shown_on=TODAY, support="lots"), "support", "How much help"),
    ],
)
def test_rule_violations_are_specific_and_write_nothing(pair, skill, details, field, message):
    mentor, mentee = pair
    with pytest.raises(SignoffError, match=message) as info:
        record_signoff(mentee, skill(), mentor, details)
    assert info.value.field == field
    db.session.rollback()
    assert count(SignoffEvent) == 0 and count(SkillStatus) == 0


def test_mentor_cannot_sign_off_unassigned_mentee(make_user, make_mentee, skill):
    mentor = make_user("mentor")
    mentee = make_mentee()
    with pytest.raises(SignoffError, match="not a mentor currently assigned"):
        record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))


def test_ended_assignment_ends_sign_off(pair, skill):
    mentor, mentee = pair
    assignment = db.session.scalar(select(Assignment).where(Assignment.staff_id == mentor.id))
    assignments.end_assignment(assignment, TODAY)
    db.session.commit()
    with pytest.raises(SignoffError):
        record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))


def test_case_manager_cannot_sign_off(make_user, make_mentee, assign, skill):
    cm = make_user("case_manager")
    mentee = make_mentee()
    assign(cm, mentee)
    with pytest.raises(SignoffError):
        record_signoff(mentee, skill(), cm, SignoffDetails(level=1, shown_on=TODAY))


def test_correction_is_a_new_event_that_names_the_old_one(pair, skill):
    mentor, mentee = pair
    first = record_signoff(mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    fix = correct_signoff(
        first, mentor, SignoffDetails(level=2, shown_on=TODAY), "Wrong level picked"
    )
    db.session.commit()
    assert fix.corrects_id == first.id and fix.kind == "correction"
    assert count(SignoffEvent) == 2
    assert db.session.get(SignoffEvent, first.id).level == 3  # never overwritten
    assert db.session.get(SkillStatus, (mentee.id, skill().id)).level == 2
    entries = history(mentee, STAFF)
    assert [e.kind for e in entries] == ["correction", "signoff"]
    assert entries[1].corrected
    with pytest.raises(SignoffError, match="already corrected"):
        correct_signoff(first, mentor, SignoffDetails(level=1, shown_on=TODAY), "again")


def test_correcting_an_old_entry_does_not_override_a_newer_one(pair, skill):
    mentor, mentee = pair
    old = record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY))
    correct_signoff(old, mentor, SignoffDetails(level=2, shown_on=TODAY), "typo")
    db.session.commit()
    assert db.session.get(SkillStatus, (mentee.id, skill().id)).level == 3
    assert status_differences() == []


def test_correction_needs_a_reason_and_the_own_entry(pair, make_user, assign, skill):
    mentor, mentee = pair
    first = record_signoff(mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    with pytest.raises(SignoffError, match="Say why"):
        correct_signoff(first, mentor, SignoffDetails(level=2, shown_on=TODAY), "  ")
    other = make_user("mentor")
    assign(other, mentee)
    with pytest.raises(SignoffError, match="Only the mentor who made an entry"):
        correct_signoff(first, other, SignoffDetails(level=2, shown_on=TODAY), "mine now")


def test_idempotency_key_records_one_event(pair, skill):
    mentor, mentee = pair
    a = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=2, shown_on=TODAY), idempotency_key="k1"
    )
    b = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=2, shown_on=TODAY), idempotency_key="k1"
    )
    db.session.commit()
    assert a.id == b.id and count(SignoffEvent) == 1


def test_discharged_mentee_gets_no_new_sign_offs(pair, skill):
    mentor, mentee = pair
    mentee.status = "discharged"
    db.session.commit()
    with pytest.raises(SignoffError, match="discharged"):
        record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))


def test_staff_only_notes_are_hidden_from_the_mentee_view(pair, skill):
    mentor, mentee = pair
    record_signoff(
        mentee,
        skill(),
        mentor,
        SignoffDetails(level=1, shown_on=TODAY, note="private staff note", note_visibility="staff"),
    )
    db.session.commit()
    assert history(mentee, STAFF)[0].note == "private staff note"
    assert history(mentee, MENTEE_COPY)[0].note == ""


def test_rebuild_statuses_matches_live_statuses(pair, skill):
    mentor, mentee = pair
    e = record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))
    record_signoff(mentee, skill("use-atm"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    correct_signoff(e, mentor, SignoffDetails(level=2, shown_on=TODAY), "typo")
    db.session.commit()
    before = {
        (s.mentee_id, s.skill_id, s.level, s.event_id)
        for s in db.session.scalars(select(SkillStatus))
    }
    rebuild_statuses()
    db.session.commit()
    after = {
        (s.mentee_id, s.skill_id, s.level, s.event_id)
        for s in db.session.scalars(select(SkillStatus))
    }
    assert before == after and len(after) == 2


def test_status_differences_finds_a_tampered_status(pair, skill):
    mentor, mentee = pair
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=TODAY))
    db.session.commit()
    db.session.get(SkillStatus, (mentee.id, skill().id)).level = 3
    db.session.commit()
    assert any("level is 3, events say 1" in p for p in status_differences())


def test_history_with_a_limit_gives_the_newest_entries_only(pair, skill):
    """The mentee page's "recent" list reads `history(..., limit=5)`."""
    mentor, mentee = pair
    for days_ago, level in ((3, 1), (2, 2), (1, 3)):
        details = SignoffDetails(level=level, shown_on=TODAY - timedelta(days=days_ago))
        record_signoff(mentee, skill(), mentor, details)
    db.session.commit()
    assert [e.level for e in history(mentee, STAFF, limit=2)] == [3, 2]
    assert [e.level for e in history(mentee, STAFF)] == [3, 2, 1]


def test_history_reads_the_levels_of_its_own_curricula_only(pair, skill):
    """Every organisation's own curriculum has levels in the one table: a history must
    not read them all, or its cost grows with the deployment."""
    mentor, mentee = pair
    transit = skill()
    record_signoff(mentee, transit, mentor, SignoffDetails(level=2, shown_on=TODAY))
    elsewhere = people.get_or_create_organisation("Elsewhere Program")
    db.session.flush()
    other = Curriculum(
        key="elsewhere",
        version="1",
        title="Elsewhere",
        signed_off_level=3,
        source_sha256="0" * 64,
        organisation_id=elsewhere.id,
    )
    db.session.add(other)
    db.session.flush()
    db.session.add_all(
        Level(curriculum_id=other.id, value=v, name=f"Other {v}", mentee_text=f"other {v}")
        for v in (1, 2, 3)
    )
    db.session.commit()
    levels_read = []  # the statements that read levels, run again below

    def levels_rows(conn, clauseelement, *_):
        if "FROM levels" in str(clauseelement):
            levels_read.append(clauseelement)

    event.listen(db.engine, "after_execute", levels_rows)
    try:
        entries = history(mentee, STAFF)
    finally:
        event.remove(db.engine, "after_execute", levels_rows)
    own = db.session.scalar(
        select(Level.name).where(Level.curriculum_id == transit.curriculum_id, Level.value == 2)
    )
    assert (entries[0].level, entries[0].level_name) == (2, own)
    assert len(levels_read) == 1
    read = db.session.scalars(levels_read[0]).all()
    assert {lv.curriculum_id for lv in read} == {transit.curriculum_id}


def test_entries_shown_on_one_day_come_last_typed_first(pair, skill):
    """By when they were typed, even when the clock was set back between them (so not by
    id); typed in one instant, the later entry (the higher id) first."""
    mentor, mentee = pair
    now = timeutil.utcnow()

    def sign(note: str, at) -> None:
        with timeutil.frozen_at(at):
            details = SignoffDetails(level=1, shown_on=TODAY, note=note)
            record_signoff(mentee, skill(), mentor, details)
        db.session.commit()

    sign("a", now - timedelta(minutes=30))
    sign("b", now - timedelta(hours=1))  # the clock was set back
    assert [e.note for e in history(mentee, STAFF)] == ["a", "b"]
    sign("c", now)
    sign("d", now)
    assert [e.note for e in history(mentee, STAFF)] == ["d", "c", "a", "b"]


def test_needs_practice_marks_a_level_below_the_skills_previous_one(pair, skill):
    """Per skill, in the order shown: a lower level than the one before is marked, the
    same level again is not, and an entry that was corrected counts for nothing."""
    mentor, mentee = pair
    bus, atm = skill(), skill("use-atm")

    def sign(a_skill, level: int, days_ago: int, note: str):
        details = SignoffDetails(level, TODAY - timedelta(days=days_ago), note)
        return record_signoff(mentee, a_skill, mentor, details, allow_lower=True)

    sign(bus, 2, 4, "two")
    sign(bus, 1, 3, "lower")
    sign(bus, 1, 2, "same again")
    sign(atm, 0, 2, "other skill")
    mistake = sign(bus, 3, 1, "mistake")
    db.session.commit()
    correct_signoff(mistake, mentor, SignoffDetails(1, TODAY - timedelta(days=1)), "Typo")
    sign(bus, 0, 0, "after the correction")
    db.session.commit()
    marked = {e.note or "correction": e.lower_than_before for e in history(mentee, STAFF)}
    assert marked == {
        "after the correction": True,
        "correction": False,
        "mistake": False,
        "other skill": False,
        "same again": False,
        "lower": True,
        "two": False,
    }


def test_an_entry_read_without_its_correction_still_shows_as_corrected(pair, skill):
    """With a limit, the correction may fall outside the newest entries read (it was
    dated earlier): the entry it corrects is marked corrected all the same."""
    mentor, mentee = pair
    wrong = record_signoff(mentee, skill(), mentor, SignoffDetails(3, TODAY - timedelta(days=1)))
    record_signoff(mentee, skill("use-atm"), mentor, SignoffDetails(1, TODAY - timedelta(days=2)))
    db.session.commit()
    correct_signoff(wrong, mentor, SignoffDetails(2, TODAY - timedelta(days=5)), "Wrong day")
    db.session.commit()
    newest = history(mentee, STAFF, limit=2)
    assert [(e.id, e.corrected) for e in newest] == [(wrong.id, True), (newest[1].id, False)]
    assert all(e.kind == "signoff" for e in newest)


def test_a_level_the_scale_has_lost_shows_in_history_as_its_number(pair, skill):
    """An entry keeps its level when the curriculum's scale loses it later: its name
    and its words for the mentee are the number."""
    mentor, mentee = pair
    record_signoff(mentee, skill(), mentor, SignoffDetails(2, TODAY))
    db.session.commit()
    db.session.execute(
        Level.__table__.delete().where(
            Level.curriculum_id == skill().curriculum_id, Level.value == 2
        )
    )
    entry = history(mentee, STAFF)[0]
    assert (entry.level, entry.level_name, entry.level_text) == (2, "2", "2")


def test_a_refresher_is_not_a_level_to_compare_with(pair, skill):
    """A refresher repeats the current level (the entry typed last), which need not be
    the level shown just before it: the next entry is compared with the entry shown
    before the refresher."""
    mentor, mentee = pair
    for level, days_ago, note in ((1, 1, "typed first"), (3, 5, "typed later, dated earlier")):
        record_signoff(
            mentee, skill(), mentor, SignoffDetails(level, TODAY - timedelta(days=days_ago), note)
        )
    mark_refresher(mentee, skill(), mentor)  # at level 3, shown today
    record_signoff(mentee, skill(), mentor, SignoffDetails(2, TODAY, "after"), allow_lower=True)
    db.session.commit()
    entries = history(mentee, STAFF)
    assert [(e.kind, e.level) for e in entries[:2]] == [("signoff", 2), ("refresher", 3)]
    marked = {e.note: e.lower_than_before for e in entries if e.kind == "signoff"}
    assert marked == {"after": False, "typed first": True, "typed later, dated earlier": False}


def test_a_sign_off_reads_the_curriculums_scale_from_the_cached_view(pair, skill, count_queries):
    """The scale check reads the levels and the signed-off level from the organisation's
    cached curriculum view, and the status row is written from that read: once the view
    is built, a sign-off reads neither levels nor curricula, only the version (#19)."""
    mentor, mentee = pair
    scale_reads = []
    for level, key in ((1, "get-transit-card"), (3, "ride-and-pay"), (2, "read-timetable")):
        with count_queries() as counter:
            record_signoff(mentee, skill(key), mentor, SignoffDetails(level, TODAY))
        db.session.commit()
        scale_reads.append(
            [s for s in counter.statements if re.search(r"\bFROM (levels|curricula)\b", s)]
        )
        assert any("FROM cache_versions" in s for s in counter.statements)
        status = db.session.get(SkillStatus, (mentee.id, skill(key).id))
        assert status.signed_off == (level == 3)
    # The first builds the view: its curricula and its levels, each read once.
    assert sum("FROM levels" in s for s in scale_reads[0]) == 1, scale_reads[0]
    assert scale_reads[1:] == [[], []]


def test_a_sign_off_rolled_back_leaves_the_session_and_the_next_one_saves(pair, skill):
    """The event is inserted by one Core statement and attached as if loaded (#19); a
    rollback must still take it out of the session, as the ORM does with what it inserts.
    On SQLite the next event takes the same id: a stale copy in the session refused it."""
    mentor, mentee = pair
    db.session.commit()
    dropped = record_signoff(mentee, skill("get-transit-card"), mentor, SignoffDetails(2, TODAY))
    dropped_id = dropped.id
    db.session.rollback()
    assert dropped not in db.session
    assert (dropped.id, dropped.level) == (dropped_id, 2)  # transient, its values kept
    kept = record_signoff(mentee, skill("read-timetable"), mentor, SignoffDetails(3, TODAY))
    db.session.commit()
    assert db.session.scalars(select(SignoffEvent.skill_id)).all() == [skill("read-timetable").id]
    assert db.session.get(SignoffEvent, kept.id) is kept


def test_a_savepoint_rolled_back_drops_only_its_own_sign_offs(pair, skill):
    mentor, mentee = pair
    db.session.commit()
    kept = record_signoff(mentee, skill("get-transit-card"), mentor, SignoffDetails(1, TODAY))
    savepoint = db.session.begin_nested()
    dropped = record_signoff(mentee, skill("read-timetable"), mentor, SignoffDetails(2, TODAY))
    savepoint.rollback()
    assert dropped not in db.session and kept in db.session
    db.session.commit()
    assert db.session.scalars(select(SignoffEvent.id)).all() == [kept.id]
    assert kept.level == 1


def test_a_new_level_not_yet_flushed_is_in_the_scale_of_the_next_sign_off(pair, skill):
    """The scale comes from the cached curriculum view, whose version is read past the
    ORM: a change this session has not flushed yet must still count."""
    mentor, mentee = pair
    transit = skill("get-transit-card")
    record_signoff(mentee, transit, mentor, SignoffDetails(1, TODAY))  # builds the view
    db.session.commit()
    for loaded in (transit, mentee, mentor):  # so that no query flushes on the way
        db.session.refresh(loaded)
    db.session.add(
        Level(
            curriculum_id=transit.curriculum_id,
            value=4,
            name="Teaches it",
            mentee_text="I teach it",
        )
    )
    event = record_signoff(mentee, transit, mentor, SignoffDetails(4, TODAY))
    db.session.commit()
    assert event.level == 4
    assert db.session.get(SkillStatus, (mentee.id, transit.id)).signed_off
