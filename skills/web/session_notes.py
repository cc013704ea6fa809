"""Session notes: the mentor's form, reading and signing, addenda, the mentee's comments,
the credential a note is signed with, and the organisation's billing export."""

import re
import uuid
from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from .. import permissions
from ..extensions import db
from ..models import Mentee, User
from ..models.session_notes import MODES, SessionNote
from ..reports.billing_csv import billing_csv
from ..services import audit, billing_settings
from ..services import session_note_queries as queries
from ..services import session_notes as notes
from ..services.curriculum_view import curriculum_view
from ..services.organisations import SettingsRefused
from .forms import EmptyForm, SelectChoice, choices, submitted
from .loading import audit_view, load_mentee
from .session_note_forms import (
    AddendumForm,
    BillingMonthForm,
    BillingSettingsForm,
    CommentForm,
    CredentialForm,
    SessionNoteForm,
)

bp = Blueprint("session_notes", __name__)

MONTH = re.compile(r"(\d{4})-(\d{2})")


def _show_error(form: FlaskForm, exc: Exception) -> None:
    name = getattr(exc, "field", None)
    target = form[name] if name and name in form else None
    if target is not None and target.type != "HiddenField":
        target.errors = [*target.errors, str(exc)]
    else:
        form.form_errors.append(str(exc))


def _load_note(note_id: int) -> tuple[SessionNote, Mentee]:
    """The note, or 404 (also for another organisation's); 403 for staff who may not read it."""
    note = db.session.get(SessionNote, note_id) or abort(404)
    mentee = load_mentee(
        note.mentee_id,
        lambda user, _: (
            permissions.can_read_session_note(user, note) or permissions.is_self(user, note.mentee)
        ),
        action=None,
    )
    return note, mentee


def _details(form: SessionNoteForm) -> notes.NoteDetails:
    return notes.NoteDetails(
        contact_on=submitted(form.contact_on.data),
        starts_at=submitted(form.starts_at.data),
        ends_at=submitted(form.ends_at.data),
        mode=form.mode.data or "",
        place=form.place.data or "",
        what_we_did=form.what_we_did.data or "",
        how_it_went=form.how_it_went.data or "",
        next_step=form.next_step.data or "",
        note_visibility=form.note_visibility.data or "staff",
        skill_ids=list(form.skill_ids.data or []),
        signoff_ids=list(form.signoff_ids.data or []),
    )


