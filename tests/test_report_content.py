"""What a progress report says, checked on its data rather than on PDF text.

These are the rules a case manager relies on: which skills count as "signed off in
this period", which notes are printed and for whom, and that a batch says the same
as single reports.
"""

import dataclasses
import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from skills.extensions import db
from skills.permissions import MENTEE_COPY, Viewer
from skills.reports.content import (
    NOTES_LIMIT,
    batch_report_data,
    mentee_report_data,
    resolve_period,
)
from skills.reports.period import check_period
from skills.reports.shared_details import Shared, signed_off_levels
from skills.services import voice
from skills.services.curriculum import load_files
from skills.services.curriculum_view import curriculum_view
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import MINI_CURRICULUM, today

STAFF = Viewer(sees_staff_notes=True)
TODAY = today()
PERIOD_FROM = TODAY - timedelta(days=10)


@pytest.fixture
def mentor_and_mentee(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Pat Mentor")
    mentee = make_mentee(name="Robin Learner", start_date=TODAY - timedelta(days=60))
    assign(mentor, mentee)
    return mentor, mentee


def sign(mentee, skill, mentor, level, shown_on, allow_lower=False, **details):
    event = record_signoff(
        mentee,
        skill,
        mentor,
        SignoffDetails(level=level, shown_on=shown_on, **details),
        allow_lower=allow_lower,
    )
    db.session.commit()
    return event


def test_signed_off_in_period_lists_only_skills_whose_latest_level_there_counts(
    mentor_and_mentee, skill
):
    mentor, mentee = mentor_and_mentee
    inside = TODAY - timedelta(days=2)
    sign(mentee, skill("get-transit-card"), mentor, 3, inside)  # listed
    sign(mentee, skill("read-timetable"), mentor, 2, inside)  # one below: not listed
    sign(mentee, skill("ride-and-pay"), mentor, 3, PERIOD_FROM - timedelta(days=1))  # before
    wrong = sign(mentee, skill("open-bank-account"), mentor, 3, inside)
    correct_signoff(wrong, mentor, SignoffDetails(level=2, shown_on=inside), "Not yet")
    sign(mentee, skill("use-atm"), mentor, 3, inside - timedelta(days=1))
    sign(mentee, skill("use-atm"), mentor, 1, inside, allow_lower=True)  # lower: not listed
    db.session.commit()
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM, period_to=TODAY)
    assert [item.title for item in data.signed_off_in_period] == [skill("get-transit-card").title]
    item = data.signed_off_in_period[0]
    assert item.shown_on == inside and item.mentor == "Pat Mentor"
    assert item.level_name == "Can do it on my own"
    # Before the period started, the skill signed off then is listed in a period that holds it.
    wider = mentee_report_data(mentee, STAFF, period_from=TODAY - timedelta(days=30))
    assert {i.title for i in wider.signed_off_in_period} == {
        skill("get-transit-card").title,
        skill("ride-and-pay").title,
    }


def test_signed_off_in_period_is_in_date_order(mentor_and_mentee, skill):
    mentor, mentee = mentor_and_mentee
    sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=1))
    sign(mentee, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=5))
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM)
    assert [i.shown_on for i in data.signed_off_in_period] == [
        TODAY - timedelta(days=5),
        TODAY - timedelta(days=1),
    ]


def test_notes_in_period_newest_first_and_staff_notes_only_in_the_staff_copy(
    mentor_and_mentee, skill
):
    mentor, mentee = mentor_and_mentee
    sign(mentee, skill("get-transit-card"), mentor, 1, TODAY - timedelta(days=20), note="old")
    sign(
        mentee,
        skill("get-transit-card"),
        mentor,
        2,
        TODAY - timedelta(days=3),
        note="shared",
        note_visibility="mentee",
    )
    sign(
        mentee,
        skill("use-atm"),
        mentor,
        1,
        TODAY - timedelta(days=2),
        note="private",
        note_visibility="staff",
    )
    sign(mentee, skill("read-timetable"), mentor, 1, TODAY - timedelta(days=1))  # no note
    staff = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM)
    assert [(n.note, n.staff_only) for n in staff.notes] == [
        ("private", True),
        ("shared", False),
    ]
    assert staff.staff_view
    own = mentee_report_data(mentee, MENTEE_COPY, period_from=PERIOD_FROM)
    assert [n.note for n in own.notes] == ["shared"]
    assert not own.staff_view


