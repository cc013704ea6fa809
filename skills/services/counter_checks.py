"""`flask check` for the counters (`services.counters`): each figure recounted from the
level below it, every difference named."""

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import DomainCounter, Mentee, OrganisationDomainTotal, SkillStatus
from ..models.totals import STRIPES
from .counters import COLUMNS, TOTAL_COLUMNS, Sums, counted_query

Counts = tuple[int, int, date | None]


def differences(mentee_ids: Iterable[int] | None = None) -> list[str]:
    """Where stored counters, latest dates or (checking everyone) organisation totals
    disagree with a recount from the status rows."""
    ids = None if mentee_ids is None else list(mentee_ids)
    recount: dict[tuple[int, int], Counts] = {
        (m, d): (int(signed), int(started), last)
        for m, d, signed, started, last in db.session.execute(
            counted_query(*(() if ids is None else (SkillStatus.mentee_id.in_(ids),)))
        )
    }
    query = select(*(getattr(DomainCounter, c) for c in COLUMNS))
    if ids is not None:
        query = query.where(DomainCounter.mentee_id.in_(ids))
    problems = []
    names = COLUMNS[2:]
    missing = dict(recount)
    for m, d, *stored in db.session.execute(query):
        where = f"mentee {m}, domain {d}"
        want = missing.pop((m, d), None)
        if want is None:
            problems.append(f"{where}: counters row has no status rows behind it")
            continue
        for name, have, wanted in zip(names, stored, want, strict=True):
            if have != wanted:
                problems.append(f"{where}: {name} is {have!r}, the status rows say {wanted!r}")
    problems.extend(f"mentee {m}, domain {d}: no counters row" for m, d in missing)
    problems += _last_differences(ids, recount)
    if ids is None:
        organisations = {
            m: org for m, org in db.session.execute(select(Mentee.id, Mentee.organisation_id))
        }
        problems += _total_differences(recount, organisations)
    return problems


def _last_differences(ids: list[int] | None, recount: dict[tuple[int, int], Counts]) -> list[str]:
    latest: dict[int, date] = {}
    for (mentee_id, _), (_, _, last) in recount.items():
        if last is not None and (mentee_id not in latest or last > latest[mentee_id]):
            latest[mentee_id] = last
    query = select(Mentee.id, Mentee.last_signoff_on)
    if ids is not None:
        query = query.where(Mentee.id.in_(ids))
    return [
        f"mentee {m}: last_signoff_on is {have!r}, the status rows say {latest.get(m)!r}"
        for m, have in db.session.execute(query)
        if have != latest.get(m)
    ]


def _total_differences(
    recount: dict[tuple[int, int], Counts], organisations: dict[int, int]
) -> list[str]:
    want: Sums = {}
    for (mentee_id, domain_id), (signed, started, _) in recount.items():
        key = (organisations[mentee_id], domain_id, mentee_id % STRIPES)
        old = want.get(key, (0, 0))
        want[key] = (old[0] + signed, old[1] + started)
    problems = []
    for org, domain, stripe, *stored in db.session.execute(
        select(*(getattr(OrganisationDomainTotal, c) for c in TOTAL_COLUMNS))
    ):
        where = f"organization {org}, domain {domain}, stripe {stripe}"
        wanted = want.pop((org, domain, stripe), (0, 0))
        for name, have, value in zip(("signed_off", "started"), stored, wanted, strict=True):
            if have != value:
                problems.append(f"{where}: total {name} is {have}, the status rows say {value}")
    problems.extend(
        f"organization {org}, domain {domain}, stripe {stripe}: no totals row"
        for (org, domain, stripe), value in want.items()
        if value != (0, 0)
    )
    return problems
