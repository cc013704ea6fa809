"""Figures kept beside the current-status rows so list pages need not count:

- per mentee and domain: live skills signed off and started, latest date shown;
- per mentee: the latest date shown of any live skill (`Mentee.last_signoff_on`);
- per organisation and domain: the sums of the domain counters, in stripes
  (`OrganisationDomainTotal`), so an org-wide summary reads a few rows at any size.

All change in the same transaction as a status row (`status.write_status` calls
`changed` with the row's old and new part), by increments. Never a second truth:
`differences` recounts each from the level below it, and `rebuild` replaces them.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from ..extensions import db
from ..models import DomainCounter, Mentee, OrganisationDomainTotal, Skill, SkillStatus
from ..models.totals import STRIPES
from ..upsert import Upsert

COLUMNS = ("mentee_id", "domain_id", "signed_off", "started", "last_shown_on")
TOTAL_COLUMNS = ("organisation_id", "domain_id", "stripe", "signed_off", "started")
# Above this many mentees a rebuild recounts their organisations' totals whole.
_DELTA_LIMIT = 1000


class Counted(NamedTuple):
    """What one status row adds to its mentee's domain counter."""

    signed_off: int
    started: int
    shown_on: date | None


def counted(level: int, signed_off: bool, shown_on: date | None) -> Counted:
    """The counting rule: signed off, or started (a level above 0 short of signed off)."""
    return Counted(int(signed_off), int(level > 0 and not signed_off), shown_on)


def counted_query(*where: ColumnElement[bool]) -> Select:
    """The counters as the status rows of live skills give them (`counted`, in SQL), for
    the rows `where` picks."""
    return (
        select(
            SkillStatus.mentee_id,
            Skill.domain_id,
            func.sum(case((SkillStatus.signed_off.is_(True), 1), else_=0)),
            func.sum(
                case(((SkillStatus.signed_off.is_(False)) & (SkillStatus.level > 0), 1), else_=0)
            ),
            func.max(SkillStatus.shown_on),
        )
        .join(Skill, Skill.id == SkillStatus.skill_id)
        .where(Skill.retired.is_(False), *where)
        .group_by(SkillStatus.mentee_id, Skill.domain_id)
    )


_REFRESH = Upsert(
    DomainCounter.__table__,
    ("mentee_id", "domain_id"),
    COLUMNS,
    counted_query(
        SkillStatus.mentee_id == bindparam("mentee_id"),
        Skill.domain_id == bindparam("domain_id"),
    ),
)


def _execute(statement: Any, params: dict[str, Any]) -> Any:
    """Run a Core statement on the session's connection: the ORM's execute path costs more
    than these one-row statements themselves."""
    return db.session.connection().execute(statement, params)


class _Increment:
    """INSERT a row, or add its numbers to the row with the same keys (and keep the later
    of two dates): built once per dialect, as `Upsert` is."""

    def __init__(
        self, table: Table, keys: tuple[str, ...], sums: tuple[str, ...], latest: str = ""
    ) -> None:
        self.table, self.keys, self.sums, self.latest = table, keys, sums, latest
        self._built: dict[str, Any] = {}

    def __call__(self, params: dict[str, Any]) -> None:
        dialect = db.session.get_bind().dialect.name
        if dialect not in self._built:
            statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
                self.table
            )
            column, new = self.table.c, statement.excluded
            values: dict[str, Any] = {name: column[name] + new[name] for name in self.sums}
            if self.latest:
                old_date, new_date = column[self.latest], new[self.latest]
                values[self.latest] = case(
                    ((old_date.is_(None)) | (new_date > old_date), new_date), else_=old_date
                )
            self._built[dialect] = statement.on_conflict_do_update(
                index_elements=list(self.keys), set_=values
            )
        _execute(self._built[dialect], params)


_ADD_TO_COUNTER = _Increment(
    DomainCounter.__table__, ("mentee_id", "domain_id"), ("signed_off", "started"), "last_shown_on"
)
_ADD_TO_TOTAL = _Increment(
    OrganisationDomainTotal.__table__,
    ("organisation_id", "domain_id", "stripe"),
    ("signed_off", "started"),
)
_mentee = Mentee.__table__.c
_LATER_LAST = (
    update(Mentee.__table__)
    .where(
        _mentee.id == bindparam("mentee_id"),
        (_mentee.last_signoff_on.is_(None)) | (_mentee.last_signoff_on < bindparam("shown_on")),
    )
    .values(last_signoff_on=bindparam("shown_on"))
)
_status = SkillStatus.__table__.c
_STATUS_ROW = select(_status.level, _status.signed_off, _status.shown_on).where(
    _status.mentee_id == bindparam("mentee_id"), _status.skill_id == bindparam("skill_id")
)


