"""What the mentee does in their own voice: goals (also set by their mentor with them),
self-ratings, "I did it" reports, and saying a mentor's sign-off is right or not right.

Every rule is checked before anything is written; the caller commits.
"""

from collections.abc import Sequence

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ... import permissions
from ...extensions import db
from ...models import (
    DidItReport,
    Goal,
    Mentee,
    SelfRating,
    SignoffConfirmation,
    SignoffDisagreement,
    SignoffEvent,
    Skill,
    User,
)
from ...models.voice import MAX_GOALS, SELF_RATINGS
from ...timeutil import utcnow
from ...transactions import lock_for_write
from .. import audit
from ..curriculum_view import reading_language
from .common import VoiceError, clean_words, require_live, require_self

# Goals


def open_goals(mentee: Mentee) -> list[Goal]:
    """The mentee's goals not yet taken off, oldest first."""
    return list(
        db.session.scalars(
            select(Goal)
            .where(Goal.mentee_id == mentee.id, Goal.cleared_at.is_(None))
            .order_by(Goal.set_at, Goal.id)
        )
    )


def _said_to(user: User, mentee: Mentee, to_mentee: LazyString, to_staff: LazyString) -> LazyString:
    # The same rule, said to whoever is acting (whole sentences, so each translates).
    return to_mentee if permissions.is_self(user, mentee) else to_staff


def _require_goal_setter(user: User, mentee: Mentee) -> None:
    if not permissions.can_set_goals(user, mentee):
        raise VoiceError(_l("Only the mentee, or their mentor with them, can change their goals."))


def set_goal(mentee: Mentee, skill: Skill, user: User) -> Goal:
    """The mentee picks a skill they most want to learn (up to five at a time), alone or
    with their mentor; `set_by_id` says who pressed the button, and the audit log
    whether it was done with the mentee (by their mentor)."""
    _require_goal_setter(user, mentee)
    require_live(skill)
    # Goal changes of one mentee queue here, so concurrent additions cannot pass the
    # limit together.
    lock_for_write(Mentee, mentee.id)
    goals = open_goals(mentee)
    if any(g.skill_id == skill.id for g in goals):
        raise VoiceError(
            _said_to(
                user,
                mentee,
                _l(
                    "“%(skill)s” is already one of your goals.",
                    skill=skill.text_in("title", reading_language()),
                ),
                _l(
                    "“%(skill)s” is already one of %(name)s's goals.",
                    skill=skill.text_in("title", reading_language()),
                    name=mentee.name,
                ),
            )
        )
    if len(goals) >= MAX_GOALS:
        raise VoiceError(
            _said_to(
                user,
                mentee,
                _l("You can have %(max)s goals at a time. Take one off first.", max=MAX_GOALS),
                _l(
                    "%(name)s can have %(max)s goals at a time. Take one off first.",
                    name=mentee.name,
                    max=MAX_GOALS,
                ),
            )
        )
    goal = Goal(mentee_id=mentee.id, skill_id=skill.id, set_by_id=user.id)
    db.session.add(goal)
    db.session.flush()
    audit.record(
        "goal.set",
        user,
        mentee=mentee,
        object_type="goal",
        object_id=goal.id,
        skill=skill.key,
        with_mentee=not permissions.is_self(user, mentee),
    )
    return goal


def clear_goal(mentee: Mentee, skill: Skill, user: User) -> None:
    """The mentee (or their mentor with them) takes a skill off their goals; the goal is
    kept as cleared."""
    _require_goal_setter(user, mentee)
    lock_for_write(Mentee, mentee.id)
    goal = next((g for g in open_goals(mentee) if g.skill_id == skill.id), None)
    if goal is None:
        raise VoiceError(
            _said_to(
                user,
                mentee,
                _l(
                    "“%(skill)s” is not one of your goals.",
                    skill=skill.text_in("title", reading_language()),
                ),
                _l(
                    "“%(skill)s” is not one of %(name)s's goals.",
                    skill=skill.text_in("title", reading_language()),
                    name=mentee.name,
                ),
            )
        )
    goal.cleared_at = utcnow()
    audit.record(
        "goal.clear",
        user,
        mentee=mentee,
        object_type="goal",
        object_id=goal.id,
        with_mentee=not permissions.is_self(user, mentee),
    )


# Self-ratings


