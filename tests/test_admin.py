"""The admin area: people, mentees, assignments, curriculum and the audit log."""

import io
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skills import permissions
from skills.extensions import db
from skills.models import (
    Assignment,
    AuditEvent,
    Curriculum,
    CurriculumLoad,
    Mentee,
    SignoffEvent,
    Skill,
    User,
)
from skills.services import assignments, mentee_standing, people
from skills.services import curriculum as curriculum_service
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.timeutil import utcnow

from .conftest import MINI_CURRICULUM, PASSWORD, today

TODAY = today()
STALE = "This person was changed by someone else; reload and try again."


# --- Helpers ------------------------------------------------------------------------


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def last_audit_id() -> int:
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


@contextmanager
def writes_audit(action: str):
    """The block writes exactly one audit event, with this action."""
    before = last_audit_id()
    yield
    db.session.expire_all()
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.id > before).order_by(AuditEvent.id)
    ).all()
    assert actions == [action]


@contextmanager
def writes_no_audit():
    before = last_audit_id()
    yield
    assert last_audit_id() == before


def html(response) -> str:
    return response.get_data(as_text=True)


def errors_beside(page: str, field_id: str) -> str:
    """The text of the error list the `field` macro puts beside a field."""
    match = re.search(rf'<ul class="errors" id="{field_id}-errors">(.*?)</ul>', page, re.S)
    assert match, f"no errors shown beside {field_id}"
    return match.group(1)


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def sign_in(app, user, password=PASSWORD):
    """A second browser: its own client with its own session cookie."""
    other = app.test_client()
    response = other.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302
    return other


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss", name="Ada Admin")


@pytest.fixture
def as_admin(client, login, admin):
    login(admin)
    return client


# --- People -------------------------------------------------------------------------


def test_admin_creates_a_person_who_can_then_sign_in(app, as_admin, org):
    with writes_audit("user.create"):
        response = as_admin.post(
            "/admin/people/new",
            data={
                "username": "NewMentor",
                "display_name": "Nia Mentor",
                "roles": ["mentor", "case_manager"],
                "password": "a-long-fresh-secret",
            },
        )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "newmentor"))
    assert user.organisation_id == org.id
    assert user.role_set == {"mentor", "case_manager"}
    sign_in(app, user, "a-long-fresh-secret")
    assert "Nia Mentor" in html(as_admin.get("/admin/people"))


def test_duplicate_username_is_shown_beside_the_field_and_nothing_is_saved(as_admin, make_user):
    make_user("mentor", username="taken")
    before = count(User)
    with writes_no_audit():
        response = as_admin.post(
            "/admin/people/new",
            data={
                "username": "taken",
                "display_name": "Someone Else",
                "roles": ["mentor"],
                "password": "a-long-fresh-secret",
            },
        )
    assert response.status_code == 200
    assert "is already taken" in errors_beside(html(response), "username")
    assert count(User) == before


def test_new_person_with_a_common_password_is_refused_beside_the_field(as_admin):
    response = as_admin.post(
        "/admin/people/new",
        data={
            "username": "weak",
            "display_name": "Weak Password",
            "roles": ["mentor"],
            "password": "password123",
        },
    )
    assert "too common" in errors_beside(html(response), "password")
    assert count(User, User.username == "weak") == 0


def test_people_page_lists_name_username_roles_and_status(as_admin, make_user):
    make_user("mentor", username="gone", name="Gone Person", active=False)
    page = html(as_admin.get("/admin/people"))
    assert "Gone Person" in page and "gone" in page and "Inactive" in page
    assert "Ada Admin" in page and "Admin" in page and "Active" in page


def test_role_change_ends_the_persons_existing_session(app, as_admin, make_user):
    mentor = make_user("mentor")
    their_browser = sign_in(app, mentor)
    assert their_browser.get("/mentor/").status_code == 200
    with writes_audit("user.update"):
        response = as_admin.post(
            f"/admin/people/{mentor.id}",
            data={
                "display_name": mentor.display_name,
                "roles": ["case_manager"],
                "version_id": mentor.version_id,
            },
        )
    assert response.status_code == 302
    mentor = fresh(mentor)
    assert mentor.roles == "case_manager" and mentor.session_version == 2
    assert their_browser.get("/mentor/").status_code == 302  # sent to sign in again
    assert "/login" in their_browser.get("/mentor/").headers["Location"]


