"""Who printed a report and when, in the organisation's time zone."""

from dataclasses import dataclass
from datetime import datetime

from ..models import Organisation
from ..timeutil import utcnow, zone


@dataclass(frozen=True, slots=True)
class Stamp:
    by: str
    at: datetime  # aware, in the organisation's time zone

    @property
    def text(self) -> str:
        """'Printed by Pat Lee on 2026-03-04 09:15 EST' (the zone's short name)."""
        return f"Printed by {self.by or 'an unnamed user'} on {self.at:%Y-%m-%d %H:%M} {self.zone}"

    @property
    def zone(self) -> str:
        return self.at.tzname() or "UTC"


def stamp(organisation: Organisation | None, by: str, at: datetime | None = None) -> Stamp:
    """A print stamp for `by` at `at` (now), shown in the organisation's time zone."""
    return Stamp(by, (at or utcnow()).astimezone(zone(organisation)))
