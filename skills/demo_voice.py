"""The demo's mentee voice and peer practice, added once the sign-off history is in.

Goals (some set with the mentor, some taken off), self-ratings that changed, "I did it"
claims (waiting, confirmed, answered "not yet"), confirmations and disagreements go in
in bulk: they have no rules that other rows depend on. Group sessions, refreshers and
local details go through their services, as a mentor's or an admin's would, so their
sign-offs, current levels and counters stay consistent.

Which mentee gets what is chosen by their position (`i % n`, with moduli that spread each
kind over every mentor, mentors being dealt out in turn) and the demo's seeded random
numbers, so the same seed on the same day gives the same data.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from .demo_bulk import built_after, insert_rows
from .demo_text import (
    CONFIRM_WORDS,
    DID_IT_NOTES,
    DISAGREE_WORDS,
    GROUP_TOPICS,
    MENTOR_REPLIES,
    RESOURCE_GENERAL,
    RESOURCES,
)
from .extensions import db
from .models import (
    Assignment,
    DidItReport,
    Goal,
    Mentee,
    Organisation,
    SelfRating,
    SignoffConfirmation,
    SignoffDisagreement,
    SignoffEvent,
    Skill,
    SkillStatus,
    User,
)
from .services import voice
from .services.curriculum_view import CurriculumView
from .timeutil import utcnow

SECOND = timedelta(seconds=1)
REFRESHERS = 300  # mentees asked for a refresher, at most (see _refreshers)


@dataclass
class _Status:
    skill_id: int
    level: int
    signed_off: bool
    event_id: int
    shown_on: date
    recorded_by_id: int


@dataclass
class _Mentee:
    id: int
    user_id: int
    mentor_id: int | None
    done: list[_Status]  # signed off, oldest first
    started: list[_Status]  # started, not yet signed off, oldest first
    untouched: list[int]  # skill ids not started, in curriculum order


def add_voice(org: Organisation, view: CurriculumView, rng: random.Random, on: date) -> None:
    """Add the mentee voice, group sessions, refreshers and local details to the demo
    organisation; the caller commits."""
    now = utcnow()

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        # Never later than now: the demo's "today" may not have reached that hour yet.
        return min(datetime.combine(day, time(hour, minute), UTC), now)

    def after(s: _Status, hour: int) -> datetime:
        # The day after a sign-off, and never before it was recorded (a correction made
        # by the demo just now).
        return max(
            at(s.shown_on + timedelta(days=1), hour), min(recorded_at[s.event_id] + SECOND, now)
        )

    people, recorded_at = _mentees(org, view)
    rows: dict[type, list[dict[str, Any]]] = {
        Goal: [],
        SelfRating: [],
        DidItReport: [],
        SignoffConfirmation: [],
        SignoffDisagreement: [],
    }
    for i, m in enumerate(people):
        mentor = m.mentor_id
        # Goals: up to three open, some set with the mentor; some taken off once learned.
        for k, skill_id in enumerate([s.skill_id for s in m.started[-2:]] + m.untouched[:1]):
            if k > i % 3:
                break
            by = mentor if mentor and (i + k) % 3 == 0 else m.user_id
            day = on - timedelta(days=3 + 5 * k + i % 7)
            rows[Goal].append(_goal(m.id, skill_id, by, at(day, 11), None))
        if m.done and i % 4 == 1:
            s = m.done[-1]
            set_at = at(s.shown_on - timedelta(days=20), 11)
            cleared = at(s.shown_on + timedelta(days=1), 9)
            rows[Goal].append(_goal(m.id, s.skill_id, m.user_id, set_at, cleared))
        # Self-ratings: "I can do this" on what they learned, once after "help" (history).
        if m.done:
            s = m.done[-1]
            if i % 3 == 0:
                day = s.shown_on - timedelta(days=10)
                rows[SelfRating].append(_rating(m.id, s.skill_id, "help", at(day, 18)))
            rows[SelfRating].append(_rating(m.id, s.skill_id, "can", after(s, 18)))
        # "I'd like help with this", after the skill's last sign-off: it waits on the
        # mentor's list.
        if m.started and i % 3 != 1 and m.started[0].shown_on < on:
            s = m.started[0]
            day = max(s.shown_on + timedelta(days=1), on - timedelta(days=3))
            rows[SelfRating].append(_rating(m.id, s.skill_id, "help", max(at(day, 8), after(s, 8))))
        # "I did it": waiting, answered "not yet" with a reply, and confirmed.
        claim = m.untouched[0] if m.untouched else None
        if claim is not None and i % 3 == 0:
            note = DID_IT_NOTES[i % len(DID_IT_NOTES)]
            rows[DidItReport].append(
                _claim(m.id, claim, note, at(on - timedelta(days=i % 2), 9), "open")
            )
        if mentor and m.started and i % 3 == 1:
            s = m.started[-1]
            sent = at(max(s.shown_on, on - timedelta(days=10)), 18)
            rows[DidItReport].append(
                _claim(m.id, s.skill_id, DID_IT_NOTES[0], sent, "replied")
                | {
                    "resolved_by_id": mentor,
                    "resolved_at": min(sent + timedelta(days=1), now),
                    "reply": MENTOR_REPLIES[i % len(MENTOR_REPLIES)],
                }
            )
        if m.done and i % 4 in (1, 2):
            s = m.done[-1]
            sent = at(s.shown_on - timedelta(days=1), 20)
            rows[DidItReport].append(
                _claim(m.id, s.skill_id, DID_IT_NOTES[1], sent, "confirmed")
                | {
                    "resolved_by_id": s.recorded_by_id,
                    "resolved_at": at(s.shown_on, 15),
                    "event_id": s.event_id,
                }
            )
        # The mentee answers a sign-off: right (in their words), or not right.
        if m.done and i % 4 in (0, 3):
            s = m.done[-1]
            rows[SignoffConfirmation].append(
                {
                    "event_id": s.event_id,
                    "mentee_id": m.id,
                    "words": CONFIRM_WORDS[i % len(CONFIRM_WORDS)],
                    "at": after(s, 19),
                }
            )
        if m.started and i % 5 in (2, 3) and m.started[-1].shown_on < on:
            s = m.started[-1]
            rows[SignoffDisagreement].append(
                {
                    "event_id": s.event_id,
                    "mentee_id": m.id,
                    "words": DISAGREE_WORDS[i % len(DISAGREE_WORDS)],
                    "at": after(s, 12),
                }
            )
    for model, batch in rows.items():
        with built_after(model):
            insert_rows(model, batch)
    # What the mentees said waits on their mentors' lists: no later sign-off answers it.
    said = {
        (row["mentee_id"], row["skill_id"])
        for model in (SelfRating, DidItReport)
        for row in rows[model]
        if row.get("status", "open") == "open" and row.get("rating", "help") == "help"
    }
    events = {s.event_id: (m.id, s.skill_id) for m in people for s in m.done + m.started}
    said |= {events[row["event_id"]] for row in rows[SignoffDisagreement]}
    _group_sessions(people, view, rng, on, said)
    _refreshers(people, on)
    _local_details(org, view)


def _mentees(org: Organisation, view: CurriculumView) -> tuple[list[_Mentee], dict[int, datetime]]:
    """The organisation's active mentees with a login, their current mentor and levels;
    and when the sign-offs the voice answers were recorded (`_answered`), by event id."""
    order = [s.id for d in view.domains for s in view.skills.get(d.id, [])]
    active = select(Mentee.id).where(
        Mentee.organisation_id == org.id,
        Mentee.status == "active",
        Mentee.user_id.is_not(None),
    )
    mentees = db.session.execute(active.add_columns(Mentee.user_id).order_by(Mentee.id)).all()
    mentors = dict(
        db.session.execute(
            select(Assignment.mentee_id, Assignment.staff_id).where(
                Assignment.mentee_id.in_(active),
                Assignment.kind == "mentor",
                Assignment.ends_on.is_(None),
            )
        ).all()
    )
    statuses: dict[int, list[_Status]] = {mentee_id: [] for mentee_id, _ in mentees}
    for row in db.session.execute(
        select(
            SkillStatus.mentee_id,
            SkillStatus.skill_id,
            SkillStatus.level,
            SkillStatus.signed_off,
            SkillStatus.event_id,
            SkillStatus.shown_on,
            SkillStatus.recorded_by_id,
        )
        # No join to the events: at 50,000 mentees on SQLite it took 49 s of this query's
        # 71; `_recorded_at` reads the few events the voice needs.
        .where(SkillStatus.mentee_id.in_(active), SkillStatus.level > 0)
    ):
        statuses[row[0]].append(_Status(*row[1:]))
    people = []
    for mentee_id, user_id in mentees:
        if user_id is None:  # none here (the query asks for a login); for the type checker
            continue
        own = sorted(statuses[mentee_id], key=lambda s: (s.shown_on, s.skill_id))
        seen = {s.skill_id for s in own}
        people.append(
            _Mentee(
                mentee_id,
                user_id,
                mentors.get(mentee_id),
                [s for s in own if s.signed_off],
                [s for s in own if not s.signed_off],
                [skill_id for skill_id in order if skill_id not in seen][:3],
            )
        )
    return people, _recorded_at(_answered(people))


def _answered(people: list[_Mentee]) -> list[int]:
    """The sign-offs the mentees' voice answers, the only ones whose recording time the
    voice needs: the newest learned skill, the oldest and newest started one (what
    `add_voice` passes to `after`; a status not listed here fails there, loudly)."""
    return sorted(
        {s.event_id for m in people for s in m.done[-1:] + m.started[:1] + m.started[-1:]}
    )


def _recorded_at(event_ids: list[int]) -> dict[int, datetime]:
    """When each event was recorded, read a few thousand ids at a time (joining every
    status to its event was the slowest step of a large demo)."""
    recorded: dict[int, datetime] = {}
    for begin in range(0, len(event_ids), 5000):
        chunk = event_ids[begin : begin + 5000]
        query = select(SignoffEvent.id, SignoffEvent.recorded_at).where(SignoffEvent.id.in_(chunk))
        recorded.update(db.session.execute(query).all())
    return recorded


def _goal(
    mentee_id: int, skill_id: int, by: int, set_at: datetime, cleared: datetime | None
) -> dict[str, Any]:
    return {
        "mentee_id": mentee_id,
        "skill_id": skill_id,
        "set_by_id": by,
        "set_at": set_at,
        "cleared_at": cleared,
    }


def _rating(mentee_id: int, skill_id: int, rating: str, when: datetime) -> dict[str, Any]:
    return {"mentee_id": mentee_id, "skill_id": skill_id, "rating": rating, "at": when}


def _claim(mentee_id: int, skill_id: int, note: str, sent: datetime, status: str) -> dict:
    return {
        "mentee_id": mentee_id,
        "skill_id": skill_id,
        "note": note,
        "created_at": sent,
        "status": status,
        "resolved_by_id": None,
        "resolved_at": None,
        "reply": None,
        "event_id": None,
    }


def _group_sessions(
    people: list[_Mentee],
    view: CurriculumView,
    rng: random.Random,
    on: date,
    avoid: set[tuple[int, int]],
) -> None:
    """One recent group session per mentor with two to four of their mentees, on a skill
    none of them has signed off yet nor spoken about (`avoid`); each comes up one level."""
    by_mentor: dict[int, list[_Mentee]] = {}
    for m in people:
        if m.mentor_id and not _stalled(m, on):
            by_mentor.setdefault(m.mentor_id, []).append(m)
    skills = [s for d in view.domains for s in view.skills.get(d.id, [])]
    for n, (mentor_id, group) in enumerate(sorted(by_mentor.items())):
        group = group[:4]
        if len(group) < 2:
            continue
        levels = {m.id: {s.skill_id: s for s in m.done + m.started} for m in group}
        skill = next(
            (
                s
                for s in skills
                if not any(
                    (m.id, s.id) in avoid or s.id in {d.skill_id for d in m.done} for m in group
                )
            ),
            None,
        )
        if skill is None:
            continue
        top = view.signed_off_level(skill.curriculum_id)
        mentees = {m.id: db.session.get_one(Mentee, m.id) for m in group}
        attendees = [
            voice.Attendee(
                mentees[m.id],
                min(top, (levels[m.id][skill.id].level if skill.id in levels[m.id] else 0) + 1),
            )
            for m in group
        ]
        voice.record_group_session(
            db.session.get_one(User, mentor_id),
            db.session.get_one(Skill, skill.id),
            on - timedelta(days=1 + n % 3),
            attendees,
            place="Peer center",
            topic=GROUP_TOPICS[rng.randrange(len(GROUP_TOPICS))],
        )


def _stalled(m: _Mentee, on: date) -> bool:
    # Left as they are, so the demo keeps mentees with no sign-off in over a month.
    return max((s.shown_on for s in m.done + m.started), default=on) < on - timedelta(days=30)


def _refreshers(people: list[_Mentee], on: date) -> None:
    """A refresher asked for on a skill learned long ago, for every sixth mentee (at most
    REFRESHERS of them: each goes through the real service, a flush each, and a few
    hundred show the feature as well as thousands in a 50,000-mentee demo)."""
    for i, m in enumerate(people[: REFRESHERS * 6]):
        if i % 6 == 1 and m.done and m.mentor_id and not _stalled(m, on):
            skill = db.session.get_one(Skill, m.done[0].skill_id)
            mentee = db.session.get_one(Mentee, m.id)
            voice.mark_refresher(
                mentee, skill, db.session.get_one(User, m.mentor_id), "Let's go over it again."
            )


def _local_details(org: Organisation, view: CurriculumView) -> None:
    """Local details from the admin for the skills the demo text knows, else for the
    first skill of the first two areas (an organisation's own curriculum)."""
    admin = db.session.scalar(
        select(User).where(User.organisation_id == org.id, User.roles == "admin").limit(1)
    )
    if admin is None:
        return
    skills = [s for d in view.domains for s in view.skills.get(d.id, [])]
    chosen = [(s, RESOURCES[s.key]) for s in skills if s.key in RESOURCES]
    if not chosen:
        firsts = [view.skills[d.id][0] for d in view.domains if view.skills.get(d.id)]
        chosen = [(skill, RESOURCE_GENERAL) for skill in firsts[:2]]
    for skill, details in chosen:
        voice.set_resource(org.id, db.session.get_one(Skill, skill.id), details, admin)
