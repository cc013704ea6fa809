"""A demo organisation with realistic, deterministic sign-off history.

Events are inserted in bulk (the demo can hold hundreds of thousands) with their
current-status rows, derived from them the way `rebuild_statuses` would; `flask check`
confirms the two agree.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import select, text

from .cycles import cyclic_gc_paused
from .demo_bulk import built_after
from .demo_bulk import insert_rows as _insert
from .demo_notes import add_session_notes
from .demo_text import (
    CASE_MANAGER_NAMES,
    DOMAIN_PLACES,
    FIRST_NAMES,
    LAST_NAMES,
    MENTOR_NAMES,
    PLACES,
    note_for,
)
from .demo_voice import add_voice
from .extensions import db
from .models import Assignment, Mentee, Organisation, SignoffEvent, SkillStatus, User
from .models.curriculum import counts_as_signed_off
from .services import audit, counters, people
from .services.curriculum_view import CurriculumView, curriculum_view
from .services.passwords import hash_password
from .services.signoffs import SignoffDetails, correct_signoff
from .timeutil import today

DEMO_ORGANISATION = "Riverside Peer Support (demo)"
DEMO_PASSWORD = "practice-makes-progress"  # noqa: S105 - printed for demo logins only


@dataclass
class DemoSummary:
    organisation: Organisation
    logins: list[tuple[str, str, str]]  # (role, username, display name)
    mentees: int
    events: int
    password: str


@cyclic_gc_paused()
def create_demo(
    mentees: int = 40,
    mentors: int = 5,
    case_managers: int = 2,
    months: int = 6,
    seed: int = 1,
    password: str = DEMO_PASSWORD,
    organisation_name: str = DEMO_ORGANISATION,
) -> DemoSummary:
    """Create the demo organisation; the caller commits. Refuses if it already exists.

    The same seed on the same day gives the same people and the same history.
    """
    if db.session.scalar(select(Organisation.id).where(Organisation.name == organisation_name)):
        raise people.PeopleError(f"The demo organization “{organisation_name}” already exists.")
    org = people.get_or_create_organisation(organisation_name)
    view = curriculum_view(org.id)
    if not view.skill_count:
        raise people.PeopleError("Load a curriculum before creating demo data.")
    rng = random.Random(seed)  # noqa: S311 - sample data, not security
    on = today(org)
    cache_size = None
    if db.session.get_bind().dialect.name == "sqlite":
        # Events arrive in time order, so index pages are hit at random: a larger page
        # cache (this connection only, until the end) keeps them in memory.
        cache_size = db.session.scalar(text("PRAGMA cache_size"))
        db.session.execute(text("PRAGMA cache_size = -262144"))
    password_hash = hash_password(password)  # one hash for every demo login keeps this fast

    logins: list[tuple[str, str, str]] = [("admin", "admin", "Avery Admin")]
    user_rows = [_user_row(org, "admin", "Avery Admin", "admin", password_hash)]
    staff: dict[str, list[str]] = {"case_manager": [], "mentor": []}
    for kind, count, names, prefix, label in (
        ("case_manager", case_managers, CASE_MANAGER_NAMES, "casemanager", "case manager"),
        ("mentor", mentors, MENTOR_NAMES, "mentor", "mentor"),
    ):
        for i in range(count):
            name = _name(names, i, rng)
            username = f"{prefix}{i + 1}"
            user_rows.append(_user_row(org, username, name, kind, password_hash))
            staff[kind].append(username)
            logins.append((label, username, name))

    plans = []
    width = max(2, len(str(mentees)))
    for i in range(mentees):
        username = f"mentee{i + 1:0{width}d}"
        full_name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        if i >= len(FIRST_NAMES):
            full_name += f" {i // len(FIRST_NAMES) + 1}"
        user_rows.append(_user_row(org, username, full_name, "mentee", password_hash))
        start = on - timedelta(days=rng.randint(20, months * 30))
        plans.append((username, full_name, start))
        if i < 3:
            logins.append(("mentee", username, full_name))
    _insert(User, user_rows)
    user_ids = dict(
        db.session.execute(
            select(User.username, User.id).where(User.organisation_id == org.id)
        ).all()
    )

    mentee_rows: list[dict[str, Any]] = []
    for i, (username, full_name, start) in enumerate(plans):
        # The last two mentees were discharged recently; their history stays readable.
        discharged = i >= mentees - 2 and (on - start).days > 60
        mentee_rows.append(
            {
                "organisation_id": org.id,
                "record_number": f"R{i + 1:05d}",
                "full_name": full_name,
                "preferred_name": full_name.split()[0] if i % 5 == 0 else None,
                "start_date": start,
                "status": "discharged" if discharged else "active",
                "discharged_on": on - timedelta(days=5) if discharged else None,
                "user_id": user_ids[username],
            }
        )
    _insert(Mentee, mentee_rows)
    mentee_ids = dict(
        db.session.execute(
            select(Mentee.record_number, Mentee.id).where(Mentee.organisation_id == org.id)
        ).all()
    )

    # (id, position) of every live skill: plain tuples keep the history loop quick.
    skills = [(s.id, s.position) for d in view.domains for s in view.skills.get(d.id, [])]
    keys = {s.id: (s.key, d.key) for d in view.domains for s in view.skills.get(d.id, [])}
    mentor_ids = [user_ids[u] for u in staff["mentor"]]
    cm_ids = [user_ids[u] for u in staff["case_manager"]]
    # (when, mentee) as one int sorts several times faster than the aware times do.
    after_mentee = max(mentee_ids.values(), default=0) + 1
    keyed: list[tuple[int, tuple]] = []
    assignments: list[dict] = []
    for i, row in enumerate(mentee_rows):
        mentee_id, start = mentee_ids[row["record_number"]], row["start_date"]
        mentor = mentor_ids[i % len(mentor_ids)]
        # Every seventh mentee changed mentor halfway: the old mentor's history stays.
        switch = old = None
        if i % 7 == 3 and len(mentor_ids) > 1 and (on - start).days > 40:
            switch = start + (on - start) // 2
            old = mentor_ids[(i + 1) % len(mentor_ids)]
            assignments.append(_assignment(mentee_id, old, "mentor", start, switch))
            assignments.append(_assignment(mentee_id, mentor, "mentor", switch, None))
        else:
            assignments.append(_assignment(mentee_id, mentor, "mentor", start, None))
        if cm_ids:
            cm = cm_ids[i % len(cm_ids)]
            assignments.append(_assignment(mentee_id, cm, "case_manager", start, None))
        until = row["discharged_on"] or on
        if i % 9 == 4 and row["status"] == "active":
            # Stalled: no sign-off for over a month (the caseload page flags them).
            until = on - timedelta(days=35 + i % 20)
        for shown_on, skill_id, level in _history(rng, start, until, skills):
            recorder = old if switch and shown_on < switch else mentor
            staff_only = rng.random() < 0.08
            skill_key, domain_key = keys[skill_id]
            places = DOMAIN_PLACES.get(domain_key, PLACES)
            minute = rng.randint(0, 59)
            when = shown_on.toordinal() * 60 + minute  # every generated time is 15:mm
            keyed.append(
                (
                    when * after_mentee + mentee_id,
                    (
                        datetime.combine(shown_on, time(15, minute), UTC),
                        mentee_id,
                        skill_id,
                        level,
                        recorder,
                        shown_on,
                        note_for(
                            skill_key, domain_key, rng.random(), rng.randrange(12), staff_only
                        ),
                        "staff" if staff_only else "mentee",
                        rng.choice(SUPPORT_CHOICES),
                        rng.choice(places) if rng.random() < 0.5 else None,
                        rng.choice(PRACTISED_CHOICES),
                    ),
                )
            )
    _insert(Assignment, assignments)
    # Events go in in the order they were recorded, as they would have been live.
    keyed.sort(key=itemgetter(0))
    events = [event for _, event in keyed]
    del keyed
    with built_after(SignoffEvent):
        event_ids = _insert(SignoffEvent, events, EVENT_FIELDS)
    with built_after(SkillStatus):
        _insert(SkillStatus, _statuses(events, event_ids, view), STATUS_FIELDS)
    counters.rebuild(mentee_ids.values())
    firsts = [db.session.get(Mentee, mentee_ids[r["record_number"]]) for r in mentee_rows[:3]]
    _a_few_corrections([mentee for mentee in firsts if mentee is not None])
    add_voice(org, view, rng, on)
    notes = add_session_notes(org, view, rng, on)
    audit.record(
        "demo.create",
        None,
        organisation_id=org.id,
        mentees=mentees,
        events=len(events),
        session_notes=notes,
    )
    db.session.flush()
    if cache_size is not None:
        db.session.execute(text(f"PRAGMA cache_size = {int(cache_size)}"))
    return DemoSummary(org, logins, mentees, len(events), password)


SUPPORT_CHOICES = ["own", "reminders", "shown", "hands_on"]
PRACTISED_CHOICES = ["alone", "mentor", "group"]
EVENT_FIELDS = (
    "recorded_at",
    "mentee_id",
    "skill_id",
    "level",
    "recorded_by_id",
    "shown_on",
    "note",
    "note_visibility",
    "support",
    "place",
    "practised_with",
)
STATUS_FIELDS = (
    "mentee_id",
    "skill_id",
    "level",
    "signed_off",
    "event_id",
    "shown_on",
    "recorded_by_id",
    "needs_refresher",
)


def _statuses(events: list[tuple], ids: list[int], view: CurriculumView) -> list[tuple]:
    """Current-status rows for the demo history, as `rebuild_statuses` would derive them,
    in primary-key order (each goes in at the end of the key's index).

    The generated history holds only plain sign-offs, so the current level of a skill
    is its latest event; `ids` are the events' ids, in the order of `events`.
    """
    top = {
        skill.id: view.signed_off_level(skill.curriculum_id)
        for skills in view.skills.values()
        for skill in skills
    }
    latest: dict[tuple[int, int], tuple] = {}
    for event_id, event in zip(ids, events, strict=True):
        latest[(event[1], event[2])] = (event_id, event)
    return [
        (
            mentee_id,
            skill_id,
            e[3],
            counts_as_signed_off(e[3], top[skill_id]),
            event_id,
            e[5],
            e[4],
            False,
        )
        for (mentee_id, skill_id), (event_id, e) in sorted(latest.items(), key=itemgetter(0))
    ]


def _user_row(org: Organisation, username: str, name: str, roles: str, password_hash: str) -> dict:
    return {
        "organisation_id": org.id,
        "username": username,
        "display_name": name,
        "password_hash": password_hash,
        "roles": roles,
    }


def _name(names: list[str], i: int, rng: random.Random) -> str:
    return names[i] if i < len(names) else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _assignment(mentee_id: int, staff_id: int, kind: str, starts: date, ends: date | None) -> dict:
    return {
        "mentee_id": mentee_id,
        "staff_id": staff_id,
        "kind": kind,
        "starts_on": starts,
        "ends_on": ends,
    }


def _history(
    rng: random.Random, start: date, on: date, skills: list[tuple[int, int]]
) -> list[tuple[date, int, int]]:
    """Sessions about weekly from the start date; each works on a few skills, one level at
    a time. About 100 events per mentee-year, so 5,000 mentees over 24 months make ~500k."""
    placed = skills[:]
    # Mentees start in different places, mostly near the front of each domain.
    rng.shuffle(placed)
    placed.sort(key=lambda s: s[1] + rng.random() * 4)
    order = [skill_id for skill_id, _ in placed]
    levels: dict[int, int] = {}
    # The skills introduced so far that are not yet at the top level, in order.
    open_skills = order[:3]
    introduced = len(open_skills)
    out = []
    day = start + timedelta(days=rng.randint(0, 6))
    while day <= on:
        for skill in open_skills[: rng.randint(1, 3)]:
            level = levels.get(skill, 0) + 1
            if level == 3 and rng.random() < 0.25:
                continue  # not ready yet: practise again next time
            levels[skill] = level
            out.append((day, skill, level))
        open_skills = [s for s in open_skills if levels.get(s, 0) < 3]
        if rng.random() < 0.5 and introduced < len(order):
            open_skills.append(order[introduced])
            introduced += 1
        day += timedelta(days=rng.randint(3, 8))
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
    on = today(mentee)
    return [
        a
        for a in db.session.scalars(
            select(Assignment).where(
                Assignment.staff_id == staff.id, Assignment.mentee_id == mentee.id
            )
        )
        if a.is_current(on)
    ]
