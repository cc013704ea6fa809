"""Caseload transfer: one person's mentees move to another from one date, in one step."""

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from skills import create_app, permissions
from skills.extensions import db
from skills.models import Assignment, AuditEvent, Organisation, SignoffEvent, User
from skills.services import people
from skills.services import transfer as transfer_service
from skills.services.assignments import assign as assign_service
from skills.services.people import PeopleError
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import PASSWORD, today
from .live_server import live_server  # noqa: F401 - a fixture
from .page_states import without_csrf
from .test_multiserver import PASSWORD as LIVE_PASSWORD
from .test_multiserver import SECRET_KEY
from .test_races import Client, all_at_once, inputs

TODAY = today()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def last_audit_id() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def actions_since(audit_id: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.id > audit_id).order_by(AuditEvent.id)
        )
    )


def html(response) -> str:
    return response.get_data(as_text=True)


def errors_beside(page: str, field_id: str) -> str:
    match = re.search(rf'<ul class="errors" id="{field_id}-errors">(.*?)</ul>', page, re.S)
    assert match, f"no errors shown beside {field_id}"
    return match.group(1)


def assignments_of(staff: User, **where) -> list[Assignment]:
    db.session.expire_all()
    query = select(Assignment).where(Assignment.staff_id == staff.id).order_by(Assignment.id)
    for name, value in where.items():
        query = query.where(getattr(Assignment, name) == value)
    return list(db.session.scalars(query))


def kinds_on(user: User, mentee, on: date) -> set[str]:
    return permissions.assignment_kinds(user, mentee, on)


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss", name="Ada Admin")


@pytest.fixture
def as_admin(client, login, admin):
    login(admin)
    return client


@pytest.fixture
def leaving(make_user, make_mentee, assign):
    """Dana, a mentor with three mentees, and Lee, who takes over."""
    dana = make_user("mentor", username="dana", name="Dana Reyes")
    lee = make_user("mentor", username="lee", name="Lee Park")
    mentees = [make_mentee(name=f"{n} Mentee") for n in ("Ann", "Ben", "Cal")]
    for mentee in mentees:
        assign(dana, mentee, starts_on=TODAY - timedelta(days=60))
    return dana, lee, mentees


def transfer_form(
    target: User, effective_on: date, mentee_ids: list[int], key: str = "k-1"
) -> dict:
    return {
        "target_id": str(target.id),
        "effective_on": effective_on.isoformat(),
        "mentee_ids": [str(i) for i in mentee_ids],
        "idempotency_key": key,
    }


# --- The date: no gap, no overlap -----------------------------------------------------


def test_old_access_ends_and_new_access_starts_on_the_same_day(leaving, admin):
    dana, lee, mentees = leaving
    effective = TODAY + timedelta(days=7)
    before = last_audit_id()
    done = transfer_service.transfer_caseload(dana, lee, "mentor", effective, actor=admin)
    db.session.commit()

    assert [m.id for m in done.moved] == [m.id for m in mentees]
    assert done.already_with_target == [] and not done.repeated
    for mentee in mentees:
        # The day before: only Dana. The effective day and after: only Lee.
        assert kinds_on(dana, mentee, effective - timedelta(days=1)) == {"mentor"}
        assert kinds_on(lee, mentee, effective - timedelta(days=1)) == set()
        assert kinds_on(dana, mentee, effective) == set()
        assert kinds_on(lee, mentee, effective) == {"mentor"}
    assert {a.ends_on for a in assignments_of(dana)} == {effective}
    new = assignments_of(lee)
    assert {(a.starts_on, a.ends_on, a.created_by_id) for a in new} == {(effective, None, admin.id)}
    # One ended and one started per mentee, and one summary naming them all.
    assert actions_since(before) == ["assignment.end", "assignment.create"] * 3 + [
        "caseload.transfer"
    ]
    summary = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "caseload.transfer"))
    assert summary.actor_id == admin.id and summary.organisation_id == admin.organisation_id
    detail = json.loads(summary.detail)
    assert detail["moved"] == [m.id for m in mentees]
    assert (detail["source"], detail["target"], detail["effective_on"]) == (
        dana.id,
        lee.id,
        effective.isoformat(),
    )


