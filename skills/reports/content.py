"""What goes into a report, gathered from the services into plain dataclasses
(`items`).

Nothing here knows about requests or PDF: the web, the CLI and the benchmark call
these functions and hand the result to a builder in `pdf` or `csv_export`.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta

from ..models import Mentee
from ..models.curriculum import counts_as_signed_off
from ..models.signoffs import sets_a_level, typed_order
from ..permissions import Viewer
from ..services import history as histories
from ..services.curriculum import I_CAN
from ..services.progress import (
    CurriculumView,
    MenteeProgress,
    SkillProgress,
    choose_next_skills,
    mentee_progress,
    mentees_progress,
    view_for,
)
from ..timeutil import today
from .distance import Reading, TrendPoint, counts_on, is_baseline, month_ends
from .items import (
    ChecklistItem,
    DomainSection,
    LearningItem,
    MenteeReportData,
    NoteItem,
    SignedOffItem,
)
from .period import check_period, mentee_copy_locale, report_language, resolve_period
from .session_note_content import session_note_items
from .shared_details import (
    Shared,
    label,
    local_help,
    own_words,
    shared_details,
    signed_off_levels,
)
from .stamp import stamp

# Every note of the period is printed up to this many (the newest); the report then
# says how many there were, and the history CSV holds them all.
NOTES_LIMIT = 50

__all__ = [
    "MenteeReportData",
    "batch_report_data",
    "check_period",
    "mentee_copy_locale",
    "mentee_report_data",
    "report_language",
    "resolve_period",
]

# "I can read a map." says "I can now read a map." once signed off (`I_CAN`: how each
# language starts the statement).
I_CAN_NOW = {"en": "I can now ", "es": "Ahora puedo "}


def i_can_now(i_can: str) -> str:
    """'I can read a map.' becomes 'I can now read a map.' ('Puedo …', 'Ahora puedo …'),
    in the statement's own language (English where it has no translation)."""
    for language, start in I_CAN.items():
        now = I_CAN_NOW.get(language, start)
        if i_can.startswith(start) and not i_can.startswith(now):
            return now + i_can[len(start) :]
    return i_can


def _learning(item: SkillProgress) -> LearningItem:
    return LearningItem(item.skill.title, item.level_name, item.mentee_text, item.signed_off)


def mentee_report_data(
    mentee: Mentee,
    viewer: Viewer,
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    view: CurriculumView | None = None,
    on: date | None = None,
    printed_by: str = "",
) -> MenteeReportData:
    """Gather one mentee's progress report for `viewer`; ValueError if the period ends
    before it starts. The mentee's copy (`permissions.MENTEE_COPY`) holds no staff-only
    note."""
    start, end = resolve_period(mentee, period_from, period_to, on)
    view = view_for([mentee], view)
    progress = mentee_progress(mentee, view)
    entries = histories.history(mentee, viewer)
    shared = shared_details([mentee], mentee.organisation_id)
    data = _report(mentee, progress, entries, view, start, end, viewer, printed_by, shared)
    data.session_notes = session_note_items({mentee.id: viewer}, {mentee.id: start}, end)[mentee.id]
    return data


def batch_report_data(
    mentees: Sequence[Mentee],
    viewer_of: Callable[[Mentee], Viewer],
    *,
    period_from: date | None = None,
    period_to: date | None = None,
    view: CurriculumView | None = None,
    on: date | None = None,
    chunk: int = 100,
    printed_by: str = "",
) -> Iterator[MenteeReportData]:
    """The same reports as `mentee_report_data`, for many mentees.

    Returns a generator, so a batch print holds one chunk in memory at a time; the
    period is checked at once (ValueError). A mentee who started after `period_to`
    gets an empty period rather than an error.
    """
    view = view_for(mentees, view)
    end = period_to or on or today(mentees[0] if mentees else None)
    if period_from:
        check_period(period_from, end)
    return _batch(mentees, viewer_of, period_from, end, view, chunk, printed_by)


def _batch(
    mentees: Sequence[Mentee],
    viewer_of: Callable[[Mentee], Viewer],
    period_from: date | None,
    end: date,
    view: CurriculumView,
    chunk: int,
    printed_by: str,
) -> Iterator[MenteeReportData]:
    for first in range(0, len(mentees), chunk):
        part = mentees[first : first + chunk]
        viewers = {m.id: viewer_of(m) for m in part}
        entries = histories.histories(viewers)
        starts = {m.id: period_from or min(m.start_date, end) for m in part}
        contacts = session_note_items(viewers, starts, end)
        shared = shared_details(part, view.organisation_id)
        for mentee, progress in zip(part, mentees_progress(part, view), strict=True):
            data = _report(
                mentee,
                progress,
                entries[mentee.id],
                view,
                starts[mentee.id],
                end,
                viewers[mentee.id],
                printed_by,
                shared,
            )
            data.session_notes = contacts[mentee.id]
            yield data


def _setting(
    entries: Sequence[histories.HistoryEntry],
    order: dict[int, int],
    end: date,
    start: date | None = None,
) -> dict[int, histories.HistoryEntry]:
    """Each skill's entry that set its level on `end` among those shown by then (from
    `start` on, if given): the one typed last (`typed_order`, as for the current level).
    A correction replaces what it corrects; a refresher reminder is not a level."""
    held: dict[int, histories.HistoryEntry] = {}
    for entry in entries:
        if not sets_a_level(entry.kind, entry.corrected) or entry.shown_on > end:
            continue
        if start is not None and entry.shown_on < start:
            continue
        best = held.get(entry.skill_id)
        if best is None or order[entry.id] > order[best.id]:
            held[entry.skill_id] = entry
    return held


