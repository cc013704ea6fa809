"""Checking a roster against the organisation before an import: what is new, what is
already there, and every problem, found with a few queries whatever the file's size.

Reads only. Staff match on username, mentees on record number within the organisation,
assignments on (mentee, staff member, kind) while open (`Assignment.has_ended`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from ..extensions import db
from ..i18n import local_date
from ..models import Assignment, Mentee, Organisation, User
from ..timeutil import today
from .people_queries import mentees_named, same_person_key
from .roster_cells import Problem
from .roster_csv import MAX_LISTED, MenteeRow, Roster, StaffRow, read_files

# The kinds of assignment, and the column naming the staff member for each.
KIND_COLUMNS = (("mentor", "mentor"), ("case_manager", "case_manager"))
_CHUNK = 500  # values per IN (...) list: well inside every database's limit


@dataclass
class RosterPlan:
    """What an import finds and would do; `problems` empty means it may go ahead."""

    new_staff: list[StaffRow] = field(default_factory=list)
    new_mentees: list[MenteeRow] = field(default_factory=list)
    new_logins: list[MenteeRow] = field(default_factory=list)  # mentee logins to create
    links: list[MenteeRow] = field(default_factory=list)  # existing logins to link
    new_assignments: list[tuple[MenteeRow, str, str]] = field(default_factory=list)
    existing_staff: int = 0
    existing_mentees: int = 0
    existing_assignments: int = 0
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[Problem] = field(default_factory=list)  # possible duplicate mentees
    notes: list[str] = field(default_factory=list)

    @property
    def problem_count(self) -> int:
        return len(self.problems)

    def listed_problems(self) -> list[str]:
        """The first MAX_LISTED problems, then how many more there are."""
        lines = [str(p) for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            more = len(self.problems) - MAX_LISTED
            lines.append(_("… and %(count)s more.", count=f"{more:,}"))
        return lines

    def summary(self, done: bool) -> str:
        counts = {
            "staff": _staff_logins(len(self.new_staff)),
            "mentees": _mentee_records(len(self.new_mentees)),
            "logins": _mentee_logins(len(self.new_logins)),
            "links": _existing_logins(len(self.links)),
            "assignments": _assignments(len(self.new_assignments)),
        }
        made = (
            _(
                "Created %(staff)s, %(mentees)s, %(logins)s (and linked %(links)s), "
                "%(assignments)s.",
                **counts,
            )
            if done
            else _(
                "Would create %(staff)s, %(mentees)s, %(logins)s (and linked %(links)s), "
                "%(assignments)s.",
                **counts,
            )
        )
        there = _(
            "Already there: %(staff)s, %(mentees)s, %(assignments)s.",
            staff=_staff_logins(self.existing_staff),
            mentees=_mentee_records(self.existing_mentees),
            assignments=_assignments(self.existing_assignments),
        )
        return f"{made} {there}"


# Counted nouns, each whole for translators ("1 staff login", "2,000 staff logins").
def _staff_logins(n: int) -> str:
    return ngettext("%(count)s staff login", "%(count)s staff logins", n, count=f"{n:,}")


def _mentee_records(n: int) -> str:
    return ngettext("%(count)s mentee record", "%(count)s mentee records", n, count=f"{n:,}")


def _mentee_logins(n: int) -> str:
    return ngettext("%(count)s mentee login", "%(count)s mentee logins", n, count=f"{n:,}")


def _existing_logins(n: int) -> str:
    return ngettext("%(count)s existing login", "%(count)s existing logins", n, count=f"{n:,}")


def _assignments(n: int) -> str:
    return ngettext("%(count)s assignment", "%(count)s assignments", n, count=f"{n:,}")


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def users_named(usernames: set[str]) -> dict[str, User]:
    """The logins with these usernames, in any organisation (usernames are global)."""
    found: dict[str, User] = {}
    for chunk in _chunks(sorted(usernames)):
        found.update(
            (u.username, u)
            for u in db.session.scalars(select(User).where(User.username.in_(chunk)))
        )
    return found


def mentees_numbered(org_id: int, numbers: set[str]) -> dict[str, Mentee]:
    """The organisation's mentees with these record numbers."""
    found: dict[str, Mentee] = {}
    for chunk in _chunks(sorted(numbers)):
        query = select(Mentee).where(
            Mentee.organisation_id == org_id, Mentee.record_number.in_(chunk)
        )
        found.update((m.record_number, m) for m in db.session.scalars(query))
    return found


