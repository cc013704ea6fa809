"""The per-mentee, per-domain counters: kept in step with every status change, checked
against a recount, and the source of the caseload and organisation figures."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import DomainCounter, Mentee, Skill
from skills.services import counters, people
from skills.services import curriculum as cs
from skills.services.progress import caseload_progress, mentee_progress
from skills.services.progress_totals import organisation_summary
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.services.status import rebuild_statuses, status_differences
from skills.services.view_cache import cached_view

from .conftest import MINI_CURRICULUM, today

TODAY = today()


def stored(mentee) -> dict[str, tuple]:
    """The mentee's counters by domain key: (signed off, started, last shown)."""
    rows = db.session.execute(
        select(
            DomainCounter.domain_id,
            DomainCounter.signed_off,
            DomainCounter.started,
            DomainCounter.last_shown_on,
        ).where(DomainCounter.mentee_id == mentee.id)
    )
    keys = {s.domain_id: s.domain.key for s in db.session.scalars(select(Skill))}
    return {keys[d]: (signed, started, last) for d, signed, started, last in rows}


def sign(mentee, skill, mentor, level, shown_on=TODAY):
    return record_signoff(mentee, skill, mentor, SignoffDetails(level=level, shown_on=shown_on))


def test_each_sign_off_and_correction_keeps_the_counters_in_step(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=60))
    assign(mentor, mentee)
    first = sign(mentee, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=9))
    sign(mentee, skill("read-timetable"), mentor, 1, TODAY - timedelta(days=5))
    sign(mentee, skill("use-atm"), mentor, 2, TODAY - timedelta(days=2))
    db.session.commit()
    assert stored(mentee) == {
        "getting-around": (1, 1, TODAY - timedelta(days=5)),
        "money": (0, 1, TODAY - timedelta(days=2)),
    }

    # A backdated entry lowers the skill's date: the domain's latest date goes down too.
    sign(mentee, skill("read-timetable"), mentor, 3, TODAY - timedelta(days=20))
    db.session.commit()
    assert stored(mentee)["getting-around"] == (2, 0, TODAY - timedelta(days=9))

    # A correction takes the transit card back to "started".
    correct_signoff(first, mentor, SignoffDetails(level=2, shown_on=first.shown_on), "too soon")
    db.session.commit()
    assert stored(mentee)["getting-around"] == (1, 1, TODAY - timedelta(days=9))
    assert status_differences() == []


def test_a_tampered_counter_is_reported_and_a_rebuild_repairs_it(
    make_user, make_mentee, assign, skill, runner
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill(), mentor, 3)
    db.session.commit()
    row = db.session.scalars(select(DomainCounter)).one()
    row.signed_off = 7
    db.session.commit()

    problems = status_differences()
    assert problems == [
        f"mentee {mentee.id}, domain {row.domain_id}: signed_off is 7, the status rows say 1"
    ]
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "signed_off is 7" in result.output

    rebuild_statuses()
    db.session.commit()
    assert status_differences() == []
    assert runner.invoke(args=["check"]).exit_code == 0


def test_a_missing_or_extra_counter_row_is_reported(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee, other = make_mentee(), make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill(), mentor, 2)
    db.session.commit()
    domain_id = skill().domain_id
    db.session.execute(db.delete(DomainCounter))
    db.session.add(DomainCounter(mentee_id=other.id, domain_id=domain_id, signed_off=1, started=0))
    db.session.commit()
    assert sorted(counters.differences()) == [
        f"mentee {mentee.id}, domain {domain_id}: no counters row",
        f"mentee {other.id}, domain {domain_id}: counters row has no status rows behind it",
    ]


def test_retiring_a_skill_takes_it_out_of_the_counters(
    make_user, make_mentee, assign, skill, tmp_path
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("use-atm"), mentor, 3)
    sign(mentee, skill("open-bank-account"), mentor, 1)
    db.session.commit()
    assert stored(mentee)["money"][:2] == (1, 1)

    text = MINI_CURRICULUM.read_text()
    smaller = tmp_path / "mini.yaml"
    smaller.write_text(text[: text.index("      - key: use-atm")])
    cs.load_files([smaller])
    db.session.commit()
    assert stored(mentee)["money"][:2] == (0, 1)
    row = caseload_progress([mentee])[0]
    assert row.signed_off == 0 and row.total == 4
    assert status_differences() == []

    cs.load_files([MINI_CURRICULUM])
    db.session.commit()
    assert stored(mentee)["money"][:2] == (1, 1)
    assert status_differences() == []


