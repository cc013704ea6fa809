"""Reading the curricula an organisation sees and their load history (loading is
`services.curriculum`; the rule for what an organisation sees is `in_use_by`)."""

from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Curriculum, CurriculumLoad, Domain, User
from ..models.curriculum import in_use_by


def curricula(organisation_id: int) -> list[Curriculum]:
    """The curricula the organisation uses, by title."""
    return list(
        db.session.scalars(
            select(Curriculum).where(in_use_by(organisation_id)).order_by(Curriculum.title)
        )
    )


def curriculum_in_use(organisation_id: int, curriculum_id: int) -> Curriculum | None:
    """The curriculum, with levels, domains and skills loaded, or None when missing or
    not one the organisation uses."""
    return db.session.scalar(
        select(Curriculum)
        .where(Curriculum.id == curriculum_id, in_use_by(organisation_id))
        .options(
            selectinload(Curriculum.levels),
            selectinload(Curriculum.domains).selectinload(Domain.skills),
        )
    )


def curricula_in_full(organisation_id: int) -> list[Curriculum]:
    """The curricula the organisation uses, by title (library first), with levels,
    domains and skills loaded."""
    return list(
        db.session.scalars(
            select(Curriculum)
            .where(in_use_by(organisation_id))
            .options(
                selectinload(Curriculum.levels),
                selectinload(Curriculum.domains).selectinload(Domain.skills),
            )
            .order_by(Curriculum.organisation_id.is_not(None), Curriculum.title, Curriculum.id)
        )
    )


def recent_loads(
    organisation_id: int, limit: int
) -> list[Row[tuple[CurriculumLoad, Curriculum, User | None]]]:
    """The latest `limit` loads of the curricula the organisation uses, newest first:
    (load, curriculum, who loaded it or None for the command line)."""
    return list(
        db.session.execute(
            select(CurriculumLoad, Curriculum, User)
            .join(Curriculum, Curriculum.id == CurriculumLoad.curriculum_id)
            .outerjoin(User, User.id == CurriculumLoad.loaded_by_id)
            .where(in_use_by(organisation_id))
            .order_by(CurriculumLoad.loaded_at.desc(), CurriculumLoad.id.desc())
            .limit(limit)
        )
    )
