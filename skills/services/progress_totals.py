"""Progress added up: over every mentee of an organisation (from the totals kept with
each sign-off), and one mentee's first sign-offs month by month (for the chart)."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from ..extensions import db
from ..models import Curriculum, Mentee, Organisation, OrganisationDomainTotal, SignoffEvent, Skill
from ..models.curriculum import in_use_by
from ..models.signoffs import sets_a_level_sql
from ..timeutil import today
from .curriculum_view import CurriculumView
from .progress import STALLED_AFTER_DAYS, DomainSummary
from .view_cache import cached_view


@dataclass
class OrganisationSummary:
    """Progress over every mentee of an organisation, for an org-wide overview."""

    mentees: int
    active: int
    stalled: int  # active mentees with no sign-off in 30 days
    domains: list[DomainSummary]  # total: the domain's skills times the mentees

    @property
    def signed_off(self) -> int:
        return sum(d.signed_off for d in self.domains)

    @property
    def started(self) -> int:
        return sum(d.started for d in self.domains)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.domains)

    @property
    def percent(self) -> int:
        return round(100 * self.signed_off / self.total) if self.total else 0


def organisation_summary(
    organisation_id: int, view: CurriculumView | None = None, on: date | None = None
) -> OrganisationSummary:
    """Progress over every mentee of the organisation, added up per domain, with the
    number of active and stalled mentees: two queries, over the organisation's totals
    (kept with each sign-off, `counters`) and one index of its mentees."""
    view = view or cached_view(organisation_id)
    if view.organisation_id != organisation_id:
        raise ValueError("the view is of another organization")
    on = on or today(db.session.get(Organisation, organisation_id))
    active = Mentee.status == "active"
    stalled_before = on - timedelta(days=STALLED_AFTER_DAYS)

    def count(*where: ColumnElement[bool]) -> ScalarSelect[int]:
        return (
            select(func.count())
            .where(Mentee.organisation_id == organisation_id, *where)
            .scalar_subquery()
        )

    # Ranges of ix_mentees_progress, never the table: a count per range costs a fraction
    # of testing every mentee ("stalled" is `_stalled`: no sign-off, or none since 30 days).
    mentees, active_count, stalled, stalled_never = db.session.execute(
        select(
            count(),
            count(active),
            count(active, Mentee.last_signoff_on < stalled_before),
            count(active, Mentee.last_signoff_on.is_(None), Mentee.start_date < stalled_before),
        )
    ).one()
    stalled += stalled_never
    totals = {
        domain_id: (int(signed or 0), int(begun or 0))
        for domain_id, signed, begun in db.session.execute(
            select(
                OrganisationDomainTotal.domain_id,
                func.sum(OrganisationDomainTotal.signed_off),
                func.sum(OrganisationDomainTotal.started),
            )
            .where(OrganisationDomainTotal.organisation_id == organisation_id)
            .group_by(OrganisationDomainTotal.domain_id)
        )
    }
    domains = [
        DomainSummary(
            domain, len(view.skills.get(domain.id, [])) * mentees, *totals.get(domain.id, (0, 0))
        )
        for domain in view.domains
    ]
    return OrganisationSummary(mentees, int(active_count or 0), int(stalled or 0), domains)


@dataclass
class MonthCount:
    """Skills a mentee reached the signed-off level in for the first time, in one month."""

    month: date  # the first day of the month
    signed_off: int
    total: int  # skills signed off by the end of this month, counted the same way


def signoffs_by_month(mentee: Mentee, months: int = 6, on: date | None = None) -> list[MonthCount]:
    """The last `months` calendar months, oldest first: skills first signed off in each.

    A skill counts in the month of its earliest sign-off at the signed-off level that was
    not corrected away; refresher marks do not count. One query.
    """
    on = on or today(mentee)
    firsts = db.session.scalars(
        select(func.min(SignoffEvent.shown_on))
        .join(Skill, Skill.id == SignoffEvent.skill_id)
        .join(Curriculum, Curriculum.id == Skill.curriculum_id)
        .where(
            SignoffEvent.mentee_id == mentee.id,
            sets_a_level_sql(),
            Curriculum.signs_off(SignoffEvent.level),
            Skill.retired.is_(False),
            in_use_by(mentee.organisation_id),
        )
        .group_by(SignoffEvent.skill_id)
    ).all()
    starts = []
    year, month = on.year, on.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    starts.reverse()
    result = []
    for start in starts:
        in_month = sum(1 for d in firsts if (d.year, d.month) == (start.year, start.month))
        by_end = sum(1 for d in firsts if (d.year, d.month) <= (start.year, start.month))
        result.append(MonthCount(start, in_month, by_end))
    return result
