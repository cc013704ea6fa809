"""Loading checked curriculum files into the database.

Loading is keyed by the curriculum id and skill keys, so it is idempotent; a skill
that leaves the file is retired, never deleted, and keeps its history. Every load is
audited here, whoever asks for it: an admin's upload or the command line.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ...extensions import db
from ...models import (
    Curriculum,
    CurriculumLoad,
    Domain,
    Level,
    Mentee,
    SignoffEvent,
    Skill,
    SkillStatus,
    User,
)
from ...models.curriculum import counts_as_signed_off
from ...timeutil import utcnow
from .. import audit, counters
from .owners import using
from .parse import read_curriculum_file
from .spec import CurriculumError, CurriculumInvalid, CurriculumSpec, CurriculumWarning


@dataclass
class LoadSummary:
    key: str
    version: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    # The file's warnings (texts with no translation): loaded all the same.
    warnings: list[CurriculumWarning] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired or self.restored)

    def __str__(self) -> str:
        """In English, as `CurriculumLoad.summary` stores it and the command line prints it;
        `summary_text` reads it back in the reader's language."""
        return (
            f"{self.key} {self.version}: {len(self.added)} skills added, "
            f"{len(self.updated)} updated, {len(self.retired)} retired, "
            f"{len(self.restored)} brought back"
        )


# A stored summary, as `LoadSummary.__str__` writes it (and has since the first load).
_STORED = re.compile(
    r"(?P<key>\S+) (?P<version>.+): (?P<added>\d+) skills added, (?P<updated>\d+) updated, "
    r"(?P<retired>\d+) retired, (?P<restored>\d+) brought back",
    re.DOTALL,
)


def summary_text(stored: str) -> str:
    """A stored load summary (`CurriculumLoad.summary`) in the reader's language; one in
    any other wording shows as stored."""
    match = _STORED.fullmatch(stored)
    if match is None:
        return stored
    return _(
        "%(key)s %(version)s: %(added)s skills added, %(updated)s updated, %(retired)s "
        "retired, %(restored)s brought back",
        **match.groupdict(),
    )


