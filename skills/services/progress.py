"""Progress of one mentee, of a caseload, or of a whole organisation, read from
current-status rows (one mentee) or the per-domain counters kept beside them (many).

Each reads in a constant number of queries whatever the number of skills or mentees:
the curriculum's shape in a few queries, then one query for the statuses.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import NamedTuple

from sqlalchemy import Select, select

from ..extensions import db
from ..models import (
    DomainCounter,
    Goal,
    Mentee,
    SkillStatus,
)
from ..timeutil import today
from .curriculum_view import CurriculumView, DomainItem, SkillItem, view_for
from .curriculum_view import curriculum_view as curriculum_view  # for older importers
from .view_cache import cached_view

STALLED_AFTER_DAYS = 30
NEXT_SKILLS = 5
RECHECK_NOTICE_DAYS = 30  # how far ahead a mentee is told a re-check is coming


@dataclass
class SkillProgress:
    skill: SkillItem
    level: int
    level_name: str
    mentee_text: str
    signed_off: bool
    shown_on: date | None = None
    recorded_by_id: int | None = None
    needs_refresher: bool = False

    @property
    def started(self) -> bool:
        return self.level > 0 and not self.signed_off

    @property
    def next_recheck_on(self) -> date | None:
        """When a signed-off skill with an interval is due for its re-check (none while a
        refresher is asked: that comes first)."""
        if not self.signed_off or self.needs_refresher or self.shown_on is None:
            return None
        return self.skill.recheck_on(self.shown_on)


@dataclass
class DomainSummary:
    domain: DomainItem
    total: int
    signed_off: int = 0
    started: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.signed_off / self.total) if self.total else 0


@dataclass
class DomainProgress(DomainSummary):
    skills: list[SkillProgress] = field(default_factory=list)


@dataclass
class MenteeProgress:
    mentee: Mentee
    domains: list[DomainProgress]
    next_skills: list[SkillProgress]
    last_signoff_on: date | None
    goals: list[SkillProgress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.domains)

    @property
    def signed_off(self) -> int:
        return sum(d.signed_off for d in self.domains)

    @property
    def percent(self) -> int:
        return round(100 * self.signed_off / self.total) if self.total else 0

    @property
    def can_now(self) -> list[SkillProgress]:
        return [s for d in self.domains for s in d.skills if s.signed_off]

    @property
    def learning(self) -> list[SkillProgress]:
        return [s for d in self.domains for s in d.skills if s.started]

    @property
    def suggestions(self) -> list[SkillProgress]:
        """Next steps the mentee has not started or chosen yet: ideas, not a to-do list."""
        goals = {g.skill.id for g in self.goals}
        return [s for s in self.next_skills if not s.started and s.skill.id not in goals]

    def rechecks_coming(self, on: date) -> list[SkillProgress]:
        """Signed-off skills whose re-check is due by `RECHECK_NOTICE_DAYS` after `on`
        (or already due), soonest first: what the mentee is told is coming."""
        last = on + timedelta(days=RECHECK_NOTICE_DAYS)
        due = [s for s in self.can_now if (s.next_recheck_on or date.max) <= last]
        return sorted(due, key=lambda s: s.next_recheck_on or date.max)

    def skill(self, skill_id: int) -> SkillProgress | None:
        return next((s for d in self.domains for s in d.skills if s.skill.id == skill_id), None)


def mentee_progress(mentee: Mentee, view: CurriculumView | None = None) -> MenteeProgress:
    """Per domain: counts, percent signed off, the level of each skill; and next steps."""
    return next(mentees_progress([mentee], view))


def mentees_progress(
    mentees: Sequence[Mentee], view: CurriculumView | None = None
) -> Iterator[MenteeProgress]:
    """`mentee_progress` of each mentee (all of one organisation), in order, read in two
    queries whatever their number (the batch report); each is built as it is asked for,
    so a batch holds one mentee's at a time."""
    view = view_for(mentees, view)
    ids = [m.id for m in mentees]
    statuses: dict[int, dict[int, _Status]] = {i: {} for i in ids}
    # Plain tuples, not ORM objects (nor rows, slow to read by name): a batch reads tens
    # of thousands.
    for mentee_id, skill_id, level, signed_off, shown_on, by, refresher in db.session.execute(
        select(
            SkillStatus.mentee_id,
            SkillStatus.skill_id,
            SkillStatus.level,
            SkillStatus.signed_off,
            SkillStatus.shown_on,
            SkillStatus.recorded_by_id,
            SkillStatus.needs_refresher,
        ).where(SkillStatus.mentee_id.in_(ids))
    ):
        statuses[mentee_id][skill_id] = _Status(level, signed_off, shown_on, by, refresher)
    goal_ids: dict[int, list[int]] = {i: [] for i in ids}
    for mentee_id, skill_id in db.session.execute(
        select(Goal.mentee_id, Goal.skill_id)
        .where(Goal.mentee_id.in_(ids), Goal.cleared_at.is_(None))
        .order_by(Goal.set_at, Goal.id)
    ):
        goal_ids[mentee_id].append(skill_id)
    return (_progress(m, view, statuses[m.id], goal_ids[m.id]) for m in mentees)


class _Status(NamedTuple):
    """What `_progress` reads of a mentee's `SkillStatus`."""

    level: int
    signed_off: bool
    shown_on: date
    recorded_by_id: int
    needs_refresher: bool


