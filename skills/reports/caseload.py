"""What a caseload summary says: one row per mentee, gathered from the services.

Like `content`, nothing here knows about requests or PDF: `caseload_pdf` and
`csv_export` turn a `CaseloadData` into a file. The filters of the caseload page are
a `CaseloadFilter`, so the page and its downloads show the same mentees.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Mentee
from ..services.curriculum_view import CurriculumView, reading_language, view_for
from ..services.people_queries import staff_names
from ..services.progress import CaseloadRow, caseload_progress
from ..timeutil import today, utcnow
from .distance import caseload_readings, counts_on

STATUSES = ("active", "discharged", "all")
DEFAULT_PERIOD_DAYS = 90

# Letters that Unicode does not decompose into a base letter and a mark.
_FOLD = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ħ": "h", "ı": "i",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "þ": "th", "Þ": "TH"}
)  # fmt: skip


# Spanish has ñ as a letter of its own, after every n ("Nuñez" after "Nunzio", before
# "Nuo"): an n, then the highest code point, in the Spanish key.
_SPANISH = str.maketrans({"ñ": "n\U0010ffff", "Ñ": "N\U0010ffff"})


def collation_key(text: str, language: str | None = None) -> str:
    """A sort key that ignores case and accents the same way on every machine: "Łukasz"
    sorts with L and "Émile" with E (no dependence on the server's locale). In Spanish
    (`language`, by default the one printed now) ñ comes after n."""
    text = unicodedata.normalize("NFC", text)
    if (language or reading_language()) == "es":
        text = text.translate(_SPANISH)
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def last_name_key(full_name: str, language: str | None = None) -> tuple[str, ...]:
    """By the last word of the name (the family name in most names on US records), then
    the whole name; names alike but for accents or case in a fixed order (unaccented,
    then capitalised, first), so a list sorts the same whatever order it came in."""
    language = language or reading_language()
    words = full_name.split()
    last = words[-1] if words else ""
    exact = unicodedata.normalize("NFC", full_name)
    return (
        collation_key(last, language),
        collation_key(full_name, language),
        exact.casefold(),
        exact,
    )


@dataclass(frozen=True)
class CaseloadFilter:
    """The caseload page's filters: status, one mentor's mentees, only stalled ones."""

    status: str = "active"
    mentor: str = ""
    stalled: bool = False

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(
                _l(
                    "Show mentees with status “%(status)s”? Choose active, discharged or all.",
                    status=self.status[:20],
                )
            )

    def mentees(self, mentees: Sequence[Mentee], mentors: dict[int, list[str]]) -> list[Mentee]:
        return [
            m
            for m in mentees
            if (self.status == "all" or m.status == self.status)
            and (not self.mentor or self.mentor in mentors.get(m.id, []))
        ]

    def rows(self, rows: list[CaseloadRow]) -> list[CaseloadRow]:
        return [r for r in rows if r.stalled] if self.stalled else rows

    def describe(self) -> str:
        """The filters in words, in the language printed now: "active, stalled only"."""
        parts = {
            "active": _("active"),
            "discharged": _("discharged"),
            "all": _("active and discharged"),
        }
        words = parts[self.status]
        if self.mentor:
            words += _(", mentor %(name)s", name=self.mentor)
        if self.stalled:
            words += _(", stalled only")
        return words


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
    mentors: list[str] = field(default_factory=list)
    change: int = 0  # skills signed off at the period's end minus at its start


@dataclass
class CaseloadData:
    organisation: str
    owner: str
    domains: list[str]
    rows: list[CaseloadEntry]
    include_discharged: bool
    on: date
    generated_at: datetime
    period_from: date | None = None
    period_to: date | None = None
    filters: CaseloadFilter = field(default_factory=CaseloadFilter)
    printed: str = ""  # "Printed by … on …", in the organisation's time zone

    def average(self, values: Sequence[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    @property
    def averages(self) -> tuple[list[float], float, float]:
        """Average percent per domain, overall percent and change, over the rows."""
        per_domain = [
            self.average([r.percents[i] for r in self.rows]) for i in range(len(self.domains))
        ]
        return (
            per_domain,
            self.average([r.percent for r in self.rows]),
            self.average([r.change for r in self.rows]),
        )


def caseload_data(
    mentees: Sequence[Mentee],
    *,
    organisation: str = "",
    owner: str = "",
    include_discharged: bool = False,
    view: CurriculumView | None = None,
    on: date | None = None,
    filters: CaseloadFilter | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
    printed: str = "",
) -> CaseloadData:
    """One row per mentee (after `filters`) with percent per domain, mentors and the change
    over the period (default: the last 90 days), sorted by last name."""
    view = view_for(mentees, view)
    on = on or today(mentees[0] if mentees else None)  # one organisation's caseload
    filters = filters or CaseloadFilter(status="all" if include_discharged else "active")
    staff = staff_names([m.id for m in mentees], on)
    mentors = {m.id: list(staff.get(m.id, {}).get("mentor", [])) for m in mentees}
    chosen = filters.mentees(mentees, mentors)
    rows = filters.rows(caseload_progress(chosen, view, on))
    language = reading_language()
    rows.sort(key=lambda r: last_name_key(r.mentee.full_name, language))
    end = period_to or on
    start = period_from or end - timedelta(days=DEFAULT_PERIOD_DAYS)
    readings = caseload_readings([r.mentee.id for r in rows], end)
    entries = []
    for row in rows:
        before, after = counts_on(readings[row.mentee.id], view, [start - timedelta(days=1), end])
        entries.append(
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
                mentors=mentors[row.mentee.id],
                change=sum(after.values()) - sum(before.values()),
            )
        )
    return CaseloadData(
        organisation=organisation or (mentees[0].organisation.name if mentees else ""),
        owner=owner,
        domains=[d.title for d in view.domains],
        rows=entries,
        include_discharged=filters.status != "active",
        on=on,
        generated_at=utcnow(),
        period_from=start,
        period_to=end,
        filters=filters,
        printed=printed,
    )