def test_caseload_rows_agree_with_each_mentees_own_progress(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentees = [make_mentee(start_date=TODAY - timedelta(days=90)) for _ in range(4)]
    keys = ["get-transit-card", "read-timetable", "ride-and-pay", "use-atm", "open-bank-account"]
    for i, mentee in enumerate(mentees):
        assign(mentor, mentee)
        for j, key in enumerate(keys[: i + 2]):
            sign(mentee, skill(key), mentor, (i + j) % 4, TODAY - timedelta(days=10 * i + j))
    db.session.commit()
    for row, mentee in zip(caseload_progress(mentees), mentees, strict=True):
        own = mentee_progress(mentee)
        assert [(d.signed_off, d.started) for d in own.domains] == [
            (row.domains[d.domain.id].signed_off, row.domains[d.domain.id].started)
            for d in own.domains
        ]
        assert row.last_signoff_on == own.last_signoff_on


def test_organisation_summary_adds_up_the_caseload_rows(org, make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentees = [make_mentee(start_date=TODAY - timedelta(days=100)) for _ in range(5)]
    for i, mentee in enumerate(mentees):
        assign(mentor, mentee)
        if i:  # the first mentee has no sign-off at all: stalled since starting
            sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=20 * i))
            sign(mentee, skill("read-timetable"), mentor, 1, TODAY - timedelta(days=20 * i))
    unassigned = make_mentee()
    # Another organisation's progress never counts here.
    elsewhere = people.get_or_create_organisation("Elsewhere")
    other_mentor = make_user("mentor", organisation=elsewhere)
    outsider = make_mentee(organisation=elsewhere)
    assign(other_mentor, outsider)
    sign(outsider, skill("use-atm"), other_mentor, 3)
    db.session.commit()

    summary = organisation_summary(org.id)
    rows = caseload_progress([*mentees, unassigned])
    assert summary.mentees == 6 and summary.active == 6
    # Sign-offs 20, 40, 60 and 80 days ago, and two with none: all but one are stalled.
    assert summary.stalled == sum(r.stalled for r in rows) == 5
    assert summary.signed_off == sum(r.signed_off for r in rows) == 4
    assert summary.started == 4
    assert summary.total == 6 * 5
    by_domain = {d.domain.key: (d.signed_off, d.started, d.total) for d in summary.domains}
    assert by_domain == {"getting-around": (0, 4, 18), "money": (4, 0, 12)}


def test_an_increment_adds_to_a_row_and_keeps_the_later_date(make_mentee, skill):
    """`_Increment` as built fresh (no statement cached yet): the first call inserts,
    the next add their numbers and keep the later of two dates (a missing date is
    replaced, an earlier one ignored)."""
    mentee = make_mentee()
    domain_id = skill().domain_id
    add = counters._Increment(
        DomainCounter.__table__,
        ("mentee_id", "domain_id"),
        ("signed_off", "started"),
        "last_shown_on",
    )
    key = {"mentee_id": mentee.id, "domain_id": domain_id}
    for signed, started, shown in ((0, 1, None), (1, -1, TODAY), (1, 0, TODAY - timedelta(3))):
        add({**key, "signed_off": signed, "started": started, "last_shown_on": shown})
    row = db.session.execute(
        select(DomainCounter.signed_off, DomainCounter.started, DomainCounter.last_shown_on).where(
            DomainCounter.mentee_id == mentee.id
        )
    ).one()
    assert tuple(row) == (2, 0, TODAY)


