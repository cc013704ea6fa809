"""Curriculum views kept in memory by each app (one per server process), by organisation
and language, for as long as the curriculum version in the database is the one they were
built at.

A page then costs one tiny query (the version) instead of four and a few hundred rows. It
is safe with several app servers: each reads the version from the one database, and
triggers give it a new value on any change to the curriculum tables, whoever makes it
(`models.totals`). The views are immutable values (`curriculum_view`), so sharing one
between requests is safe.
"""

from dataclasses import dataclass, field
from threading import Lock

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CacheVersion
from ..models.totals import CURRICULUM_VERSION
from .curriculum_view import CurriculumView, curriculum_view, reading_language

_versions = CacheVersion.__table__.c
_VERSION = select(_versions.version).where(_versions.name == CURRICULUM_VERSION)


@dataclass
class _Views:
    version: int | None = None
    views: dict[tuple[int, str], CurriculumView] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)


def curriculum_version() -> int | None:
    """The curriculum's version now (None before anything set one)."""
    # On the session's connection: the ORM's statement handling cost more than the query.
    # That skips the autoflush, so flush here: a curriculum change this session has not
    # written yet must count (nothing to do, and no statement, when nothing is pending).
    db.session.flush()
    return db.session.connection().execute(_VERSION).scalar()


def cached_view(organisation_id: int, language: str | None = None) -> CurriculumView:
    """`curriculum_view(organisation_id, language)`, from memory while still current."""
    language = language or reading_language()
    version = curriculum_version()
    cache: _Views = current_app.extensions.setdefault("skills.curriculum_views", _Views())
    key = (organisation_id, language)
    with cache.lock:
        if cache.version != version:
            cache.version, cache.views = version, {}
        view = cache.views.get(key)
    if view is None:
        # Built from what this transaction sees: a change it cannot see yet (committed
        # after the version was read) comes with a new version, so nothing stale is kept.
        view = curriculum_view(organisation_id, language)
        with cache.lock:
            if cache.version == version and version is not None:
                cache.views[key] = view
    return view
