"""The organisation summary's edges: who counts as stalled (active only, 30 days to the
day, from the start date when never signed off), the organisation's own calendar day,
an organisation with nothing yet, and a view of the wrong organisation refused."""

from datetime import UTC, datetime, timedelta

import pytest

from skills.extensions import db
from skills.services import curriculum_view, mentee_standing, people
from skills.services.progress import caseload_progress
from skills.services.progress_totals import organisation_summary
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.timeutil import frozen_at

from .conftest import today

TODAY = today()
DAYS = timedelta(days=1)


def sign(mentee, skill, mentor, level, shown_on):
    record_signoff(mentee, skill, mentor, SignoffDetails(level=level, shown_on=shown_on))


def test_stalled_counts_active_mentees_quiet_for_more_than_30_days(
    org, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    long_ago = TODAY - 100 * DAYS
    quiet_31 = make_mentee(start_date=long_ago)  # stalled
    quiet_30 = make_mentee(start_date=long_ago)  # exactly 30 days: not yet
    never_31 = make_mentee(start_date=TODAY - 31 * DAYS)  # never signed off: stalled
    never_30 = make_mentee(start_date=TODAY - 30 * DAYS)  # not yet
    new = make_mentee(start_date=TODAY - 2 * DAYS)  # just started: not stalled
    gone_quiet = make_mentee(start_date=long_ago)  # discharged: never stalled
    gone_never = make_mentee(start_date=long_ago)
    for mentee in (quiet_31, quiet_30, never_31, never_30, new, gone_quiet, gone_never):
        assign(mentor, mentee)
    sign(quiet_31, skill("use-atm"), mentor, 2, TODAY - 31 * DAYS)
    sign(quiet_30, skill("use-atm"), mentor, 2, TODAY - 30 * DAYS)
    sign(gone_quiet, skill("use-atm"), mentor, 2, TODAY - 60 * DAYS)
    mentee_standing.discharge_mentee(gone_quiet, TODAY)
    mentee_standing.discharge_mentee(gone_never, TODAY)
    db.session.commit()

    summary = organisation_summary(org.id)
    everyone = [quiet_31, quiet_30, never_31, never_30, new, gone_quiet, gone_never]
    assert (summary.mentees, summary.active) == (7, 5)
    assert summary.stalled == 2  # quiet_31 and never_31
    assert summary.stalled == sum(r.stalled for r in caseload_progress(everyone))


def test_an_organisation_with_nothing_yet_counts_zero_everywhere(org):
    summary = organisation_summary(org.id)
    assert (summary.mentees, summary.active, summary.stalled) == (0, 0, 0)
    assert summary.domains and all(
        (d.signed_off, d.started, d.total) == (0, 0, 0) for d in summary.domains
    )
    assert summary.percent == 0


def test_domains_with_no_progress_yet_count_zero_beside_those_with_some(
    org, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("use-atm"), mentor, 3, TODAY)
    db.session.commit()
    by_domain = {
        d.domain.key: (d.signed_off, d.started) for d in organisation_summary(org.id).domains
    }
    assert by_domain == {"money": (1, 0), "getting-around": (0, 0)}


def test_only_discharged_mentees_leave_no_one_active_or_stalled(org, make_mentee):
    mentee = make_mentee(start_date=TODAY - 100 * DAYS)
    mentee_standing.discharge_mentee(mentee, TODAY)
    db.session.commit()
    summary = organisation_summary(org.id)
    assert (summary.mentees, summary.active, summary.stalled) == (1, 0, 0)


def test_stalled_is_reckoned_on_the_organisation_s_own_date(
    org, make_user, make_mentee, assign, skill
):
    """At 9 pm on Nov 30 in New York it is already Dec 1 in UTC: a sign-off on Oct 31 is
    30 days old in New York (not stalled), 31 days old by the UTC date."""
    org.time_zone = "America/New_York"
    with frozen_at(datetime(2026, 12, 1, 2, 0, tzinfo=UTC)):
        mentor = make_user("mentor")
        mentee = make_mentee(start_date=datetime(2026, 8, 1).date())
        assign(mentor, mentee)
        sign(mentee, skill("use-atm"), mentor, 2, datetime(2026, 10, 31).date())
        db.session.commit()
        assert organisation_summary(org.id).stalled == 0
        assert organisation_summary(org.id, on=datetime(2026, 12, 1).date()).stalled == 1


def test_a_view_of_another_organisation_is_refused(org):
    elsewhere = people.get_or_create_organisation("Elsewhere")
    db.session.commit()
    view = curriculum_view.curriculum_view(elsewhere.id)
    with pytest.raises(ValueError, match="^the view is of another organization$"):
        organisation_summary(org.id, view=view)
