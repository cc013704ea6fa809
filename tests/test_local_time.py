"""Each organisation lives by its own calendar: "today" is the date in its time zone."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import SignoffEvent
from skills.reports.stamp import stamp
from skills.services import people, voice
from skills.services.progress import is_stalled
from skills.timeutil import frozen_at, today, utcnow

# 06:30 UTC on Dec 1 is 01:30 in New York (Dec 1) and 22:30 in California (Nov 30).
MORNING_IN_NEW_YORK = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)
NOV_30, DEC_1 = date(2026, 11, 30), date(2026, 12, 1)


@pytest.fixture
def california(org):
    org.time_zone = "America/Los_Angeles"
    db.session.commit()
    return org


def test_today_is_the_date_in_the_organisations_time_zone(org):
    org.time_zone = "America/New_York"
    west = people.get_or_create_organisation("West Program")
    west.time_zone = "America/Los_Angeles"
    with frozen_at(MORNING_IN_NEW_YORK):
        assert utcnow() == MORNING_IN_NEW_YORK
        assert today(org) == DEC_1
        assert today(west) == NOV_30
        assert today("Asia/Tokyo") == DEC_1
        # An unknown zone name, or none, falls back to UTC rather than failing.
        assert today(None) == today("Not/A_Zone") == DEC_1
    with frozen_at(datetime(2026, 11, 30, 4, 30, tzinfo=UTC)):  # 23:30 Nov 29 in New York
        assert today(org) == today(west) == date(2026, 11, 29)
        assert today(None) == NOV_30


def test_a_mentee_and_their_mentor_share_their_organisations_date(
    california, make_user, make_mentee
):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=date(2026, 9, 1))
    with frozen_at(MORNING_IN_NEW_YORK):
        assert today(mentee) == today(mentor) == NOV_30


def test_a_sign_off_at_night_in_california_lands_on_that_day(
    client, login, california, make_user, make_mentee, assign, skill
):
    mentor, mentee = make_user("mentor"), make_mentee(start_date=date(2026, 9, 1))
    assign(mentor, mentee)
    login(mentor)
    url = f"/mentees/{mentee.id}/skills/{skill().id}"
    with frozen_at(MORNING_IN_NEW_YORK):
        page = client.get(url).get_data(as_text=True)
        # The form offers the local date, not the UTC one.
        assert 'value="2026-11-30"' in page and "2026-12-01" not in page
        refused = client.post(url, data={"level": "2", "shown_on": "2026-12-01", "note": "x"})
        assert refused.status_code == 422
        assert "in the future" in refused.get_data(as_text=True)
        saved = client.post(url, data={"level": "2", "shown_on": "2026-11-30", "note": "Did it"})
        assert saved.status_code == 302, saved.get_data(as_text=True)
    (event,) = db.session.scalars(select(SignoffEvent).where(SignoffEvent.mentee_id == mentee.id))
    assert event.shown_on == NOV_30
    # Stored times stay UTC.
    assert event.recorded_at == MORNING_IN_NEW_YORK


def test_an_i_did_it_sent_at_night_is_confirmed_on_the_day_it_was_sent(
    client, login, california, make_user, make_mentee, assign, skill
):
    """The confirm form offers the day the mentee sent "I did it" in their zone: its UTC
    date (tomorrow, at night in California) was refused as a date in the future."""
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=date(2026, 9, 1), with_login=True)
    assign(mentor, mentee)
    with frozen_at(MORNING_IN_NEW_YORK):
        report = voice.report_did_it(mentee, skill(), "I got my card", mentee.user)
        db.session.commit()
        login(mentor)
        page = client.get(f"/mentor/did-it/{report.id}").get_data(as_text=True)
    assert 'value="2026-11-30"' in page and "2026-12-01" not in page


def test_stalled_counts_thirty_days_on_the_local_calendar(california, make_mentee):
    mentee = make_mentee(start_date=date(2026, 9, 1))
    last = date(2026, 10, 31)  # 30 days before Nov 30, 31 before Dec 1
    with frozen_at(MORNING_IN_NEW_YORK):
        assert not is_stalled(mentee, last, today(mentee))
        assert is_stalled(mentee, last, today(None))  # what the UTC date would have said


def test_report_footer_is_stamped_in_the_organisations_zone(california):
    with frozen_at(MORNING_IN_NEW_YORK):
        made = stamp(california, "Pat Lee")
    assert made.zone == "PST"
    assert (made.at.date(), made.at.hour, made.at.minute) == (NOV_30, 22, 30)


def test_a_frozen_clock_refuses_a_naive_time_and_restores_the_real_one():
    with pytest.raises(ValueError, match="naive"), frozen_at(datetime(2026, 1, 1)):
        pass
    with frozen_at(MORNING_IN_NEW_YORK):
        pass
    assert utcnow() != MORNING_IN_NEW_YORK
