"""The admin page for the audit log: search and read the organisation's events."""

import json

from flask import render_template, request
from flask.typing import ResponseReturnValue

from ... import permissions
from ...models.people import ROLE_LABELS
from ...services import audit
from . import PER_PAGE, Page, allowed_if, bp, org_id, page_number, page_of
from .forms import AuditFilterForm


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


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


@bp.route("/audit", endpoint="audit")
@allowed_if(permissions.can_read_audit)
def audit_log() -> ResponseReturnValue:
    """The organisation's audit log, newest first, with filters."""
    form = AuditFilterForm(formdata=request.args)
    page = Page([], 1, False, ".audit", {})
    if form.validate():
        wanted = audit.AuditSearch(
            actor=_text(form.actor.data),
            mentee=_text(form.mentee.data),
            action=_text(form.action.data),
            since=form.since.data,
            until=form.until.data,
        )
        page = page_of(audit.search(org_id(), wanted, page_number(), PER_PAGE))
    return render_template(
        "admin/audit.html",
        form=form,
        page=page,
        detail_text=_detail_text,
        role_text=_role_text,
    )
