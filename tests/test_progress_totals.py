"""Figures kept so pages need not count (issue 19): each mentee's latest sign-off date,
organisation totals per domain, and the curriculum view cached per app server until the
curriculum version in the database changes."""

import contextlib
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from skills import create_app
from skills.extensions import db
from skills.models import Domain, Mentee, OrganisationDomainTotal, Skill
from skills.services import counters, mentee_standing
from skills.services import curriculum as curriculum_service
from skills.services.progress_totals import organisation_summary
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff
from skills.services.status import status_differences
from skills.services.view_cache import cached_view, curriculum_version

from .conftest import DATA, today

TODAY = today()


def sign(mentee, skill, mentor, level, shown_on=TODAY):
    details = SignoffDetails(level=level, shown_on=shown_on)
    return record_signoff(mentee, skill, mentor, details, allow_lower=True)


def last_of(mentee) -> date | None:
    return db.session.scalar(select(Mentee.last_signoff_on).where(Mentee.id == mentee.id))


def test_last_signoff_on_follows_sign_offs_backdated_entries_and_corrections(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=60))
    assign(mentor, mentee)
    assert last_of(mentee) is None
    sign(mentee, skill("get-transit-card"), mentor, 2, TODAY - timedelta(days=20))
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=20)
    sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=3))
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=3)
    assert mentee.last_signoff_on == TODAY - timedelta(days=3)  # the loaded copy too

    # The latest entry is redone further back: the date goes back to the next latest.
    sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=30))
    assert mentee.last_signoff_on == TODAY - timedelta(days=20)  # loaded, before the commit
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=20)

    # A correction moves a date forward again, and back.
    entry = sign(mentee, skill("read-timetable"), mentor, 1, TODAY - timedelta(days=25))
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=20)
    fixed = correct_signoff(
        entry, mentor, SignoffDetails(level=1, shown_on=TODAY - timedelta(days=1)), "wrong day"
    )
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=1)
    correct_signoff(
        fixed, mentor, SignoffDetails(level=1, shown_on=TODAY - timedelta(days=26)), "no, earlier"
    )
    db.session.commit()
    assert last_of(mentee) == TODAY - timedelta(days=20)
    assert status_differences() == []


def _recount(organisation_id: int) -> dict[int, tuple[int, int]]:
    """Per domain: signed off and started over the organisation's status rows, counted
    here from scratch, the slow way."""
    from skills.models import SkillStatus

    totals: dict[int, tuple[int, int]] = {}
    rows = db.session.execute(
        select(Skill.domain_id, SkillStatus.level, SkillStatus.signed_off)
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .join(Mentee, Mentee.id == SkillStatus.mentee_id)
        .where(Mentee.organisation_id == organisation_id, Skill.retired.is_(False))
    )
    for domain_id, level, signed_off in rows:
        signed, started = totals.get(domain_id, (0, 0))
        totals[domain_id] = (signed + signed_off, started + (level > 0 and not signed_off))
    return totals


def test_totals_agree_with_a_recount_after_random_sign_offs_corrections_and_discharge(
    org, make_user, make_mentee, assign, skill
):
    rng = random.Random(19)  # noqa: S311 - a repeatable order, not a secret
    mentors = [make_user("mentor") for _ in range(2)]
    mentees = [make_mentee(start_date=TODAY - timedelta(days=90)) for _ in range(12)]
    for i, mentee in enumerate(mentees):
        assign(mentors[i % 2], mentee)
    skills = list(db.session.scalars(select(Skill).order_by(Skill.id)))
    events = []
    for n in range(120):
        mentee = rng.choice(mentees)
        mentor = mentors[mentees.index(mentee) % 2]
        action = rng.random()
        if action < 0.15 and events:
            event = rng.choice(events)
            if event.mentee_id == mentee.id and event.recorded_by_id == mentor.id:
                # Refused (and nothing changes) when already corrected or discharged.
                with contextlib.suppress(ValueError):
                    details = SignoffDetails(rng.randint(0, 3), event.shown_on)
                    events.append(correct_signoff(event, mentor, details, f"fix {n}"))
        elif action < 0.2 and mentee.status == "active":
            mentee_standing.discharge_mentee(mentee, TODAY)
        elif mentee.status == "active":
            shown = TODAY - timedelta(days=rng.randint(0, 60))  # some backdated
            events.append(sign(mentee, rng.choice(skills), mentor, rng.randint(0, 3), shown))
        db.session.commit()

    assert any(e.kind == "correction" for e in events)
    assert counters.differences() == []
    assert status_differences() == []
    summary = organisation_summary(org.id)
    recount = _recount(org.id)
    assert {d.domain.id: (d.signed_off, d.started) for d in summary.domains} == {
        d.domain.id: recount.get(d.domain.id, (0, 0)) for d in summary.domains
    }
    assert summary.signed_off == sum(s for s, _ in recount.values()) > 0
    assert summary.mentees == len(mentees)
    assert summary.active == sum(m.status == "active" for m in mentees) < len(mentees)
    # The stripes really spread the organisation's rows.
    stripes = db.session.scalar(select(func.count(OrganisationDomainTotal.stripe.distinct())))
    assert stripes > 1


