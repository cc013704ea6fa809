"""Per-mentee, per-domain counters: live skills signed off and started, latest date shown.

They are counted from the current-status rows, in the same transaction as those rows
change (`status.write_status`), so caseload and organisation pages read one row per
mentee and domain instead of one per skill. Never a second truth: `differences`
recounts them from the status rows, and `rebuild` replaces them.
"""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, Select, bindparam, case, delete, func, insert, select

from ..extensions import db
from ..models import DomainCounter, Skill, SkillStatus
from ..upsert import Upsert

COLUMNS = ("mentee_id", "domain_id", "signed_off", "started", "last_shown_on")


def _counted(*where: ColumnElement[bool]) -> Select:
    """The counters as the status rows of live skills give them, for the rows `where` picks."""
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
    _counted(
        SkillStatus.mentee_id == bindparam("mentee_id"),
        Skill.domain_id == bindparam("domain_id"),
    ),
)


def refresh(mentee_id: int, domain_id: int) -> None:
    """Recount one mentee's domain after one of its status rows was written (and flushed);
    the caller commits. Writers of one mentee are queued by `lock_for_write`, so this
    cannot race. A status row that was removed calls for `rebuild` instead."""
    _REFRESH({"mentee_id": mentee_id, "domain_id": domain_id})


def rebuild(mentee_ids: Iterable[int] | None = None) -> None:
    """Recount every counter (or those of some mentees) from the status rows; the caller
    commits. Needed after anything that changes many status rows or which skills count:
    a bulk load, a rebuild of the status rows, a curriculum load."""
    ids = None if mentee_ids is None else list(mentee_ids)
    remove = delete(DomainCounter)
    if ids is not None:
        remove = remove.where(DomainCounter.mentee_id.in_(ids))
    db.session.execute(remove)
    where = () if ids is None else (SkillStatus.mentee_id.in_(ids),)
    db.session.execute(insert(DomainCounter).from_select(COLUMNS, _counted(*where)))


Counts = tuple[int, int, date | None]


def differences(mentee_ids: Iterable[int] | None = None) -> list[str]:
    """Where stored counters disagree with a recount from the status rows."""
    ids = None if mentee_ids is None else list(mentee_ids)
    recount: dict[tuple[int, int], Counts] = {
        (m, d): (int(signed), int(started), last)
        for m, d, signed, started, last in db.session.execute(
            _counted(*(() if ids is None else (SkillStatus.mentee_id.in_(ids),)))
        )
    }
    query = select(*(getattr(DomainCounter, c) for c in COLUMNS))
    if ids is not None:
        query = query.where(DomainCounter.mentee_id.in_(ids))
    problems = []
    names = COLUMNS[2:]
    for m, d, *stored in db.session.execute(query):
        where = f"mentee {m}, domain {d}"
        want = recount.pop((m, d), None)
        if want is None:
            problems.append(f"{where}: counters row has no status rows behind it")
            continue
        for name, have, wanted in zip(names, stored, want, strict=True):
            if have != wanted:
                problems.append(f"{where}: {name} is {have!r}, the status rows say {wanted!r}")
    problems.extend(f"mentee {m}, domain {d}: no counters row" for m, d in recount)
    return problems
