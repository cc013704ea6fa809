"""The benchmark database for `bench/reports.py`: a synthetic 150-skill curriculum and
500 mentees with months of sign-offs (notes of all lengths), in SQLite."""

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SKILLS = 150
DOMAINS = 8
MENTEES = 500

FIRST = ["José", "Zoë", "Łukasz", "Ánh", "Søren", "Maria", "DeShawn", "Guadalupe", "Wei", "Chloé"]
LAST = ["García", "Müller", "Kowalski", "Nguyễn Thị", "Sørensen", "Johnson", "O'Brien", "Chen"]
WORDS = [
    "bus",
    "card",
    "stop",
    "map",
    "list",
    "shop",
    "cook",
    "stove",
    "bank",
    "budget",
    "bill",
    "phone",
    "call",
    "clinic",
    "pharmacy",
    "refill",
    "calendar",
    "laundry",
    "lease",
    "rent",
    "landlord",
    "form",
    "office",
    "appointment",
    "schedule",
    "practice",
    "calm",
    "ask",
    "help",
    "again",
    "ready",
    "time",
    "safe",
    "store",
    "label",
    "price",
    "fresh",
    "plan",
    "week",
]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def write_curriculum(directory: Path) -> Path:
    """A curriculum file with SKILLS skills spread over DOMAINS domains."""
    rng = random.Random(7)  # noqa: S311 - reproducible made-up data, not secrets
    lines = [
        "id: bench",
        'version: "1"',
        "title: Benchmark curriculum",
        "signed_off_level: 3",
        "levels:",
    ]
    for value, name, text in [
        (0, "Not started", "Not started yet"),
        (1, "Introduced", "I have seen how it is done"),
        (2, "Practising with support", "I am practising with help"),
        (3, "Can do it on my own", "I can do this on my own"),
    ]:
        lines += [f"  - value: {value}", f"    name: {name}", f"    mentee_text: {text}"]
    lines.append("domains:")
    per_domain = -(-SKILLS // DOMAINS)
    made = 0
    for d in range(DOMAINS):
        lines += [
            f"  - key: area-{d}",
            f"    title: Area {d + 1} {_sentence(rng, 2)}",
            "    skills:",
        ]
        for _ in range(min(per_domain, SKILLS - made)):
            title = _sentence(rng, rng.randint(3, 7))
            lines += [
                f"      - key: skill-{made}",
                f"        title: {title}",
                f"        i_can: I can {title.lower()}.",
                f"        description: {_sentence(rng, 12)}.",
            ]
            made += 1
    path = directory / "bench.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_app(directory: Path):
    from skills import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite'}",
            "CURRICULUM_DIR": directory,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 64,
        }
    )


def build_database(directory: Path) -> dict:
    """Curriculum, a mentor, a case manager, MENTEES mentees and their sign-offs."""
    from sqlalchemy import insert, select

    from skills.extensions import db
    from skills.models import SignoffEvent, Skill
    from skills.services import assignments, curriculum, people
    from skills.services.status import rebuild_statuses

    curriculum_file = write_curriculum(directory)
    app = make_app(directory)
    rng = random.Random(1)  # noqa: S311 - reproducible made-up data, not secrets
    today = date.today()
    with app.app_context():
        db.create_all()
        curriculum.load_files([curriculum_file])
        org = people.get_or_create_organisation("Riverside Peer Support")
        mentor = people.create_user(org, "mentor", "Łukasz Kowalski", "bench-password-1", "mentor")
        manager = people.create_user(
            org, "manager", "Søren Sørensen", "bench-password-1", "case_manager"
        )
        mentees = []
        for i in range(MENTEES):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
            mentee = people.create_mentee(org, name, today - timedelta(days=300))
            assignments.assign(mentor, mentee, "mentor", mentee.start_date)
            assignments.assign(manager, mentee, "case_manager", mentee.start_date)
            mentees.append(mentee)
        skills = list(db.session.scalars(select(Skill).order_by(Skill.id)))
        assert len(skills) == SKILLS
        events = []
        now = datetime.now(UTC)
        for n, mentee in enumerate(mentees):
            for skill in skills:
                # The first mentee has all 150 skills under way; the others most of them.
                if n and rng.random() < 0.15:
                    continue
                shown = today - timedelta(days=rng.randint(40, 290))
                levels = [1, 3] if rng.random() < 0.6 else [rng.randint(1, 2)]
                for level in levels:
                    note = ""
                    roll = rng.random()
                    if roll < 0.02:
                        note = _sentence(rng, 330)[:2000]
                    elif roll < 0.35:
                        note = _sentence(rng, rng.randint(8, 40)) + ". <b>&amp;</b> ok"
                    events.append(
                        {
                            "mentee_id": mentee.id,
                            "skill_id": skill.id,
                            "kind": "signoff",
                            "level": level,
                            "recorded_by_id": mentor.id,
                            "recorded_at": now,
                            "shown_on": shown,
                            "note": note,
                            "note_visibility": "staff" if rng.random() < 0.2 else "mentee",
                            "support": rng.choice([None, "own", "reminders", "shown"]),
                            "place": rng.choice([None, "Library", "Grocery store"]),
                        }
                    )
                    shown += timedelta(days=rng.randint(5, 30))
                    if shown > today:
                        break
        for start in range(0, len(events), 5000):
            db.session.execute(insert(SignoffEvent), events[start : start + 5000])
        rebuild_statuses()
        db.session.commit()
        return {"mentees": MENTEES, "skills": SKILLS, "events": len(events)}
