"""Admin pages: people, mentees, assignments, curriculum, audit log.

Each view checks its permission first (403 for anyone else), loads the object from
the admin's own organisation (404 for anything outside it), calls one service in
`services.people` and commits once. A refused change is shown beside its field and
nothing is saved.
"""

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from .. import permissions
from ..extensions import db
from ..models import (
    Assignment,
    AuditEvent,
    Curriculum,
    CurriculumLoad,
    Domain,
    Mentee,
    User,
)
from ..models.people import ROLE_LABELS
from ..services import audit, people
from ..services import curriculum as curriculum_service
from ..services.passwords import PasswordRejected
from ..services.progress import organisation_summary
from ..timeutil import today
from .admin_forms import (
    AssignmentFilterForm,
    AssignmentForm,
    AuditFilterForm,
    CurriculumUploadForm,
    DischargeForm,
    EndAssignmentForm,
    LinkLoginForm,
    MenteeForm,
    PasswordResetForm,
    UserEditForm,
    UserForm,
)
from .forms import EmptyForm
from .security import start_session

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
MAX_PAGE = 100_000  # keeps the OFFSET inside what every database accepts


# --- Helpers ------------------------------------------------------------------------


def allowed_if(predicate: Callable[[User], bool]):
    """Answer 403 before the view runs unless `predicate(current_user)` allows it."""

    def decorator(view):
        @wraps(view)
        def wrapped(**kwargs):
            permissions.require(predicate(current_user))
            return view(**kwargs)

        return wrapped

    return decorator


def _in_org(model: type[User] | type[Mentee], object_id: int) -> Any:
    """The person or mentee, or 404 when missing or in another organisation."""
    obj = db.session.get(model, object_id)
    if obj is None or obj.organisation_id != current_user.organisation_id:
        abort(404)
    return obj


def _assignment_in_org(assignment_id: int) -> Assignment:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.mentee.organisation_id != current_user.organisation_id:
        abort(404)
    return assignment


def _refused(form: FlaskForm, exc: Exception, field: str | None = None) -> None:
    """Undo the half-done change; show the message beside its field, else at the top."""
    db.session.rollback()
    name = field or getattr(exc, "field", None)
    target = form[name] if name and name in form else None
    if target is not None and target.type != "HiddenField":
        target.errors.append(str(exc))
    else:
        flash(str(exc), "error")


def _version(form: FlaskForm) -> int | None:
    try:
        return int(form.version_id.data)
    except (TypeError, ValueError):
        return None


def _keep_own_session(user: User) -> None:
    # An admin changing their own roles ends their other sessions, not this one. No
    # password was asked for, so the original sign-in time (absolute timeout) stays.
    if user.id != current_user.id:
        return
    signed_in_at = session.get("signed_in_at")
    session.clear()
    login_user(user)
    start_session()
    if signed_in_at:
        session["signed_in_at"] = signed_in_at


@dataclass
class Page:
    """One page of a list; one row more than needed is fetched to know if more follow."""

    items: list
    number: int
    has_next: bool
    endpoint: str
    args: dict

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    def url(self, number: int) -> str:
        return url_for(self.endpoint, **self.args, page=number)


def _paginate(
    query: Select, endpoint: str | None = None, args: dict | None = None, per_page: int = PER_PAGE
) -> Page:
    """The page named by ?page=N of `query`; links go to `endpoint` with `args` (default: this)."""
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    rows = list(db.session.scalars(query.limit(per_page + 1).offset((number - 1) * per_page)))
    if args is None:
        args = {k: v for k, v in request.args.items() if k != "page"}
    return Page(rows[:per_page], number, len(rows) > per_page, endpoint or request.endpoint, args)


def _org_id() -> int:
    return current_user.organisation_id


# --- Dashboard ----------------------------------------------------------------------


@bp.route("/")
@allowed_if(permissions.can_manage_people)
def index():
    """Counts and links for the organisation."""
    org = _org_id()
    counts = {
        "people": db.session.scalar(select(func.count(User.id)).where(User.organisation_id == org)),
        "active_mentees": db.session.scalar(
            select(func.count(Mentee.id)).where(
                Mentee.organisation_id == org, Mentee.status == "active"
            )
        ),
        "current_assignments": db.session.scalar(
            select(func.count(Assignment.id))
            .join(Mentee, Mentee.id == Assignment.mentee_id)
            .where(Mentee.organisation_id == org, permissions.current_assignment(today()))
        ),
    }
    curricula = db.session.scalars(select(Curriculum).order_by(Curriculum.title)).all()
    return render_template(
        "admin/index.html",
        counts=counts,
        curricula=curricula,
        summary=organisation_summary(org),
    )