def _open_assignments(mentee_ids: list[int], on: date) -> set[tuple[int, int, str]]:
    # "Open" as `assignments.add_assignment` sees it: not ended by today.
    found: set[tuple[int, int, str]] = set()
    for chunk in _chunks(mentee_ids):
        rows = db.session.execute(
            select(Assignment.mentee_id, Assignment.staff_id, Assignment.kind).where(
                Assignment.mentee_id.in_(chunk), ~Assignment.has_ended(on)
            )
        )
        found.update((m, s, k) for m, s, k in rows)
    return found


@dataclass
class _Staff:
    """A staff member as the import will find them: a row of these files or a login."""

    roles: frozenset[str]
    active: bool
    user: User | None  # None until a row of these files is created


def plan_import(
    organisation: Organisation, files: list[tuple[str, bytes]], confirm_duplicates: bool = False
) -> RosterPlan:
    """Read and check every file against the organisation; reads only, writes nothing."""
    roster = read_files(files, today(organisation))
    plan = RosterPlan(problems=list(roster.problems), notes=list(roster.notes))
    org_id = organisation.id
    wanted = {r.username for r in roster.staff} | {r.username for r in roster.mentees if r.username}
    wanted |= {u for r in roster.mentees for u in (*r.mentors, *r.case_managers)}
    users = users_named(wanted)
    staff = _plan_staff(plan, roster, users, org_id)
    mentees = mentees_numbered(org_id, {r.record_number for r in roster.mentees})
    _plan_mentees(plan, roster, mentees, users, org_id)
    _flag_duplicates(plan, org_id)
    _plan_assignments(plan, roster, mentees, staff, organisation.name)
    if plan.duplicates and not confirm_duplicates:
        plan.problems.extend(plan.duplicates)
    if any(r.email for r in roster.staff):
        plan.notes.append(
            _("Email addresses were checked but are not stored: logins have no email yet.")
        )
    order = {name: index for index, (name, _) in enumerate(files)}
    plan.problems.sort(key=lambda p: (order.get(p.file, 0), p.line or 0))
    return plan


def _plan_staff(
    plan: RosterPlan, roster: Roster, users: dict[str, User], org_id: int
) -> dict[str, _Staff]:
    staff: dict[str, _Staff] = {}
    for row in roster.staff:  # usernames and record numbers are once each (roster_csv)
        user = users.get(row.username)
        if user is None:
            plan.new_staff.append(row)
            staff[row.username] = _Staff(frozenset(row.roles.split()), True, None)
        elif user.organisation_id != org_id:
            # Usernames are unique across the deployment; say no more about the other login.
            plan.problems.append(
                row.where.problem(
                    "username",
                    _("the username “%(username)s” is already taken", username=row.username),
                )
            )
        else:
            plan.existing_staff += 1
            if row.roles != user.roles or row.name != user.display_name:
                plan.notes.append(
                    _(
                        "%(where)s: %(username)s already exists as %(name)s (%(roles)s); left "
                        "unchanged.",
                        where=row.where,
                        username=row.username,
                        name=user.display_name,
                        roles=user.roles.replace(" ", ", "),
                    )
                )
    for username, user in users.items():
        if user.organisation_id == org_id and username not in staff:
            staff[username] = _Staff(user.role_set, user.active, user)
    return staff


def _plan_mentees(
    plan: RosterPlan,
    roster: Roster,
    mentees: dict[str, Mentee],
    users: dict[str, User],
    org_id: int,
) -> None:
    for row in roster.mentees:
        existing = mentees.get(row.record_number)
        if existing is None:
            plan.new_mentees.append(row)
        else:
            plan.existing_mentees += 1
            if same_person_key(existing.full_name, existing.start_date) != same_person_key(
                row.name, row.start_date
            ):
                plan.notes.append(
                    _(
                        "%(where)s: record %(number)s already exists as %(name)s, started "
                        "%(date)s; left unchanged.",
                        where=row.where,
                        number=row.record_number,
                        name=existing.full_name,
                        date=local_date(existing.start_date),
                    )
                )
        if row.username:
            _plan_login(plan, row, existing, users.get(row.username), org_id)


