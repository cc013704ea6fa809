"""What goes into a report, gathered from the services into plain dataclasses.

Nothing here knows about requests or PDF: the web, the CLI and the benchmark call
these functions and hand the result to a builder in `pdf` or `csv_export`.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Curriculum, Mentee, Skill, User
from ..models.curriculum import counts_as_signed_off
from ..models.signoffs import PRACTISED_WITH, SUPPORT_LEVELS
from ..models.voice import SELF_RATINGS
from ..permissions import Viewer
from ..services import history as histories
from ..services import voice
from ..services.progress import (
    CurriculumView,
    MenteeProgress,
    SkillProgress,
    curriculum_view,
    mentee_progress,
)
from ..timeutil import today, utcnow

RECENT_NOTES = 10


@dataclass(slots=True)
class ChecklistItem:
    """One skill of the full checklist, at its current level."""

    title: str
    level: int
    level_name: str
    signed_off: bool
    shown_on: date | None
    mentor: str
    needs_refresher: bool = False
    # The mentee's own view, printed beside the mentor's level and never merged with it.
    self_rating: str | None = None


@dataclass(slots=True)
class DomainSection:
    title: str
    total: int
    signed_off: int
    started: int
    percent: int
    skills: list[ChecklistItem]


@dataclass(slots=True)
class SignedOffItem:
    """A skill signed off during the report's period."""

    shown_on: date
    title: str
    i_can_now: str
    level_name: str
    mentor: str
    support: str | None
    place: str | None
    practised_with: str | None


@dataclass(slots=True)
class LearningItem:
    """A skill to learn next or a goal, with the mentee's wording of its level."""

    title: str
    level_name: str
    mentee_text: str
    signed_off: bool = False


@dataclass(slots=True)
class NoteItem:
    shown_on: date
    skill: str
    level_name: str
    mentor: str
    note: str
    staff_only: bool
    support: str | None
    place: str | None
    practised_with: str | None


@dataclass
class MenteeReportData:
    """Everything one progress report shows; notes its viewer may not read are already
    left out, and `staff_view` says which copy it is."""

    organisation: str
    mentee_id: int
    full_name: str
    preferred_name: str | None
    record_number: str
    status: str
    start_date: date
    discharged_on: date | None
    period_from: date
    period_to: date
    staff_view: bool
    total: int
    signed_off: int
    percent: int
    last_signoff_on: date | None
    domains: list[DomainSection]
    signed_off_in_period: list[SignedOffItem]
    learning: list[LearningItem]
    notes: list[NoteItem]
    generated_at: datetime
    # Skills the mentee has chosen as goals, with where they are now.
    goals: list[LearningItem] = field(default_factory=list)
    # The mentee's own words confirming sign-offs: (date shown, skill, words).
    own_words: list[tuple[date, str, str]] = field(default_factory=list)
    # The organisation's local details for skills in this report: (skill, details).
    local_help: list[tuple[str, str]] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.preferred_name and self.preferred_name != self.full_name:
            return f"{self.full_name} ({self.preferred_name})"
        return self.full_name


def check_period(start: date, end: date) -> None:
    """ValueError, with a message for people, if a period ends before it starts."""
    if start > end:
        raise ValueError(
            f"The period starts on {start.isoformat()}, after it ends on {end.isoformat()}. "
            "Choose a start date on or before the end date."
        )


def resolve_period(
    mentee: Mentee, period_from: date | None, period_to: date | None, on: date | None = None
) -> tuple[date, date]:
    """The report's period: by default from the mentee's start date to today."""
    start = period_from or mentee.start_date
    end = period_to or on or today()
    check_period(start, end)
    return start, end


def i_can_now(i_can: str) -> str:
    """'I can read a map.' becomes 'I can now read a map.'"""
    if i_can.startswith("I can ") and not i_can.startswith("I can now "):
        return "I can now " + i_can[len("I can ") :]
    return i_can


def _learning(item: SkillProgress) -> LearningItem:
    return LearningItem(item.skill.title, item.level_name, item.mentee_text, item.signed_off)


def _labels(support: str | None, practised_with: str | None) -> tuple[str | None, str | None]:
    return (
        SUPPORT_LEVELS.get(support, support) if support else None,
        PRACTISED_WITH.get(practised_with, practised_with) if practised_with else None,
    )


def _signed_off_levels(view: CurriculumView, skill_ids: set[int]) -> dict[int, tuple[int, Skill]]:
    """Signed-off level and skill per skill id; retired skills cost one extra query."""
    known = {
        skill.id: (view.signed_off_level(skill.curriculum_id), skill)
        for skills in view.skills.values()
        for skill in skills
        if skill.id in skill_ids
    }
    missing = skill_ids - known.keys()
    if missing:
        for skill, level in db.session.execute(
            select(Skill, Curriculum.signed_off_level)
            .join(Curriculum, Curriculum.id == Skill.curriculum_id)
            .where(Skill.id.in_(missing))
        ):
            known[skill.id] = (level, skill)
    return known


def mentee_report_data(
    mentee: Mentee,
    viewer: Viewer,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    view: CurriculumView | None = None,
    on: date | None = None,
) -> MenteeReportData:
    """Gather one mentee's progress report for `viewer`; ValueError if the period ends
    before it starts. The mentee's copy (`permissions.MENTEE_COPY`) holds no staff-only
    note."""
    start, end = resolve_period(mentee, period_from, period_to, on)
    view = view or curriculum_view()
    progress = mentee_progress(mentee, view)
    entries = histories.history(mentee, viewer)
    return _report(mentee, progress, entries, view, start, end, viewer)