def _progress(
    mentee: Mentee, view: CurriculumView, statuses: dict[int, _Status], goal_ids: list[int]
) -> MenteeProgress:
    domains = []
    for domain in view.domains:
        progress = DomainProgress(domain, total=len(view.skills.get(domain.id, [])))
        for skill in view.skills.get(domain.id, []):
            status = statuses.get(skill.id)
            value = status.level if status else 0
            level = view.level(skill.curriculum_id, value)
            item = SkillProgress(
                skill=skill,
                level=value,
                level_name=level.name if level else str(value),
                mentee_text=level.mentee_text if level else str(value),
                signed_off=bool(status and status.signed_off),
                shown_on=status.shown_on if status else None,
                recorded_by_id=status.recorded_by_id if status else None,
                needs_refresher=bool(status and status.needs_refresher),
            )
            progress.skills.append(item)
            progress.signed_off += item.signed_off
            progress.started += item.started
        domains.append(progress)
    last = max((s.shown_on for s in statuses.values()), default=None)
    by_id = {s.skill.id: s for d in domains for s in d.skills}
    goals = [by_id[i] for i in goal_ids if i in by_id]
    return MenteeProgress(mentee, domains, choose_next_skills(domains, goals), last, goals)


def choose_next_skills(
    domains: list[DomainProgress], goals: list[SkillProgress]
) -> list[SkillProgress]:
    """The mentee's goals first, then skills being learned (furthest along first), then
    the first new skill of each domain."""
    learning = sorted((s for d in domains for s in d.skills if s.started), key=lambda s: -s.level)
    fresh = []
    for domain in domains:
        first = next((s for s in domain.skills if s.level == 0 and not s.signed_off), None)
        if first:
            fresh.append(first)
    ordered: list[SkillProgress] = []
    for item in [g for g in goals if not g.signed_off] + learning + fresh:
        if all(item is not seen for seen in ordered):
            ordered.append(item)
    return ordered[:NEXT_SKILLS]


@dataclass(frozen=True, slots=True)
class MenteeLine:
    """A mentee as list pages read one: plain values, no ORM object to build or track."""

    id: int
    organisation_id: int
    full_name: str
    preferred_name: str | None
    record_number: str
    status: str
    start_date: date
    last_signoff_on: date | None

    @property
    def name(self) -> str:
        """The name the mentee goes by."""
        return self.preferred_name or self.full_name


_LINE_COLUMNS = (
    Mentee.id,
    Mentee.organisation_id,
    Mentee.full_name,
    Mentee.preferred_name,
    Mentee.record_number,
    Mentee.status,
    Mentee.start_date,
    Mentee.last_signoff_on,
)


def mentee_lines(query: Select) -> list[MenteeLine]:
    """The mentees a query of `Mentee` (a permissions query) picks, in its order, as lines."""
    rows = db.session.execute(query.with_only_columns(*_LINE_COLUMNS))
    return [MenteeLine(**row._mapping) for row in rows]


MenteeLike = Mentee | MenteeLine


@dataclass
class CaseloadRow:
    mentee: MenteeLike
    domains: dict[int, DomainSummary]
    last_signoff_on: date | None
    stalled: bool

    # Worked out once: list pages read these several times for each of many rows.
    @cached_property
    def signed_off(self) -> int:
        return sum(d.signed_off for d in self.domains.values())

    @cached_property
    def total(self) -> int:
        return sum(d.total for d in self.domains.values())

    @cached_property
    def percent(self) -> int:
        return round(100 * self.signed_off / self.total) if self.total else 0


def is_stalled(mentee: MenteeLike, last_signoff_on: date | None, on: date) -> bool:
    """An active mentee with no sign-off in the last 30 days (or none since starting)."""
    return _stalled(mentee.status, mentee.start_date, last_signoff_on, on)


def _stalled(status: str, start_date: date, last_signoff_on: date | None, on: date) -> bool:
    if status != "active":
        return False
    since = last_signoff_on or start_date
    return since < on - timedelta(days=STALLED_AFTER_DAYS)


def caseload_progress(
    mentees: Sequence[MenteeLike], view: CurriculumView | None = None, on: date | None = None
) -> list[CaseloadRow]:
    """Per-domain progress for many mentees in one query, in the order given. `on`
    (default: today where the first mentee is) decides who has stalled."""
    if not mentees:
        return []
    view = view_for(mentees, view or cached_view(mentees[0].organisation_id))
    on = on or today(mentees[0])  # one organisation's caseload
    ids = [m.id for m in mentees]
    counts: dict[tuple[int, int], tuple[int, int]] = {
        (mentee_id, domain_id): (signed_off, started)
        for mentee_id, domain_id, signed_off, started in db.session.execute(
            select(
                DomainCounter.mentee_id,
                DomainCounter.domain_id,
                DomainCounter.signed_off,
                DomainCounter.started,
            ).where(DomainCounter.mentee_id.in_(ids))
        )
    }
    # Plain ids and totals first: this loop runs once per mentee and domain.
    totals = [(domain.id, domain, len(view.skills.get(domain.id, []))) for domain in view.domains]
    nothing = (0, 0)
    result = []
    for mentee, mentee_id in zip(mentees, ids, strict=True):
        domains = {}
        for domain_id, domain, total in totals:
            signed_off, started = counts.get((mentee_id, domain_id), nothing)
            domains[domain_id] = DomainSummary(domain, total, signed_off, started)
        latest = mentee.last_signoff_on
        result.append(CaseloadRow(mentee, domains, latest, is_stalled(mentee, latest, on)))
    return result
