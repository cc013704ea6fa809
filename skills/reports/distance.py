"""Distance travelled: how many skills of each area counted as signed off on given
days, worked out from the sign-off history rather than today's levels.

A skill's level on a day is set by its sign-offs shown on or before that day that were
not corrected away, by the one typed last (`typed_order`, as the current level is);
refresher reminders are not levels. Whether a level counts is
`counts_as_signed_off`, the one rule the rest of the app uses.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import SignoffEvent
from ..models.curriculum import counts_as_signed_off
from ..models.signoffs import corrected_ids, sets_a_level, typed_order
from ..services.curriculum_view import CurriculumView

TREND_MONTHS = 12  # at most this many monthly points on the chart


@dataclass(frozen=True, slots=True)
class Reading:
    """One sign-off that still counts: (skill, level, the day it was shown, its place in
    `typed_order`)."""

    skill_id: int
    level: int
    shown_on: date
    order: int


@dataclass(frozen=True, slots=True)
class TrendPoint:
    day: date  # the last day the count covers (a month's end, or the period's end)
    signed_off: int


def counts_on(
    readings: Iterable[Reading], view: CurriculumView, days: Sequence[date]
) -> list[dict[int, int]]:
    """For each of `days` (ascending), skills signed off per domain id at that day's end."""
    domain_of: dict[int, int] = {}
    top_of: dict[int, int] = {}
    for domain_id, skills in view.skills.items():
        for skill in skills:
            domain_of[skill.id] = domain_id
            top_of[skill.id] = view.signed_off_level(skill.curriculum_id)
    ordered = sorted((r for r in readings if r.skill_id in domain_of), key=lambda r: r.shown_on)
    level: dict[int, int] = {}
    setter: dict[int, int] = {}  # skill: the order of the reading that set its level
    result: list[dict[int, int]] = []
    i = 0
    for day in days:
        while i < len(ordered) and ordered[i].shown_on <= day:
            reading = ordered[i]
            if reading.order > setter.get(reading.skill_id, -1):
                level[reading.skill_id], setter[reading.skill_id] = reading.level, reading.order
            i += 1
        counts = {domain.id: 0 for domain in view.domains}
        for skill_id, value in level.items():
            if counts_as_signed_off(value, top_of[skill_id]):
                counts[domain_of[skill_id]] = counts.get(domain_of[skill_id], 0) + 1
        result.append(counts)
    return result


def month_ends(start: date, end: date) -> list[date]:
    """The last day of each month from `start` to `end`, `end` itself last; at most
    `TREND_MONTHS` of them (the latest)."""
    days = []
    year, month = start.year, start.month
    while (year, month) < (end.year, end.month):
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
        days.append(date(year, month, 1) - timedelta(days=1))
    days.append(end)
    return days[-TREND_MONTHS:]


def is_baseline(readings: Iterable[Reading], end: date) -> bool:
    """True when everything recorded up to `end` was recorded on one day (or nothing
    was): a first assessment is a starting point, not change."""
    return len({r.shown_on for r in readings if r.shown_on <= end}) <= 1


def caseload_readings(mentee_ids: Sequence[int], end: date) -> dict[int, list[Reading]]:
    """Each mentee's readings up to `end`, in one query (corrected events left out)."""
    result: dict[int, list[Reading]] = {mentee_id: [] for mentee_id in mentee_ids}
    if not mentee_ids:
        return result
    # Every event: a correction's place in typed_order is that of the event it corrects,
    # which may be shown after `end` or be corrected itself.
    rows = db.session.execute(
        select(
            SignoffEvent.mentee_id,
            SignoffEvent.skill_id,
            SignoffEvent.level,
            SignoffEvent.shown_on,
            SignoffEvent.id,
            SignoffEvent.corrects_id,
            SignoffEvent.kind,
        ).where(SignoffEvent.mentee_id.in_(mentee_ids))
    ).all()
    order = typed_order(rows)
    corrected = corrected_ids(rows)
    for row in rows:
        if sets_a_level(row.kind, row.id in corrected) and row.shown_on <= end:
            reading = Reading(row.skill_id, row.level, row.shown_on, order[row.id])
            result[row.mentee_id].append(reading)
    return result
