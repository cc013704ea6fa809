"""Races, tried for real: several requests at once against a gunicorn server.

Each case once let concurrent requests all pass a check that only one (or only a few)
should pass: six confirmations of one "I did it" recorded five extra sign-offs, and ten
goals added at once left ten open goals where the limit is five. The threads start
together at a barrier, each with its own signed-in session, as tabs or double taps do.
"""

import threading
from html.parser import HTMLParser

from sqlalchemy import func, select

from skills import create_app
from skills.extensions import db
from skills.models import DidItReport, Goal, Mentee, SignoffEvent, Skill
from skills.models.voice import MAX_GOALS
from skills.services import people, voice

from .live_server import live_server, request  # noqa: F401 - live_server is a fixture
from .test_multiserver import PASSWORD, SECRET_KEY, new_cookie

THREADS = 8


class _Inputs(HTMLParser):
    """Every named input of a page with its value (checked radios and text alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") and found.get("type") != "radio":
            self.values.setdefault(found["name"], found.get("value") or "")


def inputs(page: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(page)
    return parser.values


class Client:
    def __init__(self, server, username: str):
        self.port, self.cookie = server.port, ""
        status, _, page = self.call("GET", "/login")
        form = {**inputs(page), "username": username, "password": PASSWORD}
        status, _, _ = self.call("POST", "/login", form)
        assert status == 302, f"{username} could not sign in"

    def call(self, method: str, path: str, form: dict | None = None):
        status, headers, body = request(self.port, method, path, form, self.cookie)
        self.cookie = new_cookie(headers, self.cookie)
        return status, headers, body


def all_at_once(clients: list[Client], send) -> list[int]:
    """Run `send(client)` in one thread per client, released together; their statuses."""
    barrier = threading.Barrier(len(clients))
    statuses: list[int] = []

    def run(client: Client) -> None:
        barrier.wait(timeout=30)
        statuses.append(send(client))

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == len(clients), "a request never finished"
    return statuses


def _setup(url: str, ids: dict, make) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            mentee = db.session.get(Mentee, ids["mentee"])
            user = people.create_user(
                mentee.organisation, "learner", "José García", PASSWORD, ["mentee"]
            )
            mentee.user_id = user.id
            db.session.flush()
            result = make(mentee, user)
            db.session.commit()
            return result
        finally:
            db.session.remove()
            db.engine.dispose()


def _count(url: str, query) -> int:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            return db.session.scalar(query)
        finally:
            db.session.remove()
            db.engine.dispose()


def test_concurrent_confirmations_of_one_did_it_record_one_sign_off(live_server):
    server, url, ids = live_server

    def report(mentee, user):
        skill = db.session.get(Skill, ids["skill"])
        return {"report": voice.report_did_it(mentee, skill, "I got my card", user).id}

    made = _setup(url, ids, report)
    path = f"/mentor/did-it/{made['report']}"
    clients = [Client(server, "mentor") for _ in range(THREADS)]
    forms = []
    for client in clients:
        status, _, page = client.call("GET", path)
        assert status == 200
        forms.append({**inputs(page), "confirm-level": "3"})

    statuses = all_at_once(clients, lambda c: c.call("POST", path, forms[clients.index(c)])[0])
    assert statuses.count(302) == 1, statuses  # one confirmation; the rest are refused
    assert 500 not in statuses
    events = select(func.count()).select_from(SignoffEvent)
    assert _count(url, events.where(SignoffEvent.mentee_id == ids["mentee"])) == 1
    confirmed = select(func.count()).select_from(DidItReport)
    assert _count(url, confirmed.where(DidItReport.status == "confirmed")) == 1


def test_concurrent_goal_additions_stop_at_the_limit(live_server):
    server, url, ids = live_server
    _setup(url, ids, lambda mentee, user: None)
    skill_ids = _count(url, select(func.min(Skill.id)))
    paths = [f"/me/skills/{skill_ids + n}/goal" for n in range(THREADS)]
    clients = [Client(server, "learner") for _ in range(THREADS)]
    forms = []
    for client, path in zip(clients, paths, strict=True):
        status, _, page = client.call("GET", path.removesuffix("/goal"))
        assert status == 200
        forms.append(inputs(page))

    def add(client: Client) -> int:
        index = clients.index(client)
        return client.call("POST", paths[index], forms[index])[0]

    statuses = all_at_once(clients, add)
    assert 500 not in statuses
    open_goals = select(func.count()).select_from(Goal).where(Goal.cleared_at.is_(None))
    assert _count(url, open_goals) == MAX_GOALS


def test_concurrent_saves_of_the_curricula_in_use_add_one_row(live_server):
    from skills.models import AuditEvent, CurriculumAdoption
    from skills.services.curriculum import owners

    server, url, ids = live_server

    def admin_without_curricula(mentee, user):
        people.create_user(mentee.organisation, "boss", "Avery Admin", PASSWORD, ["admin"])
        owners.choose(mentee.organisation, [], None)
        return {"library": owners.library()[0].id}

    made = _setup(url, ids, admin_without_curricula)
    clients = [Client(server, "boss") for _ in range(THREADS)]
    forms = []
    for client in clients:
        status, _, page = client.call("GET", "/admin/curriculum")
        assert status == 200
        forms.append({**inputs(page), "curricula": str(made["library"])})

    statuses = all_at_once(
        clients, lambda c: c.call("POST", "/admin/curriculum", forms[clients.index(c)])[0]
    )
    assert statuses == [302] * THREADS, statuses  # the later saves find nothing to change
    assert _count(url, select(func.count()).select_from(CurriculumAdoption)) == 1
    uses = select(func.count()).select_from(AuditEvent)
    assert _count(url, uses.where(AuditEvent.action == "curriculum.use")) == 1


def test_concurrent_new_assignments_of_one_pair_add_one(live_server):
    from skills.models import Assignment, User

    server, url, ids = live_server

    def second_mentor(mentee, user):
        people.create_user(mentee.organisation, "boss", "Avery Admin", PASSWORD, ["admin"])
        helper = people.create_user(mentee.organisation, "helper", "Sam Lee", PASSWORD, ["mentor"])
        return {"staff": helper.id}

    made = _setup(url, ids, second_mentor)
    clients = [Client(server, "boss") for _ in range(THREADS)]
    forms = []
    for client in clients:
        status, _, page = client.call("GET", "/admin/assignments/new")
        assert status == 200
        fields = {"staff_id": str(made["staff"]), "mentee_id": str(ids["mentee"])}
        forms.append({**inputs(page), **fields, "kind": "mentor"})

    statuses = all_at_once(
        clients, lambda c: c.call("POST", "/admin/assignments/new", forms[clients.index(c)])[0]
    )
    assert 500 not in statuses
    assert statuses.count(302) == 1, statuses  # the others are told the pair is assigned
    pair = select(func.count()).select_from(Assignment)
    pair = pair.where(Assignment.staff_id == made["staff"], Assignment.mentee_id == ids["mentee"])
    assert _count(url, pair) == 1
    assert _count(url, select(func.count()).select_from(User)) >= 3