def test_name_change_alone_keeps_sessions(app, as_admin, make_user):
    mentor = make_user("mentor")
    as_admin.post(
        f"/admin/people/{mentor.id}",
        data={"display_name": "New Name", "roles": ["mentor"], "version_id": mentor.version_id},
    )
    mentor = fresh(mentor)
    assert mentor.display_name == "New Name" and mentor.session_version == 1


def test_stale_version_of_a_person_is_refused_and_nothing_saved(as_admin, make_user):
    mentor = make_user("mentor", name="Original Name")
    stale_version = mentor.version_id
    people.update_user(mentor, "Changed Elsewhere", "mentor", stale_version)
    db.session.commit()
    with writes_no_audit():
        response = as_admin.post(
            f"/admin/people/{mentor.id}",
            data={"display_name": "My Edit", "roles": ["admin"], "version_id": stale_version},
        )
    assert response.status_code == 200
    assert STALE in html(response)
    mentor = fresh(mentor)
    assert (mentor.display_name, mentor.roles) == ("Changed Elsewhere", "mentor")


def test_missing_version_is_treated_as_stale(as_admin, make_user):
    mentor = make_user("mentor")
    response = as_admin.post(
        f"/admin/people/{mentor.id}", data={"display_name": "X", "roles": ["mentor"]}
    )
    assert STALE in html(response)


def test_admin_cannot_remove_their_own_admin_role(as_admin, admin):
    response = as_admin.post(
        f"/admin/people/{admin.id}",
        data={"display_name": admin.display_name, "roles": ["mentor"], "version_id": 1},
    )
    assert "cannot remove your own admin role" in errors_beside(html(response), "roles")
    assert fresh(admin).roles == "admin"


def test_admin_adding_a_role_to_themself_stays_signed_in(as_admin, admin):
    response = as_admin.post(
        f"/admin/people/{admin.id}",
        data={"display_name": admin.display_name, "roles": ["admin", "mentor"], "version_id": 1},
    )
    assert response.status_code == 302
    assert fresh(admin).session_version == 2
    assert as_admin.get("/admin/").status_code == 200


def test_deactivated_person_cannot_sign_in_and_their_session_ends(app, as_admin, make_user):
    mentor = make_user("mentor")
    their_browser = sign_in(app, mentor)
    with writes_audit("user.deactivate"):
        response = as_admin.post(f"/admin/people/{mentor.id}/deactivate")
    assert response.status_code == 302
    assert fresh(mentor).active is False
    assert their_browser.get("/mentor/").status_code == 302
    refused = app.test_client().post(
        "/login", data={"username": mentor.username, "password": PASSWORD}
    )
    assert refused.status_code == 200 and "do not match an active account" in html(refused)

    with writes_audit("user.reactivate"):
        as_admin.post(f"/admin/people/{mentor.id}/reactivate")
    assert fresh(mentor).active is True
    sign_in(app, mentor)


def test_admin_cannot_deactivate_themself(as_admin, admin):
    with writes_no_audit():
        response = as_admin.post(f"/admin/people/{admin.id}/deactivate", follow_redirects=True)
    assert "You cannot deactivate yourself" in html(response)
    assert fresh(admin).active is True


@pytest.mark.parametrize(
    "password, message",
    [("short", "at least 8 characters"), ("password123", "too common")],
)
def test_password_reset_with_a_weak_password_is_refused(as_admin, make_user, password, message):
    mentor = make_user("mentor")
    old_hash = mentor.password_hash
    with writes_no_audit():
        response = as_admin.post(f"/admin/people/{mentor.id}/password", data={"password": password})
    assert response.status_code == 200
    assert message in errors_beside(html(response), "password")
    mentor = fresh(mentor)
    assert mentor.password_hash == old_hash and mentor.session_version == 1


def test_password_reset_ends_sessions_and_the_new_password_works(app, as_admin, make_user):
    mentor = make_user("mentor")
    their_browser = sign_in(app, mentor)
    with writes_audit("user.password_reset"):
        response = as_admin.post(
            f"/admin/people/{mentor.id}/password", data={"password": "brand-new-secret-9"}
        )
    assert response.status_code == 302
    assert their_browser.get("/mentor/").status_code == 302
    sign_in(app, mentor, "brand-new-secret-9")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
    assert "brand-new-secret-9" not in event.detail


# --- Mentees ------------------------------------------------------------------------


