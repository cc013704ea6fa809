import dataclasses
from datetime import timedelta
from types import SimpleNamespace

from skills import timeutil
from skills.extensions import db
from skills.services import voice
from skills.services.progress import (
    RECHECK_NOTICE_DAYS,
    STALLED_AFTER_DAYS,
    DomainProgress,
    MenteeProgress,
    SkillProgress,
    _progress,
    _Status,
    caseload_progress,
    curriculum_view,
    mentee_progress,
)
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

TODAY = today()


def sign(mentee, skill, mentor, level, shown_on=TODAY):
    record_signoff(mentee, skill, mentor, SignoffDetails(level=level, shown_on=shown_on))


def test_mentee_progress_counts_per_domain(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 3)
    sign(mentee, skill("read-timetable"), mentor, 2)
    sign(mentee, skill("use-atm"), mentor, 1)
    db.session.commit()
    progress = mentee_progress(mentee)
    around, money = progress.domains
    assert (around.total, around.signed_off, around.started, around.percent) == (3, 1, 1, 33)
    assert (money.total, money.signed_off, money.started, money.percent) == (2, 0, 1, 0)
    assert [s.skill.key for s in progress.can_now] == ["get-transit-card"]
    assert {s.skill.key for s in progress.learning} == {"read-timetable", "use-atm"}
    # Skills being learned come first, furthest along first, then new skills per domain.
    assert [s.skill.key for s in progress.next_skills] == [
        "read-timetable",
        "use-atm",
        "ride-and-pay",
        "open-bank-account",
    ]
    assert progress.percent == 20 and progress.last_signoff_on == TODAY


