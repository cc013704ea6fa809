"""Every refusal of the sign-off service, word for word, with the form field it names.

A mentor on a phone sees only this sentence: it must say what is wrong and what is
allowed. The other tests match a few words; these pin the whole text, so a message that
loses its meaning or its field fails here."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.i18n import local_date
from skills.models import Assignment, Curriculum, SignoffEvent, Skill, SkillStatus
from skills.models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from skills.services import assignments
from skills.services import curriculum as cs
from skills.services.signoffs import (
    SignoffDetails,
    SignoffError,
    correct_signoff,
    record_signoff,
)

from .conftest import MINI_CURRICULUM, today

TODAY = today()
START = TODAY - timedelta(days=30)


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Morgan Mentor")
    mentee = make_mentee(name="Dana Example", start_date=START)
    assign(mentor, mentee)
    return mentor, mentee


def refusal(call, *args, **kwargs) -> tuple[str, str | None]:
    with pytest.raises(SignoffError) as info:
        call(*args, **kwargs)
    db.session.rollback()
    return str(info.value), info.value.field


def details(**given) -> SignoffDetails:
    return SignoffDetails(**{"level": 2, "shown_on": TODAY, **given})


def test_each_broken_rule_of_a_sign_off_says_what_is_allowed(pair, skill):
    mentor, mentee = pair
    bus = skill()
    cases = [
        (
            details(level=9),
            "Level 9 is not in this curriculum's scale; choose one of 0, 1, 2, 3.",
            "level",
        ),
        (
            details(shown_on=TODAY + timedelta(days=1)),
            f"The date shown ({local_date(TODAY + timedelta(days=1))}) is in the future;"
            " use today or an earlier date.",
            "shown_on",
        ),
        (
            details(shown_on=START - timedelta(days=1)),
            f"The date shown ({local_date(START - timedelta(days=1))}) is before Dana Example"
            f" started on {local_date(START)}.",
            "shown_on",
        ),
        (
            details(note="x" * 2001),
            "The note is 2001 characters long; the limit is 2000. Shorten it; nothing was saved.",
            "note",
        ),
        (
            details(note_visibility="everyone"),
            "Choose who can see the note: the mentee, or staff only.",
            "note_visibility",
        ),
        (
            details(support="lots"),
            f"How much help must be one of: {', '.join(SUPPORT_LEVELS)}.",
            "support",
        ),
        (
            details(practised_with="a dog"),
            f"Practiced with must be one of: {', '.join(PRACTISED_WITH)}.",
            "practised_with",
        ),
        (details(place="x" * 201), "The place is longer than 200 characters.", "place"),
    ]
    for given, message, field in cases:
        assert refusal(record_signoff, mentee, bus, mentor, given) == (message, field)
    bus.retired = True
    assert refusal(record_signoff, mentee, bus, mentor, details()) == (
        f"The skill “{bus.title}” is retired; it can no longer be signed off.",
        None,
    )
    assert db.session.scalars(select(SignoffEvent)).all() == []


def test_who_may_sign_off_and_lowering_say_so(pair, make_user, skill):
    mentor, mentee = pair
    stranger = make_user("mentor", name="Sam Stranger")
    assert refusal(record_signoff, mentee, skill(), stranger, details()) == (
        "Sam Stranger is not a mentor currently assigned to this mentee, or the mentee has"
        " been discharged.",
        None,
    )
    record_signoff(mentee, skill(), mentor, details(level=3), idempotency_key="k-1")
    db.session.commit()
    assert refusal(record_signoff, mentee, skill(), mentor, details(level=1)) == (
        "This would lower Dana Example's level from “Can do it on my own” to “Introduced”."
        " If that is right, tick “Yes, record the lower level” and save again.",
        "confirm_lower",
    )
    other = skill("use-atm")
    assert refusal(record_signoff, mentee, other, mentor, details(), idempotency_key="k-1") == (
        "This form was already used for another sign-off; reload it.",
        None,
    )


def test_each_broken_rule_of_a_correction_says_so(pair, make_user, assign, skill):
    mentor, mentee = pair
    entry = record_signoff(mentee, skill(), mentor, details())
    db.session.commit()
    assert refusal(correct_signoff, entry, mentor, details(level=1), "") == (
        "Say why this entry is being corrected.",
        "reason",
    )
    assert refusal(correct_signoff, entry, mentor, details(level=1), "x" * 501) == (
        "The reason is 501 characters long; the limit is 500.",
        "reason",
    )
    colleague = make_user("mentor")
    assign(colleague, mentee)
    assert refusal(correct_signoff, entry, colleague, details(level=1), "Typo") == (
        "Only the mentor who made an entry, while still assigned, can correct it.",
        None,
    )
    correct_signoff(entry, mentor, details(level=1), "Wrong level")
    db.session.commit()
    assert refusal(correct_signoff, entry, mentor, details(level=3), "Again") == (
        "This entry was already corrected; correct the newer entry instead.",
        None,
    )
    # The mentor's assignment ends: their own entry is no longer theirs to correct.
    latest = db.session.scalars(
        select(SignoffEvent).where(SignoffEvent.corrects_id == entry.id)
    ).one()
    mine = db.session.scalars(select(Assignment).where(Assignment.staff_id == mentor.id)).one()
    assignments.end_assignment(mine, TODAY)
    db.session.commit()
    assert refusal(correct_signoff, latest, mentor, details(level=2), "Typo")[0] == (
        "Only the mentor who made an entry, while still assigned, can correct it."
    )


def _load(text: str, mentee, skill_key: str) -> Skill:
    """Load `text` as the mentee's organisation's own curriculum; its skill `skill_key`."""
    spec = cs.parse_curriculum(text)
    cs.apply_curriculum(spec, organisation_id=mentee.organisation_id)
    db.session.commit()
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.key == spec.key))
    return db.session.scalar(
        select(Skill).where(Skill.curriculum_id == curriculum.id, Skill.key == skill_key)
    )


def test_a_level_added_to_the_scale_later_is_listed_in_order(pair, skill):
    """A reload that adds a level in the middle stores it last; the message (and the
    scale it checks against) still runs from lowest to highest."""
    mentor, mentee = pair
    text = MINI_CURRICULUM.read_text().replace("id: mini", "id: gap")
    three_levels = text.replace(
        "  - value: 1\n    name: Introduced\n    mentee_text: I have seen how it is done\n", ""
    )
    assert "value: 1" not in three_levels
    _load(three_levels, mentee, skill().key)
    reloaded = text.replace('version: "1"', 'version: "2"')
    bus = _load(reloaded, mentee, skill().key)
    assert refusal(record_signoff, mentee, bus, mentor, details(level=9)) == (
        "Level 9 is not in this curriculum's scale; choose one of 0, 1, 2, 3.",
        "level",
    )
    assert record_signoff(mentee, bus, mentor, details(level=1)).level == 1


def test_a_scale_of_one_level_signs_off_at_that_level(pair, skill):
    """A program may track a skill as done or not: one level, the signed-off one."""
    mentor, mentee = pair
    text = MINI_CURRICULUM.read_text().replace("id: mini", "id: done")
    levels = text[text.index("levels:") : text.index("domains:")]
    one_level = text.replace(
        levels, "levels:\n  - value: 3\n    name: Done\n    mentee_text: Done\n"
    )
    bus = _load(one_level, mentee, skill().key)
    assert refusal(record_signoff, mentee, bus, mentor, details(level=2)) == (
        "Level 2 is not in this curriculum's scale; choose one of 3.",
        "level",
    )
    record_signoff(mentee, bus, mentor, details(level=3))
    db.session.commit()
    [status] = db.session.scalars(select(SkillStatus).where(SkillStatus.skill_id == bus.id))
    assert (status.level, status.signed_off) == (3, True)