# --- People -------------------------------------------------------------------------


@bp.route("/people", endpoint="people")
@allowed_if(permissions.can_manage_people)
def people_list():
    """Everyone with a login in the organisation."""
    page = _paginate(
        select(User).where(User.organisation_id == _org_id()).order_by(User.display_name, User.id)
    )
    return render_template("admin/people.html", page=page)


@bp.route("/people/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_new():
    """Add a login."""
    form = UserForm()
    if form.validate_on_submit():
        try:
            user = people.create_user(
                current_user.organisation,
                form.username.data,
                form.display_name.data,
                form.password.data,
                form.roles.data,
                actor=current_user,
            )
        except people.PeopleError as exc:
            _refused(form, exc)
        except PasswordRejected as exc:
            _refused(form, exc, "password")
        else:
            db.session.commit()
            flash(f"{user.display_name} can now sign in as “{user.username}”.", "success")
            return redirect(url_for(".people"))
    return render_template("admin/person_new.html", form=form)


@bp.route("/people/<int:user_id>", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_edit(user_id: int):
    """Change a person's name and roles; a role change ends their sessions."""
    user = _in_org(User, user_id)
    initial = None
    if request.method == "GET":
        initial = {
            "display_name": user.display_name,
            "roles": sorted(user.role_set),
            "version_id": user.version_id,
        }
    form = UserEditForm(data=initial)
    if form.validate_on_submit():
        try:
            people.update_user(
                user, form.display_name.data, form.roles.data, _version(form), actor=current_user
            )
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            _keep_own_session(user)
            flash(f"Saved the changes to {user.display_name}.", "success")
            return redirect(url_for(".person_edit", user_id=user.id))
    return render_template("admin/person_edit.html", user=user, form=form)


def _set_active(user_id: int, change: Callable[..., None], done: str):
    user = _in_org(User, user_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            change(user, actor=current_user)
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(done.format(name=user.display_name), "success")
    return redirect(url_for(".person_edit", user_id=user.id))


@bp.route("/people/<int:user_id>/deactivate", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def person_deactivate(user_id: int):
    """Stop a person signing in; their sessions end at once."""
    return _set_active(user_id, people.deactivate_user, "{name} can no longer sign in.")


@bp.route("/people/<int:user_id>/reactivate", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def person_reactivate(user_id: int):
    """Let a deactivated person sign in again."""
    return _set_active(user_id, people.reactivate_user, "{name} can sign in again.")


@bp.route("/people/<int:user_id>/password", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def person_password(user_id: int):
    """Set a new password for a person; their sessions end."""
    user = _in_org(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            people.reset_password(user, form.password.data, actor=current_user)
        except PasswordRejected as exc:
            _refused(form, exc, "password")
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"New password set for {user.display_name}. Tell them in person.", "success")
            return redirect(url_for(".person_edit", user_id=user.id))
    return render_template("admin/person_password.html", user=user, form=form)


# --- Mentees ------------------------------------------------------------------------


def _staff_by_mentee(mentee_ids: list[int]) -> dict[int, dict[str, list[str]]]:
    """Names of current mentors and case managers for each mentee, in one query."""
    staff: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if not mentee_ids:
        return staff
    rows = db.session.execute(
        select(Assignment.mentee_id, Assignment.kind, User.display_name)
        .join(User, User.id == Assignment.staff_id)
        .where(Assignment.mentee_id.in_(mentee_ids), permissions.current_assignment(today()))
        .order_by(User.display_name)
    )
    for mentee_id, kind, name in rows:
        staff[mentee_id][kind].append(name)
    return staff


@bp.route("/mentees")
@allowed_if(permissions.can_manage_people)
def mentees():
    """Every mentee record in the organisation, with their current staff."""
    page = _paginate(
        select(Mentee)
        .where(Mentee.organisation_id == _org_id())
        .options(selectinload(Mentee.user))
        .order_by(Mentee.full_name, Mentee.id)
    )
    staff = _staff_by_mentee([m.id for m in page.items])
    return render_template("admin/mentees.html", page=page, staff=staff)


@bp.route("/mentees/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_new():
    """Add a mentee record; a login can be linked later."""
    form = MenteeForm(data={"start_date": today()} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            mentee = people.create_mentee(
                current_user.organisation,
                form.full_name.data,
                form.start_date.data,
                record_number=form.record_number.data,
                preferred_name=form.preferred_name.data,
                actor=current_user,
            )
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"Added {mentee.name} as record {mentee.record_number}.", "success")
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return render_template("admin/mentee_new.html", form=form)


def _link_form(mentee: Mentee, formdata: bool = False) -> LinkLoginForm:
    form = LinkLoginForm() if formdata else LinkLoginForm(formdata=None)
    logins = db.session.scalars(people.linkable_logins(mentee.organisation_id))
    form.user_id.choices = [
        SelectChoice(user.id, f"{user.display_name} ({user.username})") for user in logins
    ]
    return form


def _mentee_page(
    mentee: Mentee,
    form: MenteeForm | None = None,
    discharge_form: DischargeForm | None = None,
    link_form: LinkLoginForm | None = None,
):
    """The mentee's admin page; a form given in is the one just submitted, errors and all."""
    if form is None:
        form = MenteeForm(
            formdata=None,
            data={
                "full_name": mentee.full_name,
                "preferred_name": mentee.preferred_name or "",
                "record_number": mentee.record_number,
                "start_date": mentee.start_date,
                "version_id": mentee.version_id,
            },
        )
    discharge_form = discharge_form or DischargeForm(formdata=None, data={"discharged_on": today()})
    link_form = link_form or _link_form(mentee)
    assignments = db.session.scalars(
        select(Assignment)
        .where(Assignment.mentee_id == mentee.id)
        .options(selectinload(Assignment.staff))
        .order_by(Assignment.starts_on.desc(), Assignment.id.desc())
    ).all()
    return render_template(
        "admin/mentee_edit.html",
        mentee=mentee,
        form=form,
        discharge_form=discharge_form,
        link_form=link_form,
        assignments=assignments,
        earliest=people.earliest_shown_on(mentee),
        on=today(),
    )


@bp.route("/mentees/<int:mentee_id>", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def mentee_edit(mentee_id: int):
    """Change a mentee's names, record number and start date."""
    mentee = _in_org(Mentee, mentee_id)
    if request.method == "GET":
        return _mentee_page(mentee)
    form = MenteeForm()
    if form.validate_on_submit():
        try:
            people.update_mentee(
                mentee,
                form.full_name.data,
                form.preferred_name.data,
                form.record_number.data,
                form.start_date.data,
                _version(form),
                actor=current_user,
            )
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"Saved the changes to {mentee.name}.", "success")
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, form=form)


@bp.route("/mentees/<int:mentee_id>/discharge", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_discharge(mentee_id: int):
    """Discharge a mentee; their history and assignments stay readable."""
    mentee = _in_org(Mentee, mentee_id)
    form = DischargeForm()
    if form.validate_on_submit():
        try:
            people.discharge_mentee(mentee, form.discharged_on.data, actor=current_user)
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"{mentee.name} is discharged.", "success")
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, discharge_form=form)


@bp.route("/mentees/<int:mentee_id>/readmit", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_readmit(mentee_id: int):
    """Make a discharged mentee active again."""
    mentee = _in_org(Mentee, mentee_id)
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            people.readmit_mentee(mentee, actor=current_user)
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"{mentee.name} is active again.", "success")
    return redirect(url_for(".mentee_edit", mentee_id=mentee.id))


@bp.route("/mentees/<int:mentee_id>/link", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def mentee_link(mentee_id: int):
    """Link a mentee login to this record, so they see their own progress."""
    mentee = _in_org(Mentee, mentee_id)
    form = _link_form(mentee, formdata=True)
    if form.validate_on_submit():
        user = _in_org(User, form.user_id.data)
        try:
            people.link_login(mentee, user, actor=current_user)
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"{user.display_name} now signs in to {mentee.name}'s record.", "success")
            return redirect(url_for(".mentee_edit", mentee_id=mentee.id))
    return _mentee_page(mentee, link_form=form)


# --- Assignments --------------------------------------------------------------------


def _assignment_filters() -> tuple[AssignmentFilterForm, dict[str, str | int]]:
    form = AssignmentFilterForm(formdata=request.args)
    if not form.validate():
        form.show.data = "current"
    args = {"show": form.show.data or "current"}
    if form.mentee.data and not form.mentee.errors:
        args["mentee"] = form.mentee.data.strip()
    page = request.args.get("page", type=int)
    if page and page > 1:  # so a refused end date shows on the page it came from
        args["page"] = page
    return form, args


def _assignments_page(end_errors: dict[int, list[str]] | None = None):
    """The assignments list; `end_errors` holds a refused end date beside its row."""
    filter_form, args = _assignment_filters()
    on = today()
    query = (
        select(Assignment)
        .join(Mentee, Mentee.id == Assignment.mentee_id)
        .join(User, User.id == Assignment.staff_id)
        .where(Mentee.organisation_id == _org_id())
        .options(selectinload(Assignment.staff), selectinload(Assignment.mentee))
        .order_by(Mentee.full_name, Mentee.id, Assignment.starts_on.desc(), Assignment.id.desc())
    )
    if args["show"] == "current":
        query = query.where(Assignment.ends_on.is_(None) | (Assignment.ends_on > on))
    elif args["show"] == "ended":
        query = query.where(Assignment.ends_on <= on)
    if "mentee" in args:
        query = query.where(Mentee.record_number == args["mentee"])
    return render_template(
        "admin/assignments.html",
        page=_paginate(query, ".assignments", {k: v for k, v in args.items() if k != "page"}),
        filter_form=filter_form,
        filter_args=args,
        end_form=EndAssignmentForm(formdata=None, data={"ends_on": on}),
        end_errors=end_errors or {},
        on=on,
    )


@bp.route("/assignments")
@allowed_if(permissions.can_manage_people)
def assignments():
    """Who works with whom, current and ended, with dates."""
    return _assignments_page()


@bp.route("/assignments/new", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_people)
def assignment_new():
    """Assign a mentor or case manager to a mentee."""
    org = _org_id()
    initial = None
    if request.method == "GET":
        initial = {"starts_on": today(), "mentee_id": request.args.get("mentee_id", type=int)}
    form = AssignmentForm(data=initial)
    staff = db.session.scalars(
        select(User)
        .where(
            User.organisation_id == org,
            User.active.is_(True),
            or_(User.roles.contains("mentor"), User.roles.contains("case_manager")),
        )
        .order_by(User.display_name, User.id)
    )
    form.staff_id.choices = [
        SelectChoice(u.id, f"{u.display_name} ({u.role_labels})") for u in staff
    ]
    mentees_ = db.session.scalars(
        select(Mentee)
        .where(Mentee.organisation_id == org, Mentee.status == "active")
        .order_by(Mentee.full_name, Mentee.id)
    )
    form.mentee_id.choices = [
        SelectChoice(m.id, f"{m.full_name} ({m.record_number})") for m in mentees_
    ]
    if form.validate_on_submit():
        staff_member = _in_org(User, form.staff_id.data)
        mentee = _in_org(Mentee, form.mentee_id.data)
        try:
            people.add_assignment(
                staff_member, mentee, form.kind.data, form.starts_on.data, actor=current_user
            )
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(f"{staff_member.display_name} is assigned to {mentee.name}.", "success")
            return redirect(url_for(".assignments", mentee=mentee.record_number))
    return render_template("admin/assignment_new.html", form=form)


@bp.route("/assignments/<int:assignment_id>/end", methods=["POST"])
@allowed_if(permissions.can_manage_people)
def assignment_end(assignment_id: int):
    """End an assignment: access stops on the date given (today by default)."""
    assignment = _assignment_in_org(assignment_id)
    form = EndAssignmentForm()
    if form.validate_on_submit():
        try:
            people.stop_assignment(assignment, form.ends_on.data, actor=current_user)
        except people.PeopleError as exc:
            _refused(form, exc)
        else:
            db.session.commit()
            flash(
                f"{assignment.staff.display_name}'s access to {assignment.mentee.name} "
                f"stops on {assignment.ends_on.isoformat()}.",
                "success",
            )
            return redirect(url_for(".assignments", **_assignment_filters()[1]))
    return _assignments_page(end_errors={assignment.id: list(form.ends_on.errors)})


# --- Curriculum ---------------------------------------------------------------------


@bp.route("/curriculum")
@allowed_if(permissions.can_manage_curriculum)
def curriculum():
    """The loaded curricula, their domains and skills, and the load history."""
    curricula = db.session.scalars(
        select(Curriculum)
        .options(
            selectinload(Curriculum.levels),
            selectinload(Curriculum.domains).selectinload(Domain.skills),
        )
        .order_by(Curriculum.title)
    ).all()
    loads = db.session.execute(
        select(CurriculumLoad, Curriculum.key, User)
        .join(Curriculum, Curriculum.id == CurriculumLoad.curriculum_id)
        .outerjoin(User, User.id == CurriculumLoad.loaded_by_id)
        .order_by(CurriculumLoad.loaded_at.desc(), CurriculumLoad.id.desc())
        .limit(PER_PAGE)
    ).all()
    return render_template("admin/curriculum.html", curricula=curricula, loads=loads)


def _upload_name(filename: str | None) -> str:
    # Only the last part of whatever path the browser sent, for error messages.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    return name or "upload.yaml"


@bp.route("/curriculum/upload", methods=["GET", "POST"])
@allowed_if(permissions.can_manage_curriculum)
def curriculum_upload():
    """Check an uploaded curriculum file and load it; a file with any error loads nothing."""
    form = CurriculumUploadForm()
    errors: list[str] = []
    if form.validate_on_submit():
        filename = _upload_name(form.file.data.filename)
        raw = form.file.data.read()
        try:
            text = raw.decode("utf-8-sig")  # editors on Windows often add a BOM
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            errors = [f"{filename}:{line}: not UTF-8 text; save the file as UTF-8 and try again"]
        else:
            try:
                spec = curriculum_service.parse_curriculum(text, filename)
                summary = curriculum_service.apply_curriculum(spec, loaded_by_id=current_user.id)
            except curriculum_service.CurriculumInvalid as exc:
                db.session.rollback()
                errors = [str(error) for error in exc.errors]
            else:
                # apply_curriculum writes no audit event of its own, so the view does.
                audit.record(
                    "curriculum.load",
                    current_user,
                    object_type="curriculum",
                    object_id=spec.key,
                    version=spec.version,
                    sha256=spec.sha256,
                    added=len(summary.added),
                    updated=len(summary.updated),
                    retired=len(summary.retired),
                    restored=len(summary.restored),
                )
                db.session.commit()
                message = f"Curriculum {summary}."
                if not summary.changed:
                    message += " Nothing had changed."
                flash(message, "success")
                return redirect(url_for(".curriculum"))
    return render_template("admin/curriculum_upload.html", form=form, errors=errors)


# --- Audit log ----------------------------------------------------------------------


def _detail_text(detail: str) -> str:
    """Audit detail as short "name: value" pairs for people to read."""
    if not detail:
        return ""
    try:
        values = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(values, dict):
        return detail
    parts = []
    for name, value in values.items():
        if isinstance(value, list):
            value = ", ".join(map(str, value)) or "none"
        parts.append(f"{name.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def _role_text(roles: str | None) -> str:
    return ", ".join(ROLE_LABELS.get(role, role) for role in (roles or "").split())


@bp.route("/audit", endpoint="audit")
@allowed_if(permissions.can_read_audit)
def audit_log():
    """The organisation's audit log, newest first, with filters."""
    org = _org_id()
    form = AuditFilterForm(formdata=request.args)
    page = Page([], 1, False, ".audit", {})
    if form.validate():
        query = (
            select(AuditEvent)
            .where(AuditEvent.organisation_id == org)
            .options(selectinload(AuditEvent.actor), selectinload(AuditEvent.mentee))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        if form.actor.data and form.actor.data.strip():
            actor_ids = select(User.id).where(
                User.organisation_id == org, User.username == form.actor.data.strip().lower()
            )
            query = query.where(AuditEvent.actor_id.in_(actor_ids))
        if form.mentee.data and form.mentee.data.strip():
            mentee_ids = select(Mentee.id).where(
                Mentee.organisation_id == org, Mentee.record_number == form.mentee.data.strip()
            )
            query = query.where(AuditEvent.mentee_id.in_(mentee_ids))
        if form.action.data and form.action.data.strip():
            # "mentee" finds mentee.create, mentee.update and the rest of that family.
            action = form.action.data.strip()
            query = query.where(
                (AuditEvent.action == action)
                | AuditEvent.action.startswith(action + ".", autoescape=True)
            )
        if form.since.data:
            query = query.where(AuditEvent.at >= datetime.combine(form.since.data, time.min, UTC))
        if form.until.data:
            end = datetime.combine(form.until.data + timedelta(days=1), time.min, UTC)
            query = query.where(AuditEvent.at < end)
        page = _paginate(query)
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        detail_text=_detail_text,
        role_text=_role_text,
    )
