"""Recording and correcting sign-offs, and keeping current status in step.

Every rule is checked before anything is written, so a refused sign-off leaves the
database as it was. Events are only ever added; the current-status row for the
mentee and skill is written in the same transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import case, delete, insert, literal, select

from .. import permissions
from ..extensions import db
from ..models import Curriculum, Level, Mentee, SignoffEvent, Skill, SkillStatus, User
from ..models.curriculum import counts_as_signed_off
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..permissions import Viewer
from ..timeutil import today, utcnow
from ..transactions import lock_for_write
from ..upsert import Upsert
from . import audit, counters

DEFAULT_NOTE_MAX = 2000
REASON_MAX = 500
PLACE_MAX = 200


class SignoffError(ValueError):
    """A sign-off rule was broken. `field` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class SignoffDetails:
    """What a mentor enters for one sign-off."""

    level: int
    shown_on: date
    note: str = ""
    note_visibility: str = "mentee"
    support: str | None = None
    place: str | None = None
    practised_with: str | None = None


def note_max_length() -> int:
    try:
        return current_app.config.get("NOTE_MAX_LENGTH", DEFAULT_NOTE_MAX)
    except RuntimeError:  # no app context: plain scripts use the default
        return DEFAULT_NOTE_MAX


def level_scale(skill: Skill) -> list[Level]:
    return list(
        db.session.scalars(
            select(Level).where(Level.curriculum_id == skill.curriculum_id).order_by(Level.value)
        )
    )


def _scale_values(skill: Skill) -> tuple[list[int], int]:
    """The level values of the skill's curriculum and its signed-off level, in one query."""
    rows = db.session.execute(
        select(Level.value, Curriculum.signed_off_level)
        .join(Curriculum, Curriculum.id == Level.curriculum_id)
        .where(Level.curriculum_id == skill.curriculum_id)
        .order_by(Level.value)
    ).all()
    signed_off_level = rows[0][1] if rows else _signed_off_level(skill)
    return [value for value, _ in rows], signed_off_level


def _check_details(mentee: Mentee, skill: Skill, details: SignoffDetails, on: date) -> int:
    """Refuse details that break a rule; return the curriculum's signed-off level."""
    if skill.retired:
        raise SignoffError(f"The skill “{skill.title}” is retired; it can no longer be signed off.")
    values, signed_off_level = _scale_values(skill)
    if details.level not in values:
        raise SignoffError(
            f"Level {details.level} is not in this curriculum's scale; choose one of "
            + ", ".join(map(str, values))
            + ".",
            "level",
        )
    if details.shown_on > on:
        raise SignoffError(
            f"The date shown ({details.shown_on.isoformat()}) is in the future; "
            "use today or an earlier date.",
            "shown_on",
        )
    if details.shown_on < mentee.start_date:
        raise SignoffError(
            f"The date shown ({details.shown_on.isoformat()}) is before {mentee.name} started "
            f"on {mentee.start_date.isoformat()}.",
            "shown_on",
        )
    limit = note_max_length()
    if len(details.note) > limit:
        raise SignoffError(
            f"The note is {len(details.note)} characters long; the limit is {limit}. "
            "Shorten it; nothing was saved.",
            "note",
        )
    if details.note_visibility not in ("mentee", "staff"):
        raise SignoffError(
            "Choose who can see the note: the mentee, or staff only.", "note_visibility"
        )
    if details.support is not None and details.support not in SUPPORT_LEVELS:
        raise SignoffError(
            "How much help must be one of: " + ", ".join(SUPPORT_LEVELS) + ".", "support"
        )
    if details.practised_with is not None and details.practised_with not in PRACTISED_WITH:
        raise SignoffError(
            "Practised with must be one of: " + ", ".join(PRACTISED_WITH) + ".", "practised_with"
        )
    if details.place is not None and len(details.place) > PLACE_MAX:
        raise SignoffError(f"The place is longer than {PLACE_MAX} characters.", "place")
    return signed_off_level


def _signed_off_level(skill: Skill) -> int:
    return db.session.scalar(
        select(Curriculum.signed_off_level).where(Curriculum.id == skill.curriculum_id)
    )


