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

from flask_babel import gettext as _

from . import roster_cells as checks
from .roster_cells import Problem, Where

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

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BOM = b"\xef\xbb\xbf"


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

    today: date  # the organisation's date: later start dates are refused
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


def read_files(files: list[tuple[str, bytes]], today: date) -> Roster:
    """Read and check each (name, contents) on its own; problems are collected, not raised.
    `today` is the organisation's date: a start date after it is refused."""
    roster = Roster(today=today)
    for name, raw in files:
        _read_file(roster, name, raw)
    return roster


def _decode(name: str, raw: bytes) -> tuple[str | None, Problem | None]:
    if len(raw) > MAX_BYTES:
        return None, Problem(
            name,
            None,
            None,
            _(
                "the file is larger than %(mb)d MB; one import takes up to %(mb)d MB a file "
                "and %(rows)s rows in all. Split it and import the parts one by one.",
                mb=MAX_BYTES // (1024 * 1024),
                rows=f"{MAX_ROWS:,}",
            ),
        )
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"\xd0\xcf\x11\xe0"):
        return None, Problem(
            name,
            None,
            None,
            _(
                "this is a spreadsheet workbook, not a CSV file; save it as “CSV UTF-8 "
                "(comma delimited)” and import that file."
            ),
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
            _(
                "not UTF-8 text (byte 0x%(byte)02X); save the file as “CSV UTF-8” and "
                "import it again.",
                byte=raw[exc.start],
            ),
        )
    if not text.strip(" \t\r\n,;"):
        return None, Problem(
            name,
            None,
            None,
            _("the file is empty; download the template to see what goes in it."),
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
                    name,
                    1,
                    cell.strip(),
                    _("unknown column; the columns are: %(columns)s", columns=", ".join(COLUMNS)),
                )
            )
        elif column in columns:
            problems.append(Problem(name, 1, column, _("this column appears twice")))
        else:
            columns[column] = index
    for column in ("type", "name"):
        if column not in columns:
            problems.append(Problem(name, 1, column, _("missing column")))
    return (None if problems else columns), problems


def _read_file(roster: Roster, name: str, raw: bytes) -> None:
    text, problem = _decode(name, raw)
    if problem is not None or text is None:
        roster.problems.append(problem or Problem(name, None, None, _("cannot read the file")))
        return
    separator = _separator(text)
    if separator != ",":
        roster.notes.append(
            _("%(file)s: read with semicolons between columns.", file=name)
            if separator == ";"
            else _("%(file)s: read with tabs between columns.", file=name)
        )
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
                        _(
                            "more than %(rows)s rows in this import; split the file and "
                            "import the parts one by one.",
                            rows=f"{MAX_ROWS:,}",
                        ),
                    )
                )
                return
            assert columns is not None
            key = tuple(cell.strip() for cell in cells)
            where = Where(name, line)
            if key in seen_rows:
                roster.problems.append(
                    where.problem(
                        None, _("the same row as line %(line)d; remove one", line=seen_rows[key])
                    )
                )
                continue
            seen_rows[key] = line
            kind = _read_row(roster, where, cells, columns)
            if kind:
                kinds_seen.setdefault(kind, line)
    except csv.Error as exc:
        roster.problems.append(
            Problem(name, line + 1, None, _("cannot read this row as CSV (%(error)s).", error=exc))
        )
        return
    if columns is not None and line == 1:
        roster.problems.append(Problem(name, None, None, _("the file has a header but no rows.")))
    for kind in kinds_seen:
        for column in NEEDED[kind]:
            if columns is not None and column not in columns:
                roster.problems.append(
                    Problem(
                        name,
                        1,
                        column,
                        _("missing column: staff rows need it")
                        if kind == "staff"
                        else _("missing column: mentee rows need it"),
                    )
                )


def _read_row(
    roster: Roster, where: Where, cells: list[str], columns: dict[str, int]
) -> str | None:
    """Check one row and add it to the roster; returns its kind when that is known."""
    if len(cells) > len(columns) and any(c.strip() for c in cells[max(columns.values()) + 1 :]):
        roster.problems.append(
            where.problem(
                None,
                _(
                    "has %(cells)d cells but the header has %(columns)d columns; look for a "
                    "stray separator or a missing quote",
                    cells=len(cells),
                    columns=len(columns),
                ),
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
            problems.append(where.problem(column, _("required")))
        return value or ""

    kind = (cell("type") or "").lower()
    if kind not in NEEDED:
        roster.problems.append(where.problem("type", _("must be “staff” or “mentee”")))
        return None
    name = required("name")
    for column, limit in MAX_LENGTH.items():
        value = cell(column) or ""
        if len(value) > limit:
            problems.append(where.problem(column, _("at most %(num)d characters", num=limit)))
    if kind == "staff":
        username = checks.username(where, "username", required("username"), problems)
        checks.once(roster.usernames, "username", username, where, problems)
        roles = checks.roles(where, cell("roles"), problems)
        email = cell("email") or None
        if email and not _EMAIL.match(email):
            problems.append(where.problem("email", _("not an email address")))
        for column in ("record_number", "start_date", "preferred_name", "mentor", "case_manager"):
            if cell(column):
                problems.append(where.problem(column, _("leave empty on a staff row")))
        if not problems:
            roster.staff.append(StaffRow(where, username, name, roles, email))
        else:
            roster.refused_staff.add(username)
    else:
        record_number = required("record_number")
        checks.once(roster.record_numbers, "record_number", record_number, where, problems)
        start = checks.parse_date(
            where, "start_date", required("start_date"), roster.today, problems
        )
        login = cell("username") or ""
        mentee_login = checks.username(where, "username", login, problems) if login else None
        checks.once(roster.usernames, "username", mentee_login or "", where, problems)
        mentors = checks.usernames(where, "mentor", cell("mentor"), problems)
        case_managers = checks.usernames(where, "case_manager", cell("case_manager"), problems)
        for column in ("roles", "email"):
            if cell(column):
                problems.append(where.problem(column, _("leave empty on a mentee row")))
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