def test_flask_check_reports_a_tampered_total_and_a_tampered_date(
    make_user, make_mentee, assign, skill, runner
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill(), mentor, 3)
    db.session.commit()
    assert runner.invoke(args=["check"]).exit_code == 0

    db.session.execute(update(OrganisationDomainTotal).values(signed_off=5))
    db.session.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert "total signed_off is 5, the status rows say 1" in result.output

    counters.rebuild()
    db.session.execute(update(Mentee).values(last_signoff_on=TODAY - timedelta(days=400)))
    db.session.commit()
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1
    assert f"last_signoff_on is {TODAY - timedelta(days=400)!r}" in result.output

    counters.rebuild([mentee.id])
    db.session.commit()
    assert runner.invoke(args=["check"]).exit_code == 0


# Over `_DELTA_LIMIT` mentees a rebuild recounts their organisations' totals whole: a
# limit of 1 takes that path with two mentees.
@pytest.mark.parametrize("delta_limit", [1000, 1])
def test_a_rebuild_of_some_mentees_moves_the_totals_by_their_change(
    org, make_user, make_mentee, assign, skill, monkeypatch, delta_limit
):
    from skills.models import SkillStatus

    monkeypatch.setattr(counters, "_DELTA_LIMIT", delta_limit)
    mentor = make_user("mentor")
    first, second = make_mentee(), make_mentee()
    for mentee in (first, second):
        assign(mentor, mentee)
        sign(mentee, skill(), mentor, 3)
        sign(mentee, skill("use-atm"), mentor, 1)
    db.session.commit()
    assert organisation_summary(org.id).signed_off == 2
    # The first mentee's status rows go (as when their events were all taken back).
    db.session.execute(SkillStatus.__table__.delete().where(SkillStatus.mentee_id == first.id))
    counters.rebuild([first.id, make_mentee().id])
    db.session.commit()
    summary = organisation_summary(org.id)
    assert (summary.signed_off, summary.started) == (1, 1)
    assert last_of(first) is None and last_of(second) == TODAY
    assert counters.differences() == []


def _second_app(app):
    """Another app server on the same database."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "CURRICULUM_DIR": DATA,
        }
    )


def test_a_curriculum_change_on_one_server_is_seen_by_the_cache_of_another(app, org):
    view = cached_view(org.id, "en")
    assert cached_view(org.id, "en") is view  # kept: no curriculum change in between
    version = curriculum_version()
    assert version is not None
    db.session.commit()

    other = _second_app(app)
    with other.app_context():
        domain = db.session.scalar(select(Domain).where(Domain.key == "money"))
        domain.title = "Money and bills"
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    assert curriculum_version() != version
    fresh = cached_view(org.id, "en")
    assert fresh is not view
    assert "Money and bills" in [d.title for d in fresh.domains]
    assert cached_view(org.id, "en") is fresh


def test_a_reload_retiring_a_skill_is_seen_at_once(app, org, tmp_path):
    before = cached_view(org.id, "en")
    assert "use-atm" in [s.key for skills in before.skills.values() for s in skills]
    text = (DATA / "mini.yaml").read_text()
    start = text.index("      - key: use-atm")
    end = text.find("      - key:", start + 1)
    smaller = tmp_path / "mini.yaml"
    smaller.write_text(text[:start] + (text[end:] if end != -1 else ""))
    curriculum_service.load_files([smaller])
    db.session.commit()
    after = cached_view(org.id, "en")
    assert "use-atm" not in [s.key for skills in after.skills.values() for s in skills]


def test_a_rolled_back_change_never_leaves_a_stale_view(app, org):
    kept = cached_view(org.id, "en")
    domain = db.session.scalar(select(Domain).where(Domain.key == "money"))
    domain.title = "Never saved"
    db.session.flush()
    inside = cached_view(org.id, "en")  # this transaction sees its own change
    assert "Never saved" in [d.title for d in inside.domains]
    db.session.rollback()
    after = cached_view(org.id, "en")
    assert "Never saved" not in [d.title for d in after.domains]
    assert [d.title for d in after.domains] == [d.title for d in kept.domains]


def test_views_are_kept_per_language(app, org):
    english = cached_view(org.id, "en")
    spanish = cached_view(org.id, "es")
    assert english is not spanish
    assert english.language == "en" and spanish.language == "es"
    assert cached_view(org.id, "es") is spanish


def test_a_whole_rebuild_keeps_each_organisations_totals_apart(
    org, make_user, make_mentee, assign, skill
):
    """Two organisations' mentees in the same stripe and domain: a recount of every
    total adds each organisation's own only."""
    from skills.models.totals import STRIPES
    from skills.services import people

    other = people.get_or_create_organisation("Other Program")
    ours, theirs = make_user("mentor"), make_user("mentor", organisation=other)
    first = make_mentee()
    while True:  # the next mentee whose id falls in the first one's stripe
        second = make_mentee(organisation=other)
        if second.id % STRIPES == first.id % STRIPES:
            break
    assign(ours, first)
    assign(theirs, second)
    sign(first, skill(), ours, 3)
    sign(second, skill(), theirs, 1)
    db.session.commit()
    counters.rebuild()
    db.session.commit()
    assert counters.differences() == []
    mine, yours = organisation_summary(org.id), organisation_summary(other.id)
    assert (mine.signed_off, mine.started, yours.signed_off, yours.started) == (1, 0, 0, 1)


def test_a_whole_rebuild_refreshes_a_loaded_mentees_latest_date(
    make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill(), mentor, 2, TODAY - timedelta(days=2))
    db.session.execute(update(Mentee).values(last_signoff_on=TODAY - timedelta(days=400)))
    db.session.commit()
    assert mentee.last_signoff_on == TODAY - timedelta(days=400)  # loaded as tampered
    counters.rebuild()
    assert mentee.last_signoff_on == TODAY - timedelta(days=2)
