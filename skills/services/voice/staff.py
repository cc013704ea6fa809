"""What staff do with the mentee's voice and in peer practice: answering "I did it"
reports, refreshers and re-checks, group sessions and local resources.

Like sign-offs, every rule is checked before anything is written; the caller commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Select, String, bindparam, func, literal_column, select, union_all

from ... import permissions
from ...extensions import db
from ...models import (
    Curriculum,
    DidItReport,
    GroupSession,
    Mentee,
    SignoffEvent,
    Skill,
    SkillResource,
    SkillStatus,
    User,
)
from ...models.curriculum import in_use_by, recheck_due_on_sql
from ...timeutil import today, utcnow
from ...transactions import lock_all_for_write, lock_for_write
from .. import audit
from ..curriculum_view import reading_language
from ..signoffs import (
    LOWER_CONFIRMATION,
    SignoffDetails,
    SignoffError,
    level_scale,
    lowered_levels,
    record_signoff,
)
from .common import VoiceError, clean_words

RESOURCE_MAX = 2000


# Answering "I did it"


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
    # Answers to one report queue here and then read it as committed, so of several
    # concurrent answers (a double tap, two tabs) one wins and the rest are refused.
    mentee = lock_for_write(Mentee, report.mentee_id)
    db.session.refresh(report)
    if mentee is None or not permissions.can_sign_off(mentor, mentee):
        raise VoiceError(_l("Only a mentor assigned now can answer this."))
    if report.status != "open":
        raise VoiceError(_l("This was already answered."))
    return mentee


def confirm_did_it(
    report: DidItReport, mentor: User, details: SignoffDetails, *, allow_lower: bool = False
) -> SignoffEvent:
    """The mentor confirms with a level: a sign-off that points back to the report."""
    mentee = _open_report_for(report, mentor)
    event = record_signoff(mentee, report.skill, mentor, details, allow_lower=allow_lower)
    report.status, report.event_id = "confirmed", event.id
    report.resolved_by_id, report.resolved_at = mentor.id, utcnow()
    return event


def reply_did_it(report: DidItReport, mentor: User, reply: str) -> None:
    """The mentor answers an "I did it" in words instead of a level."""
    mentee = _open_report_for(report, mentor)
    reply = clean_words(reply, "reply")
    if not reply:
        raise VoiceError(_l("Write a short reply."), "reply")
    report.status, report.reply = "replied", reply
    report.resolved_by_id, report.resolved_at = mentor.id, utcnow()
    audit.record("did_it.reply", mentor, mentee=mentee, object_type="did_it", object_id=report.id)


# Refreshers and re-checks


def mark_refresher(mentee: Mentee, skill: Skill, mentor: User, note: str = "") -> SignoffEvent:
    """Flag a signed-off skill for a refresher; the achievement stays."""
    # Queued with the mentee's other writers, so two taps cannot flag the skill twice.
    lock_for_write(Mentee, mentee.id)
    if not permissions.can_sign_off(mentor, mentee):
        raise VoiceError(_l("Only a mentor assigned now can ask for a refresher."))
    status = db.session.get(SkillStatus, (mentee.id, skill.id), populate_existing=True)
    if status is None or not status.signed_off:
        raise VoiceError(_l("A refresher is for a skill that is already signed off."))
    if status.needs_refresher:
        raise VoiceError(_l("This skill is already marked for a refresher."))
    event = SignoffEvent(
        mentee_id=mentee.id,
        skill_id=skill.id,
        kind="refresher",
        level=status.level,
        recorded_by_id=mentor.id,
        shown_on=today(mentee),
        note=clean_words(note, "note"),
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


@dataclass
class DueList:
    """The first refreshers and re-checks due (at most the limit asked for), longest
    waiting first, and how many there are in all."""

    items: list[Due] = field(default_factory=list)
    total: int = 0

    def __bool__(self) -> bool:
        return self.total > 0


@cache
def _due_query() -> Select:
    """The due list's query, built once (the home pages read it on every build);
    parameters: ids (the mentees), on (their date). Each row ends with the total (a
    window over the rows before the LIMIT)."""
    live = Skill.retired.is_(False)
    # Only skills the mentee's organisation uses (`in_use_by`, with the mentee's column).
    in_use = (
        select(Curriculum.id)
        .where(in_use_by(Mentee.organisation_id))
        .where(Mentee.id == SkillStatus.mentee_id)
        .correlate(SkillStatus)
    )
    mine = (
        SkillStatus.mentee_id.in_(bindparam("ids", expanding=True)),
        Skill.curriculum_id.in_(in_use),
    )
    # Two narrow reads instead of one over every status row of every mentee: refreshers
    # through a partial index, re-checks from the few skills that have an interval.
    refreshers = (
        select(
            SkillStatus.mentee_id,
            SkillStatus.skill_id,
            literal_column("'refresher'", String).label("reason"),
            SkillStatus.shown_on.label("since"),
        )
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .where(*mine, SkillStatus.needs_refresher, live)
    )
    due_on = recheck_due_on_sql(SkillStatus.shown_on, Skill.recheck_days)
    with_interval = select(Skill.id).where(Skill.recheck_days.is_not(None), live)
    rechecks = (
        select(
            SkillStatus.mentee_id, SkillStatus.skill_id, literal_column("'recheck'", String), due_on
        )
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .where(
            *mine,
            SkillStatus.skill_id.in_(with_interval),
            SkillStatus.signed_off.is_(True),
            SkillStatus.needs_refresher.is_(False),
            due_on <= bindparam("on", type_=Date),
        )
    )
    found = union_all(refreshers, rechecks).subquery()
    return (
        select(found.c.mentee_id, Skill, found.c.reason, found.c.since, func.count().over())
        .join(Skill, Skill.id == found.c.skill_id)
        .order_by(found.c.since, found.c.mentee_id, Skill.position, Skill.id)
    )


def due_checks(mentee_ids: Sequence[int], on: date) -> list[Due]:
    """Every refresher asked for and re-check whose interval has passed, longest waiting
    first."""
    return due_list(mentee_ids, on).items


def due_list(mentee_ids: Sequence[int], on: date, limit: int | None = None) -> DueList:
    """Refreshers asked for, and re-checks whose interval has passed, longest waiting
    first: the first `limit` and the total, worked out in SQL in one query whatever the
    number of mentees."""
    if not mentee_ids:
        return DueList()
    params = {"ids": list(mentee_ids), "on": on}
    rows = db.session.execute(_due_query().limit(limit), params).all()
    return DueList(
        items=[Due(mentee_id, skill, reason, since) for mentee_id, skill, reason, since, _ in rows],
        total=rows[0][-1] if rows else 0,
    )


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
    *,
    idempotency_key: str | None = None,
    allow_lower: bool = False,
) -> GroupSession:
    """One session, one sign-off per attendee, one audit event for the whole action.

    Like the single form, a key already used returns the session it saved (a double
    submit saves once), and a level lower than an attendee's current one is refused
    unless `allow_lower`: the error names every such attendee at once.
    """
    if not attendees:
        raise VoiceError(_l("Choose at least one mentee who came."), "attendees")
    if idempotency_key:
        # One mentor's group sessions queue here, so a double submit sees the first.
        lock_for_write(User, mentor.id)
        earlier = db.session.scalar(
            select(SignoffEvent.group_session_id).where(
                SignoffEvent.idempotency_key.startswith(f"{idempotency_key}:", autoescape=True)
            )
        )
        if earlier is not None:
            return db.session.get_one(GroupSession, earlier)
    outside = [a.mentee.name for a in attendees if not permissions.can_sign_off(mentor, a.mentee)]
    if outside:
        raise VoiceError(
            _l(
                "Only your current mentees can be in a group session: %(names)s",
                names=", ".join(outside),
            ),
            "attendees",
        )
    if not allow_lower:
        _refuse_lowering(skill, attendees)
    # Every attendee queued for, in one order, before anything is written (no deadlock).
    attendees = sorted(attendees, key=lambda a: a.mentee.id)
    lock_all_for_write(Mentee, [a.mentee.id for a in attendees])
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
                allow_lower=allow_lower,
                idempotency_key=f"{idempotency_key}:{attendee.mentee.id}"
                if idempotency_key
                else None,
            )
        except SignoffError as exc:
            raise VoiceError(
                _l("%(name)s: %(error)s", name=attendee.mentee.name, error=exc), exc.field
            ) from None
    audit.record(
        "group.record",
        mentor,
        object_type="group_session",
        object_id=session.id,
        skill=skill.key,
        attendees=len(attendees),
    )
    return session


def _refuse_lowering(skill: Skill, attendees: Sequence[Attendee]) -> None:
    levels = {a.mentee.id: a.level for a in attendees}
    lowered = lowered_levels(list(levels), skill, levels)
    if not lowered:
        return
    language = reading_language()
    names = {lv.value: lv.text_in("name", language) for lv in level_scale(skill)}
    each = [
        _l(
            "%(name)s (from “%(old)s” to “%(new)s”)",
            name=a.mentee.name,
            old=names[lowered[a.mentee.id]],
            new=names[a.level],
        )
        for a in attendees
        if a.mentee.id in lowered
    ]
    raise VoiceError(
        _l(
            "This would lower the level of %(which)s. If that is right, tick “%(box)s” and "
            "save again; otherwise choose their level again.",
            which=LazyString(lambda: "; ".join(map(str, each))),
            box=LOWER_CONFIRMATION,
        ),
        "confirm_lower",
    )


# Local resources


def set_resource(organisation_id: int, skill: Skill, details: str, admin: User) -> SkillResource:
    """An admin sets where to get help with a skill locally, for their organisation."""
    if not permissions.can_manage_curriculum(admin) or admin.organisation_id != organisation_id:
        raise VoiceError(_l("Only an admin of this organization can change local details."))
    details = details.strip()
    if len(details) > RESOURCE_MAX:
        raise VoiceError(
            _l("Keep local details to %(max)s characters.", max=RESOURCE_MAX), "details"
        )
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
