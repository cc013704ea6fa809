"""Caseload transfer: one person's mentees move to another from one date, in one step.

The old assignments end and the new ones start through `services.assignments`, so each
is audited as any other; who recorded each sign-off never changes.
"""

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..i18n import local_date
from ..models import Assignment, AuditEvent, Mentee, User
from ..models.people import ASSIGNMENT_KINDS, ROLE_LABELS
from ..timeutil import today, utcnow
from ..transactions import lock_for_write
from . import audit
from .assignments import assign, end_assignment
from .people import PeopleError

# A transfer may record a handover that already happened, up to a month back; further
# back it would rewrite who was assigned while the old person was still doing the work.
TRANSFER_DAYS_BACK = 30
TRANSFER_DAYS_AHEAD = 365
# A double submit comes within moments; a day bounds the look-up to a few index rows.
_REPLAY_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Transfer:
    """What a caseload transfer did: whose mentees went to whom, from which date."""

    source: User
    target: User
    kind: str
    effective_on: date
    moved: list[Mentee]
    # Already assigned to the target: only the source's assignment ended.
    already_with_target: list[Mentee]
    # True when this was a repeat of a transfer already made with the same form.
    repeated: bool = False


def transfer_date_limits(on: date) -> tuple[date, date]:
    """The earliest and latest effective date a transfer made on `on` may have."""
    return on - timedelta(days=TRANSFER_DAYS_BACK), on + timedelta(days=TRANSFER_DAYS_AHEAD)


def open_caseload(staff: User, kind: str, on: date) -> list[Assignment]:
    """`staff`'s assignments of `kind` not ended by `on` (current or upcoming), mentees
    loaded, by mentee name."""
    return list(
        db.session.scalars(
            select(Assignment)
            .join(Mentee, Mentee.id == Assignment.mentee_id)
            .where(
                Assignment.staff_id == staff.id,
                Assignment.kind == kind,
                Mentee.organisation_id == staff.organisation_id,
                ~Assignment.has_ended(on),
            )
            .options(contains_eager(Assignment.mentee))
            .order_by(Mentee.full_name, Mentee.id, Assignment.starts_on, Assignment.id)
        )
    )


def caseloads(organisation_id: int, on: date) -> list[tuple[User, str, int]]:
    """Everyone in the organisation with mentees not ended by `on`: (person, kind, how
    many mentees), by name."""
    counts = (
        select(
            Assignment.staff_id,
            Assignment.kind,
            func.count(func.distinct(Assignment.mentee_id)).label("mentees"),
        )
        .join(Mentee, Mentee.id == Assignment.mentee_id)
        .where(Mentee.organisation_id == organisation_id, ~Assignment.has_ended(on))
        .group_by(Assignment.staff_id, Assignment.kind)
        .subquery()
    )
    rows = db.session.execute(
        select(User, counts.c.kind, counts.c.mentees)
        .join(counts, counts.c.staff_id == User.id)
        .where(User.organisation_id == organisation_id)
        .order_by(User.display_name, User.id, counts.c.kind)
    )
    return [(user, kind, count) for user, kind, count in rows]


