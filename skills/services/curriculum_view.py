"""The curricula one organisation uses, read once per page in four queries and shaped
for progress pages (`in_use_by` decides which curricula), with every text in one
language: its translation where the file gives one, else the English (`in_language`).

The view is a plain immutable value built from the database (no ORM objects, nothing
read later), so it may be kept and shared for as long as the curricula do not change.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, Protocol

from flask_babel import get_locale
from sqlalchemy import select

from ..extensions import db
from ..models import Curriculum, Domain, Level, Skill
from ..models.curriculum import (
    curriculum_ids_in_use,
    in_language,
    in_use_by,
    recheck_due_on,
    translation,
)
from .languages import DEFAULT_LANGUAGE, LANGUAGES


def reading_language() -> str:
    """The language text is shown in here: Babel's locale of this request or app context
    (the reader's, or the one a report forces for a mentee's copy); English outside any."""
    locale = get_locale()
    language = locale.language if locale is not None else DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class CurriculumItem:
    id: int
    key: str
    title: str
    signed_off_level: int
    organisation_id: int | None


@dataclass(frozen=True)
class LevelItem:
    curriculum_id: int
    value: int
    name: str  # staff wording
    mentee_text: str  # what the mentee reads


@dataclass(frozen=True)
class DomainItem:
    id: int
    curriculum_id: int
    key: str
    title: str
    summary: str
    icon: str
    position: int


@dataclass(frozen=True)
class SkillItem:
    id: int
    curriculum_id: int
    domain_id: int
    key: str
    title: str
    i_can: str
    recheck_days: int | None
    position: int

    def recheck_on(self, shown_on: date) -> date | None:
        """When this skill, signed off on `shown_on`, is due for its re-check (if ever)."""
        return recheck_due_on(shown_on, self.recheck_days)


@dataclass(frozen=True)
class SkillDetail(SkillItem):
    """One skill in full, for its own page: the view's fields and its description and
    steps, in one language."""

    description: str
    steps: tuple[str, ...]
    retired: bool


@dataclass(frozen=True)
class CurriculumView:
    """The live (not retired) curricula one organisation uses, shaped for progress pages,
    with their text in `language`."""

    organisation_id: int
    language: str
    curricula: Mapping[int, CurriculumItem]
    levels: Mapping[int, tuple[LevelItem, ...]]  # by curriculum id, lowest first
    domains: tuple[DomainItem, ...]
    skills: Mapping[int, tuple[SkillItem, ...]]  # by domain id, in curriculum order

    def level(self, curriculum_id: int, value: int) -> LevelItem | None:
        return next((lv for lv in self.levels.get(curriculum_id, ()) if lv.value == value), None)

    def signed_off_level(self, curriculum_id: int) -> int:
        return self.curricula[curriculum_id].signed_off_level

    @property
    def skill_count(self) -> int:
        return sum(len(s) for s in self.skills.values())


class _Texts:
    """Reads a row's text fields in one language (its `translations` column is read only
    when the language is not English)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.translated = language != DEFAULT_LANGUAGE

    def columns(self, model: Any) -> list[Any]:
        return [model.translations] if self.translated else []

    def __call__(self, row: Any, name: str) -> Any:
        if not self.translated:
            return getattr(row, name)
        return in_language(getattr(row, name), translation(row.translations, name, self.language))


def curriculum_view(organisation_id: int, language: str | None = None) -> CurriculumView:
    """Every live domain and skill of the curricula the organisation uses (`in_use_by`),
    with their level scales, in four queries; text in `language` (default: the
    `reading_language`), English where it has no translation."""
    texts = _Texts(language or reading_language())
    in_use = curriculum_ids_in_use(organisation_id)
    curricula = {
        row.id: CurriculumItem(
            row.id, row.key, texts(row, "title"), row.signed_off_level, row.organisation_id
        )
        for row in db.session.execute(
            select(
                Curriculum.id,
                Curriculum.key,
                Curriculum.title,
                Curriculum.signed_off_level,
                Curriculum.organisation_id,
                *texts.columns(Curriculum),
            )
            .where(in_use_by(organisation_id))
            .order_by(Curriculum.key)
        )
    }
    levels: dict[int, list[LevelItem]] = defaultdict(list)
    for row in db.session.execute(
        select(
            Level.curriculum_id, Level.value, Level.name, Level.mentee_text, *texts.columns(Level)
        )
        .where(Level.curriculum_id.in_(in_use))
        .order_by(Level.curriculum_id, Level.value)
    ):
        levels[row.curriculum_id].append(
            LevelItem(row.curriculum_id, row.value, texts(row, "name"), texts(row, "mentee_text"))
        )
    order = {cid: i for i, cid in enumerate(curricula)}
    domain_rows = db.session.execute(
        select(
            Domain.id,
            Domain.curriculum_id,
            Domain.key,
            Domain.title,
            Domain.summary,
            Domain.icon,
            Domain.position,
            *texts.columns(Domain),
        ).where(Domain.retired.is_(False), Domain.curriculum_id.in_(in_use))
    )
    domains = sorted(
        (
            DomainItem(
                row.id,
                row.curriculum_id,
                row.key,
                texts(row, "title"),
                texts(row, "summary"),
                row.icon,
                row.position,
            )
            for row in domain_rows
        ),
        key=lambda d: (order.get(d.curriculum_id, 0), d.position),
    )
    skills: dict[int, list[SkillItem]] = defaultdict(list)
    # A skill's description and steps are shown only on its own page: not read here.
    for row in db.session.execute(
        select(
            Skill.id,
            Skill.curriculum_id,
            Skill.domain_id,
            Skill.key,
            Skill.title,
            Skill.i_can,
            Skill.recheck_days,
            Skill.position,
            *texts.columns(Skill),
        )
        .where(Skill.retired.is_(False), Skill.curriculum_id.in_(in_use))
        .order_by(Skill.domain_id, Skill.position)
    ):
        skills[row.domain_id].append(
            SkillItem(
                row.id,
                row.curriculum_id,
                row.domain_id,
                row.key,
                texts(row, "title"),
                texts(row, "i_can"),
                row.recheck_days,
                row.position,
            )
        )
    return CurriculumView(
        organisation_id,
        texts.language,
        MappingProxyType(curricula),
        MappingProxyType({cid: tuple(lvs) for cid, lvs in levels.items()}),
        tuple(domains),
        MappingProxyType({did: tuple(s) for did, s in skills.items()}),
    )


def skill_detail(skill: Skill, language: str | None = None) -> SkillDetail:
    """One skill in full, its text in `language` (default: the `reading_language`),
    English where it has no translation; no query."""
    language = language or reading_language()
    return SkillDetail(
        id=skill.id,
        curriculum_id=skill.curriculum_id,
        domain_id=skill.domain_id,
        key=skill.key,
        title=skill.text_in("title", language),
        i_can=skill.text_in("i_can", language),
        recheck_days=skill.recheck_days,
        position=skill.position,
        description=skill.text_in("description", language),
        steps=tuple(skill.text_in("steps", language) or ()),
        retired=skill.retired,
    )


class OfOrganisation(Protocol):
    """Anything of one organisation: a mentee, or a mentee's line on a list page."""

    @property
    def organisation_id(self) -> int: ...


def view_for(
    mentees: Sequence[OfOrganisation], view: CurriculumView | None = None
) -> CurriculumView:
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