def _progress_on(
    progress: MenteeProgress, held: dict[int, histories.HistoryEntry], view: CurriculumView
) -> MenteeProgress:
    """`progress` with every skill at its level on the period's last day, and the next
    skills chosen from those levels: a past period's "Next, I'm learning" and goals
    agree with its checklist instead of showing today's levels. Only the skills, goals and
    next skills are of that day: the areas' counts are the checklist's (`_checklist`)."""
    skills: dict[int, SkillProgress] = {}
    domains = []
    for d in progress.domains:
        items = []
        for s in d.skills:
            found = held.get(s.skill.id)
            if found is None:
                nothing = view.level(s.skill.curriculum_id, 0)
                item = replace(
                    s,
                    level=0,
                    level_name=nothing.name if nothing else "0",
                    mentee_text=nothing.mentee_text if nothing else "",
                    signed_off=False,
                    shown_on=None,
                )
            else:
                top = view.signed_off_level(s.skill.curriculum_id)
                item = replace(
                    s,
                    level=found.level,
                    level_name=found.level_name,
                    mentee_text=found.level_text,
                    signed_off=counts_as_signed_off(found.level, top),
                    shown_on=found.shown_on,
                )
            skills[s.skill.id] = item
            items.append(item)
        domains.append(replace(d, skills=items))
    goals = [skills[g.skill.id] for g in progress.goals if g.skill.id in skills]
    return replace(
        progress,
        domains=domains,
        goals=goals,
        next_skills=choose_next_skills(domains, goals),
    )


def _checklist(
    mentee: Mentee,
    then: MenteeProgress,
    held: dict[int, histories.HistoryEntry],
    shared: Shared,
) -> list[DomainSection]:
    """Each area's skills at their level on the period's last day (`then`, read from the
    history by `_progress_on`: a past period shows its own levels, not today's)."""
    ratings = shared.ratings
    domains = []
    for d in then.domains:
        section = DomainSection(d.domain.title, d.total, signed_off=0, skills=[])
        for s in d.skills:
            found = held.get(s.skill.id)
            item = ChecklistItem(
                title=s.skill.title,
                level=s.level,
                level_name=s.level_name,
                signed_off=s.signed_off,
                shown_on=s.shown_on,
                mentor=found.recorded_by_name if found else "",
                level_text=s.mentee_text,
                needs_refresher=s.needs_refresher,
                self_rating=label(shared.self_ratings, ratings.get((mentee.id, s.skill.id))),
            )
            section.skills.append(item)
            section.signed_off += item.signed_off
        domains.append(section)
    return domains


def _report(
    mentee: Mentee,
    progress: MenteeProgress,
    entries: Sequence[histories.HistoryEntry],
    view: CurriculumView,
    start: date,
    end: date,
    viewer: Viewer,
    printed_by: str,
    shared: Shared,
) -> MenteeReportData:
    order = typed_order(entries)
    held = _setting(entries, order, end)
    then = _progress_on(progress, held, view)
    domains = _checklist(mentee, then, held, shared)
    readings = [
        Reading(e.skill_id, e.level, e.shown_on, order[e.id])
        for e in entries
        if sets_a_level(e.kind, e.corrected)
    ]
    days = [start - timedelta(days=1), *month_ends(start, end)]
    counts = counts_on(readings, view, days)
    for section, domain in zip(domains, view.domains, strict=True):
        section.at_start = counts[0].get(domain.id, 0)
    trend = [TrendPoint(day, sum(c.values())) for day, c in zip(days[1:], counts[1:], strict=True)]

    # A skill was signed off in the period if the level its entries there set is the top
    # level (a correction replaces what it corrects).
    in_period = [e for e in entries if start <= e.shown_on <= end and not e.corrected]
    latest = _setting(entries, order, end, start)
    levels = signed_off_levels(view, set(latest))
    signed_off_in_period = []
    for entry in sorted(latest.values(), key=lambda e: (e.shown_on, e.id)):
        top, skill = levels[entry.skill_id]
        if not counts_as_signed_off(entry.level, top):
            continue
        support, practised_with = shared.labels(entry.support, entry.practised_with)
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

    with_notes = [e for e in in_period if e.note.strip()]
    notes = []
    for entry in with_notes[:NOTES_LIMIT]:
        support, practised_with = shared.labels(entry.support, entry.practised_with)
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
                level_text=entry.level_text,
            )
        )

    total = sum(d.total for d in domains)
    signed_off = sum(d.signed_off for d in domains)
    return MenteeReportData(
        organisation=mentee.organisation.name,
        full_name=mentee.full_name,
        preferred_name=mentee.preferred_name,
        record_number=mentee.record_number,
        status=mentee.status,
        start_date=mentee.start_date,
        discharged_on=mentee.discharged_on,
        period_from=start,
        period_to=end,
        staff_view=viewer.sees_staff_notes,
        total=total,
        signed_off=signed_off,
        percent=round(100 * signed_off / total) if total else 0,
        last_signoff_on=progress.last_signoff_on,
        domains=domains,
        signed_off_in_period=signed_off_in_period,
        learning=[_learning(s) for s in then.next_skills],
        notes=notes,
        goals=[_learning(s) for s in then.goals],
        own_words=own_words([e for e in entries if start <= e.shown_on <= end], shared),
        local_help=local_help(then, shared),
        notes_total=len(with_notes),
        baseline=is_baseline(readings, end),
        trend=trend,
        stamp=stamp(mentee.organisation, printed_by),
        language=report_language(),
    )
