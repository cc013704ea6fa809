"""The curriculum as loaded from its data file: levels, domains and skills."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from ..extensions import Model
from ..timeutil import UTCDateTime, utcnow
from .sql_dates import add_days


def counts_as_signed_off(level: Any, signed_off_level: Any) -> Any:
    """The one rule for "signed off": a level at or above the curriculum's signed-off level.

    Plain comparison, so the same function takes ints (Python) or columns (SQL), and
    `Curriculum.signs_off` is the same rule as a hybrid. tests/test_rules.py checks both.
    """
    return level >= signed_off_level


def in_language(english: Any, translation: Any) -> Any:
    """The one rule for curriculum text in a language: its translation when the file
    gave one, else the English."""
    return translation or english


def translation(translations: dict[str, Any] | None, name: str, language: str) -> Any:
    """Field `name`'s translation into `language` from a row's `translations`, or None."""
    return (translations or {}).get(language, {}).get(name)


def translation_sql(model: Any, name: str, language: str) -> ColumnElement[str | None]:
    """`translation` as SQL, for queries that read text column by column (NULL when
    there is none); tests/test_curriculum_translations.py checks the two agree."""
    return model.translations[(language, name)].as_string()


class Translatable:
    """Curriculum text in the program's other languages, kept on the row beside the
    English: {"es": {"title": "...", "steps": ["...", ...]}}. Whoever reads a row has its
    translations too, so no page needs a query of its own for them."""

    translations: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )

    def text_in(self, name: str, language: str) -> Any:
        """Field `name` in `language` (`in_language`)."""
        return in_language(getattr(self, name), translation(self.translations, name, language))


def recheck_due_on(shown_on: date, recheck_days: int | None) -> date | None:
    """The one rule for a re-check: due `recheck_days` after the day a skill was shown at
    the signed-off level; None for a skill with no interval."""
    return shown_on + timedelta(days=recheck_days) if recheck_days else None


def recheck_due_on_sql(shown_on: Any, recheck_days: Any) -> ColumnElement[date]:
    """`recheck_due_on` as SQL: NULL for no interval (none, or 0 days)."""
    return add_days(shown_on, func.nullif(recheck_days, 0))


class Curriculum(Translatable, Model):
    """A curriculum of the shared library (no organisation: the platform operator loads it
    from the command line) or one organisation's own (only its people see it)."""

    __tablename__ = "curricula"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key"),
        # NULLs never clash in a unique constraint: the library's keys need their own index.
        Index(
            "uq_curricula_library_key",
            "key",
            unique=True,
            sqlite_where=text("organisation_id IS NULL"),
            postgresql_where=text("organisation_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(64))
    signed_off_level: Mapped[int] = mapped_column()
    source_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    levels: Mapped[list["Level"]] = relationship(
        order_by="Level.value", cascade="all, delete-orphan", back_populates="curriculum"
    )
    domains: Mapped[list["Domain"]] = relationship(
        order_by="Domain.position", back_populates="curriculum"
    )

    @hybrid_method
    def signs_off(self, level: Any) -> Any:
        """Whether `level` counts as signed off in this curriculum (Python or SQL)."""
        return counts_as_signed_off(level, self.signed_off_level)


class CurriculumAdoption(Model):
    """An organisation uses a curriculum of the shared library. Its own curricula it uses
    without a row here. Stopping is a deleted row; the audit log keeps the history."""

    __tablename__ = "organisation_curricula"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(
        ForeignKey("curricula.id"), primary_key=True, index=True
    )
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def in_use_by(organisation_id: Any) -> ColumnElement[bool]:
    """The one rule for which curricula an organisation's people see: its own, and the
    library curricula it has chosen. A condition on `Curriculum` (or on
    `Curriculum.id` through `curriculum_ids_in_use`); `organisation_id` may be a column."""
    return or_(
        Curriculum.organisation_id == organisation_id,
        Curriculum.id.in_(
            select(CurriculumAdoption.curriculum_id).where(
                CurriculumAdoption.organisation_id == organisation_id
            )
        ),
    )


def curriculum_ids_in_use(organisation_id: Any) -> Select[int]:
    """`in_use_by` as a query of curriculum ids, for `Skill.curriculum_id.in_(...)`."""
    return select(Curriculum.id).where(in_use_by(organisation_id))


class CurriculumLoad(Model):
    """One load of a curriculum file: kept so the curriculum's own history is visible."""

    __tablename__ = "curriculum_loads"

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    source_sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(Text, default="")


class Level(Translatable, Model):
    __tablename__ = "levels"
    __table_args__ = (UniqueConstraint("curriculum_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id"))
    value: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(80))
    mentee_text: Mapped[str] = mapped_column(String(120))

    curriculum: Mapped[Curriculum] = relationship(back_populates="levels")


class Domain(Translatable, Model):
    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("curriculum_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id"))
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300), default="")
    icon: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)

    curriculum: Mapped[Curriculum] = relationship(back_populates="domains")
    skills: Mapped[list["Skill"]] = relationship(order_by="Skill.position", back_populates="domain")


class Skill(Translatable, Model):
    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("curriculum_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    curriculum_id: Mapped[int] = mapped_column(ForeignKey("curricula.id"))
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    i_can: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Days after a sign-off when the mentor should check the skill again (optional).
    recheck_days: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    # Skills are never deleted: one dropped from the file is retired and keeps its history.
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    domain: Mapped[Domain] = relationship(back_populates="skills")

    def recheck_on(self, shown_on: date) -> date | None:
        """When this skill, signed off on `shown_on`, is due for its re-check (if ever)."""
        return recheck_due_on(shown_on, self.recheck_days)