def status_row(mentee_id: int, skill_id: int) -> Counted | None:
    """The part the mentee's status row of the skill plays now (None: no row). Read before
    the row changes, for `changed`."""
    row = _execute(_STATUS_ROW, {"mentee_id": mentee_id, "skill_id": skill_id}).one_or_none()
    return None if row is None else counted(*row)


def changed(mentee_id: int, skill: Skill, old: Counted | None, new: Counted) -> None:
    """A status row of `skill` went from `old` to `new` (and was flushed): add the
    difference to the mentee's domain counter, their latest date and their organisation's
    total; the caller commits. Writers of one mentee are queued by `lock_for_write`."""
    if skill.retired:
        return  # retired skills are not counted
    if old is not None and old.shown_on is not None and (new.shown_on or date.min) < old.shown_on:
        # The row may have held the latest date, which only a recount can lower.
        _recount_domain(mentee_id, skill.domain_id)
        return
    was = old or Counted(0, 0, None)
    signed_off, started = new.signed_off - was.signed_off, new.started - was.started
    _ADD_TO_COUNTER(
        {
            "mentee_id": mentee_id,
            "domain_id": skill.domain_id,
            "signed_off": signed_off,
            "started": started,
            "last_shown_on": new.shown_on,
        }
    )
    if signed_off or started:
        _add_to_total(mentee_id, skill.domain_id, signed_off, started)
    if new.shown_on is not None:
        _later_last(mentee_id, new.shown_on)


def _later_last(mentee_id: int, shown_on: date) -> None:
    """Move the mentee's latest date to `shown_on` if that is later."""
    loaded = db.session.identity_map.get(db.session.identity_key(Mentee, mentee_id))
    if loaded is None or "last_signoff_on" not in inspect(loaded).dict:
        _execute(_LATER_LAST, {"mentee_id": mentee_id, "shown_on": shown_on})
        _expire_last(mentee_id)
        return
    # As loaded by `lock_for_write`, which queues this mentee's writers: current.
    last = loaded.last_signoff_on
    if last is not None and last >= shown_on:
        return  # several sign-offs of one day: only the first moves the date
    _execute(_LATER_LAST, {"mentee_id": mentee_id, "shown_on": shown_on})
    set_committed_value(loaded, "last_signoff_on", shown_on)


def _organisation_of(mentee_id: int) -> int:
    mentee = db.session.get(Mentee, mentee_id)  # loaded already by whoever signs off
    if mentee is None:
        raise ValueError(f"no mentee {mentee_id}")
    return mentee.organisation_id


def _add_to_total(mentee_id: int, domain_id: int, signed_off: int, started: int) -> None:
    _ADD_TO_TOTAL(
        {
            "organisation_id": _organisation_of(mentee_id),
            "domain_id": domain_id,
            "stripe": mentee_id % STRIPES,
            "signed_off": signed_off,
            "started": started,
        }
    )


def _expire_last(mentee_id: int) -> None:
    # Written past the session: a copy it holds must read the column again.
    key = db.session.identity_key(Mentee, mentee_id)
    if (loaded := db.session.identity_map.get(key)) is not None:
        db.session.expire(loaded, ["last_signoff_on"])


def _recount_domain(mentee_id: int, domain_id: int) -> None:
    """Count one mentee's domain again from its status rows, and move the totals and the
    latest date with it."""

    def current() -> tuple[int, int]:
        row = db.session.execute(
            select(DomainCounter.signed_off, DomainCounter.started).where(
                DomainCounter.mentee_id == mentee_id, DomainCounter.domain_id == domain_id
            )
        ).one_or_none()
        return (row[0], row[1]) if row else (0, 0)

    before = current()
    _REFRESH({"mentee_id": mentee_id, "domain_id": domain_id})
    after = current()
    if after != before:
        _add_to_total(mentee_id, domain_id, after[0] - before[0], after[1] - before[1])
    _recount_last([mentee_id])


