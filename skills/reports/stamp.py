"""Who printed a report and when, in the organisation's time zone."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _

from ..i18n import local_date, local_time
from ..models import Organisation
from ..timeutil import utcnow, zone


@dataclass(frozen=True, slots=True)
class Stamp:
    by: str
    at: datetime  # aware, in the organisation's time zone

    @property
    def text(self) -> str:
        """'Printed by Pat Lee on Mar 4, 2026, 9:15 AM EST' (the zone's short name), in the
        language printed now."""
        return _(
            "Printed by %(name)s on %(date)s, %(time)s %(zone)s",
            name=self.by or _("an unnamed user"),
            date=local_date(self.at.date()),
            time=local_time(self.at.time()),
            zone=self.zone,
        )

    @property
    def zone(self) -> str:
        return self.at.tzname() or "UTC"


def stamp(organisation: Organisation | None, by: str, at: datetime | None = None) -> Stamp:
    """A print stamp for `by` at `at` (now), shown in the organisation's time zone."""
    return Stamp(by, (at or utcnow()).astimezone(zone(organisation)))