def test_a_transfer_today_moves_access_at_once_and_sign_offs_keep_who_recorded_them(
    app, as_admin, leaving, skill, client_for
):
    dana, lee, mentees = leaving
    event = record_signoff(
        mentees[0], skill(), dana, SignoffDetails(level=2, shown_on=TODAY, note="Bus pass")
    )
    db.session.commit()
    dana_browser, lee_browser = client_for(dana), client_for(lee)
    assert dana_browser.get(f"/mentees/{mentees[0].id}").status_code == 200
    assert lee_browser.get(f"/mentees/{mentees[0].id}").status_code == 403

    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [m.id for m in mentees]),
    )
    assert response.status_code == 302
    flashed = html(as_admin.get(response.headers["Location"]))
    assert "3 mentees moved from Dana Reyes to Lee Park as mentor" in flashed

    assert dana_browser.get(f"/mentees/{mentees[0].id}").status_code == 403
    history = lee_browser.get(f"/mentees/{mentees[0].id}/history")
    assert history.status_code == 200 and "Dana Reyes" in html(history)
    db.session.expire_all()
    assert db.session.get(SignoffEvent, event.id).recorded_by_id == dana.id


def test_a_planned_end_date_moves_with_the_mentee(make_user, make_mentee, assign):
    dana, lee = make_user("mentor"), make_user("mentor")
    mentee = make_mentee()
    planned_end = TODAY + timedelta(days=20)
    assign(dana, mentee, starts_on=TODAY - timedelta(days=5), ends_on=planned_end)
    transfer_service.transfer_caseload(dana, lee, "mentor", TODAY)
    db.session.commit()
    (new,) = assignments_of(lee)
    assert (new.starts_on, new.ends_on) == (TODAY, planned_end)


def test_a_targets_assignment_that_already_ended_does_not_count_as_covering(
    make_user, make_mentee, assign
):
    """A backdated transfer to someone whose own assignment ended since must leave the
    mentee with a current mentor, not with nobody."""
    dana, lee = make_user("mentor"), make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=90))
    assign(dana, mentee, starts_on=TODAY - timedelta(days=60))
    assign(lee, mentee, starts_on=TODAY - timedelta(days=60), ends_on=TODAY - timedelta(days=3))
    moved = transfer_service.transfer_caseload(dana, lee, "mentor", TODAY - timedelta(days=10))
    db.session.commit()
    assert [m.id for m in moved.moved] == [mentee.id] and moved.already_with_target == []
    assert kinds_on(lee, mentee, TODAY) == {"mentor"}
    assert kinds_on(dana, mentee, TODAY) == set()


def test_a_targets_assignment_ending_sooner_is_carried_on_from_its_end(
    make_user, make_mentee, assign
):
    dana, lee = make_user("mentor"), make_user("mentor")
    mentee = make_mentee()
    assign(dana, mentee, starts_on=TODAY - timedelta(days=5))
    assign(lee, mentee, starts_on=TODAY - timedelta(days=5), ends_on=TODAY + timedelta(days=7))
    transfer_service.transfer_caseload(dana, lee, "mentor", TODAY)
    db.session.commit()
    for day in (TODAY, TODAY + timedelta(days=7), TODAY + timedelta(days=100)):
        assert kinds_on(lee, mentee, day) == {"mentor"}, day


def test_an_upcoming_assignment_moves_on_its_own_start_date(make_user, make_mentee, assign):
    dana, lee = make_user("mentor"), make_user("mentor")
    mentee = make_mentee()
    starts = TODAY + timedelta(days=10)
    assign(dana, mentee, starts_on=starts)
    transfer_service.transfer_caseload(dana, lee, "mentor", TODAY)
    db.session.commit()
    (old,) = assignments_of(dana)
    (new,) = assignments_of(lee)
    assert old.ends_on == starts and new.starts_on == starts
    for day in (TODAY, starts, starts + timedelta(days=1)):
        assert kinds_on(dana, mentee, day) == set()
    assert kinds_on(lee, mentee, starts) == {"mentor"}
    assert kinds_on(lee, mentee, starts - timedelta(days=1)) == set()


