"""A 500-person roster CSV, and how long importing it takes.

    python bench/roster_500.py --write roster-500.csv     # only write the file
    python bench/roster_500.py [--database-url URL]       # write it and time the import

The roster holds 20 mentors, 5 case managers and 475 mentees (one in four with a
login), each mentee with a mentor and a case manager. The import runs twice through
`services.roster.import_roster` as `flask people import` does: the first creates
everything, the second must find everything there. Default database: a fresh SQLite file.
"""

import argparse
import csv
import io
import json
import os
import random
import tempfile
import time
from datetime import date, timedelta

from common import ROOT  # noqa: F401 - puts the project on sys.path

MENTORS, CASE_MANAGERS, MENTEES = 20, 5, 475
FIRST = ["Ana", "Ben", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kai", "Lia"]
LAST = ["Reyes", "Okafor", "Nguyen", "Smith", "Haddad", "Kowalski", "Brown", "Ito", "Diaz"]


def roster_csv(seed: int = 5) -> str:
    """The 500-person roster as CSV text (the format of docs/roster-template.csv)."""
    rng = random.Random(seed)  # noqa: S311 - sample names and dates, not secrets
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["type", "username", "name", "preferred_name", "roles", "email"]
        + ["record_number", "start_date", "mentor", "case_manager"]
    )
    for n in range(1, MENTORS + 1):
        writer.writerow(["staff", f"mentor{n:02d}", f"Mentor {n}", "", "mentor"] + [""] * 5)
    for n in range(1, CASE_MANAGERS + 1):
        writer.writerow(["staff", f"cm{n}", f"Case Manager {n}", "", "case_manager"] + [""] * 5)
    start = date.today() - timedelta(days=700)
    for n in range(1, MENTEES + 1):
        started = start + timedelta(days=rng.randrange(690))
        # Half the dates US style, half ISO, as a mixed spreadsheet would have them.
        shown = started.strftime("%m/%d/%Y") if n % 2 else started.isoformat()
        writer.writerow(
            [
                "mentee",
                f"mentee{n:03d}" if n % 4 == 0 else "",
                f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}",
                "",
                "",
                "",
                f"R-{n:05d}",
                shown,
                f"mentor{rng.randrange(1, MENTORS + 1):02d}",
                f"cm{rng.randrange(1, CASE_MANAGERS + 1)}",
            ]
        )
    return out.getvalue()


def time_import(database_url: str) -> dict:
    from skills import create_app
    from skills.extensions import db
    from skills.services import people, roster

    text = roster_csv().encode()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.create_all()
        org = people.get_or_create_organisation("Roster Bench Program")
        db.session.commit()
        timings = []
        for _ in range(2):
            began = time.perf_counter()
            plan = roster.import_roster(org, [("roster-500.csv", text)])
            db.session.commit()
            timings.append(round(time.perf_counter() - began, 3))
            summary = plan.summary(done=True)
            print(summary)
    return {
        "rows": 500,
        "first_import_s": timings[0],
        "second_import_s": timings[1],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", help="write the CSV to this path and stop")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.write:
        with open(args.write, "w", encoding="utf-8", newline="") as file:
            file.write(roster_csv())
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/roster.sqlite"
        print(json.dumps(time_import(url)))


if __name__ == "__main__":
    main()
