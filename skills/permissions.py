"""Every rule of who may see or do what, in one place.

Predicates are plain functions that tests call directly; `require` turns a refusal
into a 403 for views. Staff access to a mentee comes only from a current
assignment, so ending one ends access on the very next request.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeGuard

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Select, bindparam, false, or_, select

from .extensions import db
from .models import Assignment, Curriculum, DidItReport, Mentee, SignoffEvent, Skill, User
from .models.curriculum import in_use_by
from .models.evidence import Photo
from .models.session_notes import SessionNote
from .models.signoffs import sets_a_level
from .timeutil import today

# Mentee lists read by name; the id keeps people of the same name in a stable order.
BY_NAME = (Mentee.full_name, Mentee.id)

# Built once: every staff page and every sign-off asks this. "Current" is the model's
# one rule (`Assignment.is_current`), here in its SQL form.
_KINDS = select(Assignment.kind).where(
    Assignment.staff_id == bindparam("staff"),
    Assignment.mentee_id == bindparam("mentee"),
    # The hybrid's SQL form takes a bound parameter too; its typing allows only a date.
    Assignment.is_current(bindparam("on", type_=Date)),  # type: ignore[arg-type]
)


def assignment_kinds(user: User, mentee: Mentee, on: date | None = None) -> set[str]:
    """The kinds of current assignment ('mentor', 'case_manager') `user` has to `mentee`."""
    params = {"staff": user.id, "mentee": mentee.id, "on": on or today(mentee)}
    return set(db.session.scalars(_KINDS, params))


# TypeGuard: where this is true, mypy knows `user` is a User, not None.
def _usable(user: User | None) -> TypeGuard[User]:
    # Flask-Login's anonymous user is not authenticated (and has no `active`).
    return user is not None and bool(user.is_authenticated) and user.active


def may_know_of(user: User | None, organisation_id: int) -> bool:
    """Whether `user` may learn that a record of this organisation exists. Anyone else is
    answered as if it did not (404, never 403); a refusal inside one's own organisation
    stays a 403, which tells nothing new."""
    return _usable(user) and user.organisation_id == organisation_id


def is_admin_for(user: User | None, mentee: Mentee) -> bool:
    return (
        _usable(user) and user.has_role("admin") and user.organisation_id == mentee.organisation_id
    )


def is_self(user: User | None, mentee: Mentee) -> bool:
    return _usable(user) and user.has_role("mentee") and mentee.user_id == user.id


def can_view_mentee(user: User | None, mentee: Mentee) -> bool:
    """Own record, a current mentor or case manager, or an admin of the organisation."""
    if not _usable(user):
        return False
    if is_self(user, mentee) or is_admin_for(user, mentee):
        return True
    kinds = assignment_kinds(user, mentee)
    return ("mentor" in kinds and user.has_role("mentor")) or (
        "case_manager" in kinds and user.has_role("case_manager")
    )


def can_view_staff_notes(user: User | None, mentee: Mentee) -> bool:
    """Staff-only notes are for staff who may see the mentee, never for the mentee."""
    return can_view_mentee(user, mentee) and not is_self(user, mentee)


@dataclass(frozen=True)
class Viewer:
    """Who a record is read for: decides which notes it holds (`SignoffEvent.note_visible`).

    Services that return notes take one as a required argument, so a caller cannot
    forget to decide and leak staff-only notes by default.
    """

    sees_staff_notes: bool


# The mentee's own copy: what the mentee may read, whoever prints it.
MENTEE_COPY = Viewer(sees_staff_notes=False)


def viewer_for(user: User | None, mentee: Mentee) -> Viewer:
    """The reader `user` is of `mentee`'s record."""
    return Viewer(sees_staff_notes=can_view_staff_notes(user, mentee))


def command_line_viewer(mentee_copy: bool) -> Viewer:
    """The operator at the server's command line reads the staff copy unless printing the
    mentee's own."""
    return MENTEE_COPY if mentee_copy else Viewer(sees_staff_notes=True)


def can_sign_off(user: User | None, mentee: Mentee) -> bool:
    """Only a mentor currently assigned to an active mentee records sign-offs."""
    return (
        _usable(user)
        and user.has_role("mentor")
        and mentee.status == "active"
        and "mentor" in assignment_kinds(user, mentee)
    )


def can_set_goals(user: User | None, mentee: Mentee) -> bool:
    """Goals are the mentee's: set by themself, or by their current mentor with them."""
    return is_self(user, mentee) or can_sign_off(user, mentee)


def can_correct(user: User | None, event: SignoffEvent) -> bool:
    """A mentor corrects their own entries, while still assigned."""
    return _own_entry(user, event) and can_sign_off(user, event.mentee)


class _Entry(Protocol):
    id: int
    recorded_by_id: int
    kind: str
    corrected: bool