def test_a_past_date_leaves_assignments_that_already_ended_alone(make_user, make_mentee, assign):
    dana, lee = make_user("mentor"), make_user("mentor")
    current, finished = make_mentee(), make_mentee()
    assign(dana, current, starts_on=TODAY - timedelta(days=60))
    ended_on = TODAY - timedelta(days=2)
    assign(dana, finished, starts_on=TODAY - timedelta(days=60), ends_on=ended_on)
    effective = TODAY - timedelta(days=10)
    done = transfer_service.transfer_caseload(dana, lee, "mentor", effective)
    db.session.commit()
    assert [m.id for m in done.moved] == [current.id]
    assert assignments_of(dana, mentee_id=finished.id)[0].ends_on == ended_on
    assert assignments_of(dana, mentee_id=current.id)[0].ends_on == effective
    assert [(a.mentee_id, a.starts_on) for a in assignments_of(lee)] == [(current.id, effective)]


@pytest.mark.parametrize(
    "days, allowed",
    [
        (-transfer_service.TRANSFER_DAYS_BACK, True),
        (-transfer_service.TRANSFER_DAYS_BACK - 1, False),
        (transfer_service.TRANSFER_DAYS_AHEAD, True),
        (transfer_service.TRANSFER_DAYS_AHEAD + 1, False),
    ],
)
def test_the_transfer_date_stays_within_its_limits(leaving, days, allowed):
    dana, lee, _ = leaving
    effective = TODAY + timedelta(days=days)
    if allowed:
        transfer_service.transfer_caseload(dana, lee, "mentor", effective)
        assert len(assignments_of(lee)) == 3
    else:
        with pytest.raises(PeopleError, match="The transfer date must be between") as refused:
            transfer_service.transfer_caseload(dana, lee, "mentor", effective)
        assert refused.value.field == "effective_on"
        # The limits read as US dates ("Nov 30, 2026"), never as ISO dates.
        earliest, latest = transfer_service.transfer_date_limits(TODAY)
        for limit in (earliest, latest):
            assert f"{limit:%b} {limit.day}, {limit.year}" in str(refused.value)


# --- Who and which mentees ---------------------------------------------------------------


def test_only_the_ticked_mentees_move(as_admin, leaving):
    dana, lee, (ann, ben, cal) = leaving
    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [ann.id, cal.id]),
    )
    assert response.status_code == 302
    assert {a.mentee_id for a in assignments_of(lee)} == {ann.id, cal.id}
    assert kinds_on(dana, ben, TODAY) == {"mentor"}


def test_a_mentee_already_with_the_target_gets_no_second_assignment(as_admin, leaving, assign):
    dana, lee, (ann, ben, cal) = leaving
    assign(lee, ben, starts_on=TODAY - timedelta(days=3))
    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [ann.id, ben.id, cal.id]),
        follow_redirects=True,
    )
    page = html(response)
    assert "2 mentees moved from Dana Reyes to Lee Park" in page
    ended = "Already assigned to Lee Park, so only Dana Reyes&#39;s assignment ended"
    assert f"{ended}: Ben Mentee." in page
    assert len(assignments_of(lee, mentee_id=ben.id)) == 1
    assert kinds_on(dana, ben, TODAY) == set()


def test_the_target_must_be_an_active_holder_of_the_role(make_user, leaving):
    dana, _, _ = leaving
    for target, message in [
        (make_user("mentor", active=False, name="Gone Person"), "Gone Person is deactivated"),
        (make_user("case_manager", name="Case Person"), "does not have the mentor role"),
        (dana, "Choose someone else"),
    ]:
        with pytest.raises(PeopleError, match=message) as refused:
            transfer_service.transfer_caseload(dana, target, "mentor", TODAY)
        assert refused.value.field == "target_id"
        db.session.rollback()
    assert count(Assignment, Assignment.ends_on.is_not(None)) == 0