def _plan_login(
    plan: RosterPlan,
    row: MenteeRow,
    existing: Mentee | None,
    user: User | None,
    org_id: int,
) -> None:
    username = row.username or ""
    if user is None:
        if existing is not None and existing.user_id is not None:
            plan.notes.append(_already_has_login(row))
        else:
            plan.new_logins.append(row)
        return
    if user.organisation_id != org_id:
        plan.problems.append(
            row.where.problem(
                "username", _("the username “%(username)s” is already taken", username=username)
            )
        )
    elif existing is not None and existing.user_id == user.id:
        return  # linked already
    elif not user.has_role("mentee"):
        plan.problems.append(
            row.where.problem(
                "username",
                _("%(username)s is a staff login, not a mentee login", username=username),
            )
        )
    elif not user.active:
        plan.problems.append(
            row.where.problem("username", _("%(username)s is deactivated", username=username))
        )
    elif db.session.scalar(select(Mentee.record_number).where(Mentee.user_id == user.id)):
        plan.problems.append(
            row.where.problem(
                "username",
                _("%(username)s already signs in to another mentee record", username=username),
            )
        )
    elif existing is not None and existing.user_id is not None:
        plan.notes.append(_already_has_login(row))
    else:
        plan.links.append(row)


def _already_has_login(row: MenteeRow) -> str:
    return _(
        "%(where)s: record %(number)s already has a login; left unchanged.",
        where=row.where,
        number=row.record_number,
    )


def _flag_duplicates(plan: RosterPlan, org_id: int) -> None:
    """Possible duplicates: a new mentee with the name and start date of another one."""
    if not plan.new_mentees:
        return
    seen: dict[tuple[str, Any], str] = {}
    for mentee in mentees_named(org_id, {r.name for r in plan.new_mentees}):
        seen.setdefault(
            same_person_key(mentee.full_name, mentee.start_date),
            _("existing record %(number)s", number=mentee.record_number),
        )
    for row in plan.new_mentees:
        key = same_person_key(row.name, row.start_date)
        other = seen.get(key)
        if other is not None:
            plan.duplicates.append(
                row.where.problem(
                    "name",
                    _(
                        "possible duplicate: %(name)s, started %(date)s, is also %(other)s; if "
                        "they are different people, confirm duplicates to import",
                        name=row.name,
                        date=local_date(row.start_date),
                        other=other,
                    ),
                )
            )
        else:
            seen[key] = _(
                "record %(number)s on %(where)s", number=row.record_number, where=row.where
            )


def _plan_assignments(
    plan: RosterPlan,
    roster: Roster,
    mentees: dict[str, Mentee],
    staff: dict[str, _Staff],
    org_name: str,
) -> None:
    existing_ids = [m.id for m in mentees.values()]
    # They share the organisation, so the first one's date is everyone's.
    open_now = _open_assignments(existing_ids, today(next(iter(mentees.values()), None)))
    for row in roster.mentees:
        mentee = mentees.get(row.record_number)
        for kind, column in KIND_COLUMNS:
            for username in row.mentors if kind == "mentor" else row.case_managers:
                person = staff.get(username)
                if person is None and username in roster.refused_staff:
                    continue  # its own row's mistake is reported
                if person is None:
                    plan.problems.append(
                        row.where.problem(
                            column,
                            _(
                                "unknown username “%(username)s”: not a staff row in these "
                                "files nor a person in %(organization)s",
                                username=username,
                                organization=org_name,
                            ),
                        )
                    )
                elif kind not in person.roles:
                    plan.problems.append(
                        row.where.problem(
                            column,
                            _("%(username)s does not have the mentor role", username=username)
                            if kind == "mentor"
                            else _(
                                "%(username)s does not have the case manager role",
                                username=username,
                            ),
                        )
                    )
                elif not person.active:
                    plan.problems.append(
                        row.where.problem(
                            column, _("%(username)s is deactivated", username=username)
                        )
                    )
                elif (
                    mentee is not None
                    and person.user is not None
                    and (mentee.id, person.user.id, kind) in open_now
                ):
                    plan.existing_assignments += 1
                elif mentee is not None and mentee.status != "active":
                    plan.problems.append(
                        row.where.problem(
                            column,
                            _(
                                "record %(number)s is discharged; readmit them first",
                                number=row.record_number,
                            ),
                        )
                    )
                else:
                    plan.new_assignments.append((row, username, kind))