def record_signoff(
    mentee: Mentee,
    skill: Skill,
    recorder: User,
    details: SignoffDetails,
    *,
    idempotency_key: str | None = None,
    group_session_id: int | None = None,
    on: date | None = None,
    audit_action: bool = True,
) -> SignoffEvent:
    """Record a sign-off by a mentor currently assigned to the mentee; the caller commits.

    With an idempotency key already used for this mentee and skill, the earlier event
    is returned and nothing new is written. `audit_action=False` leaves the audit event
    to a caller that records a larger action (a group session) once.
    """
    on = on or today()
    # The details depend only on the form and the curriculum: check them before queueing.
    signed_off_level = _check_details(mentee, skill, details, on)
    # Writers for this mentee queue here, so the key check, the permission and the status
    # row below all see the latest commit: a double submit cannot record twice. The
    # queue is short: what follows is a handful of statements.
    lock_for_write(Mentee, mentee.id)
    if idempotency_key:
        earlier = db.session.scalar(
            select(SignoffEvent).where(SignoffEvent.idempotency_key == idempotency_key)
        )
        if earlier is not None:
            if (earlier.mentee_id, earlier.skill_id) != (mentee.id, skill.id):
                raise SignoffError("This form was already used for another sign-off; reload it.")
            return earlier
    if not permissions.can_sign_off(recorder, mentee):
        raise SignoffError(
            f"{recorder.display_name} is not a mentor currently assigned to this mentee, "
            "or the mentee has been discharged."
        )
    event = SignoffEvent(
        mentee_id=mentee.id,
        skill_id=skill.id,
        kind="signoff",
        recorded_by_id=recorder.id,
        idempotency_key=idempotency_key or None,
        group_session_id=group_session_id,
        **_event_values(details),
    )
    db.session.add(event)
    db.session.flush()
    _write_status(mentee.id, skill, event, signed_off_level)
    if not audit_action:  # part of a larger action (a group session) audited once
        return event
    audit.record(
        "signoff.record",
        recorder,
        mentee=mentee,
        object_type="signoff_event",
        object_id=event.id,
        skill=skill.key,
        level=details.level,
    )
    return event


def _event_values(details: SignoffDetails) -> dict:
    return {
        "level": details.level,
        "shown_on": details.shown_on,
        "note": details.note.strip(),
        "note_visibility": details.note_visibility,
        "support": details.support or None,
        "place": (details.place or "").strip() or None,
        "practised_with": details.practised_with or None,
    }


def correct_signoff(
    original: SignoffEvent,
    corrector: User,
    details: SignoffDetails,
    reason: str,
    *,
    on: date | None = None,
) -> SignoffEvent:
    """Add a correction of the mentor's own earlier entry; the caller commits."""
    on = on or today()
    # As in record_signoff: two corrections of one entry cannot both pass the check below.
    lock_for_write(Mentee, original.mentee_id)
    reason = reason.strip()
    if not permissions.can_correct(corrector, original):
        raise SignoffError(
            "Only the mentor who made an entry, while still assigned, can correct it."
        )
    newer = db.session.scalar(
        select(SignoffEvent.id).where(SignoffEvent.corrects_id == original.id)
    )
    if newer is not None:
        raise SignoffError("This entry was already corrected; correct the newer entry instead.")
    if not reason:
        raise SignoffError("Say why this entry is being corrected.", "reason")
    if len(reason) > REASON_MAX:
        raise SignoffError(
            f"The reason is {len(reason)} characters long; the limit is {REASON_MAX}.", "reason"
        )
    skill = original.skill
    _check_details(original.mentee, skill, details, on)
    event = SignoffEvent(
        mentee_id=original.mentee_id,
        skill_id=original.skill_id,
        kind="correction",
        recorded_by_id=corrector.id,
        corrects_id=original.id,
        correction_reason=reason,
        group_session_id=original.group_session_id,
        **_event_values(details),
    )
    db.session.add(event)
    db.session.flush()
    recompute_status(original.mentee_id, skill)
    audit.record(
        "signoff.correct",
        corrector,
        mentee=original.mentee,
        object_type="signoff_event",
        object_id=event.id,
        corrects=original.id,
        skill=skill.key,
        level=details.level,
    )
    return event


# Every column of the status row: a sign-off writes all of them.
_STATUS = Upsert(
    SkillStatus.__table__,
    ("mentee_id", "skill_id"),
    tuple(column.name for column in SkillStatus.__table__.columns),
)