def _recount_last(mentee_ids: list[int] | None) -> None:
    latest = (
        select(func.max(DomainCounter.last_shown_on))
        .where(DomainCounter.mentee_id == Mentee.id)
        .scalar_subquery()
    )
    statement = update(Mentee).values(last_signoff_on=latest)
    if mentee_ids is not None:
        statement = statement.where(Mentee.id.in_(mentee_ids))
    db.session.execute(statement.execution_options(synchronize_session=False))
    for mentee_id in mentee_ids or []:
        _expire_last(mentee_id)
    if mentee_ids is None:
        for loaded in list(db.session.identity_map.values()):
            if isinstance(loaded, Mentee):
                db.session.expire(loaded, ["last_signoff_on"])


def _summed(*where: ColumnElement[bool]) -> Select:
    """Organisation totals as the domain counters of the mentees `where` picks give them."""
    stripe = (Mentee.id % STRIPES).label("stripe")
    return (
        select(
            Mentee.organisation_id,
            DomainCounter.domain_id,
            stripe,
            func.sum(DomainCounter.signed_off),
            func.sum(DomainCounter.started),
        )
        .join(Mentee, Mentee.id == DomainCounter.mentee_id)
        .where(*where)
        .group_by(Mentee.organisation_id, DomainCounter.domain_id, stripe)
    )


Sums = dict[tuple[int, int, int], tuple[int, int]]


def _sums(*where: ColumnElement[bool]) -> Sums:
    return {
        (org, domain, stripe): (int(signed or 0), int(begun or 0))
        for org, domain, stripe, signed, begun in db.session.execute(_summed(*where))
    }


def rebuild(mentee_ids: Iterable[int] | None = None) -> None:
    """Recount every counter (or those of some mentees) from the status rows, with the
    latest dates and organisation totals; the caller commits. Needed after anything that
    changes many status rows or which skills count: a bulk load, a rebuild of the status
    rows, a curriculum load."""
    ids = None if mentee_ids is None else list(mentee_ids)
    if ids is not None and len(ids) <= _DELTA_LIMIT:
        _rebuild_some(ids)
        return
    remove = delete(DomainCounter)
    if ids is not None:
        remove = remove.where(DomainCounter.mentee_id.in_(ids))
    db.session.execute(remove)
    where = () if ids is None else (SkillStatus.mentee_id.in_(ids),)
    db.session.execute(insert(DomainCounter).from_select(COLUMNS, counted_query(*where)))
    _recount_last(ids)
    organisations = None
    if ids is not None:
        organisations = select(Mentee.organisation_id).where(Mentee.id.in_(ids)).distinct()
    _recount_totals(organisations)


def _rebuild_some(ids: list[int]) -> None:
    """`rebuild` for a few mentees: their organisations' totals move by the change in
    their counters, without a recount of everyone else's."""
    before = _sums(DomainCounter.mentee_id.in_(ids))
    db.session.execute(delete(DomainCounter).where(DomainCounter.mentee_id.in_(ids)))
    db.session.execute(
        insert(DomainCounter).from_select(COLUMNS, counted_query(SkillStatus.mentee_id.in_(ids)))
    )
    _recount_last(ids)
    after = _sums(DomainCounter.mentee_id.in_(ids))
    for key in before.keys() | after.keys():
        (old_signed, old_started), (signed, started) = (
            before.get(key, (0, 0)),
            after.get(key, (0, 0)),
        )
        if (signed, started) != (old_signed, old_started):
            organisation_id, domain_id, stripe = key
            _ADD_TO_TOTAL(
                {
                    "organisation_id": organisation_id,
                    "domain_id": domain_id,
                    "stripe": stripe,
                    "signed_off": signed - old_signed,
                    "started": started - old_started,
                }
            )


def _recount_totals(organisations: Select | None) -> None:
    """Replace the totals of some organisations (a query of their ids), or of all."""
    remove = delete(OrganisationDomainTotal)
    where: tuple[ColumnElement[bool], ...] = ()
    if organisations is not None:
        ids = list(db.session.scalars(organisations))
        remove = remove.where(OrganisationDomainTotal.organisation_id.in_(ids))
        where = (Mentee.organisation_id.in_(ids),)
    db.session.execute(remove)
    db.session.execute(insert(OrganisationDomainTotal).from_select(TOTAL_COLUMNS, _summed(*where)))


def differences(mentee_ids: Iterable[int] | None = None) -> list[str]:
    """Where the stored figures disagree with a recount (`counter_checks.differences`)."""
    from .counter_checks import differences as recount  # it builds on this module

    return recount(mentee_ids)
