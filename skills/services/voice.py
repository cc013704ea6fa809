"""The mentee's voice and peer practice: goals, self-ratings, "I did it", confirmations,
refreshers and re-checks, group sessions and local resources.

Like sign-offs, every rule is checked before anything is written; the caller commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import (
    DidItReport,
    Goal,
    GroupSession,
    Mentee,
    SelfRating,
    SignoffConfirmation,
    SignoffEvent,
    Skill,
    SkillResource,
    SkillStatus,
    User,
)
from ..models.voice import MAX_GOALS, SELF_RATINGS
from ..timeutil import today, utcnow
from ..transactions import lock_for_write
from . import audit
from .signoffs import SignoffDetails, SignoffError, record_signoff

WORDS_MAX = 500
RESOURCE_MAX = 2000


class VoiceError(ValueError):
    """A rule was broken; `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _only_self(user: User, mentee: Mentee) -> None:
    if not permissions.is_self(user, mentee):
        raise VoiceError("Only the mentee can do this for themself.")


def _live(skill: Skill) -> None:
    if skill.retired:
        raise VoiceError(f"The skill “{skill.title}” is retired.")


def _words(text: str | None, field: str) -> str:
    text = (text or "").strip()
    if len(text) > WORDS_MAX:
        raise VoiceError(f"Please keep it to {WORDS_MAX} characters (now {len(text)}).", field)
    return text


# Goals


def open_goals(mentee: Mentee) -> list[Goal]:
    return list(
        db.session.scalars(
            select(Goal)
            .where(Goal.mentee_id == mentee.id, Goal.cleared_at.is_(None))
            .order_by(Goal.set_at, Goal.id)
        )
    )


def set_goal(mentee: Mentee, skill: Skill, user: User) -> Goal:
    """The mentee picks a skill they most want to learn (up to five at a time)."""
    _only_self(user, mentee)
    _live(skill)
    goals = open_goals(mentee)
    if any(g.skill_id == skill.id for g in goals):
        raise VoiceError(f"“{skill.title}” is already one of your goals.")
    if len(goals) >= MAX_GOALS:
        raise VoiceError(f"You can have {MAX_GOALS} goals at a time. Take one off first.")
    goal = Goal(mentee_id=mentee.id, skill_id=skill.id, set_by_id=user.id)
    db.session.add(goal)
    db.session.flush()
    audit.record(
        "goal.set", user, mentee=mentee, object_type="goal", object_id=goal.id, skill=skill.key
    )
    return goal


def clear_goal(mentee: Mentee, skill: Skill, user: User) -> None:
    _only_self(user, mentee)
    goal = next((g for g in open_goals(mentee) if g.skill_id == skill.id), None)
    if goal is None:
        raise VoiceError(f"“{skill.title}” is not one of your goals.")
    goal.cleared_at = utcnow()
    audit.record("goal.clear", user, mentee=mentee, object_type="goal", object_id=goal.id)


# Self-ratings


def rate_self(mentee: Mentee, skill: Skill, rating: str, user: User) -> SelfRating:
    """The mentee says "I can do this" or "I'd like help with this"."""
    _only_self(user, mentee)
    _live(skill)
    if rating not in SELF_RATINGS:
        raise VoiceError("Choose “I can do this” or “I'd like help with this”.", "rating")
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
    _only_self(user, mentee)
    _live(skill)
    report = DidItReport(mentee_id=mentee.id, skill_id=skill.id, note=_words(note, "note"))
    db.session.add(report)
    db.session.flush()
    audit.record("did_it.report", user, mentee=mentee, object_type="did_it", object_id=report.id)
    return report


def to_confirm(mentor: User) -> list[DidItReport]:
    """Open "I did it" reports from the mentor's current mentees, oldest first."""
    mentee_ids = select(permissions.mentees_assigned(mentor, "mentor").subquery().c.id)
    return list(
        db.session.scalars(
            select(DidItReport)
            .where(DidItReport.status == "open", DidItReport.mentee_id.in_(mentee_ids))
            .order_by(DidItReport.created_at, DidItReport.id)
        )
    )


def _open_report_for(report: DidItReport, mentor: User) -> Mentee:
    mentee = db.session.get(Mentee, report.mentee_id)
    if not permissions.can_sign_off(mentor, mentee):
        raise VoiceError("Only a mentor assigned now can answer this.")
    if report.status != "open":
        raise VoiceError("This was already answered.")
    return mentee


def confirm_did_it(report: DidItReport, mentor: User, details: SignoffDetails) -> SignoffEvent:
    """The mentor confirms with a level: a sign-off that points back to the report."""
    mentee = _open_report_for(report, mentor)
    event = record_signoff(mentee, report.skill, mentor, details)
    report.status, report.event_id = "confirmed", event.id
    report.resolved_by_id, report.resolved_at = mentor.id, utcnow()
    return event


def reply_did_it(report: DidItReport, mentor: User, reply: str) -> None:
    mentee = _open_report_for(report, mentor)
    reply = _words(reply, "reply")
    if not reply:
        raise VoiceError("Write a short reply.", "reply")
    report.status, report.reply = "replied", reply
    report.resolved_by_id, report.resolved_at = mentor.id, utcnow()
    audit.record("did_it.reply", mentor, mentee=mentee, object_type="did_it", object_id=report.id)


def confirm_signoff(event: SignoffEvent, user: User, words: str) -> SignoffConfirmation:
    """The mentee agrees with a mentor's sign-off and may add their own words."""
    mentee = db.session.get(Mentee, event.mentee_id)
    _only_self(user, mentee)
    if db.session.scalar(
        select(SignoffConfirmation.id).where(SignoffConfirmation.event_id == event.id)
    ):
        raise VoiceError("You already confirmed this one.")
    row = SignoffConfirmation(event_id=event.id, mentee_id=mentee.id, words=_words(words, "words"))
    db.session.add(row)
    db.session.flush()
    audit.record(
        "signoff.confirm", user, mentee=mentee, object_type="signoff_event", object_id=event.id
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


# Refreshers and re-checks


def mark_refresher(mentee: Mentee, skill: Skill, mentor: User, note: str = "") -> SignoffEvent:
    """Flag a signed-off skill for a refresher; the achievement stays."""
    # Queued with the mentee's other writers, so two taps cannot flag the skill twice.
    lock_for_write(Mentee, mentee.id)
    if not permissions.can_sign_off(mentor, mentee):
        raise VoiceError("Only a mentor assigned now can ask for a refresher.")
    status = db.session.get(SkillStatus, (mentee.id, skill.id), populate_existing=True)
    if status is None or not status.signed_off:
        raise VoiceError("A refresher is for a skill that is already signed off.")
    if status.needs_refresher:
        raise VoiceError("This skill is already marked for a refresher.")
    event = SignoffEvent(
        mentee_id=mentee.id,
        skill_id=skill.id,
        kind="refresher",
        level=status.level,
        recorded_by_id=mentor.id,
        shown_on=today(),
        note=_words(note, "note"),
        note_visibility="mentee",
    )
    db.session.add(event)
    status.needs_refresher = True
    db.session.flush()
    audit.record(
        "signoff.refresher",
        mentor,
        mentee=mentee,
        object_type="signoff_event",
        object_id=event.id,
        skill=skill.key,
    )
    return event


@dataclass
class Due:
    mentee_id: int
    skill: Skill
    reason: str  # "refresher" or "recheck"
    since: date


def due_checks(mentee_ids: Sequence[int], on: date | None = None) -> list[Due]:
    """Refreshers asked for, and re-checks whose interval has passed, longest waiting
    first, in three small queries whatever the number of mentees."""
    on = on or today()
    if not mentee_ids:
        return []
    columns = (
        SkillStatus.mentee_id,
        SkillStatus.skill_id,
        SkillStatus.needs_refresher,
        SkillStatus.shown_on,
        Skill.recheck_days,
    )
    live = Skill.retired.is_(False)
    # Two narrow reads instead of one over every status row of every mentee: refreshers
    # through a partial index, re-checks from the few skills that have an interval.
    refreshers = db.session.execute(
        select(*columns)
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .where(SkillStatus.mentee_id.in_(mentee_ids), SkillStatus.needs_refresher, live)
    )
    with_interval = select(Skill.id).where(Skill.recheck_days.is_not(None), live)
    rechecks = db.session.execute(
        select(*columns)
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .where(
            SkillStatus.skill_id.in_(with_interval),
            SkillStatus.mentee_id.in_(mentee_ids),
            SkillStatus.signed_off.is_(True),
            SkillStatus.needs_refresher.is_(False),
        )
    )
    rows = [*refreshers, *rechecks]
    found = []
    for mentee_id, skill_id, needs_refresher, shown_on, recheck_days in rows:
        if needs_refresher:
            found.append((shown_on, mentee_id, skill_id, "refresher"))
        elif shown_on + timedelta(days=recheck_days) <= on:
            found.append((shown_on + timedelta(days=recheck_days), mentee_id, skill_id, "recheck"))
    wanted = {skill_id for _, _, skill_id, _ in found}
    skills = {s.id: s for s in db.session.scalars(select(Skill).where(Skill.id.in_(wanted)))}
    due = [Due(m, skills[skill_id], reason, since) for since, m, skill_id, reason in found]
    return sorted(due, key=lambda d: (d.since, d.mentee_id, d.skill.position))


# Group sessions


@dataclass
class Attendee:
    mentee: Mentee
    level: int
    note: str = ""


def record_group_session(
    mentor: User,
    skill: Skill,
    held_on: date,
    attendees: Sequence[Attendee],
    place: str = "",
    topic: str = "",
) -> GroupSession:
    """One session, one sign-off per attendee, one audit event for the whole action."""
    if not attendees:
        raise VoiceError("Choose at least one mentee who came.", "attendees")
    outside = [a.mentee.name for a in attendees if not permissions.can_sign_off(mentor, a.mentee)]
    if outside:
        raise VoiceError(
            "Only your current mentees can be in a group session: " + ", ".join(outside),
            "attendees",
        )
    # One order for every writer, so two sessions sharing mentees cannot deadlock.
    attendees = sorted(attendees, key=lambda a: a.mentee.id)
    session = GroupSession(
        organisation_id=mentor.organisation_id,
        mentor_id=mentor.id,
        held_on=held_on,
        place=place.strip()[:200],
        topic=topic.strip()[:200],
    )
    db.session.add(session)
    db.session.flush()
    for attendee in attendees:
        try:
            record_signoff(
                attendee.mentee,
                skill,
                mentor,
                SignoffDetails(
                    level=attendee.level,
                    shown_on=held_on,
                    note=attendee.note,
                    place=place or None,
                    practised_with="group",
                ),
                group_session_id=session.id,
                audit_action=False,
            )
        except SignoffError as exc:
            raise VoiceError(f"{attendee.mentee.name}: {exc}", exc.field) from None
    audit.record(
        "group.record",
        mentor,
        object_type="group_session",
        object_id=session.id,
        skill=skill.key,
        attendees=len(attendees),
    )
    return session


# Local resources


def set_resource(organisation_id: int, skill: Skill, details: str, admin: User) -> SkillResource:
    if not permissions.can_manage_curriculum(admin) or admin.organisation_id != organisation_id:
        raise VoiceError("Only an admin of this organisation can change local details.")
    details = details.strip()
    if len(details) > RESOURCE_MAX:
        raise VoiceError(f"Keep local details to {RESOURCE_MAX} characters.", "details")
    row = db.session.scalar(
        select(SkillResource).where(
            SkillResource.organisation_id == organisation_id, SkillResource.skill_id == skill.id
        )
    )
    if row is None:
        row = SkillResource(organisation_id=organisation_id, skill_id=skill.id)
        db.session.add(row)
    row.details, row.updated_by_id = details, admin.id
    db.session.flush()
    audit.record(
        "resource.set",
        admin,
        object_type="skill",
        object_id=skill.id,
        organisation_id=organisation_id,
    )
    return row


def resources(organisation_id: int, skill_ids: Sequence[int] | None = None) -> dict[int, str]:
    """Local details by skill id for one organisation, in one query."""
    query = select(SkillResource.skill_id, SkillResource.details).where(
        SkillResource.organisation_id == organisation_id, SkillResource.details != ""
    )
    if skill_ids is not None:
        query = query.where(SkillResource.skill_id.in_(skill_ids))
    return dict(db.session.execute(query).all())
