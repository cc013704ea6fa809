"""Admin changes of several steps made as one: adding a mentee with their login and
staff, deactivating a staff member with their assignments.

Each step is the same service the single-step pages use (`people`, `assignments`), with
its own checks and audit event; the caller commits once, or rolls everything back when
any step is refused.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from ..models import Assignment, Mentee, Organisation, User
from ..timeutil import today
from ..transactions import lock_for_write
from . import mentee_standing, people, people_queries
from .assignments import add_assignment, end_assignment
from .people import PeopleError


class PossibleDuplicate(PeopleError):
    """The new mentee may be someone already on record (`people_queries.same_person_key`)."""

    def __init__(self, others: list[Mentee]) -> None:
        numbers = ", ".join(m.record_number for m in others)
        super().__init__(
            _(
                "A mentee with this name and start date is already on record (%(numbers)s). "
                "If this is a different person, tick the box to add them anyway.",
                numbers=numbers,
            ),
            "confirm_duplicate",
        )
        self.others = others


@dataclass(frozen=True)
class NewMentee:
    """What the add-a-mentee page asks for; only the name and start date are required."""

    full_name: str
    start_date: date
    record_number: str | None = None
    preferred_name: str | None = None
    username: str | None = None  # a mentee login to create and link
    password: str | None = None  # its first password, changed at the first sign-in
    mentor: User | None = None
    case_manager: User | None = None


@dataclass(frozen=True)
class Enrolled:
    mentee: Mentee
    login: User | None
    assignments: list[Assignment] = field(default_factory=list)


def _on_field(name: str, error: PeopleError) -> PeopleError:
    # The steps name the fields of their own pages (staff_id, user_id); say it beside ours.
    return PeopleError(str(error), name)


def enrol_mentee(
    organisation: Organisation,
    new: NewMentee,
    actor: User | None = None,
    *,
    confirm_duplicate: bool = False,
) -> Enrolled:
    """Add a mentee record, optionally with a login, a mentor and a case manager, from
    today; the caller commits. Raises PossibleDuplicate unless `confirm_duplicate`."""
    # One add at a time per organisation, so a double submit finds the first one.
    lock_for_write(Organisation, organisation.id)
    username = (new.username or "").strip()
    if username and not new.password:
        raise PeopleError(
            _("Enter a first password for the login, or leave both empty."), "password"
        )
    if new.password and not username:
        raise PeopleError(_("Enter a username for the login, or leave both empty."), "username")
    if not confirm_duplicate:
        others = people_queries.possible_duplicates(organisation.id, new.full_name, new.start_date)
        if others:
            raise PossibleDuplicate(others)
    mentee = people.create_mentee(
        organisation,
        new.full_name,
        new.start_date,
        record_number=new.record_number,
        preferred_name=new.preferred_name,
        actor=actor,
    )
    login = None
    if username:
        login = people.create_user(
            organisation,
            username,
            mentee.full_name,
            new.password,
            ["mentee"],
            actor=actor,
            must_change_password=True,
        )
        try:
            mentee_standing.link_login(mentee, login, actor=actor)
        except PeopleError as exc:
            raise _on_field("username", exc) from exc
    made = []
    for staff, kind in ((new.mentor, "mentor"), (new.case_manager, "case_manager")):
        if staff is None:
            continue
        try:
            made.append(add_assignment(staff, mentee, kind, today(mentee), actor=actor))
        except PeopleError as exc:
            raise _on_field(f"{kind}_id", exc) from exc
    return Enrolled(mentee, login, made)


def deactivate_staff(
    user: User, *, end_assignments: bool, actor: User | None = None
) -> list[Assignment]:
    """Deactivate `user` and, if asked, end their open assignments effective today (an
    upcoming one on its first day, so it never starts); the caller commits. Returns the
    assignments ended."""
    people.deactivate_user(user, actor=actor)
    if not end_assignments:
        return []
    on = today(user)
    ended = people_queries.open_assignments_of(user, on)
    for assignment in ended:
        end_assignment(assignment, max(on, assignment.starts_on), actor=actor)
    return ended
