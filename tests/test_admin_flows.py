"""Admin flows of the second pass: adding a mentee with login and staff in one form,
duplicate warnings, confirmation before discharge, deactivation and ending an
assignment, unlinking a login, search, and downloading curricula."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from skills import permissions
from skills.extensions import db
from skills.models import Assignment, AuditEvent, Curriculum, CurriculumLoad, Mentee, Skill, User
from skills.services import curriculum as curriculum_service
from skills.services import people, roster
from skills.web.admin.curriculum import TEMPLATE

from .conftest import MINI_CURRICULUM, PASSWORD, today
from .live_server import live_server  # noqa: F401 - a fixture
from .test_admin import count, errors_beside, fresh, html, last_audit_id, sign_in
from .test_races import THREADS, _count, all_at_once, inputs
from .test_races import Client as RaceClient

TODAY = today()
STARTED = TODAY - timedelta(days=10)
FIRST_PASSWORD = "plum-kettle-harbor-97"


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss", name="Ada Admin")


@pytest.fixture
def as_admin(client, login, admin):
    login(admin)
    return client


def actions_since(before: int) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.id > before).order_by(AuditEvent.id)
        )
    )


def new_mentee(client, **fields):
    data = {"full_name": "Rosa Parks", "start_date": STARTED.isoformat(), **fields}
    return client.post("/admin/mentees/new", data=data)


# --- One form: mentee, login, mentor, case manager ---------------------------------------


def test_one_form_adds_a_mentee_with_login_mentor_and_case_manager(app, as_admin, make_user):
    mentor = make_user("mentor", name="Mo Mentor")
    cm = make_user("case_manager", name="Cy Casemanager")
    before = last_audit_id()
    response = new_mentee(
        as_admin,
        preferred_name="Ro",
        username="RosaP",
        password=FIRST_PASSWORD,
        mentor_id=mentor.id,
        case_manager_id=cm.id,
    )
    assert response.status_code == 302
    mentee = db.session.scalar(select(Mentee).where(Mentee.full_name == "Rosa Parks"))
    assert response.headers["Location"] == f"/admin/mentees/{mentee.id}"
    login = mentee.user
    assert (login.username, login.role_set, login.active) == ("rosap", {"mentee"}, True)
    assert login.must_change_password and login.display_name == "Rosa Parks"
    staff = {
        (a.staff_id, a.kind, a.starts_on, a.ends_on) for a in db.session.scalars(select(Assignment))
    }
    assert staff == {(mentor.id, "mentor", TODAY, None), (cm.id, "case_manager", TODAY, None)}
    assert actions_since(before) == [
        "mentee.create",
        "user.create",
        "mentee.link_login",
        "assignment.create",
        "assignment.create",
    ]
    assert permissions.can_sign_off(fresh(mentor), fresh(mentee))
    # The mentee signs in with the first password and must choose their own.
    browser = sign_in(app, login, FIRST_PASSWORD)
    assert "/account/password" in browser.get("/me/").headers["Location"]
    page = html(as_admin.get(f"/admin/mentees/{mentee.id}"))
    assert "Mo Mentor is their mentor from today." in page and "rosap" in page


def test_only_the_record_is_needed(as_admin):
    assert new_mentee(as_admin).status_code == 302
    mentee = db.session.scalar(select(Mentee))
    assert mentee.user_id is None and count(Assignment) == 0 and count(User) == 1


def test_only_active_staff_of_the_organisation_with_the_role_are_offered(as_admin, make_user):
    elsewhere = people.get_or_create_organisation("Another Program")
    make_user("mentor", name="Mentor Here")
    make_user("case_manager", name="Casemanager Here")
    make_user("mentor", name="Gone Mentor", active=False)
    make_user("mentor", name="Outside Mentor", organisation=elsewhere)
    page = html(as_admin.get("/admin/mentees/new"))
    mentor_select = re.search(r'<select[^>]*id="mentor_id".*?</select>', page, re.S).group(0)
    cm_select = re.search(r'<select[^>]*id="case_manager_id".*?</select>', page, re.S).group(0)
    assert "Mentor Here" in mentor_select and "Casemanager Here" not in mentor_select
    assert "Casemanager Here" in cm_select and "Mentor Here" not in cm_select
    assert "Gone Mentor" not in page and "Outside Mentor" not in page
    assert '<option selected value="">No mentor for now</option>' in mentor_select


@pytest.mark.parametrize(
    "case, field, message",
    [
        ("taken username", "username", "is already taken"),
        ("username without password", "password", "Enter a first password"),
        ("password without username", "username", "Enter a username"),
        ("common password", "password", "too common"),
        ("deactivated mentor", "mentor_id", "is deactivated"),
        ("mentor without the role", "mentor_id", "does not have the mentor role"),
        ("future start", "start_date", "cannot be in the future"),
    ],
)
def test_a_refused_step_saves_nothing_and_says_why_beside_its_field(
    as_admin, make_user, case, field, message
):
    make_user("mentor", username="taken")
    mentor = make_user("mentor")
    cm = make_user("case_manager")
    fields = {"username": "rosa", "password": FIRST_PASSWORD, "mentor_id": mentor.id}
    fields["case_manager_id"] = cm.id
    if case == "taken username":
        fields["username"] = "taken"
    elif case == "username without password":
        fields["password"] = ""
    elif case == "password without username":
        fields["username"] = ""
    elif case == "common password":
        fields["password"] = "password123"
    elif case == "deactivated mentor":
        mentor.active = False  # after the page was loaded
        db.session.commit()
    elif case == "mentor without the role":
        fields["mentor_id"] = cm.id
    elif case == "future start":
        fields["start_date"] = (TODAY + timedelta(days=1)).isoformat()
    before = (count(Mentee), count(User), count(Assignment), last_audit_id())
    response = new_mentee(as_admin, **fields)
    assert response.status_code == 422
    assert message in errors_beside(html(response), field)
    assert (count(Mentee), count(User), count(Assignment), last_audit_id()) == before


def test_staff_of_another_organisation_is_404_and_nothing_is_saved(as_admin, make_user):
    elsewhere = people.get_or_create_organisation("Another Program")
    outsider = make_user("mentor", organisation=elsewhere)
    response = new_mentee(as_admin, mentor_id=outsider.id)
    assert response.status_code == 404
    assert count(Mentee) == 0 and count(Assignment) == 0


# --- Possible duplicates --------------------------------------------------------------


def test_same_name_and_start_date_asks_before_adding_a_second_record(as_admin, make_mentee):
    first = make_mentee(name="Rosa Parks", start_date=STARTED)
    response = new_mentee(
        as_admin, full_name="  rosa   PARKS ", username="rosa2", password=FIRST_PASSWORD
    )
    assert response.status_code == 422
    page = html(response)
    assert "tick the box to add them anyway" in errors_beside(page, "confirm_duplicate")
    assert f'href="/admin/mentees/{first.id}"' in page and first.record_number in page
    assert count(Mentee) == 1 and count(User) == 1  # nor the login

    response = new_mentee(
        as_admin,
        full_name="rosa parks",
        username="rosa2",
        password=FIRST_PASSWORD,
        confirm_duplicate="y",
    )
    assert response.status_code == 302
    assert count(Mentee) == 2


def test_same_name_with_another_start_date_is_not_a_duplicate(as_admin, make_mentee):
    make_mentee(name="Rosa Parks", start_date=STARTED - timedelta(days=1))
    assert new_mentee(as_admin).status_code == 302
    assert count(Mentee) == 2


def test_the_same_form_sent_twice_adds_one_mentee(as_admin):
    assert new_mentee(as_admin).status_code == 302
    assert new_mentee(as_admin).status_code == 422
    assert count(Mentee) == 1


def test_a_mentee_added_on_the_page_is_a_possible_duplicate_in_a_roster(as_admin, org):
    """One rule for both: the roster flags the record the page made, despite case and
    spacing."""
    new_mentee(as_admin, full_name="Rosa  Parks")
    header = (
        "type,username,name,preferred_name,roles,email,record_number,start_date,mentor,case_manager"
    )
    row = f"mentee,,ROSA PARKS,,,,R-9,{STARTED.isoformat()},,"
    plan = roster.plan_import(org, [("r.csv", f"{header}\n{row}\n".encode())])
    assert [p.message for p in plan.duplicates] == [
        f"possible duplicate: ROSA PARKS, started {STARTED:%b} {STARTED.day}, {STARTED.year}, "
        "is also existing "
        f"record {db.session.scalar(select(Mentee.record_number))}; if they are different "
        "people, confirm duplicates to import"
    ]


# --- Asking before discharge, deactivation, ending an assignment ------------------------


def test_discharge_is_asked_on_its_own_page_before_it_happens(as_admin, make_mentee):
    mentee = make_mentee()
    page = html(as_admin.get(f"/admin/mentees/{mentee.id}"))
    # No form on the mentee's page acts at once: the button leads to the question.
    assert f'action="/admin/mentees/{mentee.id}/discharge"' not in page
    assert f'href="/admin/mentees/{mentee.id}/discharge"' in page
    before = last_audit_id()
    question = html(as_admin.get(f"/admin/mentees/{mentee.id}/discharge"))
    assert f"Discharge {mentee.full_name}?" in question and "gets no new sign-offs" in question
    assert f'value="{TODAY.isoformat()}"' in question
    assert fresh(mentee).status == "active" and last_audit_id() == before
    response = as_admin.post(
        f"/admin/mentees/{mentee.id}/discharge", data={"discharged_on": TODAY.isoformat()}
    )
    assert response.status_code == 302 and fresh(mentee).status == "discharged"


def test_ending_an_assignment_is_asked_on_its_own_page(as_admin, make_user, make_mentee, assign):
    assignment = assign(make_user("mentor", name="Mo Mentor"), make_mentee(name="Ana Diaz"))
    listing = html(as_admin.get("/admin/assignments?show=all"))
    assert "/end" not in "".join(re.findall(r'action="[^"]*"', listing))  # links only
    assert f'href="/admin/assignments/{assignment.id}/end?show=all"' in listing
    question = html(as_admin.get(f"/admin/assignments/{assignment.id}/end?show=all"))
    assert "End Mo Mentor's assignment to Ana Diaz?" in question
    assert fresh(assignment).ends_on is None
    as_admin.post(f"/admin/assignments/{assignment.id}/end", data={"ends_on": TODAY.isoformat()})
    assert fresh(assignment).ends_on == TODAY


@pytest.fixture
def busy_mentor(make_user, make_mentee, assign):
    """A mentor with a current, an upcoming and an ended assignment."""
    mentor = make_user("mentor", name="Bea Busy")
    current = assign(mentor, make_mentee(name="Cara Current"))
    upcoming = assign(mentor, make_mentee(name="Una Upcoming"), starts_on=TODAY + timedelta(days=3))
    ended = assign(
        mentor, make_mentee(name="Ed Ended"), starts_on=STARTED, ends_on=TODAY - timedelta(days=1)
    )
    return mentor, current, upcoming, ended


def test_deactivation_asks_what_happens_to_the_assignments(as_admin, busy_mentor):
    mentor, current, upcoming, ended = busy_mentor
    assert f'href="/admin/people/{mentor.id}/deactivate"' in html(
        as_admin.get(f"/admin/people/{mentor.id}")
    )
    question = html(as_admin.get(f"/admin/people/{mentor.id}/deactivate"))
    assert "Cara Current" in question and "Una Upcoming" in question
    assert "Ed Ended" not in question
    before = last_audit_id()
    response = as_admin.post(f"/admin/people/{mentor.id}/deactivate", data={})
    assert response.status_code == 422
    assert "Choose what happens to their assignments." in html(response)
    assert fresh(mentor).active and last_audit_id() == before


def test_deactivating_and_ending_stops_every_open_assignment_today(app, as_admin, busy_mentor):
    mentor, current, upcoming, ended = busy_mentor
    browser = sign_in(app, mentor)
    before = last_audit_id()
    response = as_admin.post(
        f"/admin/people/{mentor.id}/deactivate", data={"assignments": "end"}, follow_redirects=True
    )
    assert "Bea Busy can no longer sign in. 2 assignments ended today." in html(response)
    assert not fresh(mentor).active
    assert fresh(current).ends_on == TODAY
    # One that had not started ends on its first day, so it never starts.
    assert fresh(upcoming).ends_on == fresh(upcoming).starts_on
    assert fresh(ended).ends_on == TODAY - timedelta(days=1)
    assert sorted(actions_since(before)) == ["assignment.end", "assignment.end", "user.deactivate"]
    assert not permissions.can_view_mentee(fresh(mentor), fresh(current).mentee)
    assert browser.get("/mentor/").status_code == 302  # signed out


def test_deactivating_and_keeping_leaves_the_assignments(as_admin, busy_mentor):
    mentor, current, upcoming, _ = busy_mentor
    response = as_admin.post(
        f"/admin/people/{mentor.id}/deactivate", data={"assignments": "keep"}, follow_redirects=True
    )
    assert "Their 2 assignments stay until you end or move them." in html(response)
    assert not fresh(mentor).active
    assert fresh(current).ends_on is None and fresh(upcoming).ends_on is None


def test_a_person_with_no_assignments_is_deactivated_without_a_choice(as_admin, make_user):
    person = make_user("mentor")
    question = html(as_admin.get(f"/admin/people/{person.id}/deactivate"))
    assert 'name="assignments"' not in question
    as_admin.post(f"/admin/people/{person.id}/deactivate", data={})
    assert not fresh(person).active


# --- Unlinking a login --------------------------------------------------------------------


def test_unlinking_a_login_stops_it_seeing_the_record_and_leaves_it_active(
    app, as_admin, make_mentee
):
    mentee = make_mentee(with_login=True)
    login = mentee.user
    browser = sign_in(app, login)
    assert browser.get("/me/").status_code == 200
    page = html(as_admin.get(f"/admin/mentees/{mentee.id}"))
    assert "The login itself stays active" in page
    before = last_audit_id()
    as_admin.post(f"/admin/mentees/{mentee.id}/unlink")
    assert fresh(mentee).user_id is None and fresh(login).active
    assert actions_since(before) == ["mentee.unlink_login"]
    page = html(as_admin.get(f"/admin/mentees/{mentee.id}"))
    assert f"{login.display_name} ({login.username}) no longer signs in" in page
    assert "not ready yet" in html(browser.get("/me/", follow_redirects=True))
    # It can be linked to the right record.
    other = make_mentee()
    as_admin.post(f"/admin/mentees/{other.id}/link", data={"user_id": login.id})
    assert fresh(other).user_id == login.id


def test_unlinking_a_record_with_no_login_is_refused(as_admin, make_mentee):
    mentee = make_mentee()
    before = last_audit_id()
    as_admin.post(f"/admin/mentees/{mentee.id}/unlink")
    assert last_audit_id() == before
    assert "has no login linked" in html(as_admin.get(f"/admin/mentees/{mentee.id}"))


# --- Search ----------------------------------------------------------------------------------


def test_people_search_matches_name_and_username_ignoring_case(as_admin, make_user):
    make_user("mentor", username="jrivera", name="Jordan Rivera")
    make_user("mentor", username="mchen", name="Morgan Chen")
    make_user("mentor", username="pat_kim", name="Pat Kim")
    page = html(as_admin.get("/admin/people?q=RIVERA"))
    assert "Jordan Rivera" in page and "Morgan Chen" not in page
    assert "Morgan Chen" in html(as_admin.get("/admin/people?q=mche"))
    # % and _ are letters here, not wildcards.
    assert "Jordan Rivera" not in html(as_admin.get("/admin/people?q=%25"))
    underscore = html(as_admin.get("/admin/people?q=t_k"))
    assert "Pat Kim" in underscore and "Morgan Chen" not in underscore
    assert "No one matches “nobody-here”." in html(as_admin.get("/admin/people?q=nobody-here"))


def test_mentee_search_matches_names_record_numbers_and_logins(as_admin, make_mentee, org):
    rosa = people.create_mentee(org, "Rosa Parks", STARTED, "R-100", preferred_name="Ro")
    make_mentee(name="Ana Diaz", with_login=True)
    db.session.commit()
    ana_login = db.session.scalar(select(Mentee).where(Mentee.full_name == "Ana Diaz")).user
    for q, found, hidden in [
        ("parks", "Rosa Parks", "Ana Diaz"),
        ("r-100", "Rosa Parks", "Ana Diaz"),
        (ana_login.username, "Ana Diaz", "Rosa Parks"),
    ]:
        page = html(as_admin.get(f"/admin/mentees?q={q}"))
        assert found in page and hidden not in page, q
    assert rosa.record_number in html(as_admin.get("/admin/mentees?q=Ro"))


def test_search_pages_keep_the_search_in_their_page_links(as_admin, org):
    for n in range(51):
        people.create_mentee(org, f"Paged Mentee {n:02d}", STARTED)
    people.create_mentee(org, "Someone Else", STARTED)
    db.session.commit()
    first = html(as_admin.get("/admin/mentees?q=paged"))
    assert 'href="/admin/mentees?q=paged&amp;page=2"' in first
    second = html(as_admin.get("/admin/mentees?q=paged&page=2"))
    assert "Paged Mentee 50" in second and "Someone Else" not in second


def test_assignment_search_matches_mentee_and_staff_and_stays_in_the_organisation(
    as_admin, make_user, make_mentee, assign
):
    assign(make_user("mentor", name="Mo Mentor"), make_mentee(name="Ana Diaz"))
    assign(make_user("mentor", name="Lu Other"), make_mentee(name="Ben Bell"))
    elsewhere = people.get_or_create_organisation("Another Program")
    assign(
        make_user("mentor", name="Mo Outside", organisation=elsewhere),
        make_mentee(name="Ana Outside", organisation=elsewhere),
    )
    by_staff = html(as_admin.get("/admin/assignments?q=mo"))
    assert "Ana Diaz" in by_staff and "Ben Bell" not in by_staff and "Outside" not in by_staff
    by_mentee = html(as_admin.get("/admin/assignments?q=bell&show=all"))
    assert "Lu Other" in by_mentee and "Mo Mentor" not in by_mentee
    assert 'value="bell"' in by_mentee  # the search box keeps what was typed


# --- Downloading curricula --------------------------------------------------------------------


def upload(client, text: str, filename: str = "mine.yaml"):
    return client.post(
        "/admin/curriculum/upload",
        data={"file": (io.BytesIO(text.encode()), filename)},
        content_type="multipart/form-data",
    )


def curriculum_content(key: str) -> list[tuple]:
    """Everything a load can change in a curriculum, as plain values."""
    db.session.expire_all()
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.key == key))
    levels = [(lv.value, lv.name, lv.mentee_text) for lv in curriculum.levels]
    skills = db.session.scalars(select(Skill).where(Skill.curriculum_id == curriculum.id))
    return [
        (curriculum.title, curriculum.version, curriculum.signed_off_level),
        *levels,
        *sorted(
            (
                s.key,
                s.title,
                s.i_can,
                s.description,
                tuple(s.steps),
                s.recheck_days,
                s.position,
                s.retired,
                s.domain.key,
                s.domain.position,
            )
            for s in skills
        ),
    ]


def test_a_downloaded_curriculum_uploads_again_with_nothing_changed(as_admin):
    text = MINI_CURRICULUM.read_text().replace("id: mini", "id: ours")
    text = text.replace(
        "      - key: use-atm\n",
        "      - key: use-atm\n        steps: ['Say: \"no\"', '#1 rule']\n",
        1,
    )
    text = text.replace("key: read-timetable", "key: read-timetable-old")
    assert upload(as_admin, text).status_code == 302
    # A skill dropped from the file is retired; the download leaves it out.
    dropped = (
        "      - key: read-timetable-old\n        title: Read a timetable\n"
        "        i_can: I can read a bus timetable.\n"
        "        description: Find when the bus comes.\n"
    )
    assert dropped in text
    assert upload(as_admin, text.replace(dropped, "")).status_code == 302
    ours = db.session.scalar(select(Curriculum.id).where(Curriculum.key == "ours"))
    before, loads = curriculum_content("ours"), count(CurriculumLoad)
    response = as_admin.get(f"/admin/curriculum/{ours}/download.yaml")
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert 'filename="ours.yaml"' in response.headers["Content-Disposition"]
    downloaded = response.get_data(as_text=True)
    assert "read-timetable-old" not in downloaded
    followed = upload(as_admin, downloaded, "ours.yaml")
    assert followed.status_code == 302
    assert "Nothing had changed." in html(as_admin.get("/admin/curriculum"))
    assert curriculum_content("ours") == before
    assert count(CurriculumLoad) == loads + 1  # the new file's fingerprint, nothing else
    # A fixed point: the second download is the first one, byte for byte.
    assert (
        as_admin.get(f"/admin/curriculum/{ours}/download.yaml").get_data(as_text=True) == downloaded
    )


def test_a_library_curriculum_downloads_and_reloads_into_the_library_unchanged(as_admin):
    mini = db.session.scalar(select(Curriculum).where(Curriculum.key == "mini"))
    before = curriculum_content("mini")
    text = as_admin.get(f"/admin/curriculum/{mini.id}/download.yaml").get_data(as_text=True)
    summary = curriculum_service.apply_curriculum(curriculum_service.parse_curriculum(text))
    db.session.commit()
    assert not summary.changed and curriculum_content("mini") == before


def test_the_curriculum_page_links_each_curriculum_in_use_to_its_download(as_admin):
    mini = db.session.scalar(select(Curriculum).where(Curriculum.key == "mini"))
    page = html(as_admin.get("/admin/curriculum"))
    assert f'href="/admin/curriculum/{mini.id}/download.yaml"' in page
    assert 'href="/admin/curriculum/template.yaml"' in page


def test_a_curriculum_the_organisation_does_not_use_is_not_downloaded(as_admin, admin):
    elsewhere = people.get_or_create_organisation("Another Program")
    theirs = curriculum_service.parse_curriculum(
        MINI_CURRICULUM.read_text().replace("id: mini", "id: theirs")
    )
    curriculum_service.apply_curriculum(theirs, organisation_id=elsewhere.id)
    unused = curriculum_service.parse_curriculum(
        MINI_CURRICULUM.read_text().replace("id: mini", "id: unused")
    )
    curriculum_service.apply_curriculum(unused)  # in the library; nobody chose it
    db.session.commit()
    for key in ("theirs", "unused"):
        curriculum_id = db.session.scalar(select(Curriculum.id).where(Curriculum.key == key))
        assert as_admin.get(f"/admin/curriculum/{curriculum_id}/download.yaml").status_code == 404
    assert as_admin.get("/admin/curriculum/999999/download.yaml").status_code == 404


def test_the_template_is_served_as_yaml_passes_the_check_and_uploads(as_admin, runner):
    response = as_admin.get("/admin/curriculum/template.yaml")
    assert response.mimetype == "application/yaml"
    assert 'filename="curriculum-template.yaml"' in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text == TEMPLATE.read_text() and text.count("\n#") > 10  # commented
    result = runner.invoke(args=["curriculum", "check", str(TEMPLATE)])
    assert result.exit_code == 0, result.output
    assert upload(as_admin, text, "curriculum-template.yaml").status_code == 302
    assert db.session.scalar(select(Curriculum).where(Curriculum.key == "our-program"))


def test_non_admins_cannot_download(client, login, make_user):
    mini = db.session.scalar(select(Curriculum.id).where(Curriculum.key == "mini"))
    login(make_user("case_manager"))
    assert client.get(f"/admin/curriculum/{mini}/download.yaml").status_code == 403
    assert client.get("/admin/curriculum/template.yaml").status_code == 403


def test_the_mentee_login_password_is_never_in_the_audit_log(as_admin):
    new_mentee(as_admin, username="rosa", password=FIRST_PASSWORD)
    details = " ".join(str(e.detail) for e in db.session.scalars(select(AuditEvent)))
    assert FIRST_PASSWORD not in details and PASSWORD not in details


# --- A double submit, for real ----------------------------------------------------------------


def test_the_add_form_sent_from_several_tabs_at_once_adds_one_mentee(live_server):
    """Double taps and a second tab: each request checks for a possible duplicate while
    holding the organisation's write lock, so only the first one adds the record."""
    server, url, _ = live_server
    clients = [RaceClient(server, "admin") for _ in range(THREADS)]
    forms = []
    for client in clients:
        status, _, page = client.call("GET", "/admin/mentees/new")
        assert status == 200, page[:300]
        forms.append({**inputs(page), "full_name": "Rosa Parks", "start_date": STARTED.isoformat()})
    statuses = all_at_once(
        clients, lambda c: c.call("POST", "/admin/mentees/new", forms[clients.index(c)])[0]
    )
    assert sorted(statuses) == [302] + [422] * (THREADS - 1), statuses
    named = select(func.count()).select_from(Mentee).where(Mentee.full_name == "Rosa Parks")
    assert _count(url, named) == 1