def test_an_increment_without_a_date_column_adds_only(org, skill):
    from skills.models import OrganisationDomainTotal

    add = counters._Increment(
        OrganisationDomainTotal.__table__,
        ("organisation_id", "domain_id", "stripe"),
        ("signed_off", "started"),
    )
    key = {"organisation_id": org.id, "domain_id": skill().domain_id, "stripe": 3}
    add({**key, "signed_off": 2, "started": 1})
    add({**key, "signed_off": -1, "started": 4})
    totals = db.session.execute(
        select(OrganisationDomainTotal.signed_off, OrganisationDomainTotal.started).where(
            OrganisationDomainTotal.organisation_id == org.id,
            OrganisationDomainTotal.stripe == 3,
        )
    ).one()
    assert tuple(totals) == (1, 5)


def test_a_counter_change_for_no_such_mentee_says_which(app):
    with pytest.raises(ValueError, match=r"^no mentee 987654$"):
        counters._organisation_of(987654)


def _writes(statements: list[str]) -> dict[str, int]:
    """How many statements wrote each table the counters keep."""
    found = dict.fromkeys(("mentees", "domain_counters", "organisation_domain_totals"), 0)
    for statement in statements:
        target = re.match(r'\s*(?:INSERT\s+INTO|UPDATE)\s+"?(\w+)', statement, re.I)
        if target and target[1] in found:
            found[target[1]] += 1
    return found


def test_a_sign_off_writes_each_figure_once_and_only_when_it_moves(
    make_user, make_mentee, assign, skill, count_queries
):
    """The write path stays short (#19): one increment per counter row, the organisation
    total only when a count moves, the mentee's date only when it moves later, and no
    recount unless a row's date moves back."""
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    # The first sign-off would also build the organisation's curriculum view (kept after).
    cached_view(mentee.organisation_id)
    db.session.commit()

    def written(key, level, shown_on):
        with count_queries() as counter:
            sign(mentee, skill(key), mentor, level, shown_on)
        db.session.commit()
        return _writes(counter.statements), len(counter.statements)

    moved = {"mentees": 1, "domain_counters": 1, "organisation_domain_totals": 1}
    counter_only = moved | {"mentees": 0, "organisation_domain_totals": 0}
    # First of a day: the counter, the total (started +1) and the latest date.
    first, new_row = written("get-transit-card", 1, TODAY - timedelta(days=3))
    assert first == moved
    # The same day again, no count moves: only the counter row.
    first_same_day, new_row_same_day = written("read-timetable", 0, TODAY - timedelta(days=3))
    assert first_same_day == counter_only
    # A later day, and signed off: every figure moves once, by increments as for a new row.
    assert written("get-transit-card", 3, TODAY - timedelta(days=1)) == (moved, new_row)
    # A row's own day again: still no recount.
    assert written("read-timetable", 0, TODAY - timedelta(days=3)) == (
        counter_only,
        new_row_same_day,
    )
    # An earlier day than the latest: the mentee's date does not move back.
    assert written("use-atm", 2, TODAY - timedelta(days=2))[0] == moved | {"mentees": 0}
    assert db.session.get(type(mentee), mentee.id).last_signoff_on == TODAY - timedelta(days=1)
    assert counters.differences() == []


def test_a_change_for_a_mentee_the_session_has_not_loaded_moves_the_date(make_mentee, skill):
    """Not every writer holds the mentee: the date then moves in the database alone, and
    only ever later."""
    mentee = make_mentee()
    bus = skill()
    db.session.commit()
    mentee_id = mentee.id
    db.session.expunge(mentee)
    counters.changed(mentee_id, bus, None, counters.counted(1, False, TODAY))
    counters.changed(mentee_id, bus, None, counters.counted(1, False, TODAY - timedelta(days=2)))
    db.session.commit()
    assert db.session.get(Mentee, mentee_id).last_signoff_on == TODAY


def test_the_mentee_in_hand_shows_the_new_date_before_the_commit(
    make_user, make_mentee, assign, skill
):
    """The page that follows a sign-off in the same request reads the mentee it holds."""
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 1, TODAY - timedelta(days=3))
    db.session.commit()
    sign(mentee, skill("read-timetable"), mentor, 1, TODAY - timedelta(days=1))
    assert mentee.last_signoff_on == TODAY - timedelta(days=1)
    sign(mentee, skill("use-atm"), mentor, 1, TODAY - timedelta(days=2))
    assert mentee.last_signoff_on == TODAY - timedelta(days=1)
    db.session.commit()
