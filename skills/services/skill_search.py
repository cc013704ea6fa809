"""Finding a skill by a few typed words, over skills already loaded for the page.

Matching runs in Python over the curriculum view a page has already read (a hundred or
so skills), so a search adds no query and no per-mentee cost.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

QUERY_MAX = 100  # characters kept of what was typed
RESULTS_MAX = 12  # a phone screen or two; more words narrow it


@dataclass
class Found(Generic[T]):
    """What a search found: the first `RESULTS_MAX` matches and how many there were."""

    query: str
    items: list[T]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def clean_query(raw: str | None) -> str:
    """What was typed, trimmed, with runs of spaces made one, and cut to `QUERY_MAX`."""
    return " ".join((raw or "").split())[:QUERY_MAX]


def find(items: Iterable[T], query: str, texts: Callable[[T], Iterable[str]]) -> Found[T]:
    """The items whose texts hold every word of `query` (any case, any order), in the
    order given: "bus card" finds "Get a transit card" in "Getting around" only if both
    words are somewhere in its title, "I can" statement or area."""
    words = clean_query(query).casefold().split()
    if not words:
        return Found(query="", items=[], total=0)
    matches = []
    for item in items:
        haystack = " ".join(texts(item)).casefold()
        if all(word in haystack for word in words):
            matches.append(item)
    return Found(query=clean_query(query), items=matches[:RESULTS_MAX], total=len(matches))