@bp.route("/mentor/notes/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    """Write a session note for one of my mentees (a phone-sized form)."""
    permissions.require(permissions.can_use_mentor_pages(current_user))
    mentees = [
        m
        for m in db.session.scalars(permissions.mentees_assigned(current_user, "mentor"))
        if m.status == "active"
    ]
    form = SessionNoteForm()
    form.mentee_id.choices = [
        SelectChoice("", "Choose a mentee"),
        *choices((m.id, m.name) for m in mentees),
    ]
    view = curriculum_view(current_user.organisation_id)
    form.skill_ids.choices = choices(
        (s.id, s.title) for d in view.domains for s in view.skills.get(d.id, [])
    )
    chosen = next(
        (
            m
            for m in mentees
            if m.id == (form.mentee_id.data or request.args.get("mentee_id", type=int))
        ),
        None,
    )
    now = notes.local_now(current_user.organisation)
    linkable = queries.linkable_signoffs(chosen, current_user, now.date()) if chosen else []
    form.signoff_ids.choices = choices(
        (e.id, f"{e.skill.title} · level {e.level} · {e.shown_on.isoformat()}") for e in linkable
    )
    code = 200
    if request.method == "POST":
        code = 422
        if form.validate_on_submit():
            # Only a mentee offered on the form: any other id gets the same words, so the
            # form never says who another id belongs to.
            mentee = next((m for m in mentees if m.id == form.mentee_id.data), None)
            try:
                if mentee is None:
                    raise notes.SessionNoteError(
                        "Choose one of your mentees from the list.", "mentee_id"
                    )
                note = notes.record_note(
                    mentee,
                    current_user,
                    _details(form),
                    idempotency_key=form.idempotency_key.data or None,
                )
            except notes.SessionNoteError as exc:
                db.session.rollback()
                _show_error(form, exc)
            else:
                db.session.commit()
                flash(
                    f"Session note saved for {mentee.name}. Sign it when it is complete.", "success"
                )
                return redirect(url_for(".show", note_id=note.id))
    else:
        if chosen is not None:
            form.mentee_id.data = chosen.id
            audit_view(chosen, "session_note_form", chosen.id)  # it lists their sign-offs
        form.contact_on.data = now.date()
        form.idempotency_key.data = uuid.uuid4().hex
    return render_template(
        "session_notes/new.html",
        form=form,
        view=view,
        chosen=chosen,
        has_mentees=bool(mentees),
        show_form=chosen is not None or request.method == "POST",
    ), code


@bp.route("/mentees/<int:mentee_id>/notes")
def mentee_notes(mentee_id: int) -> ResponseReturnValue:
    """Every session note about a mentee, newest first (staff)."""
    mentee = load_mentee(mentee_id, permissions.can_view_mentee, action=None)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_notes"))
    if not permissions.can_view_staff_notes(current_user, mentee):
        abort(403)
    audit_view(mentee, "session_notes", mentee.id)
    found = queries.notes_for(mentee, permissions.viewer_for(current_user, mentee))
    return render_template(
        "session_notes/list.html",
        mentee=mentee,
        notes=found,
        parts=queries.parts(n.id for n in found),
        can_write=permissions.can_sign_off(current_user, mentee),
        today=notes.local_now(mentee.organisation).date(),
    )


@bp.route("/notes/<int:note_id>")
def show(note_id: int) -> ResponseReturnValue:
    """One note in full, with its addenda and the mentee's comments; sign it here."""
    note, mentee = _load_note(note_id)
    if permissions.is_self(current_user, mentee):
        return redirect(url_for(".my_note", note_id=note.id))
    audit_view(mentee, "session_note", note.id)
    return _show_page(note, mentee, AddendumForm(), 200)


def _show_page(
    note: SessionNote, mentee: Mentee, addendum: AddendumForm, code: int
) -> ResponseReturnValue:
    return render_template(
        "session_notes/show.html",
        note=note,
        mentee=mentee,
        parts=queries.parts([note.id]),
        can_sign=permissions.can_sign_session_note(current_user, note),
        addendum_form=addendum,
        sign_form=EmptyForm(),
        today=notes.local_now(mentee.organisation).date(),
    ), code


@bp.route("/notes/<int:note_id>/sign", methods=["POST"])
def sign(note_id: int) -> ResponseReturnValue:
    """The author signs the note with their name and credential."""
    note, mentee = _load_note(note_id)
    permissions.require(permissions.can_sign_session_note(current_user, note))
    if EmptyForm().validate_on_submit():
        try:
            notes.sign_note(note, current_user)
        except notes.SessionNoteError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            if exc.field == "credential":
                return redirect(url_for(".credential", next_note=note.id))
        else:
            db.session.commit()
            flash(
                "Note signed late: it is listed apart in the billing export."
                if note.late
                else "Note signed.",
                "info" if note.late else "success",
            )
    return redirect(url_for(".show", note_id=note.id))


@bp.route("/notes/<int:note_id>/addendum", methods=["POST"])
def addendum(note_id: int) -> ResponseReturnValue:
    """Add a correction or addition to a signed note; the note itself stays."""
    note, mentee = _load_note(note_id)
    permissions.require(permissions.can_sign_session_note(current_user, note))
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            notes.add_addendum(note, current_user, submitted(form.text.data))
        except notes.SessionNoteError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Addendum added.", "success")
            return redirect(url_for(".show", note_id=note.id))
    return _show_page(note, mentee, form, 422)


# --- The mentee's own pages -----------------------------------------------------------


def _own_record() -> Mentee:
    permissions.require(permissions.can_use_mentee_pages(current_user))
    return db.session.scalar(select(Mentee).where(Mentee.user_id == current_user.id)) or abort(404)


@bp.route("/me/notes")
def my_notes() -> ResponseReturnValue:
    """Notes from my sessions that my mentor shared with me."""
    mentee = _own_record()
    found = queries.notes_for(mentee, permissions.MENTEE_COPY)
    return render_template(
        "session_notes/mine.html",
        mentee=mentee,
        notes=found,
        parts=queries.parts(n.id for n in found),
    )


def _own_note(note_id: int) -> tuple[SessionNote, Mentee]:
    mentee = _own_record()
    note = db.session.get(SessionNote, note_id)
    # A note not shared with me is, to me, a note that does not exist.
    if note is None or note.mentee_id != mentee.id or not note.note_visible(False):
        abort(404)
    return note, mentee


@bp.route("/me/notes/<int:note_id>")
def my_note(note_id: int) -> ResponseReturnValue:
    """One shared note, and what I said about it."""
    note, mentee = _own_note(note_id)
    return _my_note_page(note, mentee, CommentForm(), 200)


def _my_note_page(
    note: SessionNote, mentee: Mentee, form: CommentForm, code: int
) -> ResponseReturnValue:
    return render_template(
        "session_notes/my_note.html",
        note=note,
        mentee=mentee,
        parts=queries.parts([note.id]),
        form=form,
    ), code


@bp.route("/me/notes/<int:note_id>/comment", methods=["POST"])
def comment(note_id: int) -> ResponseReturnValue:
    """Add my own words to a shared note."""
    note, mentee = _own_note(note_id)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            notes.add_comment(note, current_user, submitted(form.words.data))
        except notes.SessionNoteError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Thank you. Your comment is saved, and your mentor can read it.", "success")
            return redirect(url_for(".my_note", note_id=note.id))
    return _my_note_page(note, mentee, form, 422)


# --- Credential, billing --------------------------------------------------------------


@bp.route("/account/credential", methods=["GET", "POST"])
def credential() -> ResponseReturnValue:
    """The credential I sign session notes with (staff)."""
    permissions.require(permissions.has_caseload(current_user))
    form = CredentialForm(
        data={"credential": current_user.credential or ""} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            notes.set_credential(current_user, form.credential.data or "", current_user)
        except notes.SessionNoteError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Credential saved.", "success")
            back = request.args.get("next_note", type=int)
            return redirect(url_for(".show", note_id=back) if back else url_for("account.index"))
    return render_template("session_notes/credential.html", form=form), (
        422 if request.method == "POST" else 200
    )


def _month(raw: str | None) -> date | None:
    match = MONTH.fullmatch((raw or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 9998:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def _billing_month(form: BillingMonthForm) -> date:
    chosen = _month(form.month.data)
    if form.month.data and chosen is None:
        form.month.errors = [*form.month.errors, "Enter the month as year and month, like 2026-11."]
    today = notes.local_now(current_user.organisation).date()
    return chosen or today.replace(day=1)


@bp.route("/notes/billing")
def billing() -> ResponseReturnValue:
    """A month's session notes for billing: a summary, what is not billed, and the CSV."""
    permissions.require(permissions.can_manage_settings(current_user))
    form = BillingMonthForm(request.args)
    form.validate()
    month = _billing_month(form)
    data = queries.billing_month(current_user.organisation, month)
    audit.record(
        "billing.view", current_user, object_type="billing_month", object_id=month.strftime("%Y-%m")
    )
    db.session.commit()
    return render_template("session_notes/billing.html", form=form, data=data, modes=MODES), (
        422 if form.month.errors else 200
    )


@bp.route("/notes/billing.csv")
def billing_export() -> ResponseReturnValue:
    """The month's billing CSV, with unsigned and late notes in their own section."""
    permissions.require(permissions.can_manage_settings(current_user))
    month = _month(request.args.get("month"))
    if month is None:
        abort(400)
    data = queries.billing_month(current_user.organisation, month)
    audit.record(
        "billing.export",
        current_user,
        object_type="billing_month",
        object_id=month.strftime("%Y-%m"),
        billable=len(data.billable),
        not_billed=len(data.not_billed),
    )
    db.session.commit()
    return Response(
        billing_csv(data),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="billing-{month:%Y-%m}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/notes/billing/settings", methods=["GET", "POST"])
def billing_settings_page() -> ResponseReturnValue:
    """The organisation's service code, modifiers, unit rule and days to sign in."""
    permissions.require(permissions.can_manage_settings(current_user))
    org = current_user.organisation
    stored = billing_settings.current(org)
    form = BillingSettingsForm(
        data={
            "billing_code": stored.code,
            "billing_modifiers": stored.modifiers,
            "unit_minutes": stored.unit_minutes,
            "unit_threshold": stored.unit_threshold,
            "sign_within_days": stored.sign_within_days,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            changes = billing_settings.update(
                org,
                billing_settings.BillingSettings(
                    form.billing_code.data or "",
                    form.billing_modifiers.data or "",
                    submitted(form.unit_minutes.data),
                    submitted(form.unit_threshold.data),
                    submitted(form.sign_within_days.data),
                ),
                current_user,
            )
        except SettingsRefused as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            db.session.commit()
            flash("Billing settings saved." if changes else "Nothing was changed.", "success")
            return redirect(url_for("admin.settings"))
    return render_template("session_notes/billing_settings.html", form=form), (
        422 if request.method == "POST" else 200
    )


# --- Lists of unsigned notes on the mentor's and case manager's home pages ------------


@bp.app_context_processor
def _overdue_lists() -> dict:
    def overdue_session_notes(kind: str) -> list[SessionNote]:
        """Unsigned notes past their day: the mentor's own, or about a case manager's
        caseload (templates/session_notes/_overdue.html)."""
        user: User = current_user
        on = notes.local_now(user.organisation).date()
        if kind == "mentor":
            return queries.overdue_by_mentor(user, on)
        ids = [m.id for m in db.session.scalars(permissions.mentees_assigned(user, "case_manager"))]
        return queries.overdue_for_mentees(ids, on)

    return {"overdue_session_notes": overdue_session_notes}