def _assign(obj: object, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def apply_curriculum(
    spec: CurriculumSpec, loaded_by_id: int | None = None, organisation_id: int | None = None
) -> LoadSummary:
    """Bring the database in line with `spec` and audit the load; the caller commits.

    `organisation_id` is the organisation whose own curriculum this is, or None for the
    shared library (the platform operator's, from the command line). Keys are looked up
    within that owner only, so an organisation's file never touches the library's or
    another organisation's curriculum of the same key. `loaded_by_id` is the admin who
    uploaded the file, or None for the command line. Raises CurriculumInvalid (nothing
    changed) when the file would remove a level that recorded sign-offs still use.
    """
    session = db.session
    summary = LoadSummary(spec.key, spec.version, warnings=list(spec.warnings))
    owner = (
        Curriculum.organisation_id.is_(None)
        if organisation_id is None
        else Curriculum.organisation_id == organisation_id
    )
    curriculum = session.scalar(select(Curriculum).where(owner, Curriculum.key == spec.key))
    if curriculum is not None:
        _refuse_removing_used_levels(curriculum, spec)
    else:
        curriculum = Curriculum(key=spec.key, organisation_id=organisation_id)
        session.add(curriculum)

    old_signed_off_level = curriculum.signed_off_level
    header_changed = _assign(
        curriculum,
        {
            "title": spec.title,
            "version": spec.version,
            "signed_off_level": spec.signed_off_level,
            "source_sha256": spec.sha256,
            "translations": spec.translations,
        },
    )
    _sync_levels(curriculum, spec)
    session.flush()

    domains = {
        d.key: d for d in session.scalars(select(Domain).where(Domain.curriculum == curriculum))
    }
    skills = {
        s.key: s for s in session.scalars(select(Skill).where(Skill.curriculum_id == curriculum.id))
    }
    now = utcnow()
    seen_skills: set[str] = set()
    recount = False  # whether the domain counters must be counted again
    for position, dspec in enumerate(spec.domains):
        domain = domains.get(dspec.key)
        if domain is None:
            domain = Domain(curriculum=curriculum, key=dspec.key)
            session.add(domain)
            domains[dspec.key] = domain
        _assign(
            domain,
            {
                "title": dspec.title,
                "summary": dspec.summary,
                "icon": dspec.icon,
                "translations": dspec.translations,
                "position": position,
                "retired": False,
            },
        )
        for skill_position, sspec in enumerate(dspec.skills):
            seen_skills.add(sspec.key)
            values = {
                "domain": domain,
                "title": sspec.title,
                "i_can": sspec.i_can,
                "description": sspec.description,
                "steps": sspec.steps,
                "recheck_days": sspec.recheck_days,
                "translations": sspec.translations,
                "position": skill_position,
            }
            skill = skills.get(sspec.key)
            if skill is not None and skill.domain is not domain:
                recount = True
            if skill is None:
                session.add(Skill(curriculum_id=curriculum.id, key=sspec.key, **values))
                summary.added.append(sspec.key)
                continue
            if skill.retired:
                skill.retired, skill.retired_at = False, None
                summary.restored.append(sspec.key)
            if _assign(skill, values):
                summary.updated.append(sspec.key)

    spec_domains = {d.key for d in spec.domains}
    for key, domain in domains.items():
        if key not in spec_domains:
            domain.retired = True
    for key, skill in skills.items():
        if key not in seen_skills and not skill.retired:
            skill.retired, skill.retired_at = True, now
            summary.retired.append(key)
    session.flush()

    if old_signed_off_level is not None and old_signed_off_level != spec.signed_off_level:
        skill_ids = select(Skill.id).where(Skill.curriculum_id == curriculum.id)
        session.execute(
            update(SkillStatus)
            .where(SkillStatus.skill_id.in_(skill_ids))
            .values(signed_off=counts_as_signed_off(SkillStatus.level, spec.signed_off_level))
        )
        recount = True
    if recount or summary.retired or summary.restored:
        session.flush()
        # Counters are kept per mentee and domain: only this curriculum's users change.
        counters.rebuild(
            None
            if organisation_id is None
            else session.scalars(select(Mentee.id).where(Mentee.organisation_id == organisation_id))
        )
    if summary.changed or header_changed:
        session.add(
            CurriculumLoad(
                curriculum_id=curriculum.id,
                version=spec.version,
                source_sha256=spec.sha256,
                loaded_by_id=loaded_by_id,
                summary=str(summary),
            )
        )
    session.flush()
    _audit_load(curriculum, spec, summary, loaded_by_id)
    session.flush()
    return summary


def _audit_load(
    curriculum: Curriculum, spec: CurriculumSpec, summary: LoadSummary, loaded_by_id: int | None
) -> None:
    """One event in the log of each organisation whose people see the curriculum (its
    owner, or every organisation using the library curriculum); a library curriculum
    nobody uses yet gets one operator-level event (no organisation)."""
    # Every load is audited, even one that changed nothing: someone chose to load it.
    via: dict[str, Any]  # Any: passed on as keywords, which mypy checks against each one
    if loaded_by_id is None:
        # No user: the command line (the platform operator). Say so in the event, since
        # an empty actor alone also means an anonymous web request.
        actor, via = None, {"via": "cli"}
    else:
        actor, via = db.session.get(User, loaded_by_id), {}
    scope = "library" if curriculum.organisation_id is None else "own"
    affected: list[int | None] = [*using(curriculum)] or [None]
    for organisation_id in affected:
        audit.record(
            "curriculum.load",
            actor,
            organisation_id=organisation_id,
            object_type="curriculum",
            object_id=spec.key,
            scope=scope,
            version=spec.version,
            sha256=spec.sha256,
            added=len(summary.added),
            updated=len(summary.updated),
            retired=len(summary.retired),
            restored=len(summary.restored),
            **via,
        )


def _sync_levels(curriculum: Curriculum, spec: CurriculumSpec) -> None:
    existing = {level.value: level for level in curriculum.levels}
    wanted = {level.value for level in spec.levels}
    for level in list(curriculum.levels):
        if level.value not in wanted:
            curriculum.levels.remove(level)
    for lspec in spec.levels:
        found = existing.get(lspec.value)
        if found is None:
            curriculum.levels.append(
                Level(
                    value=lspec.value,
                    name=lspec.name,
                    mentee_text=lspec.mentee_text,
                    translations=lspec.translations,
                )
            )
        else:
            _assign(
                found,
                {
                    "name": lspec.name,
                    "mentee_text": lspec.mentee_text,
                    "translations": lspec.translations,
                },
            )


def _refuse_removing_used_levels(curriculum: Curriculum, spec: CurriculumSpec) -> None:
    wanted = {level.value for level in spec.levels}
    removed = [level.value for level in curriculum.levels if level.value not in wanted]
    if not removed:
        return
    rows = db.session.execute(
        select(SignoffEvent.level, func.count())
        .join(Skill, Skill.id == SignoffEvent.skill_id)
        .where(Skill.curriculum_id == curriculum.id, SignoffEvent.level.in_(removed))
        .group_by(SignoffEvent.level)
    ).all()
    if rows:
        raise CurriculumInvalid(
            [
                CurriculumError(
                    spec.filename,
                    spec.levels_line,
                    _(
                        "level %(value)s cannot be removed: %(count)s recorded sign-offs use it",
                        value=value,
                        count=count,
                    ),
                )
                for value, count in rows
            ]
        )


def load_files(
    paths: Iterable[Path], loaded_by_id: int | None = None, organisation_id: int | None = None
) -> list[LoadSummary]:
    """Check every file first, then load them all (into the library, or as
    `organisation_id`'s own); the caller commits.

    If any file has an error, nothing is loaded and CurriculumInvalid lists them all.
    """
    specs: list[CurriculumSpec] = []
    errors: list[CurriculumError] = []
    for path in paths:
        try:
            specs.append(read_curriculum_file(path))
        except CurriculumInvalid as exc:
            errors.extend(exc.errors)
    if errors:
        raise CurriculumInvalid(errors)
    return [apply_curriculum(spec, loaded_by_id, organisation_id) for spec in specs]
