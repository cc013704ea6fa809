"""The current status of each mentee's skills, derived from the sign-off events.

A status row (and the per-domain counters) is written in the same transaction as the
event behind it; `rebuild_statuses` and `status_differences` derive them from the
events alone, so the rows stay an optimisation and never a second truth.
"""

from sqlalchemy import delete, insert, select

from ..extensions import db
from ..models import Curriculum, SignoffEvent, Skill, SkillStatus
from ..models.curriculum import counts_as_signed_off
from ..models.signoffs import corrected_ids, sets_a_level, typed_order
from ..timeutil import utcnow
from ..upsert import Upsert
from . import counters


def current_levels(mentee_ids: list[int], skill_id: int) -> dict[int, int]:
    """The current level of one skill for each of `mentee_ids` that has one."""
    if not mentee_ids:
        return {}
    rows = db.session.execute(
        select(SkillStatus.mentee_id, SkillStatus.level).where(
            SkillStatus.mentee_id.in_(mentee_ids), SkillStatus.skill_id == skill_id
        )
    )
    return {mentee_id: level for mentee_id, level in rows}


def signed_off_level_of(skill: Skill) -> int:
    """The level at which the skill's curriculum counts a skill as signed off."""
    return db.session.execute(
        select(Curriculum.signed_off_level).where(Curriculum.id == skill.curriculum_id)
    ).scalar_one()


# Every column of the status row: a sign-off writes all of them.
_STATUS = Upsert(
    SkillStatus.__table__,
    ("mentee_id", "skill_id"),
    tuple(column.name for column in SkillStatus.__table__.columns),
)


def write_status(
    mentee_id: int,
    skill: Skill,
    event: SignoffEvent,
    signed_off_level: int | None = None,
    needs_refresher: bool = False,
) -> None:
    """Make `event` the current status of the mentee's skill, and count the change in its
    domain's counters."""
    if signed_off_level is None:
        signed_off_level = signed_off_level_of(skill)
    signed_off = counts_as_signed_off(event.level, signed_off_level)
    old = counters.status_row(mentee_id, skill.id)
    _STATUS(
        {
            "mentee_id": mentee_id,
            "skill_id": skill.id,
            "level": event.level,
            "signed_off": signed_off,
            "event_id": event.id,
            "shown_on": event.shown_on,
            "recorded_by_id": event.recorded_by_id,
            "needs_refresher": needs_refresher,
            "updated_at": utcnow(),
        }
    )
    # The row was written past the session: a copy it already holds must be reloaded.
    key = db.session.identity_key(SkillStatus, (mentee_id, skill.id))
    if (loaded := db.session.identity_map.get(key)) is not None:
        db.session.expire(loaded)
    counters.changed(
        mentee_id, skill, old, counters.counted(event.level, signed_off, event.shown_on)
    )


def effective_event(events: list[SignoffEvent]) -> SignoffEvent | None:
    """The event that sets the current level, from all events of one mentee and skill.

    A corrected event no longer counts; its correction takes its place in time, so
    correcting an old entry does not override a newer one.
    """
    corrected = corrected_ids(events)
    order = typed_order(events)
    candidates = [e for e in events if sets_a_level(e.kind, e.id in corrected)]
    return max(candidates, key=lambda e: order[e.id], default=None)


def refresher_asked(events: list[SignoffEvent], current: SignoffEvent) -> bool:
    """A refresher was asked for after the entry that sets the level was typed: a
    sign-off typed later answers it, and so does a correction of that entry (it is typed
    later too)."""
    return any(e.kind == "refresher" and e.id > current.id for e in events)


def recompute_status(mentee_id: int, skill: Skill) -> SkillStatus | None:
    """Rebuild the current-status row for one mentee and skill from its events."""
    events = list(
        db.session.scalars(
            select(SignoffEvent)
            .where(SignoffEvent.mentee_id == mentee_id, SignoffEvent.skill_id == skill.id)
            .order_by(SignoffEvent.id)
        )
    )
    current = effective_event(events)
    if current is None:
        status = db.session.get(SkillStatus, (mentee_id, skill.id))
        if status is not None:
            db.session.delete(status)
            db.session.flush()
            counters.rebuild([mentee_id])
        return None
    write_status(mentee_id, skill, current, needs_refresher=refresher_asked(events, current))
    return db.session.get(SkillStatus, (mentee_id, skill.id))


def _derived_statuses(mentee_ids: list[int] | None) -> dict[tuple[int, int], dict]:
    """Current-status values derived from events alone, keyed by (mentee, skill)."""
    signed_off_level = {
        skill_id: level
        for skill_id, level in db.session.execute(
            select(Skill.id, Curriculum.signed_off_level).join(
                Curriculum, Curriculum.id == Skill.curriculum_id
            )
        )
    }
    query = select(
        SignoffEvent.id,
        SignoffEvent.mentee_id,
        SignoffEvent.skill_id,
        SignoffEvent.kind,
        SignoffEvent.level,
        SignoffEvent.corrects_id,
        SignoffEvent.shown_on,
        SignoffEvent.recorded_by_id,
    ).order_by(SignoffEvent.mentee_id, SignoffEvent.skill_id, SignoffEvent.id)
    if mentee_ids is not None:
        query = query.where(SignoffEvent.mentee_id.in_(mentee_ids))
    groups: dict[tuple[int, int], list] = {}
    for row in db.session.execute(query.execution_options(yield_per=10000)):
        groups.setdefault((row.mentee_id, row.skill_id), []).append(row)
    derived = {}
    for (mentee_id, skill_id), events in groups.items():
        current = effective_event(events)
        if current is None:
            continue
        derived[(mentee_id, skill_id)] = {
            "mentee_id": mentee_id,
            "skill_id": skill_id,
            "level": current.level,
            "signed_off": counts_as_signed_off(current.level, signed_off_level[skill_id]),
            "event_id": current.id,
            "shown_on": current.shown_on,
            "recorded_by_id": current.recorded_by_id,
            "needs_refresher": refresher_asked(events, current),
        }
    return derived


def rebuild_statuses(mentee_ids: list[int] | None = None) -> int:
    """Replace current-status rows with ones derived from events, and the domain counters
    with a recount of them; the caller commits."""
    derived = _derived_statuses(mentee_ids)
    delete_query = delete(SkillStatus)
    if mentee_ids is not None:
        delete_query = delete_query.where(SkillStatus.mentee_id.in_(mentee_ids))
    db.session.execute(delete_query)
    rows = list(derived.values())
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(SkillStatus), rows[start : start + 5000])
    counters.rebuild(mentee_ids)
    return len(rows)


def status_differences(mentee_ids: list[int] | None = None) -> list[str]:
    """Where stored current-status rows disagree with the events, or the domain counters
    with the status rows; empty means all agree."""
    derived = _derived_statuses(mentee_ids)
    query = select(SkillStatus)
    if mentee_ids is not None:
        query = query.where(SkillStatus.mentee_id.in_(mentee_ids))
    problems = []
    fields = ("level", "signed_off", "event_id", "shown_on", "recorded_by_id", "needs_refresher")
    for status in db.session.scalars(query):
        want = derived.pop((status.mentee_id, status.skill_id), None)
        where = f"mentee {status.mentee_id}, skill {status.skill_id}"
        if want is None:
            problems.append(f"{where}: status row has no events behind it")
            continue
        for name in fields:
            if getattr(status, name) != want[name]:
                problems.append(
                    f"{where}: {name} is {getattr(status, name)!r}, events say {want[name]!r}"
                )
    problems.extend(f"mentee {m}, skill {s}: no status row" for m, s in derived)
    return problems + counters.differences(mentee_ids)
