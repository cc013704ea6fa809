"""Rendered parts of pages kept in memory by each app (one per server process), for as
long as the versions in the database are the ones they were built at.

The caseload and mentor pages keep their lists here, by a key that names everything
that shapes them besides the data (the viewer, their roles, the filters, the language,
the day, and which mentees are assigned to the viewer now): a part is never shared
between viewers. The data is covered by two versions that triggers set afresh on any
change, whoever makes it (`models.totals`): "curriculum" and "caseload". So several app
servers can each keep their own copy; a page costs one tiny query (the versions) and the
query of the viewer's assignments instead of a dozen queries and the rendering.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from threading import Lock
from typing import TypeVar

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CacheVersion
from ..models.totals import CASELOAD_VERSION, CURRICULUM_VERSION

T = TypeVar("T")
# Parts kept per process, the least recently used dropped first.
MAX_PARTS = 256


@dataclass
class _Parts:
    versions: tuple[int | None, ...] | None = None
    parts: OrderedDict[Hashable, object] = field(default_factory=OrderedDict)
    lock: Lock = field(default_factory=Lock)


# Built once, run on the connection (no ORM): it is read on every view of the pages.
_VERSIONS = select(CacheVersion.name, CacheVersion.version).where(
    CacheVersion.name.in_((CURRICULUM_VERSION, CASELOAD_VERSION))
)


def page_versions() -> tuple[int | None, ...]:
    """The curriculum and caseload versions now, in one query (None: never set)."""
    found = {name: version for name, version in db.session.connection().execute(_VERSIONS)}
    return found.get(CURRICULUM_VERSION), found.get(CASELOAD_VERSION)


def cached_part(key: Hashable, build: Callable[[], T]) -> T:
    """`build()`, from memory while the versions are the ones it was built at. `key` must
    name the viewer and everything else the part depends on besides the data."""
    versions = page_versions()
    cache: _Parts = current_app.extensions.setdefault("skills.page_parts", _Parts())
    with cache.lock:
        if cache.versions != versions:
            cache.versions, cache.parts = versions, OrderedDict()
        part = cache.parts.get(key)
        if part is not None:
            cache.parts.move_to_end(key)
            return part  # type: ignore[return-value]
    # Built from what this request reads after the versions: a change it cannot see yet
    # comes with new versions, so nothing stale is kept under these.
    part = build()
    if None not in versions:
        with cache.lock:
            if cache.versions == versions:
                cache.parts[key] = part
                while len(cache.parts) > MAX_PARTS:
                    cache.parts.popitem(last=False)
    return part
