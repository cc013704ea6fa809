"""Reading sign-off history: what a reader may see of a mentee's events.

Which notes a reader sees is `SignoffEvent.note_visible`, applied in SQL, for a
`permissions.Viewer` every caller must give.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, literal, select

from ..extensions import db
from ..models import Level, Mentee, SignoffEvent, Skill, User
from ..models.curriculum import in_language, translation_sql
from ..models.signoffs import sets_a_level
from ..permissions import Viewer
from .curriculum_view import reading_language


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
    """Events for a mentee (optionally one skill, or the newest `limit`), newest first:
    by the date shown, then by when they were entered.

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
    language = reading_language()  # the skill's title and the level's wording in it
    # One query per kind of reader (at most two): the note is blanked in SQL by the rule.
    by_viewer: dict[Viewer, list[int]] = {}
    for mentee_id, viewer in viewers.items():
        by_viewer.setdefault(viewer, []).append(mentee_id)
    rows: list[Any] = []  # result rows of the query below
    for viewer, mentee_ids in by_viewer.items():
        query = (
            select(
                *_HISTORY_COLUMNS,
                case(
                    (SignoffEvent.note_visible(viewer.sees_staff_notes), SignoffEvent.note),
                    else_=literal(""),
                ).label("note"),
                Skill.title.label("skill_title"),
                translation_sql(Skill, "title", language).label("skill_title_translated"),
                Skill.curriculum_id,
                User.display_name.label("recorded_by_name"),
            )
            .join(Skill, Skill.id == SignoffEvent.skill_id)
            .join(User, User.id == SignoffEvent.recorded_by_id)
            .where(SignoffEvent.mentee_id.in_(mentee_ids))
            # By the date shown, as the pages print it; entries typed for the same day
            # by when they were typed (the id breaks a tie within one instant).
            .order_by(
                SignoffEvent.mentee_id,
                SignoffEvent.shown_on.desc(),
                SignoffEvent.recorded_at.desc(),
                SignoffEvent.id.desc(),
            )
        )
        if skill is not None:
            query = query.where(SignoffEvent.skill_id == skill.id)
        if limit:
            query = query.limit(limit)
        rows.extend(db.session.execute(query).all())
    corrected = {row[_CORRECTS] for row in rows if row[_CORRECTS]}
    if limit or skill is not None:  # what corrects an event may lie outside the rows read
        corrected |= set(
            db.session.scalars(
                select(SignoffEvent.corrects_id).where(
                    SignoffEvent.mentee_id.in_(viewers), SignoffEvent.corrects_id.is_not(None)
                )
            )
        )
    # Each level's name and wording in the language, worked out once (not once a row),
    # for the curricula of these rows only: every organisation's own are in the table.
    curricula = {row[_CURRICULUM] for row in rows}
    levels = {
        (lv.curriculum_id, lv.value): (
            lv.text_in("name", language),
            lv.text_in("mentee_text", language),
        )
        for lv in (
            db.session.scalars(select(Level).where(Level.curriculum_id.in_(curricula)))
            if curricula
            else ()
        )
    }
    # Unpacked, not read by name: a Row's attribute costs about as much as the rest of
    # making an entry, and a batch reads a hundred thousand rows.
    for (
        event_id,
        mentee_id,
        kind,
        skill_id,
        level,
        shown_on,
        recorded_at,
        recorded_by_id,
        note_visibility,
        support,
        place,
        practised_with,
        corrects_id,
        correction_reason,
        note,
        skill_title,
        skill_title_translated,
        curriculum_id,
        recorded_by_name,
    ) in rows:
        level_name, level_text = levels.get((curriculum_id, level)) or (str(level), str(level))
        result[mentee_id].append(
            HistoryEntry(
                id=event_id,
                mentee_id=mentee_id,
                kind=kind,
                skill_id=skill_id,
                skill_title=in_language(skill_title, skill_title_translated),
                level=level,
                level_name=level_name,
                level_text=level_text,
                shown_on=shown_on,
                recorded_at=recorded_at,
                recorded_by_id=recorded_by_id,
                recorded_by_name=recorded_by_name,
                note=note,
                note_visibility=note_visibility,
                support=support,
                place=place,
                practised_with=practised_with,
                corrects_id=corrects_id,
                correction_reason=correction_reason,
                corrected=event_id in corrected,
            )
        )
    for entries in result.values():
        _mark_lower_levels(entries)
    return result


# The query's columns: these, then the note, the skill's title (and its translation), the
# skill's curriculum and who recorded it (unpacked in this order in `_histories`).
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
_CORRECTS = [c is SignoffEvent.corrects_id for c in _HISTORY_COLUMNS].index(True)
_CURRICULUM = len(_HISTORY_COLUMNS) + 3  # after the note and the title's two columns


def _mark_lower_levels(entries: list[HistoryEntry]) -> None:
    """Flag each entry (newest first) that records a lower level than the skill had."""
    last_level: dict[int, int] = {}
    for entry in reversed(entries):
        if not sets_a_level(entry.kind, entry.corrected):
            continue
        previous = last_level.get(entry.skill_id)
        entry.lower_than_before = previous is not None and entry.level < previous
        last_level[entry.skill_id] = entry.level
