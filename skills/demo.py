"""A demo organisation with realistic, deterministic sign-off history.

Events are inserted in bulk (the demo can hold hundreds of thousands) and the
current-status rows are then rebuilt from them, the same way `recompute` would.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import insert, select

from .extensions import db
from .models import Assignment, Mentee, Organisation, SignoffEvent, User
from .services import audit, people
from .services.passwords import hash_password
from .services.progress import curriculum_view
from .services.signoffs import SignoffDetails, correct_signoff, rebuild_statuses
from .timeutil import today

DEMO_ORGANISATION = "Riverside Peer Support (demo)"
DEMO_PASSWORD = "practice-makes-progress"  # noqa: S105 - printed for demo logins only

FIRST_NAMES = [
    "José",
    "Zoë",
    "Łukasz",
    "Ánh",
    "Søren",
    "Maria",
    "James",
    "Aaliyah",
    "DeShawn",
    "Emily",
    "Carlos",
    "Mei",
    "Tyrone",
    "Fatima",
    "Kevin",
    "Rosa",
    "Andre",
    "Hannah",
    "Luis",
    "Keisha",
    "Brian",
    "Guadalupe",
    "Marcus",
    "Olivia",
    "Darnell",
    "Sofia",
    "Wei",
    "Jasmine",
    "Robert",
    "Ayesha",
    "Tomás",
    "Linda",
    "Jamal",
    "Chloé",
    "Ibrahim",
    "Grace",
    "Miguel",
    "Tanya",
    "Eli",
    "Nadia",
]
LAST_NAMES = [
    "García",
    "Fischer",
    "Kowalski",
    "Nguyễn Thị",
    "Sørensen",
    "Lopez",
    "Johnson",
    "Williams",
    "Brown",
    "Davis",
    "Martinez",
    "Chen",
    "Jackson",
    "Khan",
    "O'Brien",
    "Hernández",
    "Moore",
    "Taylor",
    "Ramírez",
    "Robinson",
    "Clark",
    "Flores",
    "Walker",
    "Young",
    "Allen",
    "Rossi",
    "Zhang",
    "Wright",
    "King",
    "Ali",
    "Peña",
    "Scott",
    "Green",
    "Dubois",
    "Hassan",
    "Baker",
    "Torres",
    "Nelson",
    "Hill",
    "Haddad",
]
MENTOR_NAMES = ["Dana Reyes", "Sam Okafor", "Pat Lindqvist", "Jordan Blake", "Alex Moreno"]
CASE_MANAGER_NAMES = ["Casey Whitfield", "Morgan Ito"]
PLACES = [
    "Route 12 to the clinic",
    "Main St. grocery store",
    "Library on 5th",
    "Downtown bank branch",
    "Pharmacy on Elm",
    "Benefits office",
    "Transit center",
    "Home visit",
    "Peer center",
]
NOTES = [
    "We did this together. It went well.",
    "Practised twice this week. Next time, try it alone.",
    "Felt nervous at first, then calm. Great work.",
    "Needed a reminder about the last step.",
    "Did it without help today!",
    "We went over it with the map. Try again Thursday.",
    "",
    "",
]
STAFF_NOTES = [
    "Talked about stress around money; follow up with case manager.",
    "Missed one session; check in about transport.",
]


@dataclass
class DemoSummary:
    organisation: Organisation
    logins: list[tuple[str, str, str]]  # (role, username, display name)
    mentees: int
    events: int
    password: str


def create_demo(
    mentees: int = 40,
    mentors: int = 5,
    case_managers: int = 2,
    months: int = 6,
    seed: int = 1,
    password: str = DEMO_PASSWORD,
    organisation_name: str = DEMO_ORGANISATION,
) -> DemoSummary:
    """Create the demo organisation; the caller commits. Refuses if it already exists."""
    if db.session.scalar(select(Organisation.id).where(Organisation.name == organisation_name)):
        raise people.PeopleError(f"The demo organisation “{organisation_name}” already exists.")
    view = curriculum_view()
    if not view.skill_count:
        raise people.PeopleError("Load a curriculum before creating demo data.")
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    on = today()
    org = people.get_or_create_organisation(organisation_name)
    password_hash = hash_password(password)  # one hash for every demo login keeps this fast

    def add_user(username: str, name: str, roles: str) -> User:
        user = User(
            organisation_id=org.id,
            username=username,
            display_name=name,
            password_hash=password_hash,
            roles=roles,
        )
        db.session.add(user)
        return user

    logins: list[tuple[str, str, str]] = []
    add_user("admin", "Avery Admin", "admin")
    logins.append(("admin", "admin", "Avery Admin"))
    cm_users = []
    for i in range(case_managers):
        name = _name(CASE_MANAGER_NAMES, i, rng)
        cm_users.append(add_user(f"casemanager{i + 1}", name, "case_manager"))
        logins.append(("case manager", f"casemanager{i + 1}", name))
    mentor_users = []
    for i in range(mentors):
        name = _name(MENTOR_NAMES, i, rng)
        mentor_users.append(add_user(f"mentor{i + 1}", name, "mentor"))
        logins.append(("mentor", f"mentor{i + 1}", name))
    db.session.flush()

    mentee_rows = []
    width = max(2, len(str(mentees)))
    for i in range(mentees):
        username = f"mentee{i + 1:0{width}d}"
        full_name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        if i >= len(FIRST_NAMES):
            full_name += f" {i // len(FIRST_NAMES) + 1}"
        user = add_user(username, full_name, "mentee")
        start = on - timedelta(days=rng.randint(20, months * 30))
        mentee_rows.append((user, full_name, start))
        if i < 3:
            logins.append(("mentee", username, full_name))
    db.session.flush()

    mentee_objs = []
    for i, (user, full_name, start) in enumerate(mentee_rows):
        mentee = Mentee(
            organisation_id=org.id,
            record_number=f"R{i + 1:05d}",
            full_name=full_name,
            preferred_name=full_name.split()[0] if i % 5 == 0 else None,
            start_date=start,
            user_id=user.id,
        )
        db.session.add(mentee)
        mentee_objs.append(mentee)
    db.session.flush()

    skills = [s for d in view.domains for s in view.skills.get(d.id, [])]
    events: list[dict] = []
    assignments: list[dict] = []
    for i, mentee in enumerate(mentee_objs):
        mentor = mentor_users[i % len(mentor_users)]
        cm = cm_users[i % len(cm_users)] if cm_users else None
        # Every seventh mentee changed mentor halfway: the old mentor's history stays.
        switch = None
        if i % 7 == 3 and len(mentor_users) > 1 and (on - mentee.start_date).days > 40:
            switch = mentee.start_date + (on - mentee.start_date) // 2
            old = mentor_users[(i + 1) % len(mentor_users)]
            assignments.append(_assignment(mentee, old, "mentor", mentee.start_date, switch))
            assignments.append(_assignment(mentee, mentor, "mentor", switch, None))
        else:
            assignments.append(_assignment(mentee, mentor, "mentor", mentee.start_date, None))
        if cm:
            assignments.append(_assignment(mentee, cm, "case_manager", mentee.start_date, None))
        for shown_on, skill, level in _history(rng, mentee.start_date, on, skills):
            recorder = old if switch and shown_on < switch else mentor
            staff_only = rng.random() < 0.08
            events.append(
                {
                    "mentee_id": mentee.id,
                    "skill_id": skill.id,
                    "kind": "signoff",
                    "level": level,
                    "recorded_by_id": recorder.id,
                    "recorded_at": datetime.combine(shown_on, time(15, rng.randint(0, 59)), UTC),
                    "shown_on": shown_on,
                    "note": rng.choice(STAFF_NOTES if staff_only else NOTES),
                    "note_visibility": "staff" if staff_only else "mentee",
                    "support": rng.choice(["own", "reminders", "shown", "hands_on"]),
                    "place": rng.choice(PLACES) if rng.random() < 0.5 else None,
                    "practised_with": rng.choice(["alone", "mentor", "group"]),
                }
            )
    # Two mentees were discharged recently; their history stays readable.
    for mentee in mentee_objs[-2:]:
        if (on - mentee.start_date).days > 60:
            mentee.status, mentee.discharged_on = "discharged", on - timedelta(days=5)
    db.session.execute(insert(Assignment), assignments)
    events.sort(key=lambda e: (e["recorded_at"], e["mentee_id"]))
    for start in range(0, len(events), 5000):
        db.session.execute(insert(SignoffEvent), events[start : start + 5000])
    rebuild_statuses([m.id for m in mentee_objs])
    _a_few_corrections(mentee_objs[:3])
    audit.record("demo.create", None, organisation_id=org.id, mentees=mentees, events=len(events))
    db.session.flush()
    return DemoSummary(org, logins, mentees, len(events), password)


def _name(names: list[str], i: int, rng: random.Random) -> str:
    return names[i] if i < len(names) else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _assignment(mentee: Mentee, staff: User, kind: str, starts: date, ends: date | None) -> dict:
    return {
        "mentee_id": mentee.id,
        "staff_id": staff.id,
        "kind": kind,
        "starts_on": starts,
        "ends_on": ends,
    }


def _history(rng: random.Random, start: date, on: date, skills: list) -> list[tuple]:
    """Weekly sessions from the start date; each works on a few skills, one level at a time."""
    levels: dict[int, int] = {}
    order = skills[:]
    # Mentees start in different places, mostly near the front of each domain.
    rng.shuffle(order)
    order.sort(key=lambda s: s.position + rng.random() * 4)
    out = []
    cursor = 0
    day = start + timedelta(days=rng.randint(0, 6))
    while day <= on:
        working = [s for s in order[: cursor + 3] if levels.get(s.id, 0) < 3]
        for skill in working[: rng.randint(1, 3)]:
            level = min(3, levels.get(skill.id, 0) + 1)
            if level == 3 and rng.random() < 0.25:
                continue  # not ready yet: practise again next time
            levels[skill.id] = level
            out.append((day, skill, level))
        if rng.random() < 0.5:
            cursor += 1
        day += timedelta(days=rng.randint(4, 10))
    return out


def _a_few_corrections(mentees: list[Mentee]) -> None:
    """Corrections go through the service, as a mentor's would."""
    for mentee in mentees:
        event = db.session.scalar(
            select(SignoffEvent)
            .where(SignoffEvent.mentee_id == mentee.id)
            .order_by(SignoffEvent.id.desc())
            .limit(1)
        )
        if event is None:
            continue
        mentor = event.recorded_by
        if "mentor" not in {a.kind for a in _current(mentor, mentee)}:
            continue
        correct_signoff(
            event,
            mentor,
            SignoffDetails(
                level=max(1, event.level - 1),
                shown_on=event.shown_on,
                note="Corrected: we only got halfway this time.",
            ),
            reason="I picked the wrong level.",
        )


def _current(staff: User, mentee: Mentee) -> list[Assignment]:
    on = today()
    return [
        a
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.staff_id == staff.id, Assignment.mentee_id == mentee.id
            )
        )
        if a.is_current(on)
    ]