def correctable(user: User | None, mentee: Mentee, entries: Iterable[_Entry]) -> set[int]:
    """Of `mentee`'s history entries, the ids `user` may correct (`can_correct`), with
    one assignment check for the whole list. An entry already corrected is corrected
    through its correction."""
    if not can_sign_off(user, mentee):
        return set()
    return {
        entry.id
        for entry in entries
        if _own_entry(user, entry) and sets_a_level(entry.kind, entry.corrected)
    }


def _own_entry(user: User | None, entry: SignoffEvent | _Entry) -> bool:
    # A refresher reminder records no level: there is nothing in it to correct.
    return _usable(user) and entry.recorded_by_id == user.id and entry.kind != "refresher"


def can_sign_session_note(user: User | None, note: SessionNote) -> bool:
    """The mentor who wrote a session note signs it and adds its addenda, even after the
    assignment ends: documenting work already done stays their duty."""
    return _usable(user) and user.has_role("mentor") and note.mentor_id == user.id


def can_edit_session_note(user: User | None, note: SessionNote) -> bool:
    """Its author edits a note until it is signed (each edit kept as a version); after
    that only addenda."""
    return can_sign_session_note(user, note) and not note.signed


def can_read_session_note(user: User | None, note: SessionNote) -> bool:
    """Staff who may read the mentee's staff notes, and the note's author; the mentee
    reads it on their own pages when it is shared with them."""
    return can_view_staff_notes(user, note.mentee) or can_sign_session_note(user, note)


def is_shared_with(user: User | None, note: SessionNote) -> bool:
    """The note is the mentee's own and shared with them: they read it on their pages."""
    return is_self(user, note.mentee) and note.note_visible(False)


def can_comment_on_session_note(user: User | None, note: SessionNote) -> bool:
    """The mentee comments on a note shared with them."""
    return is_shared_with(user, note)


# Photos follow the record they are on: whoever may read that record's note sees them,
# so a photo on a staff-only note is staff-only.
def can_view_photos_of(user: User | None, record: DidItReport | SignoffEvent | SessionNote) -> bool:
    if isinstance(record, SessionNote):
        return can_read_session_note(user, record) or is_shared_with(user, record)
    if isinstance(record, SignoffEvent):
        mentee = record.mentee
        return can_view_mentee(user, mentee) and record.note_visible(
            can_view_staff_notes(user, mentee)
        )
    # "I did it" is the mentee's own word to the staff who follow them.
    return can_view_mentee(user, db.session.get_one(Mentee, record.mentee_id))


def photo_record(photo: Photo) -> DidItReport | SignoffEvent | SessionNote:
    """The one record a photo is on."""
    record = photo.did_it or photo.signoff_event or photo.session_note
    if record is None:  # the table's check constraint makes this impossible
        raise LookupError(f"photo {photo.id} is on no record")
    return record


def can_view_photo(user: User | None, photo: Photo) -> bool:
    return may_know_of(user, photo.organisation_id) and can_view_photos_of(
        user, photo_record(photo)
    )


def can_add_photo(user: User | None, record: DidItReport | SignoffEvent | SessionNote) -> bool:
    """The mentee on their own "I did it"; the mentor on their own sign-off (while
    assigned) or session note."""
    if isinstance(record, DidItReport):
        return is_self(user, db.session.get_one(Mentee, record.mentee_id))
    if isinstance(record, SignoffEvent):
        return (
            _usable(user) and record.recorded_by_id == user.id and can_sign_off(user, record.mentee)
        )
    return can_sign_session_note(user, record)


def can_withdraw_photo(user: User | None, photo: Photo) -> bool:
    """Staff who may see the photo, and the mentee for a photo they added themself."""
    if not (_usable(user) and can_view_photo(user, photo)):
        return False
    return photo.uploaded_by_id == user.id or not is_self(user, photo.mentee)


def can_print(user: User | None, mentee: Mentee) -> bool:
    return can_view_mentee(user, mentee)


def can_use_mentor_pages(user: User | None) -> bool:
    return _usable(user) and user.has_role("mentor")


def can_use_caseload(user: User | None) -> bool:
    return _usable(user) and user.has_role("case_manager")


def can_use_mentee_pages(user: User | None) -> bool:
    return _usable(user) and user.has_role("mentee")


def can_use_admin_pages(user: User | None) -> bool:
    """The admin areas (people, curriculum, the audit log): one role opens them all."""
    return _usable(user) and user.has_role("admin")


# Each admin area asks by its own name, so a view says what it needs; today they agree.
can_manage_people = can_use_admin_pages
can_manage_curriculum = can_use_admin_pages
can_read_audit = can_use_admin_pages
can_manage_settings = can_use_admin_pages


