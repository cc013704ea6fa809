"""Each rule is written once and has a Python and a SQL form: here they must agree.

The rules: when an assignment is current (or has ended), which level counts as signed
off, which entries still record a level, and which notes a reader sees. Each is checked
on the awkward cases (starting today, ending today, ended yesterday, starting tomorrow;
the level just below, at and above the signed-off level; a corrected entry, its
correction and a refresher reminder; staff and mentee readers).
"""

from datetime import timedelta
from itertools import product

import pytest
from sqlalchemy import Date, Integer, literal, select

from skills import permissions
from skills.extensions import db
from skills.models import Assignment, Curriculum, Level, SignoffEvent, Skill
from skills.models.curriculum import counts_as_signed_off, recheck_due_on, recheck_due_on_sql
from skills.models.signoffs import corrected_ids, sets_a_level, sets_a_level_sql
from skills.services import voice
from skills.services.history import history
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import today

TODAY = today()
DAYS = [TODAY + timedelta(days=n) for n in (-2, -1, 0, 1, 2)]


def _assignments(make_user, make_mentee, assign) -> list[Assignment]:
    """One assignment for every pair of start and end around today (an open end too)."""
    mentee = make_mentee(start_date=TODAY - timedelta(days=10))
    made = []
    for starts_on, ends_on in product(DAYS, [*DAYS, None]):
        if ends_on is not None and ends_on < starts_on:
            continue
        made.append(assign(make_user("mentor"), mentee, "mentor", starts_on, ends_on))
    return made


@pytest.mark.parametrize("on", DAYS, ids=[f"day{n}" for n in (-2, -1, 0, 1, 2)])
def test_current_assignment_is_the_same_rule_in_python_and_sql(
    app, make_user, make_mentee, assign, on
):
    made = _assignments(make_user, make_mentee, assign)
    in_sql = set(db.session.scalars(select(Assignment.id).where(Assignment.is_current(on))))
    in_python = {a.id for a in made if a.is_current(on)}
    assert in_sql == in_python
    ended_sql = set(db.session.scalars(select(Assignment.id).where(Assignment.has_ended(on))))
    assert ended_sql == {a.id for a in made if a.has_ended(on)}
    # Never both, and every assignment that has started is one or the other.
    assert not in_python & ended_sql
    assert in_python | ended_sql == {a.id for a in made if a.starts_on <= on}


def test_current_assignment_edges(app, make_user, make_mentee, assign):
    mentee = make_mentee(start_date=TODAY - timedelta(days=10))
    starts_today = assign(make_user("mentor"), mentee, "mentor", TODAY, None)
    ends_today = assign(make_user("mentor"), mentee, "mentor", TODAY - timedelta(days=3), TODAY)
    ends_tomorrow = assign(
        make_user("mentor"), mentee, "mentor", TODAY - timedelta(days=3), TODAY + timedelta(1)
    )
    starts_tomorrow = assign(make_user("mentor"), mentee, "mentor", TODAY + timedelta(1), None)
    assert starts_today.is_current(TODAY)
    assert not starts_today.is_current(TODAY - timedelta(days=1))
    # Access stops on the end date itself.
    assert not ends_today.is_current(TODAY) and ends_today.has_ended(TODAY)
    assert ends_tomorrow.is_current(TODAY) and not ends_tomorrow.has_ended(TODAY)
    assert not starts_tomorrow.is_current(TODAY) and not starts_tomorrow.has_ended(TODAY)
    assert starts_tomorrow.is_current(TODAY + timedelta(1))


def test_signed_off_is_the_same_rule_in_python_and_sql(app):
    curriculum = db.session.scalar(select(Curriculum))
    top = curriculum.signed_off_level
    values = list(db.session.scalars(select(Level.value).where(Level.curriculum == curriculum)))
    assert top in values and min(values) < top
    for value in values:
        in_sql = db.session.scalar(
            select(Curriculum.signs_off(literal(value))).where(Curriculum.id == curriculum.id)
        )
        in_python = curriculum.signs_off(value)
        assert bool(in_sql) == in_python == counts_as_signed_off(value, top)
        assert in_python == (value >= top)  # the scale's top level and anything above it


