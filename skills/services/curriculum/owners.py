"""Who owns a curriculum and which organisations use it.

The shared library (curricula with no organisation) is the platform operator's, loaded
from the command line; an organisation chooses which library curricula it uses and
loads curricula of its own, which only it sees. `models.curriculum.in_use_by` is the
rule for what an organisation's people see; this module changes the choices.
"""

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select

from ...extensions import db
from ...models import Curriculum, CurriculumAdoption, Organisation, User
from ...transactions import lock_for_write
from .. import audit
from ..curriculum_view import reading_language


class OwnershipError(ValueError):
    """A choice of curricula that cannot be made (an unknown or foreign curriculum)."""


def library() -> list[Curriculum]:
    """The shared library's curricula, by title."""
    return list(
        db.session.scalars(
            select(Curriculum)
            .where(Curriculum.organisation_id.is_(None))
            .order_by(Curriculum.title, Curriculum.id)
        )
    )


def adopted_ids(organisation_id: int) -> set[int]:
    """The library curricula the organisation uses."""
    return set(
        db.session.scalars(
            select(CurriculumAdoption.curriculum_id).where(
                CurriculumAdoption.organisation_id == organisation_id
            )
        )
    )


def using(curriculum: Curriculum) -> list[int]:
    """The organisations whose people see `curriculum`: its owner, or the library
    curriculum's adopters."""
    if curriculum.organisation_id is not None:
        return [curriculum.organisation_id]
    return list(
        db.session.scalars(
            select(CurriculumAdoption.organisation_id)
            .where(CurriculumAdoption.curriculum_id == curriculum.id)
            .order_by(CurriculumAdoption.organisation_id)
        )
    )


def adopt_whole_library(organisation: Organisation) -> None:
    """A new organisation starts with every library curriculum (its admin may drop
    some); the caller commits."""
    for curriculum in library():
        db.session.add(
            CurriculumAdoption(organisation_id=organisation.id, curriculum_id=curriculum.id)
        )
    db.session.flush()


def choose(organisation: Organisation, wanted: Iterable[int], actor: User | None) -> list[str]:
    """Use exactly the library curricula `wanted` (ids); audit each change in the
    organisation's log; the caller commits. Returns what changed, for a message.

    Sign-offs already recorded on a curriculum the organisation stops using are kept:
    using it again shows them again.
    """
    # Two saves at once (a double click) would both read the old choice and insert the
    # same row: the second waits here and then reads the first one's result.
    lock_for_write(Organisation, organisation.id)
    catalog = {c.id: c for c in library()}
    wanted_ids = set(wanted)
    unknown = wanted_ids - catalog.keys()
    if unknown:
        raise OwnershipError(
            "Not a curriculum of the shared library: " + ", ".join(map(str, sorted(unknown)))
        )
    current = adopted_ids(organisation.id)
    changes: list[str] = []  # for the person choosing, titles in their language
    language = reading_language()
    # Any: passed on as keywords, which mypy checks against each one.
    via: dict[str, Any] = {} if actor is not None else {"via": "cli"}
    for curriculum_id in sorted(wanted_ids - current):
        db.session.add(
            CurriculumAdoption(organisation_id=organisation.id, curriculum_id=curriculum_id)
        )
        key = catalog[curriculum_id].key
        audit.record(
            "curriculum.use",
            actor,
            organisation_id=organisation.id,
            object_type="curriculum",
            object_id=key,
            **via,
        )
        changes.append(
            _("now using %(title)s", title=catalog[curriculum_id].text_in("title", language))
        )
    for curriculum_id in sorted(current - wanted_ids):
        db.session.execute(
            delete(CurriculumAdoption).where(
                CurriculumAdoption.organisation_id == organisation.id,
                CurriculumAdoption.curriculum_id == curriculum_id,
            )
        )
        audit.record(
            "curriculum.stop_using",
            actor,
            organisation_id=organisation.id,
            object_type="curriculum",
            object_id=catalog[curriculum_id].key,
            **via,
        )
        changes.append(
            _("no longer using %(title)s", title=catalog[curriculum_id].text_in("title", language))
        )
    db.session.flush()
    return changes
