"""The credential a note is signed with, the billing export by month (an admin's
organization, a case manager's caseload) and the billing settings."""

import re
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from ... import permissions
from ...extensions import db
from ...reports.billing_csv import billing_csv
from ...services import audit, billing_settings
from ...services import session_note_queries as queries
from ...services import session_notes as notes
from ...services.organisations import SettingsRefused
from ..forms import submitted
from .blueprint import bp, show_error
from .forms import BillingMonthForm, BillingSettingsForm, CredentialForm

MONTH = re.compile(r"(\d{4})-(\d{2})")


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
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Credential saved."), "success")
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


def _scope() -> tuple[str, list[int] | None]:
    """The export the signed-in person may have (403 for anyone else): the whole
    organization (None), or the mentees on their caseload."""
    scope = permissions.billing_scope(current_user, request.args.get("scope") == "caseload")
    permissions.require(scope is not None)
    if scope == "organisation":
        return "organisation", None
    caseload = permissions.mentees_assigned(current_user, "case_manager")
    return "caseload", [m.id for m in db.session.scalars(caseload)]


@bp.route("/notes/billing")
def billing() -> ResponseReturnValue:
    """A month's session notes for billing: a summary, what is not billed, and the CSV."""
    scope, mentee_ids = _scope()
    form = BillingMonthForm(request.args)
    form.validate()
    chosen = _month(form.month.data)
    if form.month.data and chosen is None:
        form.month.errors = [
            *form.month.errors,
            _("Enter the month as year and month, like 2026-11."),
        ]
        form.month.data = ""  # a month field holds a real month or nothing
    month = chosen or notes.local_now(current_user.organisation).date().replace(day=1)
    if not form.month.data and not form.month.errors:
        form.month.data = f"{month:%Y-%m}"  # the field shows the month the page is about
    data = queries.billing_month(current_user.organisation, month, mentee_ids)
    audit.record(
        "billing.view",
        current_user,
        object_type="billing_month",
        object_id=month.strftime("%Y-%m"),
        scope=scope,
    )
    db.session.commit()
    return render_template("session_notes/billing.html", form=form, data=data, scope=scope), (
        422 if form.month.errors else 200
    )


@bp.route("/notes/billing.csv")
def billing_export() -> ResponseReturnValue:
    """The month's billing CSV, with unsigned and late notes in their own section."""
    scope, mentee_ids = _scope()
    month = _month(request.args.get("month"))
    if month is None:
        abort(400)  # the page's link always names a month
    data = queries.billing_month(current_user.organisation, month, mentee_ids)
    audit.record(
        "billing.export",
        current_user,
        object_type="billing_month",
        object_id=month.strftime("%Y-%m"),
        billable=len(data.billable),
        not_billed=len(data.not_billed),
        scope=scope,
    )
    db.session.commit()
    suffix = "-caseload" if scope == "caseload" else ""
    return Response(
        billing_csv(data),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="billing-{month:%Y-%m}{suffix}.csv"',
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
            "group_modifiers": stored.group_modifiers,
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
                    form.group_modifiers.data or "",
                ),
                current_user,
            )
        except SettingsRefused as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Billing settings saved.") if changes else _("Nothing was changed."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("session_notes/billing_settings.html", form=form), (
        422 if request.method == "POST" else 200
    )
