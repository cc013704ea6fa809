"""Roster import: staff, mentees and assignments from CSV files, all or nothing."""

import io
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import Assignment, AuditEvent, Mentee, User
from skills.services import people, roster

from .conftest import PASSWORD, today

TODAY = today()
HEADER = (
    "type,username,name,preferred_name,roles,email,record_number,start_date,mentor,case_manager"
)
GOOD_STAFF = "staff,goodone,Good One,,mentor,,,,,"
DOCS_TEMPLATE = Path(__file__).parent.parent / "docs" / "roster-template.csv"
NEW_PASSWORD = "plum-kettle-harbor-97"


# --- Helpers ------------------------------------------------------------------------


def counts() -> tuple[int, int, int, int]:
    db.session.rollback()  # see what the command committed in its own session
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Mentee, Assignment, AuditEvent)
    )


def run(runner, tmp_path, *files, org="Test Program", extra=()):
    """`flask people import` on files given as (name, text or bytes)."""
    paths = []
    for name, content in files:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths.append(str(path))
    result = runner.invoke(args=["people", "import", *paths, "--organisation", org, *extra])
    # Paths in messages are as given; tests compare the file's own name.
    return result, result.output.replace(str(tmp_path) + "/", "")


def rows(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def mentee(record_number):
    return db.session.scalar(select(Mentee).where(Mentee.record_number == record_number))


def current_pairs():
    query = select(User.username, Mentee.record_number, Assignment.kind).join(
        User, User.id == Assignment.staff_id
    )
    return sorted(db.session.execute(query.join(Mentee, Mentee.id == Assignment.mentee_id)))


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss", name="Ada Admin")


# --- A good file --------------------------------------------------------------------


def test_the_template_creates_staff_mentees_logins_and_assignments(runner, tmp_path, org):
    first_event = db.session.scalar(select(func.max(AuditEvent.id))) or 0
    result, output = run(runner, tmp_path, ("roster.csv", roster.TEMPLATE))
    assert result.exit_code == 0, output
    assert (
        "Created 3 staff logins, 3 mentee records, 1 mentee login (and linked 0 existing "
        "logins), 5 assignments." in output
    )
    db.session.rollback()
    assert user("pkim").roles == "case_manager mentor"
    assert user("jrivera").display_name == "Jordan Rivera"
    sam = mentee("R-1001")
    assert (sam.full_name, sam.preferred_name, sam.start_date) == (
        "Samuel Ortiz",
        "Sam",
        date(2026, 1, 15),
    )
    lena = mentee("R-1002")
    assert lena.start_date == date(2026, 1, 20)  # from 01/20/2026
    assert lena.user.username == "lwashington" and lena.user.roles == "mentee"
    assert mentee("R-1003").user_id is None
    assert current_pairs() == [
        ("jrivera", "R-1001", "mentor"),
        ("jrivera", "R-1002", "mentor"),
        ("mchen", "R-1001", "case_manager"),
        ("mchen", "R-1002", "case_manager"),
        ("pkim", "R-1002", "mentor"),
    ]
    assert {a.starts_on for a in db.session.scalars(select(Assignment))} == {TODAY}
    # Audited as the admin pages audit each change, with no actor: the command line.
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > first_event).order_by(AuditEvent.id)
    ).all()
    actions = [e.action for e in events]
    assert actions.count("user.create") == 4
    assert actions.count("mentee.create") == 3
    assert actions.count("mentee.link_login") == 1
    assert actions.count("assignment.create") == 5
    assert actions[-1] == "roster.import"
    assert '"via": "command line"' in events[-1].detail
    assert {e.actor_id for e in events} == {None}
    assert {e.organisation_id for e in events} == {org.id}


def test_running_the_same_file_twice_creates_nothing_new(runner, tmp_path, org):
    run(runner, tmp_path, ("roster.csv", roster.TEMPLATE))
    before = counts()
    result, output = run(runner, tmp_path, ("roster.csv", roster.TEMPLATE))
    assert result.exit_code == 0, output
    assert "Created 0 staff logins, 0 mentee records, 0 mentee logins" in output
    assert "Already there: 3 staff logins, 3 mentee records, 5 assignments." in output
    users, mentees, assignments, audits = before
    assert counts() == (users, mentees, assignments, audits + 1)  # only the roster.import