def test_a_deactivated_mentor_can_still_hand_over_their_mentees(make_user, leaving):
    dana, lee, _ = leaving
    people.deactivate_user(dana)
    db.session.commit()
    done = transfer_service.transfer_caseload(dana, lee, "mentor", TODAY)
    assert len(done.moved) == 3


def test_a_case_managers_caseload_moves_as_case_manager(make_user, make_mentee, assign):
    both = make_user(["mentor", "case_manager"])
    other_cm = make_user("case_manager")
    mentee = make_mentee()
    assign(both, mentee, kind="mentor")
    assign(both, mentee, kind="case_manager")
    transfer_service.transfer_caseload(both, other_cm, "case_manager", TODAY)
    db.session.commit()
    assert kinds_on(both, mentee, TODAY) == {"mentor"}  # the mentor assignment stays
    assert kinds_on(other_cm, mentee, TODAY) == {"case_manager"}


def test_another_organisations_person_is_refused(make_user, leaving):
    dana, _, _ = leaving
    elsewhere = people.get_or_create_organisation("Elsewhere")
    outsider = make_user("mentor", organisation=elsewhere)
    with pytest.raises(PeopleError, match="same organization"):
        transfer_service.transfer_caseload(dana, outsider, "mentor", TODAY)


# --- All or nothing --------------------------------------------------------------------


def test_a_refusal_on_one_mentee_leaves_every_mentee_as_it_was(as_admin, leaving, assign):
    dana, lee, (ann, ben, cal) = leaving
    # Lee starts with Cal next month: ending Dana's today would leave Cal with no one.
    assign(lee, cal, starts_on=TODAY + timedelta(days=30))
    before = (count(Assignment), last_audit_id())
    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [ann.id, ben.id, cal.id]),
    )
    assert response.status_code == 422
    starts = TODAY + timedelta(days=30)
    message = errors_beside(html(response), "effective_on")
    assert f"starts on {starts:%b} {starts.day}, {starts.year}" in message
    assert (count(Assignment), last_audit_id()) == before
    assert count(Assignment, Assignment.ends_on.is_not(None)) == 0


def test_a_mentee_no_longer_on_the_caseload_is_named_and_nothing_moves(
    as_admin, leaving, make_mentee, make_user, assign
):
    dana, lee, (ann, ben, _) = leaving
    stranger = make_mentee(name="Zed Stranger")
    assign(make_user("mentor"), stranger)
    before = (count(Assignment), last_audit_id())
    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [ann.id, stranger.id]),
    )
    message = errors_beside(html(response), "mentee_ids")
    assert "Zed Stranger is not on Dana Reyes" in message
    assert f"as mentor on {TODAY:%b} {TODAY.day}, {TODAY.year}. Reload" in message
    assert (count(Assignment), last_audit_id()) == before


def test_another_organisations_mentee_id_is_never_named(as_admin, leaving, make_mentee):
    dana, lee, (ann, _, _) = leaving
    elsewhere = people.get_or_create_organisation("Elsewhere")
    foreign = make_mentee(name="Foreign Qzname", organisation=elsewhere)
    response = as_admin.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [ann.id, foreign.id]),
    )
    page = html(response)
    assert "Some of the chosen mentees are not on" in errors_beside(page, "mentee_ids")
    assert "Foreign Qzname" not in page
    assert count(Assignment, Assignment.staff_id == lee.id) == 0


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"effective_on": "31/12/2026"}, "effective_on", "Enter the date"),
        ({"effective_on": ""}, "effective_on", "Enter the date"),
        ({"target_id": ""}, "target_id", "Choose who takes over"),
        ({"target_id": "abc"}, "target_id", "Choose who takes over"),
        ({"mentee_ids": []}, "mentee_ids", "Tick at least one mentee"),
        ({"mentee_ids": ["x"]}, "mentee_ids", "Tick at least one mentee"),
        # Beyond what a database id holds: SQLite would raise rather than find nothing.
        ({"target_id": "9" * 30}, "target_id", "Choose who takes over"),
        ({"mentee_ids": ["9" * 30]}, "mentee_ids", "Tick at least one mentee"),
        ({"target_id": "-4"}, "target_id", "Choose who takes over"),
    ],
)
def test_bad_input_is_shown_beside_its_field(as_admin, leaving, change, field, message):
    dana, lee, mentees = leaving
    data = {**transfer_form(lee, TODAY, [m.id for m in mentees]), **change}
    before = (count(Assignment), last_audit_id())
    response = as_admin.post(f"/admin/assignments/transfer?source={dana.id}-mentor", data=data)
    assert response.status_code == 422
    assert message in errors_beside(html(response), field)
    assert (count(Assignment), last_audit_id()) == before


