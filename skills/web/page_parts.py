"""The cached lists of the caseload and mentor pages (`services.page_cache`): what a
part's key holds, and what a part is."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from flask import request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from ..services.page_cache import cached_part
from .loading import audit_list


@dataclass(frozen=True)
class ListedPart:
    """A page's rendered lists, and the mentees they show (for the audit log)."""

    html: Markup
    shown: tuple[int, ...]


def listed_part(
    page: str, on: date, assigned: Iterable[int], build: Callable[[], ListedPart]
) -> Markup:
    """The part from memory or `build()`, keyed by everything that shapes it besides the
    data: the viewer and their roles, the query string (filters, sorting), the language,
    the day (who has stalled, what is due) and which mentees are assigned to the viewer
    now (so an ended assignment is never shown from an older copy). Either way the view
    is written to the audit log, with the mentees shown."""
    key = (
        page,
        current_user.id,
        current_user.roles,
        str(get_locale()),
        on,
        tuple(sorted(request.args.items(multi=True))),
        tuple(sorted(assigned)),
    )
    part = cached_part(key, build)
    audit_list(page, list(part.shown))
    return part.html
