"""The history CSV cell by cell: its header, and one row per kind of entry with every
column filled (a corrected sign-off, its correction, a refresher, a retired skill).

A program reads this file in a spreadsheet or loads it elsewhere: a column that moves,
changes its name or loses its value breaks their work without an error anywhere.
"""

import csv
import io
from datetime import timedelta

from skills.extensions import db
from skills.permissions import Viewer
from skills.reports.csv_export import areas_of, mentee_history_csv
from skills.services import voice
from skills.services.history import history
from skills.services.progress import curriculum_view
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import today

TODAY = today()
HEADER = [
    "record number",
    "name",
    "entry",
    "date shown",
    "recorded at (UTC)",
    "area",
    "skill",
    "level",
    "level name",
    "kind",
    "corrects entry",
    "reason",
    "recorded by",
    "support",
    "place",
    "with whom",
    "note",
    "note visibility",
]


def rows_of(data: bytes) -> list[dict[str, str]]:
    header, *body = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in body]


def test_every_column_of_every_kind_of_entry(make_user, make_mentee, assign, skill):
    # The suite runs with TZ=America/New_York (conftest.py): times in UTC must not follow
    # the server's own zone.
    mentor = make_user("mentor", name="Dana Reyes")
    mentee = make_mentee(name="José García")
    assign(mentor, mentee)
    card, atm = skill("get-transit-card"), skill("use-atm")
    first = record_signoff(
        mentee,
        card,
        mentor,
        SignoffDetails(
            level=2,
            shown_on=TODAY - timedelta(days=3),
            note="Used it on the bus",
            note_visibility="staff",
            support="reminders",
            place="Main St stop",
            practised_with="group",
        ),
    )
    db.session.commit()
    fixed = correct_signoff(
        first, mentor, SignoffDetails(level=3, shown_on=first.shown_on), "Wrong level"
    )
    db.session.commit()
    voice.mark_refresher(mentee, card, mentor)
    atm_entry = record_signoff(
        mentee,
        atm,
        mentor,
        SignoffDetails(
            level=1, shown_on=TODAY - timedelta(days=1), note="=SUM(A1)", note_visibility="mentee"
        ),
    )
    db.session.commit()
    atm.retired = True  # dropped from the curriculum since: its history stays
    db.session.commit()

    areas = areas_of(curriculum_view(mentee.organisation_id))
    rows = rows_of(mentee_history_csv(mentee, history(mentee, Viewer(True)), areas))
    assert [int(r["entry"]) for r in rows] == sorted(int(r["entry"]) for r in rows)  # oldest first
    corrected, correction, refresher, retired = rows
    common = {"record number": mentee.record_number, "name": "José García"}
    assert corrected == {
        **common,
        "entry": str(first.id),
        "date shown": first.shown_on.isoformat(),
        "recorded at (UTC)": first.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
        "area": "Getting around",
        "skill": "Get a transit card",
        "level": "2",
        "level name": "Practicing with support",
        "kind": "sign-off (corrected later)",
        "corrects entry": "",
        "reason": "",
        "recorded by": "Dana Reyes",
        "support": "With reminders",
        "place": "Main St stop",
        "with whom": "In a group",
        "note": "Used it on the bus",
        "note visibility": "staff only",
    }
    assert correction["level name"] == "Can do it on my own"
    assert (correction["kind"], correction["corrects entry"], correction["reason"]) == (
        "correction",
        str(first.id),
        "Wrong level",
    )
    assert (correction["entry"], correction["level"]) == (str(fixed.id), "3")
    assert (correction["support"], correction["with whom"], correction["place"]) == ("", "", "")
    assert (correction["note"], correction["note visibility"]) == ("", "staff only")
    assert (refresher["kind"], refresher["skill"]) == ("refresher", "Get a transit card")
    assert (retired["entry"], retired["area"], retired["skill"]) == (
        str(atm_entry.id),
        "retired skill",
        "Use an ATM",
    )
    assert (retired["level"], retired["kind"]) == ("1", "sign-off")
    assert (retired["note"], retired["note visibility"]) == ("'=SUM(A1)", "mentee and staff")