def billing_scope(user: User | None, caseload: bool = False) -> str | None:
    """Which billing export `user` may download: "organisation" for admins,
    "caseload" for case managers (the notes about mentees currently assigned to them;
    also an admin who is a case manager and asks for `caseload`), None for anyone else."""
    if caseload and can_use_caseload(user):
        return "caseload"
    if can_manage_settings(user):
        return "organisation"
    if can_use_caseload(user):
        return "caseload"
    return None


def skill_in_use(organisation_id: int, skill: Skill) -> bool:
    """Whether an organisation's people see `skill`: its curriculum is the organisation's
    own or a library curriculum it uses (`in_use_by`, the one rule). Another
    organisation's own skill is, to them, a skill that does not exist."""
    found = db.session.scalar(
        select(Curriculum.id).where(
            Curriculum.id == skill.curriculum_id, in_use_by(organisation_id)
        )
    )
    return found is not None


def has_caseload(user: User | None) -> bool:
    """Mentors, case managers and admins follow mentees, so print and export a caseload."""
    return _usable(user) and user.has_role("mentor", "case_manager", "admin")


def two_step_required(user: User) -> bool:
    """Two-step sign-in is required of anyone holding a role their organisation names."""
    return user.has_role(*user.organisation.two_step_role_set)


# Each role's start page and its place in the navigation, in the order a person holding
# several roles sees them; the first is their home.
_NAVIGATION = (
    ("mentor", "mentees.mine", _l("My mentees")),
    ("case_manager", "caseload.index", _l("Caseload")),
    ("mentee", "me.progress", _l("My progress")),
    ("admin", "admin.index", _l("Admin")),
)


def navigation(user: User | None) -> list[tuple[str, str]]:
    """(endpoint, label) of each area `user` may use, in menu order; labels in the
    reader's language."""
    if not _usable(user):
        return []
    return [(endpoint, str(label)) for role, endpoint, label in _NAVIGATION if user.has_role(role)]


def home_endpoint(user: User | None) -> str | None:
    """Where `user` starts: the first area of the menu, or None for no usable role."""
    areas = navigation(user)
    return areas[0][0] if areas else None


def mentees_assigned(user: User, kind: str, on: date | None = None) -> Select:
    """Mentees with a current assignment of `kind` to `user`, by name."""
    on = on or today(user)
    return (
        select(Mentee)
        .join(Assignment, Assignment.mentee_id == Mentee.id)
        .where(Assignment.staff_id == user.id, Assignment.kind == kind, Assignment.is_current(on))
        .distinct()
        .order_by(*BY_NAME)
    )


# Built once: the caseload and mentor pages ask it on every view (`mentees_assigned`'s
# rule, ids only). Parameters: staff (a user id), kind, on (a date).
ASSIGNED_IDS = (
    select(Assignment.mentee_id)
    .where(
        Assignment.staff_id == bindparam("staff"),
        Assignment.kind == bindparam("kind"),
        Assignment.is_current(bindparam("on", type_=Date)),  # type: ignore[arg-type]
    )
    .distinct()
)


def mentee_ids_assigned(user: User, kind: str, on: date | None = None) -> list[int]:
    """The ids of `mentees_assigned(user, kind, on)`, in no particular order."""
    params = {"staff": user.id, "kind": kind, "on": on or today(user)}
    # On the connection (no ORM): plain ids.
    return list(db.session.connection().scalars(ASSIGNED_IDS, params))


def mentees_visible(user: User, on: date | None = None) -> Select:
    """Every mentee `user` may see: the organisation for admins, else assignments."""
    on = on or today(user)
    if user.has_role("admin"):
        return _organisation_mentees(user)
    query = select(Mentee).order_by(*BY_NAME)
    staff_kinds = [k for k in ("mentor", "case_manager") if user.has_role(k)]
    assigned = select(Assignment.mentee_id).where(
        Assignment.staff_id == user.id, Assignment.kind.in_(staff_kinds), Assignment.is_current(on)
    )
    return query.where(or_(Mentee.id.in_(assigned), Mentee.user_id == user.id))


def require(allowed: bool) -> None:
    """Abort with 403 unless `allowed`."""
    if not allowed:
        abort(403)


def caseload_for(user: User, on: date | None = None) -> Select:
    """The mentees a person follows: a case manager's caseload, else a mentor's mentees,
    else (admins) the whole organisation."""
    if user.has_role("case_manager"):
        return mentees_assigned(user, "case_manager", on)
    if user.has_role("mentor"):
        return mentees_assigned(user, "mentor", on)
    if user.has_role("admin"):
        return _organisation_mentees(user)
    return select(Mentee).where(false())


def _organisation_mentees(user: User) -> Select:
    """An admin's whole organisation, whatever the assignments (and whatever the date)."""
    return select(Mentee).where(Mentee.organisation_id == user.organisation_id).order_by(*BY_NAME)
