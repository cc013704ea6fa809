"""A report's period and language: which dates it covers, and which locale prints it."""

from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ..i18n import REGION, local_date
from ..models import Mentee
from ..services.curriculum_view import reading_language
from ..services.languages import DEFAULT_LANGUAGE, LANGUAGES
from ..timeutil import today


def mentee_copy_locale(mentee: Mentee) -> str:
    """The locale the mentee's copy is printed in: the language the mentee chose for
    their login, else English. Never the reader's browser: the copy is the mentee's."""
    chosen = getattr(mentee.user, "language", None)
    return f"{chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE}_{REGION}"


def report_language() -> str:
    """The BCP 47 tag of the language being printed in now ("es-US"), for /Lang."""
    return f"{reading_language()}-{REGION}"


def check_period(start: date, end: date) -> None:
    """ValueError, with a message for people, if a period ends before it starts."""
    if start > end:
        # Lazy: read in the language of whoever is shown it.
        raise ValueError(
            _l(
                "The period starts on %(start)s, after it ends on %(end)s. "
                "Choose a start date on or before the end date.",
                start=LazyString(local_date, start),
                end=LazyString(local_date, end),
            )
        )


def resolve_period(
    mentee: Mentee, period_from: date | None, period_to: date | None, on: date | None = None
) -> tuple[date, date]:
    """The report's period: by default from the mentee's start date to today."""
    start = period_from or mentee.start_date
    end = period_to or on or today(mentee)
    check_period(start, end)
    return start, end