def test_notes_stop_at_the_limit_and_say_how_many_there_were(mentor_and_mentee, skill):
    mentor, mentee = mentor_and_mentee
    for n in range(NOTES_LIMIT + 2):
        sign(mentee, skill("get-transit-card"), mentor, 1, PERIOD_FROM, note=f"note {n}")
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM)
    assert len(data.notes) == NOTES_LIMIT and data.notes_total == NOTES_LIMIT + 2
    assert data.notes[0].note == f"note {NOTES_LIMIT + 1}"


def test_counts_and_percent_follow_the_signed_off_rule(mentor_and_mentee, skill):
    mentor, mentee = mentor_and_mentee
    sign(mentee, skill("get-transit-card"), mentor, 3, TODAY)
    sign(mentee, skill("use-atm"), mentor, 2, TODAY)
    data = mentee_report_data(mentee, STAFF)
    assert (data.signed_off, data.total) == (1, 5)
    assert data.percent == 20
    assert data.last_signoff_on == TODAY
    by_title = {s.title: s for d in data.domains for s in d.skills}
    assert by_title[skill("get-transit-card").title].signed_off
    assert not by_title[skill("use-atm").title].signed_off
    assert by_title[skill("use-atm").title].level == 2
    assert by_title[skill("use-atm").title].mentor == "Pat Mentor"
    assert [(d.signed_off, d.total) for d in data.domains] == [(1, 3), (0, 2)]


def test_period_defaults_to_the_mentees_start_and_today(mentor_and_mentee):
    _, mentee = mentor_and_mentee
    assert resolve_period(mentee, None, None, TODAY) == (mentee.start_date, TODAY)
    start = TODAY - timedelta(days=5)
    assert resolve_period(mentee, start, None, TODAY) == (start, TODAY)
    with pytest.raises(ValueError):
        resolve_period(mentee, TODAY, TODAY - timedelta(days=1), TODAY)


def test_a_period_of_one_day_is_allowed_and_a_reversed_one_says_both_dates(app):
    check_period(date(2026, 10, 31), date(2026, 10, 31))
    with app.test_request_context(), pytest.raises(ValueError) as refused:
        check_period(date(2026, 10, 31), date(2026, 9, 1))
    with app.test_request_context():
        assert str(refused.value.args[0]) == (
            "The period starts on Oct 31, 2026, after it ends on Sep 1, 2026. "
            "Choose a start date on or before the end date."
        )


def test_how_a_skill_was_done_is_printed_in_words_and_left_out_when_not_said(
    mentor_and_mentee, skill
):
    mentor, mentee = mentor_and_mentee
    inside = TODAY - timedelta(days=2)
    sign(
        mentee,
        skill("get-transit-card"),
        mentor,
        3,
        inside,
        note="Paid at the machine.",
        support="own",
        practised_with="group",
    )
    sign(mentee, skill("ride-and-pay"), mentor, 3, inside, note="Rode to the clinic.")
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM, period_to=TODAY)
    said = {i.title: (i.support, i.practised_with) for i in data.signed_off_in_period}
    assert said == {
        skill("get-transit-card").title: ("On my own", "In a group"),
        skill("ride-and-pay").title: (None, None),
    }
    noted = {n.note: (n.support, n.practised_with) for n in data.notes}
    assert noted == {
        "Paid at the machine.": ("On my own", "In a group"),
        "Rode to the clinic.": (None, None),
    }


def test_a_way_of_doing_with_no_label_any_more_is_printed_as_stored():
    shared = Shared({}, {}, {}, {"own": "On my own"}, {"group": "In a group"}, {})
    assert shared.labels("own", "group") == ("On my own", "In a group")
    assert shared.labels("coached", "pairs") == ("coached", "pairs")  # an older key
    assert shared.labels(None, "") == (None, None)
    assert shared.labels("", None) == (None, None)


def retire(tmp_path, *keys):
    """Load the test curriculum again without the skills `keys`: they are retired, and
    their sign-offs kept."""
    text = MINI_CURRICULUM.read_text()
    for key in keys:
        text, found = re.subn(rf"      - key: {key}\n(?:        .*\n)*", "", text)
        assert found == 1, key
    smaller = tmp_path / "mini.yaml"
    smaller.write_text(text)
    assert sorted(load_files([smaller])[0].retired) == sorted(keys)
    db.session.commit()


