"""The current-status rows against the events they come from: what `flask check` reports
(`status_differences`), what repairs it (`rebuild_statuses`) and one skill's row made
again (`recompute_status`).

Each disagreement has its own words, and a check or rebuild for some mentees reads and
writes theirs only: `flask check` must name what is wrong, and a repair of one record
must not touch another's.
"""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from skills.demo_bulk import insert_rows
from skills.extensions import db
from skills.models import DomainCounter, Mentee, SignoffEvent, Skill, SkillStatus
from skills.services import counters, voice
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.status import (
    current_levels,
    rebuild_statuses,
    recompute_status,
    status_differences,
)

from .conftest import today

TODAY = today()


def sign(mentee, skill, mentor, level, days_ago):
    event = record_signoff(
        mentee,
        skill,
        mentor,
        SignoffDetails(level=level, shown_on=TODAY - timedelta(days=days_ago)),
        allow_lower=True,
    )
    db.session.commit()
    return event


@pytest.fixture
def two(make_user, make_mentee, assign, skill):
    """Two mentees of one mentor: Ann with a skill signed off after a first try, and one
    being practised; Ben with one skill begun."""
    mentor, other = make_user("mentor"), make_user("mentor")
    ann, ben = make_mentee(name="Ann Able"), make_mentee(name="Ben Baker")
    for mentee in (ann, ben):
        assign(mentor, mentee)
    card, atm = skill("get-transit-card"), skill("use-atm")
    first = sign(ann, card, mentor, 1, 5)
    done = sign(ann, card, mentor, 3, 2)
    practised = sign(ann, atm, mentor, 2, 1)
    begun = sign(ben, card, mentor, 2, 1)
    return SimpleNamespace(**locals())


def orphan_row(t, skill, event) -> SkillStatus:
    """A status row for Ann and `skill` that no event of hers stands behind."""
    return SkillStatus(
        mentee_id=t.ann.id,
        skill_id=skill.id,
        level=1,
        signed_off=False,
        event_id=event.id,
        shown_on=TODAY,
        recorded_by_id=t.mentor.id,
    )


def tamper_counter(mentee) -> list[str]:
    """Raise one of the mentee's domain counters by 5; what `flask check` then says."""
    row = db.session.scalars(select(DomainCounter).filter_by(mentee_id=mentee.id)).first()
    row.signed_off += 5
    db.session.flush()
    problems = counters.differences([mentee.id])
    assert problems
    return problems


def status_problems(mentee_ids=None) -> list[str]:
    """The status rows' part of the check (the counters have their own tests)."""
    return sorted(p for p in status_differences(mentee_ids) if ", skill " in p)


def test_each_disagreement_is_named_with_what_the_events_say(two, skill):
    t = two
    timetable = skill("read-timetable")
    row = db.session.get(SkillStatus, (t.ann.id, t.card.id))
    row.level, row.signed_off, row.event_id = 2, False, t.first.id
    row.shown_on, row.recorded_by_id, row.needs_refresher = (
        TODAY - timedelta(days=9),
        t.other.id,
        True,
    )
    db.session.delete(db.session.get(SkillStatus, (t.ann.id, t.atm.id)))
    db.session.add(orphan_row(t, timetable, t.begun))
    db.session.commit()
    on, was = row.shown_on, t.done.shown_on
    where = f"mentee {t.ann.id}, skill {t.card.id}"
    assert status_problems([t.ann.id]) == sorted(
        [
            f"{where}: level is 2, events say 3",
            f"{where}: signed_off is False, events say True",
            f"{where}: event_id is {t.first.id}, events say {t.done.id}",
            f"{where}: shown_on is {on!r}, events say {was!r}",
            f"{where}: recorded_by_id is {t.other.id}, events say {t.mentor.id}",
            f"{where}: needs_refresher is True, events say False",
            f"mentee {t.ann.id}, skill {timetable.id}: status row has no events behind it",
            f"mentee {t.ann.id}, skill {t.atm.id}: no status row",
        ]
    )
    assert status_problems([t.ben.id]) == []  # a check of Ben reads Ben's rows only
    assert len(status_problems()) == 8


def test_every_row_with_no_events_behind_it_is_named(two, skill):
    t = two
    timetable, ride = skill("read-timetable"), skill("ride-and-pay")
    db.session.add_all([orphan_row(t, timetable, t.begun), orphan_row(t, ride, t.begun)])
    db.session.commit()
    assert status_problems([t.ann.id]) == sorted(
        f"mentee {t.ann.id}, skill {s.id}: status row has no events behind it"
        for s in (timetable, ride)
    )


def test_current_levels_are_those_of_the_mentees_asked(two):
    t = two
    assert current_levels([t.ann.id], t.card.id) == {t.ann.id: 3}
    assert current_levels([t.ann.id, t.ben.id], t.card.id) == {t.ann.id: 3, t.ben.id: 2}
    assert current_levels([], t.card.id) == {}


