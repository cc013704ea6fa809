"""Progress over time: skills first signed off in each of the last months."""

from datetime import date, timedelta

from skills.extensions import db
from skills.services.progress_totals import signoffs_by_month
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.services.voice import mark_refresher

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
