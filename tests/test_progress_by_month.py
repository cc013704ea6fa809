"""Progress over time: skills first signed off in each of the last months."""

from datetime import UTC, date, datetime, timedelta

import pytest

from skills.extensions import db
from skills.services.progress_totals import signoffs_by_month
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.services.voice import mark_refresher
from skills.timeutil import frozen_at

from .conftest import today

TODAY = today()


def month_start(months_back: int) -> date:
    year, month = TODAY.year, TODAY.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def test_counts_the_first_sign_off_of_each_skill_in_its_month(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=month_start(3))
    assign(mentor, mentee)

    def sign(key, level, shown_on):
        return record_signoff(
            mentee, skill(key), mentor, SignoffDetails(level=level, shown_on=shown_on)
        )

    sign("get-transit-card", 3, month_start(3))  # before the window: in the totals only
    sign("read-timetable", 2, month_start(1))  # not yet at the signed-off level
    sign("read-timetable", 3, TODAY)
    sign("ride-and-pay", 3, month_start(1))
    sign("ride-and-pay", 3, TODAY)  # signed off again: still counted once, when first
    wrong = sign("use-atm", 3, month_start(1))
    correct_signoff(wrong, mentor, SignoffDetails(level=1, shown_on=month_start(1)), "Typo")
    mark_refresher(mentee, skill("get-transit-card"), mentor)
    db.session.commit()

    months = signoffs_by_month(mentee, months=3)
    assert [m.month for m in months] == [month_start(2), month_start(1), month_start(0)]
    assert [m.signed_off for m in months] == [0, 1, 1]
    assert [m.total for m in months] == [1, 2, 3]


def test_a_mentee_with_no_sign_offs_gets_empty_months(make_mentee):
    months = signoffs_by_month(make_mentee(), months=6, on=TODAY - timedelta(days=1))
    assert len(months) == 6 and all(m.signed_off == m.total == 0 for m in months)


def test_six_months_by_default_ending_in_the_organisation_s_own_month(make_mentee):
    """At 9 pm on Nov 30 in New York it is Dec 1 in UTC: the chart still ends in November."""
    with frozen_at(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)):
        mentee = make_mentee(start_date=date(2026, 1, 5))
        mentee.organisation.time_zone = "America/New_York"
        months = signoffs_by_month(mentee)
    assert [m.month for m in months] == [date(2026, n, 1) for n in range(6, 12)]


@pytest.mark.parametrize(
    ("on", "months", "expected"),
    [
        (date(2026, 2, 15), 3, [(2025, 12), (2026, 1), (2026, 2)]),
        (date(2026, 1, 31), 2, [(2025, 12), (2026, 1)]),
        (
            date(2026, 3, 1),
            14,
            [(2025, n) for n in range(2, 13)] + [(2026, 1), (2026, 2), (2026, 3)],
        ),
    ],
)
def test_months_step_back_across_the_new_year(make_mentee, on, months, expected):
    got = [(m.month.year, m.month.month) for m in signoffs_by_month(make_mentee(), months, on)]
    assert got == expected


def test_only_this_mentee_s_sign_offs_count(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee, other = make_mentee(), make_mentee()
    assign(mentor, mentee)
    assign(mentor, other)
    record_signoff(other, skill("use-atm"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    record_signoff(mentee, skill("read-timetable"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    db.session.commit()
    assert [m.signed_off for m in signoffs_by_month(mentee, months=1)] == [1]


def test_a_retired_skill_no_longer_counts(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    record_signoff(mentee, skill("use-atm"), mentor, SignoffDetails(level=3, shown_on=TODAY))
    skill("use-atm").retired = True
    db.session.commit()
    assert [(m.signed_off, m.total) for m in signoffs_by_month(mentee, months=2)] == [(0, 0)] * 2


def test_a_refresher_mark_is_not_a_first_sign_off(make_user, make_mentee, assign, skill):
    """The sign-off is corrected down after a refresher was asked for: the refresher mark
    carries the old level, but it never counts as signing the skill off."""
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=month_start(3))
    assign(mentor, mentee)
    entry = record_signoff(
        mentee, skill("use-atm"), mentor, SignoffDetails(level=3, shown_on=month_start(2))
    )
    mark_refresher(mentee, skill("use-atm"), mentor)
    correct_signoff(entry, mentor, SignoffDetails(level=1, shown_on=month_start(2)), "Too soon")
    db.session.commit()
    assert [(m.signed_off, m.total) for m in signoffs_by_month(mentee, months=3)] == [(0, 0)] * 3