def test_admin_creates_a_mentee(as_admin, org):
    with writes_audit("mentee.create"):
        response = as_admin.post(
            "/admin/mentees/new",
            data={
                "full_name": "Maria Lopez",
                "preferred_name": "Mari",
                "record_number": "",
                "start_date": (TODAY - timedelta(days=3)).isoformat(),
            },
        )
    mentee = db.session.scalar(select(Mentee).where(Mentee.full_name == "Maria Lopez"))
    assert response.headers["Location"].endswith(f"/admin/mentees/{mentee.id}")
    assert mentee.organisation_id == org.id and mentee.preferred_name == "Mari"
    assert mentee.record_number == f"M{mentee.id:05d}"


def test_new_mentee_with_a_future_start_date_is_refused_beside_the_field(as_admin):
    response = as_admin.post(
        "/admin/mentees/new",
        data={"full_name": "Too Early", "start_date": (TODAY + timedelta(days=1)).isoformat()},
    )
    assert "cannot be in the future" in errors_beside(html(response), "start_date")
    assert count(Mentee) == 0


def test_mentees_page_lists_status_staff_and_login(as_admin, make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Mo Mentor")
    cm = make_user("case_manager", name="Cy Casemanager")
    mentee = make_mentee(name="Listed Mentee", with_login=True)
    assign(mentor, mentee)
    assign(cm, mentee)
    page = html(as_admin.get("/admin/mentees"))
    assert "Listed Mentee" in page and mentee.record_number in page
    assert "Mo Mentor" in page and "Cy Casemanager" in page
    assert mentee.user.username in page and "Active" in page


def test_admin_edits_a_mentee(as_admin, make_mentee):
    mentee = make_mentee(name="Old Name")
    new_start = TODAY - timedelta(days=100)
    with writes_audit("mentee.update"):
        response = as_admin.post(
            f"/admin/mentees/{mentee.id}",
            data={
                "full_name": "New Name",
                "preferred_name": "Newt",
                "record_number": "R-42",
                "start_date": new_start.isoformat(),
                "version_id": mentee.version_id,
            },
        )
    assert response.status_code == 302
    mentee = fresh(mentee)
    assert (mentee.full_name, mentee.preferred_name, mentee.record_number, mentee.start_date) == (
        "New Name",
        "Newt",
        "R-42",
        new_start,
    )


def test_mentee_record_number_must_be_unique_in_the_organisation(as_admin, make_mentee):
    first, second = make_mentee(), make_mentee()
    response = as_admin.post(
        f"/admin/mentees/{second.id}",
        data={
            "full_name": second.full_name,
            "record_number": first.record_number,
            "start_date": second.start_date.isoformat(),
            "version_id": second.version_id,
        },
    )
    assert "is already used" in errors_beside(html(response), "record_number")


def test_stale_version_of_a_mentee_is_refused_and_nothing_saved(as_admin, make_mentee):
    mentee = make_mentee(name="Before")
    stale_version = mentee.version_id
    mentee.full_name = "Changed Elsewhere"
    db.session.commit()
    with writes_no_audit():
        response = as_admin.post(
            f"/admin/mentees/{mentee.id}",
            data={
                "full_name": "Mine",
                "record_number": mentee.record_number,
                "start_date": mentee.start_date.isoformat(),
                "version_id": stale_version,
            },
        )
    assert "changed by someone else; reload and try again." in html(response)
    assert fresh(mentee).full_name == "Changed Elsewhere"


def test_mentee_start_date_cannot_move_after_the_earliest_sign_off(
    as_admin, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=30))
    assign(mentor, mentee)
    shown = TODAY - timedelta(days=20)
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=1, shown_on=shown))
    db.session.commit()
    response = as_admin.post(
        f"/admin/mentees/{mentee.id}",
        data={
            "full_name": mentee.full_name,
            "record_number": mentee.record_number,
            "start_date": (shown + timedelta(days=1)).isoformat(),
            "version_id": mentee.version_id,
        },
    )
    assert (
        f"after the earliest sign-off, shown on {shown:%b} {shown.day}, {shown.year}"
        in errors_beside(html(response), "start_date")
    )
    assert fresh(mentee).start_date == TODAY - timedelta(days=30)