def test_dry_run_says_what_it_would_do_and_writes_nothing(runner, tmp_path, org):
    before = counts()
    result, output = run(runner, tmp_path, ("roster.csv", roster.TEMPLATE), extra=["--dry-run"])
    assert result.exit_code == 0, output
    assert "Would create 3 staff logins, 3 mentee records" in output
    assert counts() == before


def test_imported_logins_cannot_sign_in_until_an_admin_sets_a_password(
    runner, tmp_path, org, client, login, admin
):
    run(runner, tmp_path, ("roster.csv", roster.TEMPLATE))
    for password in ("", PASSWORD, "jrivera"):
        response = client.post("/login", data={"username": "jrivera", "password": password})
        assert response.status_code != 302 or "/login" in response.headers["Location"]
    login(admin)
    jordan = user("jrivera")
    response = client.post(f"/admin/people/{jordan.id}/password", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    client.post("/logout")
    response = client.post("/login", data={"username": "jrivera", "password": NEW_PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]


def test_staff_and_mentees_may_come_in_separate_files(runner, tmp_path, org, make_user):
    existing = make_user("mentor", username="oldhand")
    staff = rows("staff,newcm,New Case Manager,,Case manager,,,,,")
    mentees = rows("mentee,,Ana Cruz,,,,A-1,2025-06-01,oldhand,newcm")
    result, output = run(runner, tmp_path, ("staff.csv", staff), ("mentees.csv", mentees))
    assert result.exit_code == 0, output
    db.session.rollback()
    assert current_pairs() == [("newcm", "A-1", "case_manager"), ("oldhand", "A-1", "mentor")]
    assert user("oldhand").id == existing.id


def test_an_open_assignment_is_not_made_twice_and_an_existing_login_is_linked(
    runner, tmp_path, org, make_user, make_mentee, assign
):
    mentor = make_user("mentor", username="mentorx")
    record = make_mentee(name="Ana Cruz", start_date=date(2025, 6, 1))
    assign(mentor, record, "mentor", starts_on=TODAY - timedelta(days=10))
    make_user("mentee", username="anacruz", name="Ana Cruz")
    line = f"mentee,anacruz,Ana Cruz,,,,{record.record_number},2025-06-01,mentorx,"
    result, output = run(runner, tmp_path, ("roster.csv", rows(line)))
    assert result.exit_code == 0, output
    assert "(and linked 1 existing login), 0 assignments" in output
    assert "Already there: 0 staff logins, 1 mentee record, 1 assignment." in output
    db.session.rollback()
    assert db.session.get(Mentee, record.id).user.username == "anacruz"
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 1


def test_an_existing_record_with_other_details_is_left_unchanged_and_noted(
    runner, tmp_path, org, make_mentee
):
    record = make_mentee(name="Ana Cruz", start_date=date(2025, 6, 1))
    line = f"mentee,,Anna Cruz-Lopez,,,,{record.record_number},2025-06-02,,"
    result, output = run(runner, tmp_path, ("roster.csv", rows(line)))
    assert result.exit_code == 0, output
    assert (
        f"roster.csv:2: record {record.record_number} already exists as Ana Cruz, started "
        "Jun 1, 2025; left unchanged." in output
    )
    db.session.rollback()
    assert db.session.get(Mentee, record.id).full_name == "Ana Cruz"


def test_semicolons_a_bom_and_crlf_line_ends_are_read(runner, tmp_path, org):
    text = roster.TEMPLATE.replace(",", ";").replace("\n", "\r\n")
    result, output = run(runner, tmp_path, ("excel.csv", b"\xef\xbb\xbf" + text.encode()))
    assert result.exit_code == 0, output
    assert "excel.csv: read with semicolons between columns." in output
    db.session.rollback()
    assert user("jrivera") is not None and mentee("R-1002").start_date == date(2026, 1, 20)


def test_headers_may_be_written_as_a_spreadsheet_user_would(runner, tmp_path, org):
    text = (
        "Type,Username,Full name,Preferred name,Roles,Email,Record number,Start date,"
        "Mentor,Case manager\nstaff,ms,M S,,Mentor / Case manager,,,,,\n"
    )
    result, output = run(runner, tmp_path, ("roster.csv", text))
    assert result.exit_code == 0, output
    db.session.rollback()
    assert user("ms").roles == "case_manager mentor"


# --- Mistakes: each reported as file:line: column: message, nothing written ---------

TOMORROW = TODAY + timedelta(days=1)
FUTURE = TOMORROW.isoformat()
# Dates in messages read as US readers write them, whatever the file used.
FUTURE_SHOWN = f"{TOMORROW:%b} {TOMORROW.day}, {TOMORROW.year}"
MISTAKES = {
    "unknown role": (
        rows(GOOD_STAFF, "staff,x1,X One,,coach,,,,,"),
        "roster.csv:3: roles: unknown role “coach”; roles are admin, case_manager, mentor, mentee",
    ),
    "mentee role alone on a staff row": (
        rows(GOOD_STAFF, "staff,x1,X One,,mentee,,,,,"),
        "roster.csv:3: roles: a staff row needs admin, case_manager or mentor",
    ),
    "unknown username": (
        rows(GOOD_STAFF, "mentee,,Ann Bee,,,,R-9,2026-01-05,nobody,"),
        "roster.csv:3: mentor: unknown username “nobody”: not a staff row in these files "
        "nor a person in Test Program",
    ),
    "staff member without the role": (
        rows("staff,cm1,Case One,,case_manager,,,,,", "mentee,,Ann Bee,,,,R-9,2026-01-05,cm1,"),
        "roster.csv:3: mentor: cm1 does not have the mentor role",
    ),
    "future date": (
        rows(GOOD_STAFF, f"mentee,,Ann Bee,,,,R-9,{FUTURE},,"),
        f"roster.csv:3: start_date: {FUTURE_SHOWN} is in the future",
    ),
    "date long ago": (
        rows(GOOD_STAFF, "mentee,,Ann Bee,,,,R-9,1850-01-31,,"),
        "roster.csv:3: start_date: Jan 31, 1850 is too long ago; check the year",
    ),
    "date in a format we do not read": (
        rows(GOOD_STAFF, "mentee,,Ann Bee,,,,R-9,31.01.2026,,"),
        "roster.csv:3: start_date: “31.01.2026” is not a date; use YYYY-MM-DD or MM/DD/YYYY "
        "(like 2026-01-31 or 01/31/2026)",
    ),
    "date that does not exist": (
        rows(GOOD_STAFF, "mentee,,Ann Bee,,,,R-9,02/30/2026,,"),
        "roster.csv:3: start_date: “02/30/2026” is not a real date",
    ),
    "missing column a row needs": (
        "type,name,record_number\nmentee,Ann Bee,R-9\n",
        "roster.csv:1: start_date: missing column: mentee rows need it",
    ),
    "missing name column": (
        "type,username,roles\nstaff,x1,mentor\n",
        "roster.csv:1: name: missing column",
    ),
    "unknown column": (
        HEADER + ",notes\n" + GOOD_STAFF + ",hello\n",
        "roster.csv:1: notes: unknown column; the columns are: type, username, name",
    ),
    "empty cell that is required": (
        rows(GOOD_STAFF, "staff,x1,,,mentor,,,,,"),
        "roster.csv:3: name: required",
    ),
    "bad type": (rows(GOOD_STAFF, "volunteer,x1,X,,mentor,,,,,"), "roster.csv:3: type: must be"),
    "bad username": (
        rows(GOOD_STAFF, "staff,Jo Smith,Jo Smith,,mentor,,,,,"),
        "roster.csv:3: username: “Jo Smith” is not a username",
    ),
    "bad email": (
        rows(GOOD_STAFF, "staff,x1,X One,,mentor,x-at-example,,,,"),
        "roster.csv:3: email: not an email address",
    ),
    "too long a name": (
        rows(GOOD_STAFF, f"staff,x1,{'N' * 121},,mentor,,,,,"),
        "roster.csv:3: name: at most 120 characters",
    ),
    "duplicate row": (
        rows(GOOD_STAFF, GOOD_STAFF),
        "roster.csv:3: the same row as line 2; remove one",
    ),
    "duplicate username": (
        rows(GOOD_STAFF, "staff,goodone,Another,,mentor,,,,,"),
        "roster.csv:3: username: “goodone” is also on roster.csv:2",
    ),
    "duplicate username after a row with another mistake": (
        rows("staff,x1,X One,,mentor,not-an-email,,,,", "staff,x1,X Two,,mentor,,,,,"),
        "roster.csv:3: username: “x1” is also on roster.csv:2",
    ),
    "unknown role of two words": (
        rows(GOOD_STAFF, "staff,x1,X One,,mentor; case worker,,,,,"),
        "roster.csv:3: roles: unknown role “case worker”; roles are",
    ),
    "duplicate record number": (
        rows("mentee,,Ann Bee,,,,R-9,2026-01-05,,", "mentee,,Cy Dee,,,,R-9,2026-01-06,,"),
        "roster.csv:3: record_number: record number R-9 is also on roster.csv:2",
    ),
    "username taken by another organisation": (
        rows(GOOD_STAFF, "staff,elsewhere,X One,,mentor,,,,,"),
        "roster.csv:3: username: the username “elsewhere” is already taken",
    ),
    "mentee login that is a staff row": (
        rows(GOOD_STAFF, "mentee,goodone,Ann Bee,,,,R-9,2026-01-05,,"),
        "roster.csv:3: username: “goodone” is also on roster.csv:2",
    ),
    "cell on a row of the other kind": (
        rows(GOOD_STAFF, "staff,x1,X One,,mentor,,R-9,,,"),
        "roster.csv:3: record_number: leave empty on a staff row",
    ),
    "stray separator": (
        rows(GOOD_STAFF, "staff,x1,X,One,,mentor,,,,,,x"),
        "roster.csv:3: has 12 cells but the header has 10 columns",
    ),
    "not UTF-8": (
        rows(GOOD_STAFF).encode() + "staff,jose,José Ruiz,,mentor,,,,,\n".encode("latin-1"),
        "roster.csv:3: not UTF-8 text (byte 0xE9); save the file as “CSV UTF-8”",
    ),
    "empty file": (b"", "roster.csv: the file is empty"),
    "header and no rows": (HEADER + "\n", "roster.csv: the file has a header but no rows."),
    "a workbook": (b"PK\x03\x04rest-of-a-zip", "roster.csv: this is a spreadsheet workbook"),
}


@pytest.mark.parametrize("content, message", MISTAKES.values(), ids=MISTAKES.keys())
def test_each_mistake_is_reported_where_it_is_and_nothing_is_written(
    runner, tmp_path, org, make_user, content, message
):
    make_user("mentor", username="elsewhere", organisation=people.get_or_create_organisation("B"))
    before = counts()
    result, output = run(runner, tmp_path, ("roster.csv", content))
    assert result.exit_code == 1, output
    assert message in output
    assert "nothing was imported" in output
    assert counts() == before
    assert user("goodone") is None  # the good row before the bad one is not kept


def test_every_problem_in_every_file_is_reported_at_once(runner, tmp_path, org):
    staff = rows("staff,x1,X One,,coach,,,,,", "staff,x2,X Two,,mentor,,,,,")
    mentees = rows("mentee,,Ann Bee,,,,R-9,2026-13-01,x2,nobody")
    result, output = run(runner, tmp_path, ("staff.csv", staff), ("mentees.csv", mentees))
    assert result.exit_code == 1
    lines = [line for line in output.splitlines() if line.startswith(("staff.csv", "mentees.csv"))]
    assert lines == [
        "staff.csv:2: roles: unknown role “coach”; roles are admin, case_manager, mentor, mentee",
        "mentees.csv:2: start_date: “2026-13-01” is not a real date",
    ]
    fixed = mentees.replace("2026-13-01", "2026-01-13")
    result, output = run(runner, tmp_path, ("staff.csv", staff), ("mentees.csv", fixed))
    assert "mentees.csv:2: case_manager: unknown username “nobody”" in output


def test_a_refused_staff_row_is_not_reported_again_where_it_is_named(runner, tmp_path, org):
    text = rows("staff,x1,X One,,mentor,not-an-email,,,,", "mentee,,Ann Bee,,,,R-9,2026-01-05,x1,")
    result, output = run(runner, tmp_path, ("roster.csv", text))
    assert result.exit_code == 1
    assert "roster.csv:2: email: not an email address" in output
    assert "1 problem(s); nothing was imported." in output


def test_the_list_of_problems_is_capped_and_counted(runner, tmp_path, org):
    bad = [f"staff,user{n},User {n},,coach,,,,," for n in range(250)]
    result, output = run(runner, tmp_path, ("roster.csv", rows(*bad)))
    listed = [line for line in output.splitlines() if line.startswith("roster.csv:")]
    assert len(listed) == 100
    assert listed[-1].startswith("roster.csv:101: roles:")
    assert "… and 150 more." in output
    assert "250 problem(s); nothing was imported." in output


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(runner, tmp_path, org):
    huge = rows(*(f"staff,user{n},User Number {n},,mentor,,,,," for n in range(100_000)))
    assert len(huge) > roster.MAX_BYTES
    before = counts()
    result, output = run(runner, tmp_path, ("huge.csv", huge))
    assert result.exit_code == 1
    assert (
        "huge.csv: the file is larger than 2 MB; one import takes up to 2 MB a file and 2,000 "
        "rows in all. Split it" in output
    )
    assert counts() == before


def test_more_rows_than_the_limit_are_refused(runner, tmp_path, org):
    many = [f"staff,u{n},U {n},,mentor,,,,," for n in range(roster.MAX_ROWS + 1)]
    text = rows(*many)
    assert len(text) < roster.MAX_BYTES
    result, output = run(runner, tmp_path, ("many.csv", text))
    assert result.exit_code == 1
    assert f"many.csv:{roster.MAX_ROWS + 2}: more than 2,000 rows in this import" in output
    assert counts()[0] == 0


# --- Possible duplicate mentees ---------------------------------------------------


def test_a_possible_duplicate_mentee_needs_confirming(runner, tmp_path, org, make_mentee):
    existing = make_mentee(name="Samuel Ortiz", start_date=date(2026, 1, 15))
    before = counts()
    result, output = run(runner, tmp_path, ("roster.csv", roster.TEMPLATE))
    assert result.exit_code == 1
    assert (
        "roster.csv:5: name: possible duplicate: Samuel Ortiz, started Jan 15, 2026, is also "
        f"existing record {existing.record_number}" in output
    )
    assert "--confirm-duplicates" in output
    assert counts() == before
    result, output = run(
        runner, tmp_path, ("roster.csv", roster.TEMPLATE), extra=["--confirm-duplicates"]
    )
    assert result.exit_code == 0, output
    db.session.rollback()
    assert mentee("R-1001").full_name == "Samuel Ortiz"


def test_two_rows_for_the_same_person_with_different_records_are_flagged(runner, tmp_path, org):
    text = rows("mentee,,Ann Bee,,,,R-1,2026-01-05,,", "mentee,,ann  bee,,,,R-2,01/05/2026,,")
    result, output = run(runner, tmp_path, ("roster.csv", text))
    assert result.exit_code == 1
    assert (
        "roster.csv:3: name: possible duplicate: ann  bee, started Jan 5, 2026, is also "
        "record R-1 on roster.csv:2" in output
    )


# --- The admin page ---------------------------------------------------------------


def upload(client, *files, action="import", confirm=False):
    data = {"files": [(io.BytesIO(c if isinstance(c, bytes) else c.encode()), n) for n, c in files]}
    data["action"] = action
    if confirm:
        data["confirm_duplicates"] = "y"
    return client.post("/admin/people/import", data=data, content_type="multipart/form-data")


@pytest.fixture
def as_admin(client, login, admin):
    login(admin)
    return client


def test_the_people_page_links_to_the_import_page_which_links_the_template(as_admin):
    assert "/admin/people/import" in as_admin.get("/admin/people").get_data(as_text=True)
    page = as_admin.get("/admin/people/import").get_data(as_text=True)
    assert "/admin/people/import/template.csv" in page
    response = as_admin.get("/admin/people/import/template.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True) == roster.TEMPLATE == DOCS_TEMPLATE.read_text()


def test_check_only_on_the_page_shows_the_result_and_writes_nothing(as_admin):
    before = counts()
    response = upload(as_admin, ("roster.csv", roster.TEMPLATE), action="check")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Would create 3 staff logins, 3 mentee records" in page
    assert counts() == before


def test_import_on_the_page_creates_everything_as_the_admin(as_admin, admin, org):
    first_event = db.session.scalar(select(func.max(AuditEvent.id)))
    response = upload(as_admin, ("staff.csv", rows(GOOD_STAFF)), ("roster.csv", roster.TEMPLATE))
    assert response.status_code == 302
    db.session.rollback()
    assert user("goodone").organisation_id == org.id and mentee("R-1003") is not None
    new_events = db.session.scalars(select(AuditEvent).where(AuditEvent.id > first_event)).all()
    assert [e.action for e in new_events].count("user.create") == 5
    assert {(e.actor_id, e.organisation_id) for e in new_events} == {(admin.id, org.id)}
    detail = next(e.detail for e in new_events if e.action == "roster.import")
    assert '"via": "admin page"' in detail and "staff.csv" in detail


def test_a_refused_upload_lists_its_problems_and_writes_nothing(as_admin):
    before = counts()
    bad = rows(GOOD_STAFF, "staff,x1,X One,,coach,,,,,")
    response = upload(as_admin, ("roster.csv", bad))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "roster.csv:3: roles: unknown role “coach”" in page
    assert "Nothing was imported" in page
    assert counts() == before


def test_the_page_imports_possible_duplicates_only_when_confirmed(as_admin, make_mentee):
    make_mentee(name="Dee Harper", start_date=date(2025, 11, 3))
    response = upload(as_admin, ("roster.csv", roster.TEMPLATE))
    assert response.status_code == 422
    assert "possible duplicate: Dee Harper" in response.get_data(as_text=True)
    assert mentee("R-1003") is None
    response = upload(as_admin, ("roster.csv", roster.TEMPLATE), confirm=True)
    assert response.status_code == 302
    db.session.rollback()
    assert mentee("R-1003").full_name == "Dee Harper"


def test_an_upload_with_no_file_is_refused_beside_the_field(as_admin):
    response = as_admin.post("/admin/people/import", data={"action": "import"})
    assert response.status_code == 422
    assert "Choose one or more files." in response.get_data(as_text=True)


def test_another_organisations_admin_imports_only_into_their_own(
    client, login, make_user, make_mentee, org
):
    make_user("mentor", username="jrivera", name="Our Jordan")
    ours = make_mentee(name="Our Mentee")
    elsewhere = people.get_or_create_organisation("Another Program")
    db.session.commit()
    login(make_user("admin", organisation=elsewhere))
    before = counts()
    # Their staff username is taken (usernames are shared by the whole deployment), and
    # our people are unknown to them, as if they did not exist.
    line = f"mentee,,Their Mentee,,,,{ours.record_number},2026-01-05,jrivera,"
    response = upload(client, ("roster.csv", rows(line)))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "unknown username “jrivera”: not a staff row in these files nor a person in " in page
    assert "Our Jordan" not in page and "Our Mentee" not in page
    assert counts() == before
    # Without the reference, the same record number is theirs to use, in their organisation.
    response = upload(client, ("roster.csv", rows(line.replace("jrivera", ""))))
    assert response.status_code == 302
    db.session.rollback()
    theirs = db.session.scalars(
        select(Mentee).where(Mentee.record_number == ours.record_number)
    ).all()
    assert sorted((m.organisation_id, m.full_name) for m in theirs) == sorted(
        [(org.id, "Our Mentee"), (elsewhere.id, "Their Mentee")]
    )


@pytest.mark.parametrize("role", ["mentor", "case_manager", "mentee"])
def test_only_admins_may_import(client, login, make_user, role):
    login(make_user(role))
    before = counts()
    assert client.get("/admin/people/import").status_code == 403
    assert client.get("/admin/people/import/template.csv").status_code == 403
    assert upload(client, ("roster.csv", roster.TEMPLATE)).status_code == 403
    assert counts() == before


# --- Two imports at once --------------------------------------------------------------


def test_two_imports_of_the_same_file_at_once_create_everything_once(app, org):
    """Two admins (or an admin and the command line) press Import together: the second
    waits for the first, then finds everything there; neither fails nor duplicates."""
    org_id = org.id
    barrier = threading.Barrier(2)
    outcomes = []

    def import_once():
        with app.app_context():
            organisation = db.session.get(type(org), org_id)
            barrier.wait()
            try:
                plan = roster.import_roster(
                    organisation, [("roster.csv", roster.TEMPLATE.encode())]
                )
                db.session.commit()
                outcomes.append(len(plan.new_mentees))
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcomes.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=import_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes, key=str) == [0, 3]
    db.session.rollback()
    assert counts()[:3] == (4, 3, 5)


def test_a_start_date_is_judged_by_the_organizations_date(app, runner, tmp_path, org):
    """At 9 pm in New York it is already tomorrow in UTC: tomorrow's start date is still
    in the future for the organization (its clock, not the server's, decides)."""
    from datetime import UTC, datetime

    from skills.timeutil import frozen_at

    evening = datetime(2026, 11, 30, 21, 0, tzinfo=UTC) + timedelta(hours=5)  # 9 pm EST
    with frozen_at(evening):
        result, output = run(
            runner,
            tmp_path,
            ("roster.csv", rows(GOOD_STAFF, "mentee,,Ann Bee,,,,R-9,2026-12-01,,")),
        )
    assert "roster.csv:3: start_date: Dec 1, 2026 is in the future" in output
    assert mentee("R-9") is None
