"""Reading roster CSV files: encoding, separator, header, and each row on its own.

What needs the database (existing people, duplicates among records) is checked in
`services.roster`. Line numbers are the rows a spreadsheet shows: the header is line 1,
and a cell holding a line break still counts as one row.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from ..models import ROLES
from ..timeutil import today
from .people import USERNAME_PATTERN

MAX_BYTES = 2 * 1024 * 1024  # the web upload limit too (MAX_CONTENT_LENGTH)
MAX_ROWS = 2_000  # rows in one import, all files together: a web import stays well inside
# the server's 30-second request timeout (500 rows take about 2 to 5 seconds)
MAX_LISTED = 100  # problems listed; the rest are counted

COLUMNS = (
    "type",
    "username",
    "name",
    "preferred_name",
    "roles",
    "email",
    "record_number",
    "start_date",
    "mentor",
    "case_manager",
)
# Columns each kind of row needs; `name` and `type` every row needs.
NEEDED = {"staff": ("username", "roles"), "mentee": ("record_number", "start_date")}
ALIASES = {"full_name": "name", "login": "username", "record": "record_number"}
# The database's column sizes; a longer value would fail at the insert.
MAX_LENGTH = {"name": 120, "preferred_name": 80, "record_number": 32, "email": 254}
STAFF_ROLES = ("admin", "case_manager", "mentor")
DATE_FORMATS = "YYYY-MM-DD or MM/DD/YYYY (like 2026-01-31 or 01/31/2026)"

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIST_SEPARATORS = re.compile(r"[\s,;/|]+")
_BOM = b"\xef\xbb\xbf"


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


@dataclass
class StaffRow:
    where: Where
    username: str
    name: str
    roles: str  # as `people.normalise_roles` orders them
    email: str | None


@dataclass
class MenteeRow:
    where: Where
    record_number: str
    name: str
    preferred_name: str | None
    start_date: date
    username: str | None  # a mentee login to create or link
    mentors: list[str] = field(default_factory=list)
    case_managers: list[str] = field(default_factory=list)


@dataclass
class Roster:
    """Every file of one import, read: its good rows and the problems found."""

    staff: list[StaffRow] = field(default_factory=list)
    mentees: list[MenteeRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0  # data rows read, all files together
    notes: list[str] = field(default_factory=list)
    # Where each username (staff or mentee login) and record number was first seen.
    usernames: dict[str, Where] = field(default_factory=dict)
    record_numbers: dict[str, Where] = field(default_factory=dict)
    # Staff rows refused for another reason: naming them elsewhere is not a second mistake.
    refused_staff: set[str] = field(default_factory=set)


def read_files(files: list[tuple[str, bytes]]) -> Roster:
    """Read and check each (name, contents) on its own; problems are collected, not raised."""
    roster = Roster()
    for name, raw in files:
        _read_file(roster, name, raw)
    return roster


def _decode(name: str, raw: bytes) -> tuple[str | None, Problem | None]:
    if len(raw) > MAX_BYTES:
        return None, Problem(
            name,
            None,
            None,
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; one import takes up "
            f"to {MAX_BYTES // (1024 * 1024)} MB a file and {MAX_ROWS:,} rows in all. "
            "Split it and import the parts one by one.",
        )
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        return None, Problem(
            name,
            None,
            None,
            "this is a spreadsheet workbook, not a CSV file; save it as “CSV UTF-8 "
            "(comma delimited)” and import that file.",
        )
    raw = raw.removeprefix(_BOM)  # Excel's "CSV UTF-8" starts with one
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(
            name,
            line,
            None,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02X}); save the file as "
            "“CSV UTF-8” and import it again.",
        )
    if not text.strip(" \t\r\n,;"):
        return None, Problem(
            name, None, None, "the file is empty; download the template to see what goes in it."
        )
    return text, None


def _separator(text: str) -> str:
    # The header names the columns, so its separators show what the file uses: a
    # spreadsheet set up for Europe saves "CSV" with semicolons.
    first = text.split("\n", 1)[0]
    counts = {sep: first.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _column_name(cell: str) -> str:
    name = re.sub(r"[\s-]+", "_", cell.strip().lower())
    return ALIASES.get(name, name)


def _header(name: str, cells: list[str]) -> tuple[dict[str, int] | None, list[Problem]]:
    problems = []
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        column = _column_name(cell)
        if not column:
            continue  # a blank heading over an empty column, as spreadsheets leave
        if column not in COLUMNS:
            problems.append(
                Problem(
                    name, 1, cell.strip(), "unknown column; the columns are: " + ", ".join(COLUMNS)
                )
            )
        elif column in columns:
            problems.append(Problem(name, 1, column, "this column appears twice"))
        else:
            columns[column] = index
    for column in ("type", "name"):
        if column not in columns:
            problems.append(Problem(name, 1, column, "missing column"))
    return (None if problems else columns), problems


def _read_file(roster: Roster, name: str, raw: bytes) -> None:
    text, problem = _decode(name, raw)
    if problem is not None or text is None:
        roster.problems.append(problem or Problem(name, None, None, "cannot read the file"))
        return
    separator = _separator(text)
    if separator != ",":
        label = "semicolons" if separator == ";" else "tabs"
        roster.notes.append(f"{name}: read with {label} between columns.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    line = 0
    columns: dict[str, int] | None = None
    kinds_seen: dict[str, int] = {}
    seen_rows: dict[tuple[str, ...], int] = {}
    try:
        for cells in reader:
            line += 1
            if line == 1:
                columns, problems = _header(name, cells)
                roster.problems.extend(problems)
                if columns is None:
                    return
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank rows are common at the end of an export
            roster.rows += 1
            if roster.rows > MAX_ROWS:
                roster.problems.append(
                    Problem(
                        name,
                        line,
                        None,
                        f"more than {MAX_ROWS:,} rows in this import; split the file and "
                        "import the parts one by one.",
                    )
                )
                return
            assert columns is not None
            key = tuple(cell.strip() for cell in cells)
            where = Where(name, line)
            if key in seen_rows:
                roster.problems.append(
                    where.problem(None, f"the same row as line {seen_rows[key]}; remove one")
                )
                continue
            seen_rows[key] = line
            kind = _read_row(roster, where, cells, columns)
            if kind:
                kinds_seen.setdefault(kind, line)
    except csv.Error as exc:
        roster.problems.append(
            Problem(name, line + 1, None, f"cannot read this row as CSV ({exc}).")
        )
        return
    if columns is not None and line == 1:
        roster.problems.append(Problem(name, None, None, "the file has a header but no rows."))
    for kind in kinds_seen:
        for column in NEEDED[kind]:
            if columns is not None and column not in columns:
                roster.problems.append(
                    Problem(name, 1, column, f"missing column: {kind} rows need it")
                )


def _read_row(
    roster: Roster, where: Where, cells: list[str], columns: dict[str, int]
) -> str | None:
    """Check one row and add it to the roster; returns its kind when that is known."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[max(columns.values()) + 1 :]):
        roster.problems.append(
            where.problem(
                None,
                f"has {len(cells)} cells but the header has {len(columns)} columns; look for "
                "a stray separator or a missing quote",
            )
        )
        return None

    def cell(column: str) -> str | None:
        index = columns.get(column)
        if index is None:
            return None
        return cells[index].strip() if index < len(cells) else ""

    problems: list[Problem] = []

    def required(column: str) -> str:
        value = cell(column)
        if value == "":
            problems.append(where.problem(column, "required"))
        return value or ""

    kind = (cell("type") or "").lower()
    if kind not in NEEDED:
        roster.problems.append(where.problem("type", "must be “staff” or “mentee”"))
        return None
    name = required("name")
    for column, limit in MAX_LENGTH.items():
        value = cell(column) or ""
        if len(value) > limit:
            problems.append(where.problem(column, f"at most {limit} characters"))
    if kind == "staff":
        username = _username(where, "username", required("username"), problems)
        _once(roster.usernames, "username", username, where, problems)
        roles = _roles(where, cell("roles"), problems)
        email = cell("email") or None
        if email and not _EMAIL.match(email):
            problems.append(where.problem("email", "not an email address"))
        for column in ("record_number", "start_date", "preferred_name", "mentor", "case_manager"):
            if cell(column):
                problems.append(where.problem(column, "leave empty on a staff row"))
        if not problems:
            roster.staff.append(StaffRow(where, username, name, roles, email))
        else:
            roster.refused_staff.add(username)
    else:
        record_number = required("record_number")
        _once(roster.record_numbers, "record_number", record_number, where, problems)
        start = _date(where, "start_date", required("start_date"), problems)
        login = cell("username") or ""
        mentee_login = _username(where, "username", login, problems) if login else None
        _once(roster.usernames, "username", mentee_login or "", where, problems)
        mentors = _usernames(where, "mentor", cell("mentor"), problems)
        case_managers = _usernames(where, "case_manager", cell("case_manager"), problems)
        for column in ("roles", "email"):
            if cell(column):
                problems.append(where.problem(column, "leave empty on a mentee row"))
        if not problems and start is not None:
            roster.mentees.append(
                MenteeRow(
                    where,
                    record_number,
                    name,
                    cell("preferred_name") or None,
                    start,
                    mentee_login,
                    mentors,
                    case_managers,
                )
            )
    roster.problems.extend(problems)
    return kind


