"""The plain dataclasses a progress report is made of (gathered in `content`)."""

from dataclasses import dataclass, field
from datetime import date, time

from flask_babel import gettext as _

from .distance import TrendPoint
from .stamp import Stamp


@dataclass(slots=True)
class ChecklistItem:
    """One skill of the full checklist, at its current level."""

    title: str
    level: int
    level_name: str
    signed_off: bool
    shown_on: date | None
    mentor: str
    level_text: str = ""  # the mentee's wording of the level
    needs_refresher: bool = False
    # The mentee's own view, printed beside the mentor's level and never merged with it.
    self_rating: str | None = None


@dataclass(slots=True)
class DomainSection:
    title: str
    total: int
    signed_off: int
    skills: list[ChecklistItem]
    at_start: int = 0  # signed off when the period began

    @property
    def not_started(self) -> list[ChecklistItem]:
        return [s for s in self.skills if s.level == 0 and not s.signed_off]


@dataclass(slots=True)
class SignedOffItem:
    """A skill signed off during the report's period."""

    shown_on: date
    title: str
    i_can_now: str
    level_name: str
    mentor: str
    support: str | None
    place: str | None
    practised_with: str | None


@dataclass(slots=True)
class LearningItem:
    """A skill to learn next or a goal, with the mentee's wording of its level."""

    title: str
    level_name: str
    mentee_text: str
    signed_off: bool = False


@dataclass(slots=True)
class NoteItem:
    shown_on: date
    skill: str
    level_name: str
    mentor: str
    note: str
    staff_only: bool
    support: str | None
    place: str | None
    practised_with: str | None
    level_text: str = ""


@dataclass(slots=True)
class SessionNoteItem:
    """One documented contact (a session note) of the period."""

    contact_on: date
    starts_at: time
    ends_at: time
    minutes: int
    units: int
    mode: str
    place: str
    mentor: str
    what_we_did: str
    how_it_went: str
    next_step: str
    staff_only: bool
    signed: bool


@dataclass
class MenteeReportData:
    """Everything one progress report shows; notes its viewer may not read are already
    left out, and `staff_view` says which copy it is."""

    organisation: str
    full_name: str
    preferred_name: str | None
    record_number: str
    status: str
    start_date: date
    discharged_on: date | None
    period_from: date
    period_to: date
    staff_view: bool
    total: int
    signed_off: int
    percent: int
    last_signoff_on: date | None
    domains: list[DomainSection]
    signed_off_in_period: list[SignedOffItem]
    learning: list[LearningItem]
    notes: list[NoteItem]
    # Who printed it, and when (in the organisation's time zone).
    stamp: Stamp
    # Skills the mentee has chosen as goals, with where they are now.
    goals: list[LearningItem] = field(default_factory=list)
    # The mentee's own words confirming sign-offs: (date shown, skill, words).
    own_words: list[tuple[date, str, str]] = field(default_factory=list)
    # The organisation's local details for skills in this report: (skill, details).
    local_help: list[tuple[str, str]] = field(default_factory=list)
    # All notes of the period with text; `notes` holds the newest `NOTES_LIMIT` of them.
    notes_total: int = 0
    # Everything recorded up to the period's end was recorded on one day: a baseline.
    baseline: bool = False
    # Skills signed off at each month's end in the period (the last at its end).
    trend: list[TrendPoint] = field(default_factory=list)
    # Session notes of the period the reader may see, oldest first (all of them: the
    # totals below add them up).
    session_notes: list[SessionNoteItem] = field(default_factory=list)
    # The language the report is printed in (a BCP 47 tag), for screen readers.
    language: str = "en-US"

    @property
    def session_minutes(self) -> int:
        return sum(n.minutes for n in self.session_notes)

    @property
    def session_units(self) -> int:
        return sum(n.units for n in self.session_notes)

    @property
    def copy_name(self) -> str:
        return _("Staff copy") if self.staff_view else _("Mentee copy")

    @property
    def signed_off_at_start(self) -> int:
        return sum(d.at_start for d in self.domains)

    @property
    def name(self) -> str:
        if self.preferred_name and self.preferred_name != self.full_name:
            return f"{self.full_name} ({self.preferred_name})"
        return self.full_name