def transfer_caseload(
    source: User,
    target: User,
    kind: str,
    effective_on: date,
    mentee_ids: Collection[int] | None = None,
    *,
    actor: User | None = None,
    idempotency_key: str | None = None,
    on: date | None = None,
) -> Transfer:
    """Move `source`'s mentees of `kind` (all, or those in `mentee_ids`) to `target`.

    On `effective_on` the source's assignment ends and the target's starts: an end date
    is the first day without access (`Assignment.is_current`), so there is no day with
    neither and none with both. An assignment starting later moves on its own start
    date. Sign-offs keep who recorded them. A mentee already assigned to the target
    keeps that assignment; only the source's ends. All or nothing; each ended and
    started assignment is audited, plus one summary. The same `idempotency_key` again
    returns the first result and writes nothing. The caller commits.
    """
    on = on or today(source)
    earliest, latest = transfer_date_limits(on)
    if not earliest <= effective_on <= latest:
        raise PeopleError(
            _(
                "The transfer date must be between %(earliest)s (%(days)d days back) and "
                "%(latest)s (a year ahead).",
                earliest=local_date(earliest),
                days=TRANSFER_DAYS_BACK,
                latest=local_date(latest),
            ),
            "effective_on",
        )
    if kind not in ASSIGNMENT_KINDS:
        raise PeopleError(_("A caseload is a mentor's or a case manager's."), "source")
    if source.organisation_id != target.organisation_id:
        raise PeopleError(_("Both people must belong to the same organization."), "target_id")
    if source.id == target.id:
        raise PeopleError(_("Choose someone else to take over these mentees."), "target_id")
    # Both people, in id order so that two transfers between the same pair cannot
    # deadlock: from here on, a transfer into or out of either waits for this one, so
    # two admins moving the same caseload cannot both create assignments.
    for user_id in sorted((source.id, target.id)):
        lock_for_write(User, user_id)
    if idempotency_key:
        earlier = _earlier_transfer(source, target, kind, effective_on, actor, idempotency_key)
        if earlier is not None:
            return earlier
    role = ROLE_LABELS[kind].lower()
    if not target.active:
        raise PeopleError(_("%(name)s is deactivated.", name=target.display_name), "target_id")
    if not target.has_role(kind):
        raise PeopleError(
            _("%(name)s does not have the %(role)s role.", name=target.display_name, role=role),
            "target_id",
        )

    # Assignments still open on the transfer date and today: a past date does not reach
    # back into assignments that had already ended by themselves.
    caseload = open_caseload(source, kind, max(effective_on, on))
    by_mentee: dict[int, list[Assignment]] = {}
    for assignment in caseload:
        by_mentee.setdefault(assignment.mentee_id, []).append(assignment)
    wanted = set(by_mentee) if mentee_ids is None else set(mentee_ids)
    if not wanted:
        raise PeopleError(
            _("%(name)s has no mentees as %(role)s to move.", name=source.display_name, role=role),
            "source",
        )
    # The target's assignments still open today (or on a later transfer date): one that
    # ended by itself before today does not cover the mentee any more.
    targets = _target_assignments(target, kind, wanted, max(effective_on, on))
    missing = wanted - set(by_mentee) - set(targets)
    if missing:
        raise PeopleError(
            _(
                "%(mentees)s not on %(name)s's caseload as %(role)s on %(date)s. Reload the "
                "page and choose again.",
                mentees=_names(missing, source.organisation_id),
                name=source.display_name,
                role=role,
                date=local_date(effective_on),
            ),
            "mentee_ids",
        )

    moved: list[Mentee] = []
    already: list[Mentee] = []
    for mentee_id in sorted(wanted, key=lambda m: _sort_key(by_mentee, targets, m)):
        olds = by_mentee.get(mentee_id, [])
        if not olds:  # already moved (a repeat): nothing of the source's left to end
            already.append(targets[mentee_id].mentee)
            continue
        starts_on = max(effective_on, min(a.starts_on for a in olds))
        existing = targets.get(mentee_id)
        # Ending the source's assignment while the target's starts later would leave a gap.
        if existing is not None and existing.starts_on > starts_on:
            raise PeopleError(
                _(
                    "%(target)s's assignment to %(name)s starts on %(date)s, after the "
                    "transfer date: choose that date, or leave %(name)s out.",
                    target=target.display_name,
                    name=existing.mentee.name,
                    date=local_date(existing.starts_on),
                ),
                "effective_on",
            )
        # The source's planned end date carries over, if every one of theirs had one.
        planned = [a.ends_on for a in olds]
        ends_on = None if None in planned else max(e for e in planned if e is not None)
        for old in olds:
            end_assignment(old, max(effective_on, old.starts_on), actor=actor)
        # The target's own assignment covers the mentee only if it lasts as long as the
        # source's would have; else a new one carries on from where it stops.
        if existing is not None and (
            existing.ends_on is None or (ends_on is not None and existing.ends_on >= ends_on)
        ):
            already.append(existing.mentee)
            continue
        if existing is not None and existing.ends_on is not None:
            starts_on = max(starts_on, existing.ends_on)
        new = assign(target, olds[0].mentee, kind, starts_on, ends_on, actor=actor)
        moved.append(new.mentee)

    audit.record(
        "caseload.transfer",
        actor,
        organisation_id=source.organisation_id,
        object_type="caseload_transfer",
        object_id=idempotency_key,
        kind=kind,
        source=source.id,
        target=target.id,
        effective_on=effective_on.isoformat(),
        moved=[m.id for m in moved],
        already_with_target=[m.id for m in already],
    )
    return Transfer(source, target, kind, effective_on, moved, already)