@pytest.mark.parametrize("source", ["", "abc", "12", "1-admin", "99999999-mentor"])
def test_a_bad_caseload_in_the_address_is_refused_clearly(as_admin, leaving, source):
    response = as_admin.get(f"/admin/assignments/transfer?source={source}")
    if source == "99999999-mentor":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert "Choose whose mentees to move" in errors_beside(html(response), "source")


# --- Double submits and the page -------------------------------------------------------


def test_a_double_submit_moves_once_and_shows_the_same_result(as_admin, leaving):
    dana, lee, mentees = leaving

    def changes_audited() -> int:
        # The list page the form returns to writes its own read row each time it is shown.
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action != "mentee_list.view")
        )

    url = f"/admin/assignments/transfer?source={dana.id}-mentor"
    data = transfer_form(lee, TODAY, [m.id for m in mentees], key="same-key")
    first = as_admin.post(url, data=data, follow_redirects=True)
    before = (count(Assignment), changes_audited())
    second = as_admin.post(url, data=data, follow_redirects=True)
    assert (count(Assignment), changes_audited()) == before
    for page in (html(first), html(second)):
        assert "3 mentees moved from Dana Reyes to Lee Park" in page
    # The same key for a different transfer is refused rather than silently ignored.
    other = {**data, "effective_on": (TODAY + timedelta(days=1)).isoformat()}
    assert "already used for another transfer" in html(as_admin.post(url, data=other))
    assert (count(Assignment), changes_audited()) == before


def test_without_the_key_a_repeat_moves_nothing_twice(leaving):
    dana, lee, mentees = leaving
    ids = [m.id for m in mentees]
    transfer_service.transfer_caseload(dana, lee, "mentor", TODAY, ids)
    db.session.commit()
    again = transfer_service.transfer_caseload(dana, lee, "mentor", TODAY, ids)
    db.session.commit()
    assert again.moved == [] and [m.id for m in again.already_with_target] == ids
    assert len(assignments_of(lee)) == 3


def test_the_page_lists_caseloads_then_ticks_every_mentee(as_admin, leaving, make_user):
    dana, lee, mentees = leaving
    make_user("mentor", name="Idle Mentor")
    start = html(as_admin.get("/admin/assignments/transfer"))
    assert "Dana Reyes, mentor (3 mentees)" in start
    assert "Idle Mentor" not in start  # no caseload to move
    page = html(as_admin.get(f"/admin/assignments/transfer?source={dana.id}-mentor"))
    boxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', page)
    assert len(boxes) == 3 and all("checked" in b and "required" not in b for b in boxes)
    assert "Lee Park" in page and page.count(">Dana Reyes<") == 0  # not offered to herself
    assert 'name="idempotency_key"' in page
    assert "Move a caseload" in html(as_admin.get("/admin/assignments"))
    assert "Move a caseload" in html(as_admin.get("/admin/people"))


def test_only_admins_may_move_a_caseload(client_for, leaving):
    dana, lee, mentees = leaving
    browser = client_for(dana)
    response = browser.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [m.id for m in mentees]),
    )
    assert response.status_code == 403
    assert assignments_of(lee) == []


