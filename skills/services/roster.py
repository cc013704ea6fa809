"""Importing a roster: staff, mentees and their assignments from CSV files, in one go.

Everything is checked before anything is written (`plan_import`); the import itself
then calls the same services the admin pages use, so each person, mentee, login and
assignment gets the same rules and audit events, and the caller commits once. Running
the same files again finds everything already there and creates nothing: staff match
on username, mentees on record number within the organisation, assignments on
(mentee, staff member, kind) while open. The file format is in `TEMPLATE` and the
README; reading the files is `services.roster_csv`, checking them
`services.roster_plan`.
"""

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Organisation, User
from ..timeutil import today
from ..transactions import lock_for_write
from . import assignments, audit, mentee_standing, people
from .roster_cells import Problem, Where
from .roster_csv import MAX_BYTES, MAX_ROWS
from .roster_plan import RosterPlan, mentees_numbered, plan_import, users_named

TEMPLATE = """\
type,username,name,preferred_name,roles,email,record_number,start_date,mentor,case_manager
staff,jrivera,Jordan Rivera,,mentor,jordan.rivera@example.org,,,,
staff,mchen,Morgan Chen,,case_manager,,,,,
staff,pkim,Pat Kim,,mentor case_manager,,,,,
mentee,,Samuel Ortiz,Sam,,,R-1001,2026-01-15,jrivera,mchen
mentee,lwashington,Lena Washington,,,,R-1002,01/20/2026,jrivera pkim,mchen
mentee,,Dee Harper,,,,R-1003,2025-11-03,,
"""
__all__ = ["MAX_BYTES", "MAX_ROWS", "RosterInvalid", "RosterPlan", "import_roster", "plan_import"]


class RosterInvalid(ValueError):
    """The files cannot be imported as they are; nothing was written."""

    def __init__(self, plan: RosterPlan) -> None:
        super().__init__(f"{plan.problem_count} problem(s) in the roster; nothing was imported.")
        self.plan = plan


def import_roster(
    organisation: Organisation,
    files: list[tuple[str, bytes]],
    actor: User | None = None,
    *,
    confirm_duplicates: bool = False,
    dry_run: bool = False,
) -> RosterPlan:
    """Check the files, then (unless `dry_run`) create what is missing; the caller commits.

    Raises RosterInvalid, having written nothing the caller will keep, when any row is
    wrong; the caller rolls back. `actor` None means the command line.
    """
    if not dry_run:
        # One import at a time per organisation, and checks that hold until the commit.
        lock_for_write(Organisation, organisation.id)
    plan = plan_import(organisation, files, confirm_duplicates)
    if plan.problems:
        raise RosterInvalid(plan)
    if dry_run:
        return plan
    try:
        _write(plan, organisation, actor)
        db.session.flush()
    except IntegrityError:
        # Another import took a username at the same moment, past our checks.
        db.session.rollback()
        plan.problems.append(
            Problem(
                files[0][0] if files else "import",
                None,
                None,
                _("someone else changed people while this ran; import again"),
            )
        )
    if plan.problems:
        raise RosterInvalid(plan)
    audit.record(
        "roster.import",
        actor,
        object_type="organisation",
        object_id=organisation.id,
        organisation_id=organisation.id,
        via="admin page" if actor is not None else "command line",
        files=[name for name, _ in files],
        staff=len(plan.new_staff),
        mentees=len(plan.new_mentees),
        logins=len(plan.new_logins) + len(plan.links),
        assignments=len(plan.new_assignments),
    )
    return plan


# The services name form fields; the CSV names columns.
_COLUMN_OF_FIELD = {"display_name": "name", "full_name": "name", "user_id": "username"}


def _refused(plan: RosterPlan, where: Where, column: str, exc: people.PeopleError) -> None:
    column = _COLUMN_OF_FIELD.get(column, column)
    plan.problems.append(where.problem(column, str(exc)))


def _write(plan: RosterPlan, organisation: Organisation, actor: User | None) -> None:
    """Create each planned thing through the admin pages' services, in dependency order.

    A refusal is kept as a problem of its row (nothing else is skipped, so every one is
    reported), and the caller then rolls everything back.
    """
    staff = _write_staff(plan, organisation, actor)
    numbers = {r.record_number for r, _, _ in plan.new_assignments}
    numbers |= {r.record_number for r in plan.new_logins + plan.links}
    mentees = mentees_numbered(organisation.id, numbers)
    for row in plan.new_mentees:
        try:
            mentees[row.record_number] = people.create_mentee(
                organisation,
                row.name,
                row.start_date,
                row.record_number,
                row.preferred_name,
                actor=actor,
            )
        except people.PeopleError as exc:
            _refused(plan, row.where, exc.field or "record_number", exc)
    logins = users_named({r.username for r in plan.links if r.username})
    for row in plan.new_logins + plan.links:
        username = row.username or ""
        mentee = mentees.get(row.record_number)
        try:
            user = logins.get(username) or people.create_user(
                organisation, username, row.name, None, ["mentee"], actor=actor
            )
            if mentee is not None:  # else its creation was refused, and that is reported
                mentee_standing.link_login(mentee, user, actor=actor)
        except people.PeopleError as exc:
            _refused(plan, row.where, "username", exc)
    staff |= users_named({u for _, u, _ in plan.new_assignments} - set(staff))
    for row, username, kind in plan.new_assignments:
        person, mentee = staff.get(username), mentees.get(row.record_number)
        if person is None or mentee is None:
            continue  # refused above, and that is reported
        try:
            assignments.add_assignment(person, mentee, kind, today(mentee), actor=actor)
        except people.PeopleError as exc:
            _refused(plan, row.where, kind, exc)


def _write_staff(
    plan: RosterPlan, organisation: Organisation, actor: User | None
) -> dict[str, User]:
    created: dict[str, User] = {}
    for row in plan.new_staff:
        try:
            created[row.username] = people.create_user(
                organisation, row.username, row.name, None, row.roles, actor=actor
            )
        except people.PeopleError as exc:
            _refused(plan, row.where, exc.field or "username", exc)
    return created
