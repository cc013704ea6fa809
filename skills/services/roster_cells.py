"""Checking the cells of a roster row on their own: usernames, roles and dates, and
where each problem is (`Problem`, `Where`). Reading the files is `services.roster_csv`."""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..i18n import local_date
from ..models import ROLES
from .people import USERNAME_PATTERN

STAFF_ROLES = ("admin", "case_manager", "mentor")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_LIST_SEPARATORS = re.compile(r"[\s,;/|]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where a spreadsheet user finds it: file, row, column."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


@dataclass(frozen=True)
class Where:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    def problem(self, column: str | None, message: str) -> Problem:
        return Problem(self.file, self.line, column, message)


def once(
    seen: dict[str, Where], column: str, value: str, where: Where, problems: list[Problem]
) -> None:
    """Refuse a username or record number given on an earlier row of the import."""
    if not value:
        return
    earlier = seen.setdefault(value, where)
    if earlier is not where:
        problems.append(
            where.problem(
                column,
                _("record number %(value)s is also on %(where)s", value=value, where=earlier)
                if column == "record_number"
                else _("“%(value)s” is also on %(where)s", value=value, where=earlier),
            )
        )


def username(where: Where, column: str, value: str, problems: list[Problem]) -> str:
    username = value.lower()
    if value and not USERNAME_PATTERN.match(username):
        problems.append(
            where.problem(
                column,
                _(
                    "“%(value)s” is not a username: 2–64 lowercase letters, digits, dot, "
                    "dash or underscore",
                    value=value,
                ),
            )
        )
    return username


def usernames(where: Where, column: str, value: str | None, problems: list[Problem]) -> list[str]:
    names = [n for n in _LIST_SEPARATORS.split(value or "") if n]
    return [username(where, column, n, problems) for n in dict.fromkeys(names)]


def roles(where: Where, value: str | None, problems: list[Problem]) -> str:
    """Roles by key or label ("case_manager", "Case manager"), separated by commas,
    semicolons, slashes or spaces."""
    found: list[str] = []
    for part in re.split(r"[,;/|]+", value or ""):
        words = " ".join(part.lower().replace("_", " ").split())
        if not words:
            continue
        names = words.replace("case manager", "case_manager").split()
        if all(name in ROLES for name in names):
            found.extend(names)
        else:
            problems.append(
                where.problem(
                    "roles",
                    _(
                        "unknown role “%(role)s”; roles are %(roles)s",
                        role=part.strip(),
                        roles=", ".join(ROLES),
                    ),
                )
            )
    if not found:
        if value is not None and not any(p.column == "roles" for p in problems):
            problems.append(
                where.problem(
                    "roles", _("required: one or more of %(roles)s", roles=", ".join(STAFF_ROLES))
                )
            )
        return ""
    if not set(found) & set(STAFF_ROLES):
        problems.append(
            where.problem(
                "roles",
                _(
                    "a staff row needs admin, case_manager or mentor; mentee logins go on "
                    "mentee rows (username column)"
                ),
            )
        )
    return " ".join(r for r in ROLES if r in found)


def parse_date(
    where: Where, column: str, value: str, latest: date, problems: list[Problem]
) -> date | None:
    if not value:
        return None
    match = _ISO.match(value)
    us = _US.match(value)
    try:
        if match:
            parsed = date(int(match[1]), int(match[2]), int(match[3]))
        elif us:
            parsed = date(int(us[3]), int(us[1]), int(us[2]))
        else:
            problems.append(
                where.problem(
                    column,
                    _(
                        "“%(value)s” is not a date; use YYYY-MM-DD or MM/DD/YYYY (like "
                        "2026-01-31 or 01/31/2026)",
                        value=value,
                    ),
                )
            )
            return None
    except ValueError:
        problems.append(where.problem(column, _("“%(value)s” is not a real date", value=value)))
        return None
    if parsed > latest:
        problems.append(
            where.problem(column, _("%(date)s is in the future", date=local_date(parsed)))
        )
        return None
    if parsed.year < 1900:
        problems.append(
            where.problem(
                column, _("%(date)s is too long ago; check the year", date=local_date(parsed))
            )
        )
        return None
    return parsed
