"""The report's trend ("distance travelled"): which entries set a skill's level on each
month's last day. Corrections replace what they correct, refresher reminders are not
levels, and entries shown on the same day count in the order they were typed."""

from datetime import timedelta

import pytest

from skills.extensions import db
from skills.models import SkillStatus
from skills.permissions import Viewer
from skills.reports.caseload import caseload_data
from skills.reports.content import mentee_report_data
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.services.voice import mark_refresher

from .conftest import today

STAFF = Viewer(sees_staff_notes=True)
TODAY = today()


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=90))
    assign(mentor, mentee)
    return mentor, mentee


def sign(pair, skill, level, shown_on, allow_lower=False):
    mentor, mentee = pair
    details = SignoffDetails(level=level, shown_on=shown_on)
    event = record_signoff(mentee, skill, mentor, details, allow_lower=allow_lower)
    db.session.commit()
    return event


def trend(pair, days=80):
    data = mentee_report_data(pair[1], STAFF, period_from=TODAY - timedelta(days=days))
    return [(point.day, point.signed_off) for point in data.trend], data


def test_entries_shown_on_one_day_count_in_the_order_they_were_typed(pair, skill):
    day = TODAY - timedelta(days=3)
    sign(pair, skill("get-transit-card"), 3, day)
    sign(pair, skill("read-timetable"), 2, day)
    sign(pair, skill("read-timetable"), 3, day)  # typed later the same day: it holds
    points, data = trend(pair)
    assert points[-1] == (TODAY, 2)
    assert data.signed_off == 2


def test_a_level_lowered_the_same_day_counts_as_lowered(pair, skill):
    day = TODAY - timedelta(days=3)
    sign(pair, skill("get-transit-card"), 3, day)
    sign(pair, skill("get-transit-card"), 2, day, allow_lower=True)
    points, data = trend(pair)
    assert points[-1] == (TODAY, 0)
    assert data.signed_off == 0


def test_a_corrected_date_counts_from_the_new_date_only(pair, skill):
    mentor, _ = pair
    wrong, right = TODAY - timedelta(days=45), TODAY - timedelta(days=5)
    entry = sign(pair, skill("get-transit-card"), 3, wrong)
    correct_signoff(entry, mentor, SignoffDetails(level=3, shown_on=right), "Typed the wrong date")
    db.session.commit()
    points, _ = trend(pair)
    between = [count for day, count in points if wrong <= day < right]
    assert between and set(between) == {0}  # at least one month's end lies between
    assert points[-1] == (TODAY, 1)


def test_a_refresher_does_not_bring_back_a_level_corrected_since(pair, skill):
    mentor, mentee = pair
    entry = sign(pair, skill("get-transit-card"), 3, TODAY - timedelta(days=10))
    mark_refresher(mentee, skill("get-transit-card"), mentor)  # repeats level 3, today
    db.session.commit()
    correct_signoff(
        entry, mentor, SignoffDetails(level=2, shown_on=entry.shown_on), "Not signed off yet"
    )
    db.session.commit()
    points, data = trend(pair)
    assert points[-1] == (TODAY, 0)
    checklist = {s.title: s for d in data.domains for s in d.skills}
    assert checklist[skill("get-transit-card").title].level == 2


def test_a_back_dated_entry_typed_last_sets_the_level_everywhere(pair, skill):
    """The entry typed last sets the level, even when it is dated before an earlier-typed
    one: the mentee's page, the report's checklist, trend and period list, and the
    caseload report's change all say the same."""
    mentor, mentee = pair
    transit = skill("get-transit-card")
    sign(pair, transit, 1, TODAY - timedelta(days=1))
    sign(pair, transit, 3, TODAY - timedelta(days=5))  # typed later, dated earlier
    status = db.session.get(SkillStatus, (mentee.id, transit.id))
    assert (status.level, status.signed_off) == (3, True)
    points, data = trend(pair)
    checklist = {s.title: s for d in data.domains for s in d.skills}
    assert (checklist[transit.title].level, checklist[transit.title].signed_off) == (3, True)
    assert points[-1] == (TODAY, 1)
    assert [item.title for item in data.signed_off_in_period] == [transit.title]
    caseload = caseload_data([mentee], period_from=TODAY - timedelta(days=30))
    assert caseload.rows[0].change == 1


def test_an_entry_typed_first_and_dated_later_does_not_count_before_its_date(pair, skill):
    transit = skill("get-transit-card")
    wrong_month = TODAY - timedelta(days=TODAY.day + 3)  # in last month
    sign(pair, transit, 3, wrong_month)
    sign(pair, transit, 1, wrong_month - timedelta(days=2), allow_lower=True)
    points, data = trend(pair)
    # Typed last, the level-1 entry holds from its own date on, before and after the other.
    assert points[-1] == (TODAY, 0)
    assert all(count == 0 for _, count in points)
    assert data.signed_off == 0


def test_the_period_starts_with_what_was_signed_off_the_day_before(pair, skill):
    start = TODAY - timedelta(days=40)
    sign(pair, skill("get-transit-card"), 3, start - timedelta(days=1))  # before the period
    sign(pair, skill("read-timetable"), 3, start)  # on its first day: a change in it
    data = mentee_report_data(pair[1], STAFF, period_from=start)
    around = data.domains[0]
    assert (around.at_start, around.signed_off) == (1, 2)


def test_a_correction_takes_the_place_of_the_entry_it_corrects():
    from types import SimpleNamespace as E

    from skills.models.signoffs import typed_order

    entries = [E(id=1, corrects_id=None), E(id=2, corrects_id=None)]
    entries += [E(id=3, corrects_id=1), E(id=4, corrects_id=3), E(id=5, corrects_id=99)]
    # 4 corrects 3, which corrects 1: both stand where 1 was typed, before 2. An entry
    # whose corrected entry is not among them keeps its own place.
    assert typed_order(entries) == {1: 1, 2: 2, 3: 1, 4: 1, 5: 5}
