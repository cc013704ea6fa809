"""Organisation boundaries: another organisation's ids read as ids that do not exist.

For every route with a mentee, person, assignment, sign-off or "I did it" id in its
address, each person of the second organisation gets exactly the answer a missing id
gets: same status, same page. A 403 there would confirm that the record exists.
Inside one's own organisation a refusal may stay a 403: it tells nothing new.
"""

import re

import pytest
from sqlalchemy import func, select

from skills import create_app
from skills.extensions import db
from skills.models import Assignment, Mentee, SignoffEvent, User

from .conftest import PASSWORD
from .page_states import without_csrf

# Route parameters naming a record that belongs to one organisation. (Skills belong to
# curricula, which organisations share or own; their boundary is the curriculum's.)
OWNED = {"mentee_id", "user_id", "assignment_id", "event_id", "report_id", "photo_id"}
MISSING_ID = 987_654_321
OUTSIDERS = ("other_org_admin", "other_org_mentor", "mentee_c")
# Who in the other organisation may use each area, and so must reach the record lookup
# (a role check that refuses before it gives one answer to every id anyway).
REACHES_LOOKUP = {
    "admin.": "other_org_admin",
    "mentees.": "other_org_mentor",
    "reports.": "other_org_mentor",
    "me.": "mentee_c",
}


def _routes() -> list[tuple[str, str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not set(rule.arguments) & OWNED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule.rule))
    return found


ROUTES = _routes()


def _url(rule: str, params: dict, missing: bool) -> str:
    for name, value in params.items():
        value = MISSING_ID if missing and name in OWNED else value
        rule = rule.replace(f"<int:{name}>", str(value))
    assert "<" not in rule, f"no test value for a parameter of {rule}"
    return rule


def _counts() -> tuple[int, ...]:
    db.session.expire_all()
    models = (User, Mentee, Assignment, SignoffEvent)
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in models)


def test_the_routes_cover_every_kind_of_owned_record():
    named = {arg for _, _, rule in ROUTES for arg in re.findall(r"<int:(\w+)>", rule)}
    assert named >= OWNED
    assert len(ROUTES) >= 20


@pytest.mark.parametrize("endpoint, method, rule", ROUTES, ids=[f"{e}-{m}" for e, m, _ in ROUTES])
def test_another_organisations_record_answers_as_a_missing_one(app, world, endpoint, method, rule):
    before = _counts()
    for actor in OUTSIDERS:
        client = app.test_client()
        user = world.users[actor]
        assert (
            client.post(
                "/login", data={"username": user.username, "password": PASSWORD}
            ).status_code
            == 302
        )
        theirs = client.open(_url(rule, world.params, missing=False), method=method, data={})
        missing = client.open(_url(rule, world.params, missing=True), method=method, data={})
        seen = (theirs.status_code, without_csrf(theirs))
        assert seen == (missing.status_code, without_csrf(missing)), (
            f"{actor} {method} {rule}: {theirs.status_code} for the other organisation's "
            f"record, {missing.status_code} for a missing one"
        )
        area = next((a for a in REACHES_LOOKUP if endpoint.startswith(a)), None)
        if area and REACHES_LOOKUP[area] == actor:
            assert theirs.status_code == 404, f"{actor} {method} {rule}"
    assert _counts() == before


def test_inside_the_organisation_an_unassigned_mentor_still_gets_403(app, world):
    """The record is theirs to know of; they may not open it."""
    client = app.test_client()
    client.post(
        "/login", data={"username": world.users["other_mentor"].username, "password": PASSWORD}
    )
    assert client.get(f"/mentees/{world.mentee_a.id}").status_code == 403
    assert client.get(f"/mentees/{MISSING_ID}").status_code == 404


def test_only_people_of_the_organisation_may_know_its_records_exist(world):
    from flask_login import AnonymousUserMixin

    from skills import permissions

    org_a = world.mentee_a.organisation_id
    users = world.users
    assert permissions.may_know_of(users["other_mentor"], org_a)
    assert permissions.may_know_of(users["mentee_b"], org_a)
    assert not permissions.may_know_of(users["other_org_admin"], org_a)
    assert not permissions.may_know_of(users["mentee_c"], org_a)
    assert not permissions.may_know_of(AnonymousUserMixin(), org_a)
    users["deactivated"].active = False
    assert not permissions.may_know_of(users["deactivated"], org_a)
