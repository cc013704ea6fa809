"""Corrections, exactly: every field of the new event and of its audit row, and each
refusal's words and field (what the mentor reads beside the form)."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import Assignment, AuditEvent, Level, SignoffEvent, SkillStatus
from skills.services import assignments, mentee_standing, voice
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import (
    REASON_MAX,
    SignoffDetails,
    SignoffError,
    correct_signoff,
    level_scale,
    record_signoff,
)
from skills.services.status import rebuild_statuses

from .conftest import MINI_CURRICULUM, today

TODAY = today()


@pytest.fixture
def first(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    event = record_signoff(
        mentee, skill(), mentor, SignoffDetails(level=3, shown_on=TODAY - timedelta(days=2))
    )
    db.session.commit()
    return event


def _refusal(original, corrector, reason, level=2) -> SignoffError:
    with pytest.raises(SignoffError) as caught:
        correct_signoff(original, corrector, SignoffDetails(level=level, shown_on=TODAY), reason)
    db.session.rollback()
    return caught.value


def test_a_correction_stores_every_field_and_its_audit_row(first, skill):
    mentor = first.recorded_by
    fix = correct_signoff(
        first,
        mentor,
        SignoffDetails(
            level=2,
            shown_on=TODAY - timedelta(days=1),
            note="Practised at the station",
            note_visibility="staff",
            support="reminders",
            place="Central station",
            practised_with="mentor",
        ),
        "  Wrong level picked  ",
    )
    db.session.commit()
    db.session.expire_all()
    fix = db.session.get(SignoffEvent, fix.id)
    assert (fix.mentee_id, fix.skill_id, fix.kind) == (
        first.mentee_id,
        first.skill_id,
        "correction",
    )
    assert (fix.recorded_by_id, fix.corrects_id) == (mentor.id, first.id)
    assert fix.correction_reason == "Wrong level picked"
    assert fix.group_session_id == first.group_session_id
    assert (fix.level, fix.shown_on) == (2, TODAY - timedelta(days=1))
    assert (fix.note, fix.note_visibility) == ("Practised at the station", "staff")
    assert (fix.support, fix.place, fix.practised_with) == (
        "reminders",
        "Central station",
        "mentor",
    )

    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signoff.correct")).one()
    assert (row.actor_id, row.mentee_id, row.organisation_id) == (
        mentor.id,
        first.mentee_id,
        mentor.organisation_id,
    )
    assert (row.object_type, row.object_id, row.outcome) == ("signoff_event", str(fix.id), "ok")
    assert json.loads(row.detail) == {"corrects": first.id, "skill": skill().key, "level": 2}


def test_each_refusal_says_exactly_what_is_wrong(first, make_user, assign):
    mentor = first.recorded_by
    error = _refusal(first, mentor, "   ")
    assert (str(error), error.field) == ("Say why this entry is being corrected.", "reason")
    error = _refusal(first, mentor, "x" * (REASON_MAX + 1))
    assert (str(error), error.field) == (
        f"The reason is {REASON_MAX + 1} characters long; the limit is {REASON_MAX}.",
        "reason",
    )
    other = make_user("mentor")
    assign(other, first.mentee)
    error = _refusal(first, other, "mine now")
    assert (str(error), error.field) == (
        "Only the mentor who made an entry, while still assigned, can correct it.",
        None,
    )
    # A reason of exactly the limit is accepted, once; the entry is then corrected.
    correct_signoff(first, mentor, SignoffDetails(level=2, shown_on=TODAY), "x" * REASON_MAX)
    db.session.commit()
    error = _refusal(first, mentor, "again")
    assert (str(error), error.field) == (
        "This entry was already corrected; correct the newer entry instead.",
        None,
    )


def test_the_level_scale_is_read_lowest_first_whatever_order_levels_were_added(
    app, skill, tmp_path
):
    # A level added by a later load gets a later row: the scale must still read in order.
    text = MINI_CURRICULUM.read_text()
    without_two = text.replace(
        """  - value: 2
    name: Practicing with support
    mentee_text: I am practicing with help
