"""The curricula one organisation uses, read once per page in four queries and shaped
for progress pages (`in_use_by` decides which curricula)."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import defer

from ..extensions import db
from ..models import Curriculum, Domain, Level, Mentee, Skill
from ..models.curriculum import curriculum_ids_in_use, in_use_by


@dataclass
class CurriculumView:
    """The live (not retired) curricula one organisation uses, shaped for progress pages."""

    organisation_id: int
    curricula: dict[int, Curriculum]
    levels: dict[int, list[Level]]
    domains: list[Domain]
    skills: dict[int, list[Skill]]  # by domain id, in curriculum order

    def level(self, curriculum_id: int, value: int) -> Level | None:
        return next((lv for lv in self.levels[curriculum_id] if lv.value == value), None)

    def signed_off_level(self, curriculum_id: int) -> int:
        return self.curricula[curriculum_id].signed_off_level

    @property
    def skill_count(self) -> int:
        return sum(len(s) for s in self.skills.values())


def curriculum_view(organisation_id: int) -> CurriculumView:
    """Load every live domain and skill of the curricula the organisation uses
    (`in_use_by`), with their level scales, in four queries."""
    in_use = curriculum_ids_in_use(organisation_id)
    curricula = {
        c.id: c
        for c in db.session.scalars(
            select(Curriculum).where(in_use_by(organisation_id)).order_by(Curriculum.key)
        )
    }
    levels: dict[int, list[Level]] = defaultdict(list)
    for level in db.session.scalars(
        select(Level)
        .where(Level.curriculum_id.in_(in_use))
        .order_by(Level.curriculum_id, Level.value)
    ):
        levels[level.curriculum_id].append(level)
    order = {cid: i for i, cid in enumerate(curricula)}
    domains = sorted(
        db.session.scalars(
            select(Domain).where(Domain.retired.is_(False), Domain.curriculum_id.in_(in_use))
        ),
        key=lambda d: (order.get(d.curriculum_id, 0), d.position),
    )
    skills: dict[int, list[Skill]] = defaultdict(list)
    # A skill's description and steps are shown only on its own page: not read here.
    for skill in db.session.scalars(
        select(Skill)
        .options(defer(Skill.description), defer(Skill.steps))
        .where(Skill.retired.is_(False), Skill.curriculum_id.in_(in_use))
        .order_by(Skill.domain_id, Skill.position)
    ):
        skills[skill.domain_id].append(skill)
    return CurriculumView(organisation_id, curricula, dict(levels), domains, dict(skills))


def view_for(mentees: Sequence[Mentee], view: CurriculumView | None = None) -> CurriculumView:
    """The curriculum view of the one organisation `mentees` belong to (`view` if given).

    Progress read through another organisation's view would count the wrong skills, so
    mixing organisations is a programming error (ValueError), never a silent miscount.
    """
    organisations = {m.organisation_id for m in mentees}
    if view is not None:
        organisations.add(view.organisation_id)
    if len(organisations) > 1:
        raise ValueError(f"mentees of several organizations: {sorted(organisations)}")
    if view is not None:
        return view
    if not organisations:
        raise ValueError("no organization: pass the view for an empty list of mentees")
    return curriculum_view(organisations.pop())
