"""Reading the loaded curricula and their load history (loading is `services.curriculum`)."""

from sqlalchemy import Row, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Curriculum, CurriculumLoad, Domain, User


def curricula() -> list[Curriculum]:
    """The loaded curricula, by title."""
    return list(db.session.scalars(select(Curriculum).order_by(Curriculum.title)))


def curricula_in_full() -> list[Curriculum]:
    """The loaded curricula by title, with levels, domains and skills loaded."""
    return list(
        db.session.scalars(
            select(Curriculum)
            .options(
                selectinload(Curriculum.levels),
                selectinload(Curriculum.domains).selectinload(Domain.skills),
            )
            .order_by(Curriculum.title)
        )
    )


def recent_loads(limit: int) -> list[Row[tuple[CurriculumLoad, str, User | None]]]:
    """The latest `limit` loads, newest first: (load, curriculum key, who loaded it or None)."""
    return list(
        db.session.execute(
            select(CurriculumLoad, Curriculum.key, User)
            .join(Curriculum, Curriculum.id == CurriculumLoad.curriculum_id)
            .outerjoin(User, User.id == CurriculumLoad.loaded_by_id)
            .order_by(CurriculumLoad.loaded_at.desc(), CurriculumLoad.id.desc())
            .limit(limit)
        )
    )