def test_a_skill_signed_off_and_then_retired_is_still_listed_in_its_period(
    mentor_and_mentee, skill, tmp_path
):
    mentor, mentee = mentor_and_mentee
    inside = TODAY - timedelta(days=2)
    sign(mentee, skill("get-transit-card"), mentor, 3, inside - timedelta(days=1))
    sign(mentee, skill("use-atm"), mentor, 3, inside, support="own", practised_with="mentor")
    sign(mentee, skill("read-timetable"), mentor, 2, inside)  # below the level: not listed
    retire(tmp_path, "use-atm", "read-timetable")
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM, period_to=TODAY)
    listed = [(i.title, i.i_can_now, i.level_name, i.support) for i in data.signed_off_in_period]
    assert listed == [
        ("Get a transit card", "I can now get a transit card.", "Can do it on my own", None),
        ("Use an ATM", "I can now use an ATM.", "Can do it on my own", "On my own"),
    ]
    # The checklist and its counts are of the skills still in the curriculum.
    assert [s.title for d in data.domains for s in d.skills] == [
        "Get a transit card",
        "Ride and pay",
        "Open a bank account",
    ]
    assert (data.signed_off, data.total) == (1, 3)


def test_signed_off_levels_reads_live_skills_from_the_view_and_only_retired_ones_from_the_database(
    org, skill, count_queries, tmp_path
):
    retire(tmp_path, "use-atm")
    card, atm = skill("get-transit-card"), skill("use-atm")
    view = curriculum_view(org.id)
    live = next(s for skills in view.skills.values() for s in skills if s.id == card.id)
    with count_queries() as queries:
        assert signed_off_levels(view, {card.id}) == {card.id: (3, live)}
    assert queries.count == 0
    with count_queries() as queries:
        levels = signed_off_levels(view, {card.id, atm.id})
    assert queries.count == 1
    assert levels.keys() == {card.id, atm.id} and levels[card.id] == (3, live)
    level, retired = levels[atm.id]
    assert (level, retired.id, retired.title, retired.i_can, retired.retired) == (
        3,
        atm.id,
        "Use an ATM",
        "I can use an ATM.",
        True,
    )


def test_a_retired_skill_is_printed_in_the_language_of_the_reports_curriculum_view(
    mentor_and_mentee, skill, tmp_path
):
    mentor, mentee = mentor_and_mentee
    sign(mentee, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=2))
    sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=1))
    retire(tmp_path, "use-atm")
    skill("get-transit-card").translations = {
        "es": {"i_can": "Puedo sacar una tarjeta de transporte."}
    }
    skill("use-atm").translations = {"es": {"i_can": "Puedo usar un cajero automático."}}
    db.session.commit()
    # Gathered outside any Spanish locale: the view passed in says the language.
    spanish = curriculum_view(mentee.organisation_id, "es")
    data = mentee_report_data(mentee, MENTEE_COPY, period_from=PERIOD_FROM, view=spanish)
    assert [i.i_can_now for i in data.signed_off_in_period] == [
        "Ahora puedo sacar una tarjeta de transporte.",
        "Ahora puedo usar un cajero automático.",
    ]