def test_discharge_keeps_assignments_and_stops_sign_offs_then_readmit(
    as_admin, make_user, make_mentee, assign
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    with writes_audit("mentee.discharge"):
        response = as_admin.post(
            f"/admin/mentees/{mentee.id}/discharge", data={"discharged_on": TODAY.isoformat()}
        )
    assert response.status_code == 302
    mentee = fresh(mentee)
    assert (mentee.status, mentee.discharged_on) == ("discharged", TODAY)
    assert count(Assignment, Assignment.ends_on.is_(None)) == 1
    assert permissions.can_view_mentee(mentor, mentee)
    assert not permissions.can_sign_off(mentor, mentee)

    with writes_audit("mentee.readmit"):
        as_admin.post(f"/admin/mentees/{mentee.id}/readmit")
    mentee = fresh(mentee)
    assert (mentee.status, mentee.discharged_on) == ("active", None)


def test_discharge_before_the_start_date_is_refused_beside_the_field(as_admin, make_mentee):
    mentee = make_mentee(start_date=TODAY - timedelta(days=5))
    response = as_admin.post(
        f"/admin/mentees/{mentee.id}/discharge",
        data={"discharged_on": (TODAY - timedelta(days=6)).isoformat()},
    )
    assert "before the start date" in errors_beside(html(response), "discharged_on")
    assert fresh(mentee).status == "active"


def test_admin_links_a_mentee_login(as_admin, make_user, make_mentee):
    mentee = make_mentee()
    login_user = make_user("mentee", username="menteelogin")
    page = html(as_admin.get(f"/admin/mentees/{mentee.id}"))
    assert "menteelogin" in page
    with writes_audit("mentee.link_login"):
        response = as_admin.post(
            f"/admin/mentees/{mentee.id}/link", data={"user_id": login_user.id}
        )
    assert response.status_code == 302
    mentee = fresh(mentee)
    assert mentee.user_id == login_user.id
    assert permissions.is_self(fresh(login_user), mentee)


def test_a_login_linked_to_another_mentee_or_without_the_role_cannot_be_linked(
    as_admin, make_user, make_mentee
):
    linked = make_mentee(with_login=True)
    mentee = make_mentee()
    mentor = make_user("mentor")
    for user_id in (linked.user_id, mentor.id):
        with writes_no_audit():
            response = as_admin.post(f"/admin/mentees/{mentee.id}/link", data={"user_id": user_id})
        assert response.status_code == 200
        assert "not a valid choice" in errors_beside(html(response), "user_id").lower()
    assert fresh(mentee).user_id is None


def test_link_login_service_refuses_a_login_already_linked(make_mentee):
    linked = make_mentee(with_login=True)
    other = make_mentee()
    with pytest.raises(people.PeopleError, match="already linked") as info:
        mentee_standing.link_login(other, linked.user)
    assert info.value.field == "user_id"


# --- Assignments --------------------------------------------------------------------


def test_assign_then_end_today_stops_the_mentors_access(app, as_admin, make_user, make_mentee):
    mentor = make_user("mentor")
    mentee = make_mentee()
    with writes_audit("assignment.create"):
        response = as_admin.post(
            "/admin/assignments/new",
            data={
                "staff_id": mentor.id,
                "mentee_id": mentee.id,
                "kind": "mentor",
                "starts_on": mentee.start_date.isoformat(),
            },
        )
    assert response.status_code == 302
    assignment = db.session.scalar(select(Assignment))
    assert permissions.can_view_mentee(fresh(mentor), fresh(mentee))
    assert "Current" in html(as_admin.get("/admin/assignments"))

    mentor_browser = sign_in(app, mentor)
    with writes_audit("assignment.end"):
        response = as_admin.post(
            f"/admin/assignments/{assignment.id}/end", data={"ends_on": TODAY.isoformat()}
        )
    assert response.status_code == 302
    assert fresh(assignment).ends_on == TODAY
    assert not permissions.can_view_mentee(fresh(mentor), fresh(mentee))
    assert mentor_browser.get(f"/mentees/{mentee.id}").status_code == 403

    ended = html(as_admin.get("/admin/assignments?show=ended"))
    assert mentee.full_name in ended and "Ended" in ended
    assert mentee.full_name not in html(as_admin.get("/admin/assignments?show=current"))


def test_ending_an_assignment_twice_is_refused(as_admin, make_user, make_mentee, assign):
    assignment = assign(make_user("mentor"), make_mentee())
    as_admin.post(f"/admin/assignments/{assignment.id}/end", data={"ends_on": TODAY.isoformat()})
    with writes_no_audit():
        response = as_admin.post(
            f"/admin/assignments/{assignment.id}/end",
            data={"ends_on": (TODAY + timedelta(days=30)).isoformat()},
        )
    assert f"already ended on {TODAY:%b} {TODAY.day}, {TODAY.year}." in html(response)
    assert fresh(assignment).ends_on == TODAY


def test_end_date_before_the_start_is_shown_beside_the_date_on_the_confirm_page(
    as_admin, make_user, make_mentee, assign
):
    mentee = make_mentee()
    assignment = assign(make_user("mentor"), mentee, starts_on=TODAY - timedelta(days=2))
    response = as_admin.post(
        f"/admin/assignments/{assignment.id}/end",
        data={"ends_on": (TODAY - timedelta(days=3)).isoformat()},
    )
    assert response.status_code == 422
    assert "cannot be before the start date" in errors_beside(html(response), "ends_on")
    assert fresh(assignment).ends_on is None


def test_duplicate_current_assignment_is_refused(as_admin, make_user, make_mentee, assign):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assign(mentor, mentee)
    with writes_no_audit():
        response = as_admin.post(
            "/admin/assignments/new",
            data={
                "staff_id": mentor.id,
                "mentee_id": mentee.id,
                "kind": "mentor",
                "starts_on": TODAY.isoformat(),
            },
        )
    assert "already assigned" in errors_beside(html(response), "staff_id")
    assert count(Assignment) == 1


def test_after_an_assignment_ends_the_same_pair_can_be_assigned_again(
    make_user, make_mentee, assign
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    first = assign(mentor, mentee, starts_on=TODAY - timedelta(days=10))
    assignments.end_assignment(first, TODAY - timedelta(days=5))
    db.session.commit()
    assignments.add_assignment(mentor, mentee, "mentor", TODAY)
    db.session.commit()
    assert count(Assignment) == 2


def test_staff_must_hold_the_role_they_are_assigned_as(as_admin, make_user, make_mentee):
    cm = make_user("case_manager")
    mentee = make_mentee()
    response = as_admin.post(
        "/admin/assignments/new",
        data={
            "staff_id": cm.id,
            "mentee_id": mentee.id,
            "kind": "mentor",
            "starts_on": TODAY.isoformat(),
        },
    )
    assert "does not have the mentor role" in errors_beside(html(response), "staff_id")
    assert count(Assignment) == 0


# --- Who may use the admin pages ----------------------------------------------------


@pytest.fixture
def admin_urls(make_user, make_mentee, assign):
    """Every admin URL with the method it answers, for objects in the test organisation."""
    person = make_user("mentor")
    mentee = make_mentee()
    assignment = assign(person, mentee)
    # The organisation's own curriculum: another organisation's admin gets 404 on it.
    own = curriculum_service.parse_curriculum(
        MINI_CURRICULUM.read_text().replace("id: mini", "id: own-mini")
    )
    curriculum_service.apply_curriculum(own, organisation_id=person.organisation_id)
    db.session.commit()
    own_id = db.session.scalar(select(Curriculum.id).where(Curriculum.key == "own-mini"))
    return [
        ("GET", "/admin/"),
        ("GET", "/admin/people"),
        ("GET", "/admin/people/new"),
        ("POST", "/admin/people/new"),
        ("GET", "/admin/people/import"),
        ("POST", "/admin/people/import"),
        ("GET", "/admin/people/import/template.csv"),
        ("GET", f"/admin/people/{person.id}"),
        ("POST", f"/admin/people/{person.id}"),
        ("GET", f"/admin/people/{person.id}/deactivate"),
        ("POST", f"/admin/people/{person.id}/deactivate"),
        ("POST", f"/admin/people/{person.id}/reactivate"),
        ("GET", f"/admin/people/{person.id}/password"),
        ("POST", f"/admin/people/{person.id}/password"),
        ("POST", f"/admin/people/{person.id}/language"),
        ("GET", "/admin/mentees"),
        ("GET", "/admin/mentees/new"),
        ("POST", "/admin/mentees/new"),
        ("GET", f"/admin/mentees/{mentee.id}"),
        ("POST", f"/admin/mentees/{mentee.id}"),
        ("GET", f"/admin/mentees/{mentee.id}/discharge"),
        ("POST", f"/admin/mentees/{mentee.id}/discharge"),
        ("POST", f"/admin/mentees/{mentee.id}/readmit"),
        ("POST", f"/admin/mentees/{mentee.id}/link"),
        ("POST", f"/admin/mentees/{mentee.id}/unlink"),
        ("POST", f"/admin/mentees/{mentee.id}/language"),
        ("GET", "/admin/assignments"),
        ("GET", "/admin/assignments/new"),
        ("POST", "/admin/assignments/new"),
        ("GET", f"/admin/assignments/{assignment.id}/end"),
        ("POST", f"/admin/assignments/{assignment.id}/end"),
        ("GET", "/admin/assignments/transfer"),
        ("POST", "/admin/assignments/transfer"),
        ("GET", "/admin/curriculum"),
        ("POST", "/admin/curriculum"),
        ("GET", f"/admin/curriculum/{own_id}/download.yaml"),
        ("GET", "/admin/curriculum/template.yaml"),
        ("GET", "/admin/curriculum/upload"),
        ("POST", "/admin/curriculum/upload"),
        ("GET", "/admin/audit"),
        ("GET", "/admin/audit.csv"),
        ("GET", "/admin/settings"),
        ("POST", "/admin/settings"),
    ]


def test_the_url_list_covers_every_admin_route(app, admin_urls):
    rules = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(method, re.sub(r"/\d+", "/<id>", url)) for method, url in admin_urls}
    assert {(m, re.sub(r"<int:\w+>", "<id>", r)) for m, r in rules} == covered


@pytest.mark.parametrize("role", ["mentor", "case_manager", "mentee"])
def test_non_admins_get_403_on_every_admin_page(client, login, make_user, admin_urls, role):
    login(make_user(role))
    before = (count(User), count(Mentee), count(Assignment), last_audit_id())
    for method, url in admin_urls:
        response = client.open(url, method=method, data={})
        assert response.status_code == 403, (method, url)
    assert (count(User), count(Mentee), count(Assignment), last_audit_id()) == before


def test_anonymous_visitors_are_sent_to_sign_in(client, admin_urls):
    for method, url in admin_urls:
        response = client.open(url, method=method, data={})
        assert response.status_code == 302, (method, url)
        assert "/login" in response.headers["Location"]


def test_admin_of_another_organisation_gets_404(
    client, login, make_user, make_mentee, assign, admin_urls
):
    elsewhere = people.get_or_create_organisation("Another Program")
    db.session.commit()
    login(make_user("admin", organisation=elsewhere))
    for method, url in admin_urls:
        if re.search(r"/\d+", url):
            response = client.open(url, method=method, data={})
            assert response.status_code == 404, (method, url)
    listing = html(client.get("/admin/people")) + html(client.get("/admin/mentees"))
    assert "Mentor Person" not in listing and "Mentee Person" not in listing


def test_other_organisations_staff_and_mentees_are_not_offered(as_admin, make_user, make_mentee):
    elsewhere = people.get_or_create_organisation("Another Program")
    outsider = make_user("mentor", name="Outside Mentor", organisation=elsewhere)
    foreign = make_mentee(name="Outside Mentee", organisation=elsewhere)
    page = html(as_admin.get("/admin/assignments/new"))
    assert "Outside Mentor" not in page
    response = as_admin.post(
        "/admin/assignments/new",
        data={
            "staff_id": outsider.id,
            "mentee_id": foreign.id,
            "kind": "mentor",
            "starts_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 200 and count(Assignment) == 0


# --- Curriculum ---------------------------------------------------------------------


def upload(client, text: str | bytes, filename: str = "mine.yaml"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(
        "/admin/curriculum/upload",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_curriculum_upload_with_errors_lists_every_line_and_loads_nothing(as_admin):
    text = MINI_CURRICULUM.read_text()
    text = text.replace("i_can: I can use an ATM.", "i_can: Use an ATM.")  # must start "I can "
    text = text.replace("recheck_days: 180", "recheck_days: soon")
    text = text.replace("key: ride-and-pay", "key: Ride And Pay")
    text = text.replace("title: Read a timetable", "title: Read a timetable\n        colour: red")
    before = (count(Skill), count(CurriculumLoad))
    with writes_no_audit():
        response = upload(as_admin, text)
    assert response.status_code == 422
    page = html(response)
    errors = re.findall(r"<li><code>(.*?)</code></li>", page)
    assert len(errors) == 4
    assert all(re.match(r"mine\.yaml:\d+: ", error) for error in errors)
    for fragment in ("i_can", "recheck_days", "Ride And Pay", "colour"):
        assert any(fragment in error for error in errors), fragment
    assert (count(Skill), count(CurriculumLoad)) == before


def test_curriculum_upload_loads_and_retires_removed_skills(as_admin, admin, skill):
    # The first upload makes the organisation's own copy; the second changes only it.
    assert upload(as_admin, MINI_CURRICULUM.read_text()).status_code == 302
    text = MINI_CURRICULUM.read_text().replace('version: "1"', 'version: "2"')
    text = text.replace(
        """      - key: use-atm
        title: Use an ATM
        i_can: I can use an ATM.
        description: Take out cash safely.""",
        """      - key: pay-a-bill
        title: Pay a bill
        i_can: I can pay a bill.
        description: On time, every month.""",
    )
    with writes_audit("curriculum.load"):
        response = upload(as_admin, text)
    assert response.status_code == 302
    db.session.expire_all()

    def own(key):
        return db.session.scalar(
            select(Skill)
            .join(Curriculum, Curriculum.id == Skill.curriculum_id)
            .where(Curriculum.organisation_id == admin.organisation_id, Skill.key == key)
        )

    assert own("use-atm").retired and own("use-atm").retired_at is not None
    assert not own("pay-a-bill").retired
    # The shared library's copy, which other organisations use, is untouched.
    assert not skill("use-atm").retired
    page = html(as_admin.get("/admin/curriculum"))
    assert "1 skills added, 0 updated, 1 retired" in page
    assert "Ada Admin" in page and "retired" in page and ">2<" in page


def test_curriculum_upload_that_is_not_utf8_is_reported_not_a_500(as_admin):
    before = count(Skill)
    response = upload(as_admin, b"id: mini\ntitle: caf\xe9\n", "latin1.yaml")
    assert response.status_code == 422
    assert "latin1.yaml:2: not UTF-8 text" in html(response)
    assert count(Skill) == before


def test_curriculum_upload_needs_a_file(as_admin):
    response = as_admin.post("/admin/curriculum/upload", data={})
    assert "Choose a file." in errors_beside(html(response), "file")


# --- Audit log ----------------------------------------------------------------------


def test_audit_page_filters_by_action_and_by_mentee(as_admin, admin, make_mentee):
    first = make_mentee(name="First Mentee")
    second = make_mentee(name="Second Mentee")
    mentee_standing.discharge_mentee(first, TODAY, actor=admin)
    mentee_standing.discharge_mentee(second, TODAY, actor=admin)
    db.session.commit()

    by_action = html(as_admin.get("/admin/audit?action=mentee.discharge"))
    assert by_action.count("<td>mentee.discharge</td>") == 2
    assert "<td>mentee.create</td>" not in by_action
    assert "Ada Admin" in by_action and "discharged on: " in by_action

    family = html(as_admin.get("/admin/audit?action=mentee"))
    assert "<td>mentee.create</td>" in family and "<td>mentee.discharge</td>" in family

    by_mentee = html(as_admin.get(f"/admin/audit?mentee={first.record_number}"))
    assert "First Mentee" in by_mentee and first.record_number in by_mentee
    assert "Second Mentee" not in by_mentee and second.record_number not in by_mentee

    by_person = html(as_admin.get("/admin/audit?actor=boss&action=mentee.create"))
    assert "No events match." in by_person  # the fixtures created mentees, not the admin


def test_audit_page_filters_by_date(as_admin):
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert "No events match." in html(as_admin.get(f"/admin/audit?since={tomorrow}"))
    assert "auth.login" in html(as_admin.get(f"/admin/audit?until={TODAY.isoformat()}"))
    backwards = html(as_admin.get(f"/admin/audit?since={tomorrow}&until={TODAY.isoformat()}"))
    assert "before the “From” date" in errors_beside(backwards, "until")


def test_audit_page_shows_only_the_admins_organisation(as_admin, make_user):
    elsewhere = people.get_or_create_organisation("Another Program")
    make_user("mentor", username="outsider", organisation=elsewhere, name="Outside Person")
    db.session.add(AuditEvent(action="secret.thing", organisation_id=elsewhere.id, at=utcnow()))
    db.session.commit()
    page = html(as_admin.get("/admin/audit"))
    assert "secret.thing" not in page and "auth.login" in page


def test_audit_page_is_paginated_newest_first(as_admin, admin):
    for n in range(60):
        db.session.add(
            AuditEvent(
                action=f"test.event{n:02d}",
                organisation_id=admin.organisation_id,
                at=utcnow() + timedelta(seconds=n),
            )
        )
    db.session.commit()
    first = html(as_admin.get("/admin/audit"))
    assert "test.event59" in first and "test.event10" in first and "test.event09" not in first
    assert first.index("test.event59") < first.index("test.event58")
    assert 'rel="next"' in first
    second = html(as_admin.get("/admin/audit?page=2"))
    assert "test.event09" in second and "test.event59" not in second


# --- Dashboard ----------------------------------------------------------------------


def test_dashboard_counts_people_mentees_assignments_and_shows_the_curriculum(
    as_admin, make_user, make_mentee, assign
):
    mentor = make_user("mentor")
    assign(mentor, make_mentee())
    make_mentee()
    page = html(as_admin.get("/admin/"))
    assert "2 people have a login." in page
    assert "2 active mentees." in page
    assert "1 current assignment of" in page
    assert "Mini curriculum: version 1" in page


def test_every_admin_page_has_one_h1_and_labelled_fields(as_admin, admin_urls):
    for method, url in admin_urls:
        if method != "GET":
            continue
        response = as_admin.get(url)
        if response.mimetype != "text/html":  # a download (CSV, YAML)
            continue
        page = html(response)
        assert page.count("<h1") == 1, url
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
            if 'type="hidden"' in tag:
                continue
            field_id = re.search(r'\bid="([^"]+)"', tag).group(1)
            assert f'for="{field_id}"' in page, (url, tag)


def test_signoff_history_is_untouched_by_admin_changes(
    as_admin, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    mentee = make_mentee()
    assignment = assign(mentor, mentee)
    record_signoff(mentee, skill(), mentor, SignoffDetails(level=2, shown_on=TODAY))
    db.session.commit()
    as_admin.post(f"/admin/assignments/{assignment.id}/end", data={"ends_on": TODAY.isoformat()})
    as_admin.post(
        f"/admin/mentees/{mentee.id}/discharge", data={"discharged_on": TODAY.isoformat()}
    )
    as_admin.post(f"/admin/people/{mentor.id}/deactivate")
    assert count(SignoffEvent) == 1


def test_admin_cannot_reset_their_own_password_here(as_admin, admin):
    old_hash = admin.password_hash
    with writes_no_audit():
        response = as_admin.post(
            f"/admin/people/{admin.id}/password",
            data={"password": "brand-new-secret-9"},
            follow_redirects=True,
        )
    assert "from your account page" in html(response)
    assert fresh(admin).password_hash == old_hash


def test_ending_an_assignment_keeps_the_lists_filters_even_after_a_refused_date(
    as_admin, make_user, make_mentee, org
):
    mentor = make_user("mentor")
    start = TODAY - timedelta(days=5)
    for n in range(51):
        mentee = people.create_mentee(org, f"Paged Mentee {n:02d}", start)
        assignments.assign(mentor, mentee, "mentor", start)
    db.session.commit()
    first = html(as_admin.get("/admin/assignments?show=current"))
    assert 'href="/admin/assignments?show=current&amp;page=2"' in first

    last = db.session.scalar(select(Assignment).order_by(Assignment.id.desc()))
    refused = html(
        as_admin.post(
            f"/admin/assignments/{last.id}/end?show=current&page=2",
            data={"ends_on": (start - timedelta(days=1)).isoformat()},
        )
    )
    assert "cannot be before the start date" in errors_beside(refused, "ends_on")
    # Cancel, and the form sent again, go back to the same page of the same list.
    assert 'href="/admin/assignments?show=current&amp;page=2">Cancel' in refused
    assert f'action="/admin/assignments/{last.id}/end?show=current&amp;page=2"' in refused
    response = as_admin.post(
        f"/admin/assignments/{last.id}/end?show=current&page=2",
        data={"ends_on": TODAY.isoformat()},
    )
    assert response.headers["Location"] == "/admin/assignments?show=current&page=2"


def test_a_made_up_record_number_never_clashes_with_a_typed_one(admin, org):
    people.create_mentee(org, "Typed Number", today(), "M99999", actor=admin)
    db.session.flush()
    # Someone typed the number the mentee after next would be given.
    upcoming = db.session.scalar(select(func.max(Mentee.id))) + 2
    people.create_mentee(org, "Squatter", today(), f"M{upcoming:05d}", actor=admin)
    db.session.flush()
    made = people.create_mentee(org, "No Number", today(), actor=admin)
    db.session.commit()
    assert made.id == upcoming
    assert made.record_number == f"M{upcoming:05d}-2"