def _write_status(
    mentee_id: int,
    skill: Skill,
    event: SignoffEvent,
    signed_off_level: int | None = None,
    needs_refresher: bool = False,
) -> None:
    """Make `event` the current status of the mentee's skill, and recount its domain."""
    if signed_off_level is None:
        signed_off_level = _signed_off_level(skill)
    _STATUS(
        {
            "mentee_id": mentee_id,
            "skill_id": skill.id,
            "level": event.level,
            "signed_off": counts_as_signed_off(event.level, signed_off_level),
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
    counters.refresh(mentee_id, skill.domain_id)


def effective_event(events: list[SignoffEvent]) -> SignoffEvent | None:
    """The event that sets the current level, from all events of one mentee and skill.

    A corrected event no longer counts; its correction takes its place in time, so
    correcting an old entry does not override a newer one.
    """
    by_id = {e.id: e for e in events}
    corrected = {e.corrects_id for e in events if e.corrects_id}

    def root(event: SignoffEvent) -> int:
        while event.corrects_id and event.corrects_id in by_id:
            event = by_id[event.corrects_id]
        return event.id

    candidates = [e for e in events if e.id not in corrected and e.kind != "refresher"]
    return max(candidates, key=root, default=None)


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
    refresher = any(e.kind == "refresher" and e.id > current.id for e in events)
    _write_status(mentee_id, skill, current, needs_refresher=refresher)
    return db.session.get(SkillStatus, (mentee_id, skill.id))


@dataclass(slots=True)
class HistoryEntry:
    """One event as a reader may see it: notes the reader may not see are already blank."""

    id: int
    mentee_id: int
    kind: str
    skill_id: int
    skill_title: str
    level: int
    level_name: str
    level_text: str  # the mentee-facing wording of the level
    shown_on: date
    recorded_at: datetime
    recorded_by_id: int
    recorded_by_name: str
    note: str
    note_visibility: str
    support: str | None
    place: str | None
    practised_with: str | None
    corrects_id: int | None
    correction_reason: str | None
    corrected: bool
    # A lower level than this skill had before: shown as "needs practice", never failure.
    lower_than_before: bool = False


def history(
    mentee: Mentee, viewer: Viewer, *, skill: Skill | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """Events for a mentee (optionally one skill, or the newest `limit`), newest first.

    `viewer` is required: which notes a reader sees is decided by `permissions`, never
    by a default here.
    """
    return _histories({mentee.id: viewer}, skill, limit).get(mentee.id, [])


def histories(viewers: Mapping[int, Viewer]) -> dict[int, list[HistoryEntry]]:
    """`history` of each mentee id in `viewers`, read as its viewer, in a constant number
    of queries (the batch report)."""
    return _histories(viewers, None, None)


def _histories(
    viewers: Mapping[int, Viewer], skill: Skill | None, limit: int | None
) -> dict[int, list[HistoryEntry]]:
    result: dict[int, list[HistoryEntry]] = {mentee_id: [] for mentee_id in viewers}
    if not viewers:
        return result
    levels = {(lv.curriculum_id, lv.value): lv for lv in db.session.scalars(select(Level))}
    # One query per kind of reader (at most two): the note is blanked in SQL by the rule.
    by_viewer: dict[Viewer, list[int]] = {}
    for mentee_id, viewer in viewers.items():
        by_viewer.setdefault(viewer, []).append(mentee_id)
    rows = []
    for viewer, mentee_ids in by_viewer.items():
        query = (
            select(
                *_HISTORY_COLUMNS,
                case(
                    (SignoffEvent.note_visible(viewer.sees_staff_notes), SignoffEvent.note),
                    else_=literal(""),
                ).label("note"),
                Skill.title.label("skill_title"),
                Skill.curriculum_id,
                User.display_name.label("recorded_by_name"),
            )
            .join(Skill, Skill.id == SignoffEvent.skill_id)
            .join(User, User.id == SignoffEvent.recorded_by_id)
            .where(SignoffEvent.mentee_id.in_(mentee_ids))
            .order_by(SignoffEvent.mentee_id, SignoffEvent.id.desc())
        )
        if skill is not None:
            query = query.where(SignoffEvent.skill_id == skill.id)
        if limit:
            query = query.limit(limit)
        rows.extend(db.session.execute(query).all())
    corrected = {row.corrects_id for row in rows if row.corrects_id}
    if limit or skill is not None:  # what corrects an event may lie outside the rows read
        corrected |= set(
            db.session.scalars(
                select(SignoffEvent.corrects_id).where(
                    SignoffEvent.mentee_id.in_(viewers), SignoffEvent.corrects_id.is_not(None)
                )
            )
        )
    for row in rows:
        level = levels.get((row.curriculum_id, row.level))
        result[row.mentee_id].append(
            HistoryEntry(
                id=row.id,
                mentee_id=row.mentee_id,
                kind=row.kind,
                skill_id=row.skill_id,
                skill_title=row.skill_title,
                level=row.level,
                level_name=level.name if level else str(row.level),
                level_text=level.mentee_text if level else str(row.level),
                shown_on=row.shown_on,
                recorded_at=row.recorded_at,
                recorded_by_id=row.recorded_by_id,
                recorded_by_name=row.recorded_by_name,
                note=row.note,
                note_visibility=row.note_visibility,
                support=row.support,
                place=row.place,
                practised_with=row.practised_with,
                corrects_id=row.corrects_id,
                correction_reason=row.correction_reason,
                corrected=row.id in corrected,
            )
        )
    for entries in result.values():
        _mark_lower_levels(entries)
    return result


_HISTORY_COLUMNS = (
    SignoffEvent.id,
    SignoffEvent.mentee_id,
    SignoffEvent.kind,
    SignoffEvent.skill_id,
    SignoffEvent.level,
    SignoffEvent.shown_on,
    SignoffEvent.recorded_at,
    SignoffEvent.recorded_by_id,
    SignoffEvent.note_visibility,
    SignoffEvent.support,
    SignoffEvent.place,
    SignoffEvent.practised_with,
    SignoffEvent.corrects_id,
    SignoffEvent.correction_reason,
)


def _mark_lower_levels(entries: list[HistoryEntry]) -> None:
    """Flag each entry (newest first) that records a lower level than the skill had."""
    last_level: dict[int, int] = {}
    for entry in reversed(entries):
        if entry.corrected or entry.kind == "refresher":
            continue
        previous = last_level.get(entry.skill_id)
        entry.lower_than_before = previous is not None and entry.level < previous
        last_level[entry.skill_id] = entry.level


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
            "needs_refresher": any(e.kind == "refresher" and e.id > current.id for e in events),
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
