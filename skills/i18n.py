"""Languages and local dates: which language a page speaks, and dates and times shown
in the organisation's time zone, formatted by Babel for that language.

Catalogs live in skills/translations/ (see docs/translations.md for extracting and
compiling them).
"""

from datetime import date, datetime, time, tzinfo
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, speaklater
from markupsafe import Markup, escape

from .extensions import babel
from .services.languages import DEFAULT_LANGUAGE, LANGUAGES
from .timeutil import zone


# Flask-Babel's lazy strings call themselves safe HTML (__html__ returns the text as is),
# so a lazy message carrying a name, `_l("%(name)s is discharged.", name=...)`, would
# reach a page unescaped. No message of ours holds markup: every lazy string escapes.
def _escaped(self: speaklater.LazyString) -> Markup:
    return escape(str(self))


speaklater.LazyString.__html__ = _escaped

# Every deployment serves US programs: formats and zone names as used in the US.
REGION = "US"
BABEL_WIDTHS = ("short", "medium", "long", "full")


def language_of(user: object) -> str:
    """The person's chosen language, else the browser's best match, else English."""
    chosen = getattr(user, "language", None)
    if chosen in LANGUAGES:
        return str(chosen)
    if has_request_context():
        return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _signed_in() -> Any:
    """The signed-in person if this request has already loaded them, else None. Never
    loads them here: a page about an unreachable database is rendered in English rather
    than asking that database who is signed in."""
    if not has_request_context():
        return None
    user = g.get("_login_user")  # where Flask-Login keeps the user it loaded
    return user if user is not None and user.is_authenticated else None


def _select_locale() -> str:
    return f"{language_of(_signed_in())}_{REGION}"


def _select_timezone() -> str | None:
    user = _signed_in()
    return user.organisation.time_zone if user is not None else None  # None: UTC


def _locale() -> Locale:
    return get_locale() or Locale.parse(f"{DEFAULT_LANGUAGE}_{REGION}")


def local_date(value: date | None, format: str = "medium") -> str:
    """A date as readers expect it: "Nov 30, 2026" in English, "30 nov 2026" in Spanish
    ("long": "November 30, 2026"; or a CLDR skeleton such as "MMMMd": "November 30").
    A datetime is first moved to the reader's organisation's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_zone()).date()
    return _formatted(value, format, _locale())


@lru_cache(maxsize=4096)
def _formatted(value: date, format: str, locale: Locale) -> str:
    """Babel's formatting, cached: a batch of reports prints the same few hundred days
    over a hundred thousand times."""
    if format in BABEL_WIDTHS:
        return format_date(value, format, locale=locale)
    return format_skeleton(format, value, locale=locale)


def local_datetime(value: datetime | None, seconds: bool = False) -> str:
    """A stored (UTC) time in the reader's organisation's zone, with the zone's name:
    "Nov 30, 2026, 10:30 PM PST"."""
    if value is None:
        return ""
    locale, local = _locale(), value.astimezone(_zone())
    both = str(locale.datetime_formats["medium"])  # how the language joins date and time
    clock = format_time(local, "medium" if seconds else "short", locale=locale)
    return f"{both.format(clock, local_date(local.date()))} {local.tzname()}"


def local_time(value: time | None) -> str:
    """A wall-clock time (already local, as a session's start): "2:30 PM", "2:30 p.m."."""
    return "" if value is None else format_time(value, "short", locale=_locale())


def iso(value: date | datetime | None) -> str:
    """A date or time for a machine-readable attribute (`<time datetime>`): ISO 8601,
    whole seconds (HTML allows at most three decimals, Python writes six)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()


def _zone() -> tzinfo:
    return zone(_select_timezone())


def html_lang() -> str:
    """The page's `lang`: the language of the locale in use ("en", "es")."""
    return _locale().language


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", f"{DEFAULT_LANGUAGE}_{REGION}")
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    app.jinja_env.filters.update(date=local_date, datetime=local_datetime, time=local_time, iso=iso)
    app.jinja_env.globals.update(html_lang=html_lang, languages=LANGUAGES)