""",
        "",
    )
    assert without_two != text
    path = tmp_path / "mini-scale.yaml"
    # A fresh library key, so the fixture's curriculum is untouched.
    path.write_text(without_two.replace("id: mini", "id: mini-scale"))
    curriculum_service.load_files([path])
    path.write_text(text.replace("id: mini", "id: mini-scale"))
    curriculum_service.load_files([path])
    db.session.commit()
    scale_skill = db.session.scalar(
        select(Level.curriculum_id).where(Level.value == 2).order_by(Level.id.desc())
    )
    rows = db.session.scalars(
        select(Level).where(Level.curriculum_id == scale_skill).order_by(Level.id)
    ).all()
    assert [lv.value for lv in rows] == [0, 1, 3, 2]  # stored out of order
    from skills.models import Skill

    one = db.session.scalar(select(Skill).where(Skill.curriculum_id == scale_skill))
    assert [lv.value for lv in level_scale(one)] == [0, 1, 2, 3]


def test_a_correction_is_checked_against_the_organizations_today(first):
    """At 04:30 UTC in winter it is still the evening before in New York: a correction dated the
    UTC day is in the future there, and is refused."""
    from datetime import UTC, datetime

    from skills.timeutil import frozen_at

    first.mentee.organisation.time_zone = "America/New_York"
    db.session.commit()
    with frozen_at(datetime(2031, 12, 2, 4, 30, tzinfo=UTC)):
        with pytest.raises(SignoffError) as caught:
            correct_signoff(
                first, first.recorded_by, SignoffDetails(2, date(2031, 12, 2)), "wrong day"
            )
        assert caught.value.field == "shown_on"
        db.session.rollback()
        fix = correct_signoff(
            first, first.recorded_by, SignoffDetails(2, date(2031, 12, 1)), "wrong day"
        )
        assert fix.shown_on == date(2031, 12, 1)


def test_a_correction_of_a_group_sign_off_stays_in_its_group(make_user, make_mentee, assign, skill):
    from skills.services import voice

    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    session = voice.record_group_session(
        mentor, skill(), TODAY, [voice.Attendee(mentee, 2)], place="Library"
    )
    db.session.commit()
    original = db.session.scalars(
        select(SignoffEvent).where(SignoffEvent.group_session_id == session.id)
    ).one()
    fix = correct_signoff(original, mentor, SignoffDetails(1, TODAY), "Was level 1")
    db.session.commit()
    assert fix.group_session_id == session.id is not None


def test_the_correction_form_names_the_entrys_level(client, login, first):
    """It said "the entry from Nov 30, 2026 (3) stays in the history": a bare number."""
    login(first.recorded_by)
    page = html.unescape(client.get(f"/signoffs/{first.id}/correct").get_data(as_text=True))
    assert "(3 · Can do it on my own) stays in the history" in page


def _correct_links(client, path: str) -> set[int]:
    page = client.get(path).get_data(as_text=True)
    return {int(n) for n in re.findall(r'href="/signoffs/(\d+)/correct"', page)}


def test_the_correct_link_is_on_the_mentors_own_entries_that_still_set_a_level(
    client, login, first, make_user, assign, skill
):
    """Own sign-offs and corrections only: never another mentor's entry, an entry
    already corrected, a refresher reminder, nor once the assignment has ended; and
    never on the record's front page (recent entries only)."""
    mentor, mentee, card = first.recorded_by, first.mentee, first.skill
    other = make_user("mentor")
    assign(other, mentee)
    theirs = record_signoff(mentee, skill("ride-and-pay"), other, SignoffDetails(2, TODAY))
    db.session.commit()
    fix = correct_signoff(first, mentor, SignoffDetails(level=3, shown_on=TODAY), "Typo")
    db.session.commit()
    reminder = voice.mark_refresher(mentee, card, mentor)
    db.session.commit()
    assert theirs.id and reminder.id
    login(mentor)
    history, skill_page = f"/mentees/{mentee.id}/history", f"/mentees/{mentee.id}/skills/{card.id}"
    assert _correct_links(client, history) == {fix.id}
    assert _correct_links(client, skill_page) == {fix.id}
    assert _correct_links(client, f"/mentees/{mentee.id}") == set()
    login(other)
    assert _correct_links(client, history) == {theirs.id}
    # A discharged mentee's record stays readable to their mentor, but no longer
    # correctable; once the assignment has ended, the mentor no longer reads it at all.
    mentee_standing.discharge_mentee(mentee, TODAY)
    db.session.commit()
    login(mentor)
    page = client.get(history)
    assert page.status_code == 200 and f"/photos/signoffs/{fix.id}" in page.get_data(as_text=True)
    assert _correct_links(client, history) == set()
    mentee_standing.readmit_mentee(mentee)
    assignment = db.session.scalar(select(Assignment).where(Assignment.staff_id == mentor.id))
    assignments.end_assignment(assignment, TODAY)
    db.session.commit()
    assert client.get(history).status_code == 403


def test_correcting_an_older_entry_asks_for_no_refresher(first):
    """The correction is typed after the current entry but takes the older entry's
    place: the level stays the newer entry's, and no refresher is asked for, whether
    the status row is written with the correction or rebuilt from the events."""
    mentor, mentee, card = first.recorded_by, first.mentee, first.skill
    newer = record_signoff(
        mentee, card, mentor, SignoffDetails(level=2, shown_on=TODAY), allow_lower=True
    )
    db.session.commit()
    correct_signoff(first, mentor, SignoffDetails(level=1, shown_on=first.shown_on), "Typo")
    db.session.commit()
    for _ in ("written", "rebuilt"):
        status = db.session.get(SkillStatus, (mentee.id, card.id), populate_existing=True)
        assert (status.event_id, status.level, status.needs_refresher) == (newer.id, 2, False)
        rebuild_statuses([mentee.id])
        db.session.commit()