def test_sets_a_level_is_the_same_rule_in_python_and_sql(
    app, make_user, make_mentee, assign, skill
):
    """A corrected entry and a refresher reminder record no level; a correction, a plain
    sign-off and the entry a refresher follows still do."""
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    card, route = skill(), skill("ride-and-pay")
    top = db.session.scalar(select(Curriculum)).signed_off_level
    wrong = record_signoff(mentee, card, mentor, SignoffDetails(level=1, shown_on=TODAY))
    db.session.commit()
    fixed = correct_signoff(wrong, mentor, SignoffDetails(level=top, shown_on=TODAY), "Typo")
    db.session.commit()
    reminder = voice.mark_refresher(mentee, card, mentor)
    plain = record_signoff(mentee, route, mentor, SignoffDetails(level=2, shown_on=TODAY))
    db.session.commit()
    events = list(db.session.scalars(select(SignoffEvent)))
    corrected = corrected_ids(events)
    assert corrected == {wrong.id}
    in_python = {e.id for e in events if sets_a_level(e.kind, e.id in corrected)}
    in_sql = set(db.session.scalars(select(SignoffEvent.id).where(sets_a_level_sql())))
    assert in_python == in_sql == {fixed.id, plain.id}
    assert reminder.id not in in_python
    # History marks entries with the same rule.
    by_id = {e.id: e for e in history(mentee, permissions.Viewer(True))}
    assert {i for i, e in by_id.items() if sets_a_level(e.kind, e.corrected)} == in_python


def test_note_visibility_is_the_same_rule_in_python_and_sql(
    app, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    for visibility in ("mentee", "staff"):
        record_signoff(
            mentee,
            skill(),
            mentor,
            SignoffDetails(level=1, shown_on=TODAY, note=visibility, note_visibility=visibility),
        )
    db.session.commit()
    events = list(db.session.scalars(select(SignoffEvent)))
    for sees_staff_notes in (True, False):
        in_sql = set(
            db.session.scalars(
                select(SignoffEvent.id).where(SignoffEvent.note_visible(sees_staff_notes))
            )
        )
        in_python = {e.id for e in events if e.note_visible(sees_staff_notes)}
        assert in_sql == in_python
        readable = {e.note for e in history(mentee, permissions.Viewer(sees_staff_notes))}
        assert readable == ({"mentee", "staff"} if sees_staff_notes else {"mentee", ""})


def test_a_mentee_reads_no_staff_note_of_their_own(app, make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee(with_login=True)
    assign(mentor, mentee)
    record_signoff(
        mentee,
        skill(),
        mentor,
        SignoffDetails(level=1, shown_on=TODAY, note="STAFF ONLY", note_visibility="staff"),
    )
    db.session.commit()
    assert permissions.viewer_for(mentee.user, mentee) == permissions.MENTEE_COPY
    assert permissions.viewer_for(mentor, mentee).sees_staff_notes
    assert [e.note for e in history(mentee, permissions.viewer_for(mentee.user, mentee))] == [""]
    assert [e.note for e in history(mentee, permissions.viewer_for(mentor, mentee))] == [
        "STAFF ONLY"
    ]


def test_history_needs_a_viewer(app, make_mentee):
    """Leaving the reader out is an error, never a default that shows staff notes."""
    with pytest.raises(TypeError):
        history(make_mentee())  # type: ignore[call-arg]


@pytest.mark.parametrize("every", [None, 0, 1, 30])
def test_a_recheck_falls_due_by_the_same_rule_in_python_and_sql(app, every):
    """Due `recheck_days` after the day shown; no interval (none, or 0) means never."""
    shown = today() - timedelta(days=3)
    expected = shown + timedelta(days=every) if every else None
    assert recheck_due_on(shown, every) == expected
    assert Skill(recheck_days=every).recheck_on(shown) == expected
    in_sql = db.session.scalar(
        select(recheck_due_on_sql(literal(shown, Date), literal(every, Integer)))
    )
    assert in_sql == expected
