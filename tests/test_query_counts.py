"""List pages read in a fixed number of queries, however many mentees or events.

Two teams alike in everything but size (5 and 50 mentees) each get a mentor and a case
manager. Every mentee has sign-offs in every domain, a re-check due, a refresher asked,
a goal, a self-rating and an open "I did it" report, so anything a page loads per
mentee or per event would show up as extra queries on the larger team. The mentee shown
on the single-mentee pages has as many extra sign-offs as the team has mentees.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import Mentee, SkillStatus, User
from skills.services import assignments, people, voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import PASSWORD, today

TODAY = today()
SIZES = (5, 50)
SKILL_KEYS = ("get-transit-card", "read-timetable", "ride-and-pay", "open-bank-account", "use-atm")
# Signed off (3) where a refresher or a re-check (open-bank-account: 180 days) needs it.
LEVELS = (3, 2, 3, 3, 1)


@dataclass
class Team:
    mentor: User
    case_manager: User
    mentees: list[Mentee]

    @property
    def focus(self) -> Mentee:
        """The mentee whose own pages are requested."""
        return self.mentees[-1]


def _history(mentee: Mentee, mentor: User, skills: list, extra: int) -> None:
    start = mentee.start_date
    for n, (skill, level) in enumerate(zip(skills, LEVELS, strict=True)):
        details = SignoffDetails(level=level, shown_on=start + timedelta(days=n), note="Practised")
        record_signoff(mentee, skill, mentor, details)
    for n in range(extra):  # more history on skills still being learned
        details = SignoffDetails(level=1 + n % 2, shown_on=TODAY, note=f"Session {n}")
        record_signoff(mentee, skills[1 if n % 2 else 4], mentor, details)
    voice.mark_refresher(mentee, skills[0], mentor, "Let's go over this again")
    user = mentee.user
    voice.set_goal(mentee, skills[1], user)
    voice.rate_self(mentee, skills[2], "can", user)
    voice.report_did_it(mentee, skills[4], "I did it on my own", user)


@pytest.fixture
def teams(org, make_user, skill) -> dict[int, Team]:
    skills = [skill(key) for key in SKILL_KEYS]
    built = {}
    for size in SIZES:
        team = Team(make_user("mentor"), make_user("case_manager"), [])
        for i in range(size):
            # Started long enough ago that the re-check interval (180 days) has passed.
            mentee = people.create_mentee(
                org, f"Mentee {size}-{i}", TODAY - timedelta(days=200 + i)
            )
            user = people.create_user(org, f"m{size}x{i}", mentee.full_name, PASSWORD, "mentee")
            mentee.user_id = user.id
            assignments.assign(team.mentor, mentee, "mentor", mentee.start_date)
            assignments.assign(team.case_manager, mentee, "case_manager", mentee.start_date)
            team.mentees.append(mentee)
        for mentee in team.mentees:
            extra = size if mentee is team.focus else 0
            _history(mentee, team.mentor, skills, extra)
        db.session.commit()  # one commit per team keeps the set-up quick
        built[size] = team
    return built


PAGES = {
    "mentor": lambda team: (team.mentor, "/mentor/"),
    "caseload": lambda team: (team.case_manager, "/caseload/"),
    "mentee detail": lambda team: (team.mentor, f"/mentees/{team.focus.id}"),
    "me": lambda team: (team.focus.user, "/me/"),
}


def _who_and_where(teams: dict[int, Team], page: str) -> dict[int, tuple[SimpleNamespace, str]]:
    """Usernames and paths as plain values, then end the test's own transaction, so
    nothing here holds the database while the client's requests run."""
    plan = {}
    for size in SIZES:
        user, path = PAGES[page](teams[size])
        plan[size] = (SimpleNamespace(username=user.username), path)
    db.session.commit()
    return plan


@pytest.mark.parametrize("page", PAGES)
def test_page_issues_the_same_queries_for_5_and_50_mentees(
    page, teams, client, login, count_queries
):
    statements = {}
    for size, (user, path) in _who_and_where(teams, page).items():
        login(user)
        client.get(path)  # the first view after sign-in may set up the session
        # Counted as built, not from the memory of the lists (services/page_cache.py):
        # building is what grows with the team.
        client.application.extensions.pop("skills.page_parts", None)
        with count_queries() as counter:
            response = client.get(path)
        assert response.status_code == 200, path
        statements[size] = counter.statements
    small, large = (statements[size] for size in SIZES)
    repeated = Counter(large) - Counter(small)
    assert len(small) == len(large), (
        f"{page}: {len(small)} queries for 5 mentees, {len(large)} for 50; repeated: "
        + "; ".join(f"{n}× {sql[:200]}" for sql, n in repeated.most_common(2))
    )


def test_the_large_team_is_really_larger_on_the_pages(teams, client, login):
    """Guard for the test above: the pages it counts do show every mentee."""
    team = teams[50]
    ids = [m.id for m in team.mentees]
    (mentor, _), (case_manager, _) = (_who_and_where(teams, p)[50] for p in ("mentor", "caseload"))
    login(mentor)
    page = client.get("/mentor/").get_data(as_text=True)
    assert all(f'id="mentee-{i}"' in page for i in ids)
    login(case_manager)
    page = client.get("/caseload/").get_data(as_text=True)
    assert "50 mentees shown" in page


@pytest.mark.parametrize("page", ["skill", "mentee detail"])
def test_a_page_about_one_mentee_reads_the_user_the_mentee_and_the_skill_once(
    page, teams, client, login, count_queries
):
    """The view's audit row is committed before the page renders; that commit must not
    send the page back to the database for what it had just read (loading.py)."""
    team = teams[5]
    if page == "skill":
        skill_id = db.session.scalar(
            select(SkillStatus.skill_id)
            .where(SkillStatus.mentee_id == team.focus.id)
            .order_by(SkillStatus.skill_id)
            .limit(1)
        )
        path = f"/mentees/{team.focus.id}/skills/{skill_id}"
    else:
        path = f"/mentees/{team.focus.id}"
    username = team.mentor.username
    db.session.commit()
    login(SimpleNamespace(username=username))
    client.get(path)
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    by_key = Counter(
        table
        for sql in counter.statements
        for table in ("users", "mentees", "skills")
        if re.search(rf"\bFROM {table}\b.*\bWHERE {table}\.id = ", " ".join(sql.split()))
    )
    assert by_key["users"] == 1, counter.statements
    assert by_key["mentees"] == 1, counter.statements
    assert by_key["skills"] == (1 if page == "skill" else 0), counter.statements
    assert "audit_events" in " ".join(counter.statements)  # the view was audited