def _once(
    seen: dict[str, Where], column: str, value: str, where: Where, problems: list[Problem]
) -> None:
    """Refuse a username or record number given on an earlier row of the import."""
    if not value:
        return
    earlier = seen.setdefault(value, where)
    if earlier is not where:
        shown = f"record number {value}" if column == "record_number" else f"“{value}”"
        problems.append(where.problem(column, f"{shown} is also on {earlier}"))


def _username(where: Where, column: str, value: str, problems: list[Problem]) -> str:
    username = value.lower()
    if value and not USERNAME_PATTERN.match(username):
        problems.append(
            where.problem(
                column,
                f"“{value}” is not a username: 2–64 lowercase letters, digits, dot, dash "
                "or underscore",
            )
        )
    return username


def _usernames(where: Where, column: str, value: str | None, problems: list[Problem]) -> list[str]:
    names = [n for n in _LIST_SEPARATORS.split(value or "") if n]
    return [_username(where, column, n, problems) for n in dict.fromkeys(names)]


def _roles(where: Where, value: str | None, problems: list[Problem]) -> str:
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
                    "roles", f"unknown role “{part.strip()}”; roles are {', '.join(ROLES)}"
                )
            )
    if not found:
        if value is not None and not any(p.column == "roles" for p in problems):
            problems.append(
                where.problem("roles", "required: one or more of " + ", ".join(STAFF_ROLES))
            )
        return ""
    if not set(found) & set(STAFF_ROLES):
        problems.append(
            where.problem(
                "roles",
                "a staff row needs admin, case_manager or mentor; mentee logins go on "
                "mentee rows (username column)",
            )
        )
    return " ".join(r for r in ROLES if r in found)


def _date(where: Where, column: str, value: str, problems: list[Problem]) -> date | None:
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
            problems.append(where.problem(column, f"“{value}” is not a date; use {DATE_FORMATS}"))
            return None
    except ValueError:
        problems.append(where.problem(column, f"“{value}” is not a real date"))
        return None
    if parsed > today():
        problems.append(where.problem(column, f"{parsed.isoformat()} is in the future"))
        return None
    if parsed.year < 1900:
        problems.append(
            where.problem(column, f"{parsed.isoformat()} is too long ago; check the year")
        )
        return None
    return parsed
