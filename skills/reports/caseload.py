"""What a caseload summary says: one row per mentee, gathered from the services.

Like `content`, nothing here knows about requests or PDF; `pdf` and `csv_export` turn
a `CaseloadData` into a file.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ..models import Mentee
from ..services.progress import CurriculumView, caseload_progress, curriculum_view
from ..timeutil import today, utcnow


@dataclass(slots=True)
class CaseloadEntry:
    mentee_id: int
    full_name: str
    record_number: str
    status: str
    percents: list[int]  # in the order of CaseloadData.domains
    signed_off: int
    total: int
    percent: int
    last_signoff_on: date | None
    stalled: bool


@dataclass
class CaseloadData:
    organisation: str
    owner: str
    domains: list[str]
    rows: list[CaseloadEntry]
    include_discharged: bool
    on: date
    generated_at: datetime


def caseload_data(
    mentees: Sequence[Mentee],
    *,
    organisation: str = "",
    owner: str = "",
    include_discharged: bool = False,
    view: CurriculumView | None = None,
    on: date | None = None,
) -> CaseloadData:
    """One row per mentee with percent per domain, in a constant number of queries."""
    view = view or curriculum_view()
    on = on or today()
    rows = caseload_progress(mentees, view, on)
    return CaseloadData(
        organisation=organisation or (mentees[0].organisation.name if mentees else ""),
        owner=owner,
        domains=[d.title for d in view.domains],
        rows=[
            CaseloadEntry(
                mentee_id=row.mentee.id,
                full_name=row.mentee.full_name,
                record_number=row.mentee.record_number,
                status=row.mentee.status,
                percents=[row.domains[d.id].percent for d in view.domains],
                signed_off=row.signed_off,
                total=row.total,
                percent=row.percent,
                last_signoff_on=row.last_signoff_on,
                stalled=row.stalled,
            )
            for row in rows
        ],
        include_discharged=include_discharged,
        on=on,
        generated_at=utcnow(),
    )