def test_another_organisations_admin_gets_the_404_of_a_missing_person(
    client_for, make_user, leaving
):
    dana, lee, mentees = leaving
    elsewhere = people.get_or_create_organisation("Elsewhere")
    outsider = client_for(make_user("admin", organisation=elsewhere))
    theirs = outsider.post(
        f"/admin/assignments/transfer?source={dana.id}-mentor",
        data=transfer_form(lee, TODAY, [m.id for m in mentees]),
    )
    missing = outsider.post(
        "/admin/assignments/transfer?source=99999999-mentor",
        data=transfer_form(lee, TODAY, [m.id for m in mentees]),
    )
    assert theirs.status_code == missing.status_code == 404
    assert without_csrf(theirs) == without_csrf(missing)
    assert assignments_of(lee) == []


@pytest.fixture
def client_for(app):
    def make(user):
        browser = app.test_client()
        response = browser.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302
        return browser

    return make


# --- Two admins at once, against a real server -----------------------------------------


def _live_caseload(url: str, mentees: int) -> dict:
    """A second admin, Dana with `mentees` mentees, and Lee to take them over."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            org = db.session.scalar(select(Organisation))
            people.create_user(org, "admin2", "Blair Admin", LIVE_PASSWORD, ["admin"])
            dana = people.create_user(org, "dana", "Dana Reyes", LIVE_PASSWORD, ["mentor"])
            lee = people.create_user(org, "lee", "Lee Park", LIVE_PASSWORD, ["mentor"])
            ids = []
            for n in range(mentees):
                mentee = people.create_mentee(org, f"Live Mentee {n}", date(2026, 1, 5))
                assign_service(dana, mentee, "mentor", mentee.start_date)
                ids.append(mentee.id)
            db.session.commit()
            return {"dana": dana.id, "lee": lee.id, "mentees": ids}
        finally:
            db.session.remove()
            db.engine.dispose()


def _live_assignments(url: str, staff_id: int) -> list[tuple[int, date, date | None]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY})
    with app.app_context():
        try:
            rows = db.session.execute(
                select(Assignment.mentee_id, Assignment.starts_on, Assignment.ends_on).where(
                    Assignment.staff_id == staff_id
                )
            )
            return [tuple(row) for row in rows]
        finally:
            db.session.remove()
            db.engine.dispose()


def test_two_admins_moving_one_caseload_at_once_make_one_assignment_each(live_server):  # noqa: F811
    server, url, _ = live_server
    made = _live_caseload(url, mentees=5)
    path = f"/admin/assignments/transfer?source={made['dana']}-mentor"
    # Two admins with two tabs each, and one tab's form sent twice (a double tap).
    clients = [Client(server, name) for name in ("admin", "admin", "admin2", "admin2")]
    forms = []
    for client in clients:
        status, _, page = client.call("GET", path)
        assert status == 200
        hidden = inputs(page)
        form = [(k, hidden[k]) for k in ("csrf_token", "idempotency_key")]
        form += [("target_id", str(made["lee"])), ("effective_on", today().isoformat())]
        forms.append(form + [("mentee_ids", str(i)) for i in made["mentees"]])
    assert len({dict(f)["idempotency_key"] for f in forms}) == 4
    twin = Client.__new__(Client)
    twin.port, twin.cookie = clients[0].port, clients[0].cookie
    senders = [*clients, twin]
    form_of = {id(c): forms[i] for i, c in enumerate(clients)} | {id(twin): forms[0]}

    statuses = all_at_once(senders, lambda c: c.call("POST", path, form_of[id(c)])[0])
    assert 500 not in statuses
    assert statuses.count(302) >= 1, statuses

    lee = _live_assignments(url, made["lee"])
    assert sorted(mentee for mentee, _, _ in lee) == sorted(made["mentees"])
    assert {(starts, ends) for _, starts, ends in lee} == {(today(), None)}
    dana = _live_assignments(url, made["dana"])
    assert {ends for _, _, ends in dana} == {today()}
    # The transfer was audited once per form that moved someone, never more.
