"""The rows of the progress lists (the caseload table, a mentor's mentee lines), made
ready here: each phrase translated once per page and filled in per row, each date
formatted once, the per-area cells joined from numbers.

A list of hundreds of mentees spends most of its time in these loops; written in the
template, every cell costs a lookup, a call to gettext, an escape and a write.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext
from markupsafe import Markup, escape

from ..i18n import local_date
from ..services.curriculum_view import CurriculumView
from ..services.progress import CaseloadRow


class _Days:
    """Dates as readers expect them (`local_date`), each formatted once per page."""

    def __init__(self) -> None:
        self.done: dict[date, str] = {}

    def __call__(self, day: date | None) -> str:
        if day is None:
            return ""
        if day not in self.done:
            self.done[day] = local_date(day)
        return self.done[day]


@dataclass(slots=True)
class CaseloadLine:
    """One row of the caseload table (templates/caseload/index.html)."""

    id: int
    full_name: str
    discharged: bool
    mentors: str
    percent_cells: Markup  # <td>s holding numbers only
    percent: int
    last_signoff: str
    stalled: bool


def caseload_lines(
    rows: list[CaseloadRow], mentors: dict[int, str], view: CurriculumView
) -> list[CaseloadLine]:
    """The table's rows, in the order of `rows`; `mentors`: names by mentee id."""
    days = _Days()
    domain_ids = [d.id for d in view.domains]
    lines = []
    for row in rows:
        cells = "".join(f"<td>{row.domains[d].percent}</td>" for d in domain_ids)
        lines.append(
            CaseloadLine(
                id=row.mentee.id,
                full_name=row.mentee.full_name,
                discharged=row.mentee.status == "discharged",
                mentors=mentors.get(row.mentee.id, "—"),
                percent_cells=Markup(cells),  # noqa: S704  # nosec B704 - integers only
                percent=row.percent,
                last_signoff=days(row.last_signoff_on),
                stalled=row.stalled,
            )
        )
    return lines


@dataclass(slots=True)
class MentorLine:
    """One mentee on the mentor's home page (templates/mentees/mine.html)."""

    id: int
    name: str
    discharged: bool
    stalled: bool
    signed_off: str  # "12/108 signed off"
    by_area: str  # for screen readers: "by Ana: by area"
    last_signoff: str
    areas: Markup  # one <li> per area: its title, counts and bar


# An area in a mentee's line: title (escaped), "signed off/total", percent for the bar.
_AREA = (
    '<li><div class="domain-row"><span>{}</span><span>{}/{}</span></div>'
    '<progress class="progress" value="{}" max="100" aria-hidden="true"></progress></li>'
)


def mentor_lines(rows: list[CaseloadRow], view: CurriculumView) -> list[MentorLine]:
    """The mentor's mentee lines, in the order of `rows`."""
    # Translated once, filled in for each row (gettext without values leaves the
    # placeholders in).
    signed_off = gettext("%(done)s/%(total)s signed off")
    by_area = gettext("by %(name)s: by area")
    last = gettext("Last sign-off: %(day)s")
    never = gettext("Last sign-off: none yet")
    days = _Days()
    titles = [(d.id, str(escape(d.title))) for d in view.domains]
    lines = []
    for row in rows:
        domains = row.domains
        areas = "".join(
            _AREA.format(
                title,
                domains[d].signed_off,
                domains[d].total,
                domains[d].percent,
            )
            for d, title in titles
        )
        name = row.mentee.name
        lines.append(
            MentorLine(
                id=row.mentee.id,
                name=name,
                discharged=row.mentee.status == "discharged",
                stalled=row.stalled,
                signed_off=signed_off % {"done": row.signed_off, "total": row.total},
                by_area=by_area % {"name": name},
                last_signoff=(
                    last % {"day": days(row.last_signoff_on)} if row.last_signoff_on else never
                ),
                areas=Markup(areas),  # noqa: S704  # nosec B704 - escaped titles and integers
            )
        )
    return lines