def _sort_key(
    by_mentee: dict[int, list[Assignment]], targets: dict[int, Assignment], mentee_id: int
) -> tuple[str, int]:
    olds = by_mentee.get(mentee_id)
    mentee = olds[0].mentee if olds else targets[mentee_id].mentee
    return mentee.full_name, mentee.id


def _target_assignments(
    target: User, kind: str, mentee_ids: set[int], effective_on: date
) -> dict[int, Assignment]:
    """The target's own assignments of `kind` to these mentees not ended by the date."""
    rows = db.session.scalars(
        select(Assignment)
        .join(Mentee, Mentee.id == Assignment.mentee_id)
        .where(
            Assignment.staff_id == target.id,
            Assignment.kind == kind,
            Assignment.mentee_id.in_(mentee_ids),
            Mentee.organisation_id == target.organisation_id,
            ~Assignment.has_ended(effective_on),
        )
        .options(contains_eager(Assignment.mentee))
        .order_by(Assignment.starts_on)
    )
    found: dict[int, Assignment] = {}
    for assignment in rows:
        found.setdefault(assignment.mentee_id, assignment)
    return found


def _names(mentee_ids: set[int], organisation_id: int) -> str:
    """'Alma Ruiz is', 'Alma Ruiz and Bo Lee are', or 'Some of the chosen mentees are'
    (ids from elsewhere are never named)."""
    names = list(
        db.session.scalars(
            select(Mentee.full_name)
            .where(Mentee.id.in_(mentee_ids), Mentee.organisation_id == organisation_id)
            .order_by(Mentee.full_name)
        )
    )
    if len(names) != len(mentee_ids) or len(names) > 3:
        return _("Some of the chosen mentees are")
    if len(names) == 1:
        return _("%(name)s is", name=names[0])
    return _("%(names)s and %(last)s are", names=", ".join(names[:-1]), last=names[-1])


def _earlier_transfer(
    source: User,
    target: User,
    kind: str,
    effective_on: date,
    actor: User | None,
    key: str,
) -> Transfer | None:
    """The transfer already made with this form's key, or None."""
    row = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.actor_id == (actor.id if actor is not None else None),
            AuditEvent.at >= utcnow() - _REPLAY_WINDOW,
            AuditEvent.action == "caseload.transfer",
            AuditEvent.object_id == key,
            AuditEvent.organisation_id == source.organisation_id,
        )
    )
    if row is None:
        return None
    detail = json.loads(row.detail)
    asked = (kind, source.id, target.id, effective_on.isoformat())
    if (detail["kind"], detail["source"], detail["target"], detail["effective_on"]) != asked:
        raise PeopleError(_("This form was already used for another transfer; reload it."))
    mentees = {
        m.id: m
        for m in db.session.scalars(
            select(Mentee).where(Mentee.id.in_(detail["moved"] + detail["already_with_target"]))
        )
    }
    return Transfer(
        source,
        target,
        kind,
        effective_on,
        [mentees[i] for i in detail["moved"]],
        [mentees[i] for i in detail["already_with_target"]],
        repeated=True,
    )