def rate_self(mentee: Mentee, skill: Skill, rating: str, user: User) -> SelfRating:
    """The mentee says "I can do this" or "I'd like help with this"."""
    require_self(user, mentee)
    require_live(skill)
    if rating not in SELF_RATINGS:
        raise VoiceError(_l("Choose “I can do this” or “I'd like help with this”."), "rating")
    row = SelfRating(mentee_id=mentee.id, skill_id=skill.id, rating=rating)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "self_rating.set",
        user,
        mentee=mentee,
        object_type="skill",
        object_id=skill.id,
        rating=rating,
    )
    return row


def self_ratings(mentee_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    """The newest self-rating per (mentee, skill), in one query."""
    if not mentee_ids:
        return {}
    rows = db.session.execute(
        select(SelfRating.mentee_id, SelfRating.skill_id, SelfRating.rating)
        .where(SelfRating.mentee_id.in_(mentee_ids))
        .order_by(SelfRating.id)
    )
    return {(m, s): r for m, s, r in rows}


# "I did it" and confirmations


def report_did_it(mentee: Mentee, skill: Skill, note: str, user: User) -> DidItReport:
    """The mentee tells their mentor they did a skill; it waits on the mentor's list."""
    require_self(user, mentee)
    require_live(skill)
    report = DidItReport(mentee_id=mentee.id, skill_id=skill.id, note=clean_words(note, "note"))
    db.session.add(report)
    db.session.flush()
    audit.record("did_it.report", user, mentee=mentee, object_type="did_it", object_id=report.id)
    return report


def _require_unanswered(event: SignoffEvent, user: User) -> Mentee:
    """The mentee answers each sign-off once: right, or not right."""
    mentee = event.mentee
    require_self(user, mentee)
    if event.kind == "refresher":
        raise VoiceError(_l("A refresher is not a new level, so there is nothing to answer."))
    # One answer per sign-off across both tables: answers of one mentee queue here.
    lock_for_write(Mentee, mentee.id)
    if db.session.scalar(
        select(SignoffConfirmation.id).where(SignoffConfirmation.event_id == event.id)
    ):
        raise VoiceError(_l("You already confirmed this one."))
    if db.session.scalar(
        select(SignoffDisagreement.id).where(SignoffDisagreement.event_id == event.id)
    ):
        raise VoiceError(_l("You already told your mentor this one is not right."))
    return mentee


def confirm_signoff(event: SignoffEvent, user: User, words: str) -> SignoffConfirmation:
    """The mentee agrees with a mentor's sign-off and may add their own words."""
    mentee = _require_unanswered(event, user)
    row = SignoffConfirmation(
        event_id=event.id, mentee_id=mentee.id, words=clean_words(words, "words")
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "signoff.confirm", user, mentee=mentee, object_type="signoff_event", object_id=event.id
    )
    return row


def disagree_signoff(event: SignoffEvent, user: User, words: str) -> SignoffDisagreement:
    """The mentee says a sign-off is not right, in their own words. The level stays as
    it is: the mentor sees the words on their list and answers with a correction or a
    new sign-off."""
    words = clean_words(words, "words")
    if not words:
        raise VoiceError(_l("Tell your mentor what is not right, in a few words."), "words")
    mentee = _require_unanswered(event, user)
    row = SignoffDisagreement(event_id=event.id, mentee_id=mentee.id, words=words)
    db.session.add(row)
    db.session.flush()
    audit.record(
        "signoff.disagree", user, mentee=mentee, object_type="signoff_event", object_id=event.id
    )
    return row


def confirmations(mentee: Mentee) -> dict[int, SignoffConfirmation]:
    """The mentee's confirmations by event id."""
    return {
        c.event_id: c
        for c in db.session.scalars(
            select(SignoffConfirmation).where(SignoffConfirmation.mentee_id == mentee.id)
        )
    }


def disagreements(mentee: Mentee) -> dict[int, SignoffDisagreement]:
    """The mentee's "that's not right" answers by event id."""
    return {
        d.event_id: d
        for d in db.session.scalars(
            select(SignoffDisagreement).where(SignoffDisagreement.mentee_id == mentee.id)
        )
    }


def did_it_reports(
    mentee: Mentee, skill: Skill | None = None, limit: int | None = None
) -> list[DidItReport]:
    """What the mentee told their mentor with "I did it", newest first, with its status
    and the mentor's reply (for the mentee's own pages)."""
    query = select(DidItReport).where(DidItReport.mentee_id == mentee.id)
    if skill is not None:
        query = query.where(DidItReport.skill_id == skill.id)
    query = query.order_by(DidItReport.created_at.desc(), DidItReport.id.desc())
    return list(db.session.scalars(query.limit(limit)))