def test_a_rebuild_repairs_the_mentees_asked_and_no_one_else(two):
    t = two
    for mentee in (t.ann, t.ben):
        db.session.get(SkillStatus, (mentee.id, t.card.id)).level = 0
    ben_counters = tamper_counter(t.ben)
    db.session.commit()
    assert rebuild_statuses([t.ann.id]) == 2  # Ann's two skills
    db.session.commit()
    assert status_problems([t.ann.id]) == [] and status_differences([t.ann.id]) == []
    assert status_problems([t.ben.id]) == [
        f"mentee {t.ben.id}, skill {t.card.id}: level is 0, events say 2"
    ]
    assert counters.differences([t.ben.id]) == ben_counters  # Ben's recount waits too
    assert rebuild_statuses() == 3
    db.session.commit()
    assert status_differences() == []
    rows = db.session.scalars(select(SkillStatus))
    assert sorted(
        (r.mentee_id, r.skill_id, r.level, r.signed_off, r.event_id) for r in rows
    ) == sorted(
        [
            (t.ann.id, t.card.id, 3, True, t.done.id),
            (t.ann.id, t.atm.id, 2, False, two.practised.id),
            (t.ben.id, t.card.id, 2, False, t.begun.id),
        ]
    )


def test_a_refresher_after_the_current_level_is_carried_into_the_row(two):
    t = two
    voice.mark_refresher(t.ann, t.card, t.mentor)
    db.session.commit()
    row = db.session.get(SkillStatus, (t.ann.id, t.card.id))
    row.needs_refresher = False
    db.session.commit()
    assert status_problems([t.ann.id]) == [
        f"mentee {t.ann.id}, skill {t.card.id}: needs_refresher is False, events say True"
    ]
    again = recompute_status(t.ann.id, t.card)
    db.session.commit()
    # The refresher keeps the achievement: the level and its event stay the sign-off's.
    assert (again.needs_refresher, again.level, again.event_id) == (True, 3, t.done.id)
    assert status_differences([t.ann.id]) == []


def test_a_row_with_no_events_is_removed_when_made_again(two, skill):
    t = two
    timetable = skill("read-timetable")
    db.session.add(orphan_row(t, timetable, t.done))
    ben_counters = tamper_counter(t.ben)
    db.session.commit()
    assert recompute_status(t.ann.id, timetable) is None
    db.session.commit()
    assert db.session.get(SkillStatus, (t.ann.id, timetable.id)) is None
    # Ann's counters are recounted; Ben's are not (a recount of one mentee's skill must
    # not turn into a recount of everyone's).
    assert counters.differences([t.ben.id]) == ben_counters
    assert status_differences([t.ann.id]) == []
    # Made again where the events say so: the row as it was.
    made = recompute_status(t.ann.id, t.card)
    assert (made.level, made.signed_off, made.event_id, made.shown_on) == (
        3,
        True,
        t.done.id,
        t.done.shown_on,
    )


def test_a_rebuild_of_more_rows_than_one_insert_batch_writes_each_row_once(app, org, make_user):
    """The rows go in batches of 5,000: none is lost at a batch's edge or written twice."""
    mentor = make_user("mentor")
    skill_ids = list(db.session.scalars(select(Skill.id).order_by(Skill.id)))
    mentees = -(-5003 // len(skill_ids))  # just past a whole number of batches
    insert_rows(
        Mentee,
        [
            {
                "organisation_id": org.id,
                "record_number": f"B{i:05}",
                "full_name": f"Bulk Mentee {i}",
                "start_date": TODAY,
            }
            for i in range(mentees)
        ],
    )
    mentee_ids = list(db.session.scalars(select(Mentee.id)))
    insert_rows(
        SignoffEvent,
        [
            {
                "mentee_id": m,
                "skill_id": s,
                "level": 2,
                "recorded_by_id": mentor.id,
                "shown_on": TODAY,
            }
            for m in mentee_ids
            for s in skill_ids
        ],
    )
    db.session.commit()
    pairs = len(mentee_ids) * len(skill_ids)
    assert pairs > 5000 and pairs % 5000
    assert rebuild_statuses() == pairs
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(SkillStatus)) == pairs
    assert status_differences() == []


def test_a_status_row_already_loaded_reads_the_new_level_before_the_commit(two):
    """The row is written past the session (an upsert): a copy the session holds must
    not keep showing the old level to the rest of the request."""
    t = two
    row = db.session.get(SkillStatus, (t.ann.id, t.card.id))
    assert (row.level, row.event_id) == (3, t.done.id)
    event = record_signoff(
        t.ann, t.card, t.mentor, SignoffDetails(level=1, shown_on=TODAY), allow_lower=True
    )
    assert (row.level, row.signed_off, row.event_id) == (1, False, event.id)