def test_stalled_flag_after_30_days(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    quiet = make_mentee(start_date=TODAY - timedelta(days=100))
    busy = make_mentee(start_date=TODAY - timedelta(days=100))
    for m in (quiet, busy):
        assign(mentor, m)
    sign(quiet, skill(), mentor, 1, TODAY - timedelta(days=31))
    sign(busy, skill(), mentor, 1, TODAY - timedelta(days=29))
    db.session.commit()
    rows = caseload_progress([quiet, busy])
    assert [r.stalled for r in rows] == [True, False]


def _caseload(n, make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentees = [make_mentee() for _ in range(n)]
    for i, mentee in enumerate(mentees):
        assign(mentor, mentee)
        sign(mentee, skill(), mentor, 1 + i % 3)
        sign(mentee, skill("use-atm"), mentor, 3)
    db.session.commit()
    return mentees


def test_caseload_progress_query_count_does_not_grow(
    make_user, make_mentee, assign, skill, count_queries
):
    small = _caseload(5, make_user, make_mentee, assign, skill)
    large = _caseload(50, make_user, make_mentee, assign, skill)
    counts = []
    for mentees in (small, large):
        db.session.expire_all()
        mentees = [db.session.get(type(m), m.id) for m in mentees]
        with count_queries() as counter:
            rows = caseload_progress(mentees, curriculum_view(mentees[0].organisation_id))
        counts.append(counter.count)
        assert all(r.domains for r in rows)
        assert sum(r.signed_off for r in rows) >= len(mentees)
    assert counts[0] == counts[1]
    assert counts[0] <= 6


def _signed_off(skill_id, shown_on, every_days):
    """A signed-off skill whose re-check comes `every_days` after it was shown (None:
    no re-check)."""
    item = SimpleNamespace(
        id=skill_id,
        recheck_on=lambda day: day + timedelta(days=every_days) if every_days else None,
    )
    return SkillProgress(item, 3, "Can do it", "I can do this", True, shown_on=shown_on)


def test_rechecks_coming_are_those_due_by_the_notice_window_soonest_first():
    on = today()
    window = RECHECK_NOTICE_DAYS
    at_the_edge = _signed_off(1, on, window)  # due on the window's last day: told
    sooner = _signed_off(2, on - timedelta(days=10), 15)  # due in 5 days
    later = _signed_off(3, on, window + 1)  # one day past the window: not yet
    never = _signed_off(4, on - timedelta(days=400), None)
    progress = MenteeProgress(
        mentee=None,
        domains=[DomainProgress(None, 4, skills=[at_the_edge, sooner, later, never])],
        next_skills=[],
        last_signoff_on=None,
    )
    assert progress.rechecks_coming(on) == [sooner, at_the_edge]
    assert progress.skill(2) is sooner and progress.skill(99) is None


def test_only_an_active_mentee_stalls(make_mentee):
    long_ago = today() - timedelta(days=90)
    active, discharged = make_mentee(start_date=long_ago), make_mentee(start_date=long_ago)
    discharged.status = "discharged"
    db.session.commit()
    rows = caseload_progress([active, discharged])
    assert [r.stalled for r in rows] == [True, False]


def test_stalled_is_judged_on_the_organisations_own_date(make_mentee):
    """At the suite's 9 pm in New York, UTC's date is already tomorrow: a mentee last
    signed off 30 days ago (by the program's calendar) has not stalled yet."""
    mentee = make_mentee(start_date=today() - timedelta(days=90))
    assert timeutil.today(None) == today() + timedelta(days=1)  # UTC's date
    mentee.last_signoff_on = today() - timedelta(days=STALLED_AFTER_DAYS)
    db.session.commit()
    assert not caseload_progress([mentee])[0].stalled
    mentee.last_signoff_on -= timedelta(days=1)
    db.session.commit()
    assert caseload_progress([mentee])[0].stalled


def test_progress_is_read_through_the_curriculum_view_given(make_mentee):
    """The batch report builds one view for every mentee: each mentee's progress and
    caseload row is shaped by it, area by area."""
    mentee = make_mentee()
    view = curriculum_view(mentee.organisation_id)
    first_area_only = dataclasses.replace(view, domains=view.domains[:1])
    assert len(view.domains) == 2
    progress = mentee_progress(mentee, first_area_only)
    assert [d.domain for d in progress.domains] == list(view.domains[:1])
    row = caseload_progress([mentee], view)[0]
    assert [s.domain for s in row.domains.values()] == list(view.domains)


def test_goals_come_in_the_order_they_were_set(make_mentee, skill):
    """By the time each was set, then by entry: not by id alone (a clock set back makes
    a later row the earlier goal) nor by time alone (two set in one instant)."""
    mentee = make_mentee(with_login=True)
    now = timeutil.utcnow()
    for key, at in [
        ("use-atm", now),
        ("read-timetable", now - timedelta(hours=1)),
        ("ride-and-pay", now - timedelta(hours=1)),
    ]:
        with timeutil.frozen_at(at):
            voice.set_goal(mentee, skill(key), mentee.user)
        db.session.commit()
    goals = mentee_progress(mentee).goals
    assert [g.skill.key for g in goals] == ["read-timetable", "ride-and-pay", "use-atm"]


def test_a_cleared_goal_is_no_longer_a_goal(make_mentee, skill):
    mentee = make_mentee(with_login=True)
    for key in ("use-atm", "read-timetable"):
        voice.set_goal(mentee, skill(key), mentee.user)
    voice.clear_goal(mentee, skill("use-atm"), mentee.user)
    db.session.commit()
    progress = mentee_progress(mentee)
    assert progress.mentee is mentee
    assert [g.skill.key for g in progress.goals] == ["read-timetable"]


def test_an_area_whose_skills_are_all_retired_counts_none(make_mentee, skill):
    mentee = make_mentee()
    for key in ("open-bank-account", "use-atm"):  # every skill of "Money and banking"
        skill(key).retired = True
    db.session.commit()
    progress = mentee_progress(mentee)
    money = [d for d in progress.domains if d.domain.key == "money"]
    assert [(d.total, d.skills, d.percent) for d in money] == [(0, [], 0)]  # shown, empty
    assert progress.total == 3


def test_a_level_no_longer_on_the_scale_shows_as_its_number(make_mentee, skill):
    """A level the curriculum's scale has lost since it was recorded is still shown."""
    mentee = make_mentee()
    view = curriculum_view(mentee.organisation_id)
    card = skill("get-transit-card")
    lost = _Status(7, False, today(), None, False)
    first = _progress(mentee, view, {card.id: lost}, []).domains[0].skills[0]
    assert (first.skill.id, first.level, first.level_name, first.mentee_text) == (
        card.id,
        7,
        "7",
        "7",
    )


def test_each_skill_carries_its_level_name_for_staff_and_words_for_the_mentee(
    make_user, make_mentee, assign, skill
):
    mentor, mentee = make_user("mentor"), make_mentee()
    assign(mentor, mentee)
    card = skill("get-transit-card")
    record_signoff(mentee, card, mentor, SignoffDetails(level=2, shown_on=today()))
    db.session.commit()
    item = mentee_progress(mentee).skill(card.id)
    assert (item.level, item.level_name, item.mentee_text) == (
        2,
        "Practicing with support",
        "I am practicing with help",
    )