def test_the_mentees_own_words_are_printed_and_a_bare_confirmation_says_thats_right(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(with_login=True, start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    said = sign(mentee, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=3))
    agreed = sign(mentee, skill("use-atm"), mentor, 2, TODAY - timedelta(days=2))
    sign(mentee, skill("ride-and-pay"), mentor, 1, TODAY - timedelta(days=1))  # not answered
    voice.confirm_signoff(said, mentee.user, "I bought it myself")
    voice.confirm_signoff(agreed, mentee.user, "")
    db.session.commit()
    assert mentee_report_data(mentee, MENTEE_COPY).own_words == [
        (TODAY - timedelta(days=2), "Use an ATM", "That's right."),
        (TODAY - timedelta(days=3), "Get a transit card", "I bought it myself"),
    ]
    with force_locale("es_US"):
        words = [w for _, _, w in mentee_report_data(mentee, MENTEE_COPY).own_words]
    assert words == ["Está bien.", "I bought it myself"]


def test_a_batch_report_ends_with_the_period_says_who_printed_it_and_has_local_help(
    mentor_and_mentee, make_user, skill
):
    mentor, mentee = mentor_and_mentee
    admin = make_user("admin")
    voice.set_resource(mentee.organisation_id, skill("get-transit-card"), "Office on 5th", admin)
    db.session.commit()
    end = TODAY - timedelta(days=3)
    [data] = batch_report_data([mentee], lambda m: STAFF, period_to=end, printed_by="Dana Reyes")
    assert (data.period_from, data.period_to) == (mentee.start_date, end)
    assert data.stamp.by == "Dana Reyes"
    assert data.local_help == [("Get a transit card", "Office on 5th")]
    [plain] = batch_report_data([mentee], lambda m: STAFF)
    assert (plain.period_to, plain.stamp.by) == (TODAY, "")
    view = curriculum_view(mentee.organisation_id)
    assert list(batch_report_data([], lambda m: STAFF, view=view)) == []
    # Every report of the batch is read through the one view given.
    first_area = dataclasses.replace(view, domains=view.domains[:1])
    [narrow] = batch_report_data([mentee], lambda m: STAFF, view=first_area)
    assert [d.title for d in narrow.domains] == [view.domains[0].title]


def test_a_single_report_ends_on_the_day_given_reads_the_view_given_and_says_no_printer(
    mentor_and_mentee,
):
    _, mentee = mentor_and_mentee
    end = TODAY - timedelta(days=3)
    data = mentee_report_data(mentee, STAFF, on=end)
    assert (data.period_from, data.period_to) == (mentee.start_date, end)
    assert data.stamp.by == ""  # nobody named unless the caller says who printed it
    view = curriculum_view(mentee.organisation_id)
    first_area = dataclasses.replace(view, domains=view.domains[:1])
    narrow = mentee_report_data(mentee, STAFF, view=first_area)
    assert [d.title for d in narrow.domains] == [view.domains[0].title]


def test_a_past_period_shows_each_skill_as_it_stood_on_its_last_day(mentor_and_mentee, skill):
    """Levels, names, the mentee's words and dates are those of the period's last day:
    a later sign-off is not in it, a skill not yet begun is at level 0, and a refresher
    asked for since (or before) is not a new sign-off date."""
    mentor, mentee = mentor_and_mentee
    day = lambda n: TODAY - timedelta(days=n)  # noqa: E731
    sign(mentee, skill("get-transit-card"), mentor, 1, day(20))
    sign(mentee, skill("get-transit-card"), mentor, 3, day(5))  # after the period
    sign(mentee, skill("use-atm"), mentor, 3, day(15))
    voice.mark_refresher(mentee, skill("use-atm"), mentor)  # dated today
    sign(mentee, skill("read-timetable"), mentor, 2, day(3))  # after the period
    voice.set_goal(mentee, skill("use-atm"), mentor)
    voice.set_goal(mentee, skill("read-timetable"), mentor)
    db.session.commit()

    data = mentee_report_data(mentee, STAFF, period_to=day(10))
    items = {s.title: s for d in data.domains for s in d.skills}
    card, atm, timetable = (
        items["Get a transit card"],
        items["Use an ATM"],
        items["Read a timetable"],
    )
    assert (card.level, card.level_name, card.level_text, card.signed_off, card.shown_on) == (
        1,
        "Introduced",
        "I have seen how it is done",
        False,
        day(20),
    )
    assert (atm.level, atm.signed_off, atm.shown_on) == (3, True, day(15))
    assert (timetable.level, timetable.level_name, timetable.level_text) == (
        0,
        "Not started",
        "Not started yet",
    )
    assert (timetable.signed_off, timetable.shown_on) == (False, None)
    # Goals carry whether they were signed off then, as the checklist does.
    assert [(g.title, g.signed_off) for g in data.goals] == [
        ("Use an ATM", True),
        ("Read a timetable", False),
    ]
    # With the refresher asked for by the period's end, the date is still the sign-off's.
    later = mentee_report_data(mentee, STAFF)
    assert {s.title: s.shown_on for d in later.domains for s in d.skills}["Use an ATM"] == day(15)


def test_a_scale_without_a_level_0_shows_a_skill_not_begun_as_0(mentor_and_mentee):
    _, mentee = mentor_and_mentee
    view = curriculum_view(mentee.organisation_id)
    from_1 = {cid: [lv for lv in levels if lv.value] for cid, levels in view.levels.items()}
    data = mentee_report_data(mentee, STAFF, view=dataclasses.replace(view, levels=from_1))
    item = data.domains[0].skills[0]
    assert (item.level, item.level_name, item.level_text, item.shown_on) == (0, "0", "", None)


def test_each_period_entry_carries_what_the_report_prints_beside_it(mentor_and_mentee, skill):
    """The period lists print each entry's date, skill, level, mentor and place; a skill
    not signed off in the period is skipped, not the end of the list."""
    mentor, mentee = mentor_and_mentee
    early, late = TODAY - timedelta(days=4), TODAY - timedelta(days=2)
    sign(mentee, skill("use-atm"), mentor, 2, early, note="Found the machine.", place="Bank")
    sign(mentee, skill("get-transit-card"), mentor, 3, late, place="Main St station")
    data = mentee_report_data(mentee, STAFF, period_from=PERIOD_FROM)
    [item] = data.signed_off_in_period
    assert (item.shown_on, item.title, item.mentor, item.place) == (
        late,
        skill("get-transit-card").title,
        "Pat Mentor",
        "Main St station",
    )
    [note] = data.notes
    level = curriculum_view(mentee.organisation_id).level(skill("use-atm").curriculum_id, 2)
    assert (note.shown_on, note.skill, note.level_name, note.mentor, note.place) == (
        early,
        skill("use-atm").title,
        level.name,
        "Pat Mentor",
        "Bank",
    )


def test_the_report_names_the_mentee_as_they_prefer_and_says_when_they_started(
    make_mentee,
):
    mentee = make_mentee(name="Roberta Learner", start_date=TODAY - timedelta(days=60))
    mentee.preferred_name = "Bobbie"
    db.session.commit()
    data = mentee_report_data(mentee, STAFF)
    assert (data.preferred_name, data.start_date) == ("Bobbie", TODAY - timedelta(days=60))
    assert data.name == "Roberta Learner (Bobbie)"


def test_percent_is_rounded_from_the_share_signed_off_and_0_with_no_skills(
    mentor_and_mentee, skill
):
    mentor, mentee = mentor_and_mentee
    for key in ("get-transit-card", "use-atm", "read-timetable"):
        sign(mentee, skill(key), mentor, 3, TODAY)
    data = mentee_report_data(mentee, STAFF)
    assert (data.signed_off, data.total, data.percent) == (3, 5, 60)
    # A program whose curriculum has no live skills yet: 0%, not an error.
    view = curriculum_view(mentee.organisation_id)
    empty = dataclasses.replace(view, domains=(), skills={})
    data = mentee_report_data(mentee, STAFF, view=empty)
    assert (data.signed_off, data.total, data.percent, data.domains) == (0, 0, 0, [])


def test_a_correction_that_moves_the_date_earlier_still_replaces_the_entry(
    mentor_and_mentee, skill
):
    """The corrected entry no longer counts, even when it is now the latest by date."""
    mentor, mentee = mentor_and_mentee
    card = skill("get-transit-card")
    wrong = sign(mentee, card, mentor, 3, TODAY - timedelta(days=2))
    earlier = SignoffDetails(level=1, shown_on=TODAY - timedelta(days=6))
    correct_signoff(wrong, mentor, earlier, "Wrong day and level")
    db.session.commit()
    for period in ({}, {"period_from": PERIOD_FROM}):
        data = mentee_report_data(mentee, STAFF, **period)
        [item] = [s for d in data.domains for s in d.skills if s.title == card.title]
        assert (item.level, item.signed_off, item.shown_on) == (1, False, TODAY - timedelta(days=6))
        assert data.signed_off_in_period == []


def test_the_mentees_words_on_the_periods_first_and_last_days_are_in_it(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(with_login=True, start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    first, last = TODAY - timedelta(days=6), TODAY - timedelta(days=2)
    for key, day, words in (
        ("get-transit-card", first - timedelta(days=1), "before"),
        ("use-atm", first, "first day"),
        ("ride-and-pay", last, "last day"),
        ("read-timetable", last + timedelta(days=1), "after"),
    ):
        entry = sign(mentee, skill(key), mentor, 2, day)
        voice.confirm_signoff(entry, mentee.user, words)
    db.session.commit()
    data = mentee_report_data(mentee, MENTEE_COPY, period_from=first, period_to=last)
    assert [w for _, _, w in data.own_words] == ["last day", "first day"]
