"""Audit completeness: the client on every row, every page that shows a mentee's data,
and refusals that belong to no organisation kept for the operator alone."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from skills import create_app
from skills.extensions import db
from skills.models import AuditEvent, Organisation
from skills.services import audit
from skills.timeutil import utcnow

from .conftest import DATA, PASSWORD

CLIENT = {"REMOTE_ADDR": "203.0.113.9"}
AGENT = "Mozilla/5.0 (TestBrowser 1.0)"


def last_id() -> int:
    db.session.rollback()  # end the test's read transaction to see the app's writes
    return db.session.scalar(select(db.func.max(AuditEvent.id))) or 0


def new_events(before: int) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id))
    )


@pytest.fixture
def browser(app, world):
    """A signed-in browser for an actor of the world, with its own address and agent."""

    def sign_in(actor: str, address: str = CLIENT["REMOTE_ADDR"]):
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR=address, HTTP_USER_AGENT=AGENT)
        response = client.post(
            "/login", data={"username": world.users[actor].username, "password": PASSWORD}
        )
        assert response.status_code == 302
        return client

    return sign_in


# --- The client on every row ------------------------------------------------------------


def test_each_web_row_names_the_client_address_and_user_agent(browser, world):
    start = last_id()
    client = browser("mentor_a")
    client.get(f"/mentees/{world.mentee_a.id}")
    client.post("/logout")
    rows = new_events(start)
    assert [r.action for r in rows] == ["auth.login", "mentee.view", "auth.logout"]
    assert {(r.client_address, r.user_agent) for r in rows} == {("203.0.113.9", AGENT)}


def test_a_failed_sign_in_names_its_client(app, world):
    start = last_id()
    app.test_client().post(
        "/login",
        data={"username": world.users["cm_a"].username, "password": "not-it-at-all"},
        environ_base={"REMOTE_ADDR": "198.51.100.23"},
        headers={"User-Agent": "curl/8.5.0"},
    )
    [row] = new_events(start)
    assert (row.outcome, row.client_address, row.user_agent) == (
        "failed",
        "198.51.100.23",
        "curl/8.5.0",
    )


def test_a_forwarded_for_header_is_not_believed_without_a_trusted_proxy(app):
    start = last_id()
    app.test_client().post(
        "/login",
        data={"username": "nobody-at-all", "password": "whatever-1"},
        environ_base=CLIENT,
        headers={"X-Forwarded-For": "192.0.2.66"},
    )
    [row] = new_events(start)
    assert row.client_address == "203.0.113.9"


def test_with_one_trusted_proxy_the_address_it_saw_is_recorded(app, database_url):
    behind_proxy = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "CURRICULUM_DIR": DATA,
            "SQLITE_SYNCHRONOUS": "OFF",
            "TRUSTED_PROXIES": 1,
        }
    )
    start = last_id()
    with behind_proxy.app_context():
        behind_proxy.test_client().post(
            "/login",
            data={"username": "nobody-at-all", "password": "whatever-1"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
            # The client wrote the first entry itself; the proxy appended the real one.
            headers={"X-Forwarded-For": "192.0.2.66, 198.51.100.7"},
        )
        db.session.remove()
        db.engine.dispose()
    [row] = new_events(start)
    assert row.client_address == "198.51.100.7"


def test_a_hostile_user_agent_is_stored_cleaned_and_bounded(app):
    start = last_id()
    response = app.test_client().post(
        "/login",
        data={"username": "nobody-at-all", "password": "whatever-1"},
        headers={"User-Agent": "evil\x00agent\x1b[31m" + "x" * 1000},
    )
    assert response.status_code < 500
    [row] = new_events(start)
    assert row.user_agent.startswith("evilagent[31mxxx")
    assert len(row.user_agent) == 255


def test_rows_written_from_the_command_line_have_no_client(app, runner, org):
    start = last_id()
    result = runner.invoke(
        args=[
            "user",
            "create",
            "--username",
            "fromcli",
            "--name",
            "From Cli",
            "--role",
            "mentor",
            "--organisation",
            org.name,
            "--password",
            "operator-chose-this-1",
        ]
    )
    assert result.exit_code == 0, result.output
    [row] = new_events(start)
    assert (row.action, row.client_address, row.user_agent) == ("user.create", None, None)


# --- Every page that shows a mentee's data ----------------------------------------------


@pytest.mark.parametrize(
    "actor, path, object_type",
    [
        # The correction form shows the entry's note, staff-only notes included.
        ("mentor_a", "/signoffs/{event_id}/correct", "signoff"),
        ("mentor_a", "/mentor/did-it/{report_id}", "did_it"),
        ("admin", "/admin/mentees/{mentee_id}", "mentee"),
    ],
)
def test_pages_about_one_mentee_write_one_view_row(browser, world, actor, path, object_type):
    client = browser(actor)
    start = last_id()
    url = path.format(**world.params)
    assert client.get(url).status_code == 200
    rows = new_events(start)
    assert [(r.action, r.mentee_id, r.object_type) for r in rows] == [
        ("mentee.view", world.mentee_a.id, object_type)
    ]
    assert rows[0].actor_id == world.users[actor].id
    assert rows[0].organisation_id == world.mentee_a.organisation_id


@pytest.mark.parametrize(
    "actor, path, page, shown",
    [
        ("mentor_a", "/mentor/", "mentor", ["mentee_a"]),
        ("mentor_a", "/mentor/group", "group", ["mentee_a"]),
        ("cm_a", "/caseload/", "caseload", ["mentee_a"]),
        ("admin", "/admin/mentees", "admin_mentees", ["mentee_a", "mentee_b"]),
        ("admin", "/admin/assignments", "admin_assignments", ["mentee_a", "mentee_b"]),
    ],
)
def test_a_list_of_mentees_is_one_row_naming_whom_it_showed(
    browser, world, actor, path, page, shown
):
    client = browser(actor)
    start = last_id()
    assert client.get(path).status_code == 200
    rows = new_events(start)
    assert [(r.action, r.object_type, r.object_id, r.mentee_id) for r in rows] == [
        ("mentee_list.view", "page", page, None)
    ]
    ids = sorted(getattr(world, name).id for name in shown)
    assert f'"count": {len(ids)}' in rows[0].detail
    assert f'"mentees": {ids}' in rows[0].detail


def test_a_longer_list_is_still_one_row(browser, world, make_mentee, assign):
    for _ in range(4):
        assign(world.users["cm_a"], make_mentee())
    client = browser("cm_a")
    start = last_id()
    client.get("/caseload/")
    rows = new_events(start)
    assert len(rows) == 1 and '"count": 5' in rows[0].detail


# --- Refusals that belong to no organisation --------------------------------------------


def _audit_page(client) -> str:
    return client.get("/admin/audit?action=").get_data(as_text=True)


def test_an_unknown_username_is_kept_for_the_operator_and_no_admin(app, browser, runner, world):
    app.test_client().post(
        "/login",
        data={"username": "guessed-name-zq", "password": "whatever-1"},
        environ_base=CLIENT,
    )
    db.session.rollback()
    row = db.session.scalar(select(AuditEvent).where(AuditEvent.object_id == "guessed-name-zq"))
    assert (row.outcome, row.organisation_id) == ("failed", None)
    for admin in ("admin", "other_org_admin"):
        assert "guessed-name-zq" not in _audit_page(browser(admin))
    result = runner.invoke(args=["audit", "failures"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "guessed-name-zq" in line]
    assert "auth.login" in line and "failed" in line and "client=203.0.113.9" in line


def test_a_failed_sign_in_of_a_known_account_is_in_its_own_organisation_log_only(
    app, browser, world
):
    user = world.users["cm_a"]
    app.test_client().post("/login", data={"username": user.username, "password": "wrong-9x"})
    db.session.rollback()
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.outcome == "failed")
    ).all()
    assert [e.organisation_id for e in failed] == [user.organisation_id]
    other = db.session.scalar(select(Organisation).where(Organisation.name == "Other Program"))
    listed = audit.search(other.id, audit.AuditSearch(action="auth.login"), 1, 50).items
    assert [e for e in listed if e.outcome == "failed"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/mentees/{mentee_id}",
        "/mentees/{mentee_id}/history",
        "/mentees/{mentee_id}/skills/{skill_id}",
        "/signoffs/{event_id}/correct",
        "/mentor/did-it/{report_id}",
        "/mentees/{mentee_id}/report.pdf",
        "/mentees/{mentee_id}/history.csv",
    ],
)
def test_a_probe_from_another_organisation_is_404_and_kept_out_of_the_target_log(
    browser, world, runner, path
):
    prober = world.users["other_org_mentor"]
    client = browser("other_org_mentor", address="192.0.2.200")
    missing = client.get(path.replace("{mentee_id}", "999999").format(**world.params))
    start = last_id()
    response = client.get(path.format(**world.params))
    # The same answer as for a record that does not exist: nothing confirms it is there.
    assert response.status_code == 404 == missing.status_code
    rows = new_events(start)
    assert [(r.action, r.outcome, r.actor_id) for r in rows] == [
        ("access.denied", "denied", prober.id)
    ]
    # Neither organisation's log holds it, and it names no mentee an admin could open.
    assert rows[0].organisation_id is None and rows[0].mentee_id is None
    assert rows[0].client_address == "192.0.2.200"
    for org_id in (world.mentee_a.organisation_id, prober.organisation_id):
        listed = audit.search(org_id, audit.AuditSearch(action="access"), 1, 50).items
        assert rows[0].id not in [e.id for e in listed]
    result = runner.invoke(args=["audit", "failures", "--action", "access"])
    assert f"by={prober.username}" in result.output and "client=192.0.2.200" in result.output


def test_a_refusal_inside_the_organisation_stays_in_its_log(browser, world):
    client = browser("other_mentor")
    start = last_id()
    assert client.get(f"/mentees/{world.mentee_a.id}").status_code == 403
    [row] = new_events(start)
    assert (row.organisation_id, row.mentee_id) == (
        world.mentee_a.organisation_id,
        world.mentee_a.id,
    )


def test_operator_failures_leave_out_successes_and_organisations(app, world):
    audit.record("auth.login", None, outcome="failed", object_type="username", object_id="zz-1")
    audit.record("auth.login", world.users["admin"], object_type="user")
    audit.record("something.ok", None)
    db.session.commit()
    got = [e.object_id for e in audit.operator_failures(utcnow() - timedelta(days=1))]
    assert got == ["zz-1"]