def batch_report_data(
    mentees: Sequence[Mentee],
    viewer_of: Callable[[Mentee], Viewer],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    view: CurriculumView | None = None,
    on: date | None = None,
    chunk: int = 100,
) -> Iterator[MenteeReportData]:
    """The same reports as `mentee_report_data`, for many mentees.

    Returns a generator, so a batch print holds one chunk in memory at a time; the
    period is checked at once (ValueError). A mentee who started after `period_to`
    gets an empty period rather than an error.
    """
    view = view or curriculum_view()
    end = period_to or on or today()
    if period_from:
        check_period(period_from, end)
    return _batch(mentees, viewer_of, period_from, end, view, chunk)


def _batch(
    mentees: Sequence[Mentee],
    viewer_of: Callable[[Mentee], Viewer],
    period_from: date | None,
    end: date,
    view: CurriculumView,
    chunk: int,
) -> Iterator[MenteeReportData]:
    for first in range(0, len(mentees), chunk):
        part = mentees[first : first + chunk]
        viewers = {m.id: viewer_of(m) for m in part}
        entries = histories.histories(viewers)
        for mentee in part:
            start = period_from or min(mentee.start_date, end)
            progress = mentee_progress(mentee, view)
            yield _report(
                mentee, progress, entries[mentee.id], view, start, end, viewers[mentee.id]
            )


def _report(
    mentee: Mentee,
    progress: MenteeProgress,
    entries: Sequence[histories.HistoryEntry],
    view: CurriculumView,
    start: date,
    end: date,
    viewer: Viewer,
) -> MenteeReportData:
    names = {e.recorded_by_id: e.recorded_by_name for e in entries}
    wanted = {
        s.recorded_by_id
        for d in progress.domains
        for s in d.skills
        if s.recorded_by_id is not None and s.recorded_by_id not in names
    }
    if wanted:  # only when a status has no event behind it: never in a consistent database
        names.update(
            db.session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all()
        )

    ratings = voice.self_ratings([mentee.id])
    domains = [
        DomainSection(
            title=d.domain.title,
            total=d.total,
            signed_off=d.signed_off,
            started=d.started,
            percent=d.percent,
            skills=[
                ChecklistItem(
                    title=s.skill.title,
                    level=s.level,
                    level_name=s.level_name,
                    signed_off=s.signed_off,
                    shown_on=s.shown_on,
                    mentor=names.get(s.recorded_by_id, "") if s.recorded_by_id else "",
                    needs_refresher=s.needs_refresher,
                    self_rating=SELF_RATINGS.get(ratings.get((mentee.id, s.skill.id), "")),
                )
                for s in d.skills
            ],
        )
        for d in progress.domains
    ]

    # Entries of the period that still count (a correction replaces what it corrects). A
    # skill was signed off in the period if its latest level there is the top level.
    in_period = [e for e in entries if start <= e.shown_on <= end and not e.corrected]
    latest: dict[int, histories.HistoryEntry] = {}
    for entry in in_period:  # newest first; a refresher reminder is not a level
        if entry.kind != "refresher":
            latest.setdefault(entry.skill_id, entry)
    levels = _signed_off_levels(view, set(latest))
    signed_off_in_period = []
    for entry in sorted(latest.values(), key=lambda e: (e.shown_on, e.id)):
        top, skill = levels[entry.skill_id]
        if not counts_as_signed_off(entry.level, top):
            continue
        support, practised_with = _labels(entry.support, entry.practised_with)
        signed_off_in_period.append(
            SignedOffItem(
                shown_on=entry.shown_on,
                title=entry.skill_title,
                i_can_now=i_can_now(skill.i_can),
                level_name=entry.level_name,
                mentor=entry.recorded_by_name,
                support=support,
                place=entry.place,
                practised_with=practised_with,
            )
        )

    notes = []
    for entry in in_period:
        if not entry.note.strip():
            continue
        support, practised_with = _labels(entry.support, entry.practised_with)
        notes.append(
            NoteItem(
                shown_on=entry.shown_on,
                skill=entry.skill_title,
                level_name=entry.level_name,
                mentor=entry.recorded_by_name,
                note=entry.note,
                staff_only=entry.note_visibility == "staff",
                support=support,
                place=entry.place,
                practised_with=practised_with,
            )
        )
        if len(notes) == RECENT_NOTES:
            break

    return MenteeReportData(
        organisation=mentee.organisation.name,
        mentee_id=mentee.id,
        full_name=mentee.full_name,
        preferred_name=mentee.preferred_name,
        record_number=mentee.record_number,
        status=mentee.status,
        start_date=mentee.start_date,
        discharged_on=mentee.discharged_on,
        period_from=start,
        period_to=end,
        staff_view=viewer.sees_staff_notes,
        total=progress.total,
        signed_off=progress.signed_off,
        percent=progress.percent,
        last_signoff_on=progress.last_signoff_on,
        domains=domains,
        signed_off_in_period=signed_off_in_period,
        learning=[_learning(s) for s in progress.next_skills],
        notes=notes,
        generated_at=utcnow(),
        goals=[_learning(s) for s in progress.goals],
        own_words=_own_words(mentee, entries),
        local_help=_local_help(mentee, progress),
    )


def _own_words(
    mentee: Mentee, entries: Sequence[histories.HistoryEntry]
) -> list[tuple[date, str, str]]:
    confirmed = voice.confirmations(mentee)
    return [
        (e.shown_on, e.skill_title, confirmed[e.id].words or "That's right.")
        for e in entries
        if e.id in confirmed
    ]


def _local_help(mentee: Mentee, progress: MenteeProgress) -> list[tuple[str, str]]:
    """Local details for the skills the mentee is working on or aims at next."""
    wanted = {s.skill.id: s.skill.title for s in [*progress.goals, *progress.next_skills]}
    found = voice.resources(mentee.organisation_id, list(wanted))
    return [(wanted[skill_id], details) for skill_id, details in found.items()]
