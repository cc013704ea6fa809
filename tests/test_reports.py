"""Progress reports (PDF) and exports (CSV): content, text fidelity, access and audit."""

import csv
import dataclasses
import io
import os
import shutil
import subprocess
import unicodedata
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from skills.extensions import db
from skills.i18n import local_date
from skills.models import AuditEvent, SignoffEvent
from skills.permissions import MENTEE_COPY, Viewer
from skills.reports import (
    caseload_batch_pdf,
    caseload_csv,
    caseload_data,
    caseload_summary_pdf,
    mentee_history_csv,
    mentee_report_data,
    mentee_report_pdf,
)
from skills.reports.content import batch_report_data
from skills.reports.csv_export import areas_of, safe_cell
from skills.services import voice
from skills.services.history import history
from skills.services.progress import curriculum_view
from skills.services.signoffs import SignoffDetails, correct_signoff, record_signoff

from .conftest import today
from .test_history_csv import HEADER as HISTORY_HEADER

STAFF = Viewer(sees_staff_notes=True)

TODAY = today()
START = TODAY - timedelta(days=60)
NAMES = ["José García", "Zoë Fischer", "Łukasz Kowalski", "Nguyễn Thị Ánh", "Søren Sørensen"]
MARKUP_NOTE = "Paid with <b>&amp;</b> cash & coins <script>x</script>"
STAFF_NOTE = "Private staff note about housing"


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def sign(mentee, skill, mentor, level, shown_on=TODAY, **details):
    event = record_signoff(
        mentee, skill, mentor, SignoffDetails(level=level, shown_on=shown_on, **details)
    )
    db.session.commit()
    return event


def report_audits() -> list[AuditEvent]:
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("report.%")).order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def team(make_user, make_mentee, assign, skill):
    """A mentor and case manager with one mentee who has a few sign-offs and notes."""
    mentor = make_user("mentor", name="Łukasz Nowak")
    manager = make_user("case_manager", name="Søren Berg")
    mentee = make_mentee(name="José García", start_date=START, with_login=True)
    assign(mentor, mentee)
    assign(manager, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 1, START + timedelta(days=3))
    sign(
        mentee,
        skill("get-transit-card"),
        mentor,
        3,
        TODAY - timedelta(days=2),
        note=MARKUP_NOTE,
        note_visibility="mentee",
        support="own",
        place="Corner store",
    )
    sign(
        mentee,
        skill("use-atm"),
        mentor,
        2,
        TODAY - timedelta(days=1),
        note=STAFF_NOTE,
        note_visibility="staff",
    )
    return mentor, manager, mentee


# --- PDF content --------------------------------------------------------------------


def test_staff_report_shows_everything_a_case_manager_needs(team):
    mentor, manager, mentee = team
    text = text_of(mentee_report_pdf(mentee_report_data(mentee, STAFF)))
    for expected in [
        "Test Program",
        "Progress report",
        "José García",
        f"Record number: {mentee.record_number}",
        f"Period: {local_date(START)} to {local_date(TODAY)}",  # Babel: "Nov 30, 2026"
        "Skills signed off in this period",
        "I can now get a transit card.",
        "Next, I'm learning",
        "Use an ATM: Practicing with support",  # the staff's level name, as in the checklist
        "Getting around: 1 of 3 signed off",
        "Can do it on my own",
        "Practicing with support",
        "Not started",
        local_date(TODAY - timedelta(days=2)),
        "Łukasz Nowak",
        "On my own",
        "at Corner store",
        MARKUP_NOTE,  # markup prints literally, never interpreted
        STAFF_NOTE,
        "STAFF ONLY",
        "Staff copy",
        "Date",
        "Page 1 of",
        "Printed by",
        "Confidential: contains health information",
    ]:
        assert expected in text, expected


def test_mentee_copy_leaves_out_staff_only_notes(team):
    mentee = team[2]
    text = text_of(mentee_report_pdf(mentee_report_data(mentee, MENTEE_COPY)))
    assert MARKUP_NOTE in text
    assert STAFF_NOTE not in text and "STAFF ONLY" not in text
    assert "Mentee copy" in text and "Mentee signature" in text


def test_names_in_every_latin_script_print_intact(make_mentee):
    mentees = [make_mentee(name=name) for name in NAMES]
    for mentee, name in zip(mentees, NAMES, strict=True):
        assert name in text_of(mentee_report_pdf(mentee_report_data(mentee, STAFF)))
    summary = text_of(caseload_summary_pdf(caseload_data(mentees)))
    assert all(name in summary for name in NAMES)


def test_decomposed_accents_print_as_composed_letters(make_mentee):
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    mentee = make_mentee(name=decomposed)
    text = text_of(mentee_report_pdf(mentee_report_data(mentee, STAFF)))
    assert "Nguyễn Thị Ánh" in text


def test_batch_has_a_bookmark_and_page_numbers_per_mentee(make_mentee, make_user, assign, skill):
    mentor = make_user("mentor")
    mentees = [make_mentee(name=name) for name in NAMES]
    for mentee in mentees:
        assign(mentor, mentee)
    # A long note gives the first report a second page.
    sign(mentees[0], skill(), mentor, 2, note=" ".join(["practised"] * 199))
    sign(mentees[0], skill("use-atm"), mentor, 2, note=" ".join(["again"] * 300))
    pdf = caseload_batch_pdf(mentee_report_data(m, STAFF) for m in mentees)
    reader = PdfReader(io.BytesIO(pdf))
    titles = [entry["/Title"] for entry in reader.outline]
    assert titles == [f"{m.full_name} ({m.record_number})" for m in mentees]
    starts = [reader.get_destination_page_number(entry) for entry in reader.outline]
    assert starts[0] == 0 and starts == sorted(starts)
    # Each report starts on an odd page (index even): double-sided prints never mix people.
    assert all(start % 2 == 0 for start in starts)
    ends = [*starts[1:], len(reader.pages)]
    texts = [page.extract_text() for page in reader.pages]
    counts = []
    for name, start, end in zip(NAMES, starts, ends, strict=True):
        pages = int(texts[start].split("Page 1 of ")[1].split()[0])
        counts.append(pages)
        assert name in texts[start]
        assert f"Page {pages} of {pages}" in texts[start + pages - 1]
        last = end == len(reader.pages)
        # A blank page after an odd count, so the next report starts on a new sheet; none
        # after the last report (it would point at a report that does not come).
        assert end - start == pages + (pages % 2 and not last)
        if pages % 2 and not last:
            assert "left blank on purpose" in texts[end - 1] and name not in texts[end - 1]
    assert "left blank on purpose" not in texts[-1]
    assert counts[0] > counts[1]  # the long notes took more pages


def test_batch_data_is_the_same_as_single_reports(team, make_mentee, assign, skill):
    mentor, manager, mentee = team
    voice.set_goal(mentee, skill("ride-and-pay"), mentee.user)
    voice.mark_refresher(mentee, skill("get-transit-card"), mentor, "Check the balance again")
    other = make_mentee(name="Zoë Fischer", start_date=START)
    assign(mentor, other)
    first = sign(other, skill("read-timetable"), mentor, 3, note="first try")
    correct_signoff(first, mentor, SignoffDetails(level=2, shown_on=TODAY), "wrong level")
    db.session.commit()
    mentees = [mentee, other, make_mentee(name="Søren Nilsen")]
    for viewer in (STAFF, MENTEE_COPY):
        for period in ({}, {"period_from": TODAY - timedelta(days=1), "period_to": TODAY}):
            single = [mentee_report_data(m, viewer, **period) for m in mentees]
            batch = list(batch_report_data(mentees, lambda m, v=viewer: v, chunk=2, **period))
            for a, b in zip(single, batch, strict=True):
                assert dataclasses.replace(b, stamp=a.stamp) == a
    report = single[0]
    assert [g.title for g in report.goals] == ["Ride and pay"]
    text = text_of(mentee_report_pdf(report))
    assert "My goals" in text and "Ride and pay: Not started yet" in text
    assert "refresher due" in text and "Check the balance again" in text


@pytest.mark.parametrize(
    "case",
    ["no sign-offs", "discharged", "2,000-character note", "unbroken note", "empty period"],
)
def test_edge_cases_make_valid_reports(case, make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=START)
    assign(mentor, mentee)
    period = {}
    if case == "discharged":
        sign(mentee, skill(), mentor, 3)
        mentee.status, mentee.discharged_on = "discharged", TODAY
        db.session.commit()
    elif case == "2,000-character note":
        sign(mentee, skill(), mentor, 2, note=("Practised paying at the machine. " * 70)[:2000])
    elif case == "unbroken note":
        sign(mentee, skill(), mentor, 2, note="x" * 2000)
    elif case == "empty period":
        sign(mentee, skill(), mentor, 3)
        period = {"period_from": START, "period_to": START + timedelta(days=5)}
    pdf = mentee_report_pdf(mentee_report_data(mentee, STAFF, **period))
    text = text_of(pdf)
    assert mentee.full_name in text and "Page 1 of" in text
    assert "End of the staff copy" in text and "Case manager signature" not in text
    if case in ("no sign-offs", "empty period"):
        assert "No skills were signed off in this period." in text
        assert "No notes in this period." in text
    if case == "discharged":
        assert f"Discharged on {local_date(TODAY)}" in text
    if case == "unbroken note":
        assert text.replace("\n", "").count("x" * 80) >= 20  # wrapped, all of it kept


def test_period_that_ends_before_it_starts_is_refused(make_mentee):
    mentee = make_mentee()
    with pytest.raises(ValueError, match="after it ends on"):
        mentee_report_data(mentee, STAFF, period_from=TODAY, period_to=TODAY - timedelta(days=1))


def test_caseload_summary_flags_stalled_mentees(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    quiet = make_mentee(name="Quiet Person", start_date=TODAY - timedelta(days=100))
    busy = make_mentee(name="Busy Person", start_date=TODAY - timedelta(days=100))
    for mentee in (quiet, busy):
        assign(mentor, mentee)
    sign(busy, skill(), mentor, 3)
    data = caseload_data([busy, quiet], owner="Łukasz Nowak")
    text = text_of(caseload_summary_pdf(data))
    assert "Caseload of Łukasz Nowak" in text and "2 mentees (active)" in text
    assert "1. Getting around" in text and "2. Money and banking" in text
    busy_line = next(line for line in text.splitlines() if "Busy Person" in line)
    quiet_line = next(line for line in text.splitlines() if "Quiet Person" in line)
    assert "33%" in busy_line and "20%" in busy_line and local_date(TODAY) in busy_line
    assert "STALLED" in quiet_line and "STALLED" not in busy_line


def test_empty_caseload_makes_valid_pdfs(org):
    empty = caseload_data([], view=curriculum_view(org.id))
    assert "The caseload is empty" in text_of(caseload_summary_pdf(empty))
    assert "The caseload is empty" in text_of(caseload_batch_pdf([]))


def test_pdf_renders_with_poppler(tmp_path, team):
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is required in CI")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "report.pdf"
    source.write_bytes(mentee_report_pdf(mentee_report_data(team[2], STAFF)))
    subprocess.run(
        [pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=60,
    )
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG")


# --- CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_that_would_start_a_formula_are_neutralised(start):
    value = f'{start}HYPERLINK("http://evil")'
    assert safe_cell(value) == "'" + value
    assert safe_cell("plain") == "plain" and safe_cell(7) == 7


def test_history_csv_is_excel_ready_and_injection_safe(team, skill):
    mentor, _, mentee = team
    sign(mentee, skill("read-timetable"), mentor, 1, note="=1+1", place="@home")
    areas = areas_of(curriculum_view(mentee.organisation_id))
    data = mentee_history_csv(mentee, history(mentee, STAFF), areas)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, *body = rows
    assert header == HISTORY_HEADER  # every column: tests/test_history_csv.py
    assert len(body) == 4
    last = dict(zip(header, body[-1], strict=True))
    assert last["note"] == "'=1+1" and last["place"] == "'@home"
    assert last["date shown"] == TODAY.isoformat() and last["kind"] == "sign-off"
    assert (last["record number"], last["name"]) == (mentee.record_number, "José García")
    assert (last["area"], last["skill"]) == ("Getting around", "Read a timetable")
    notes = [dict(zip(header, row, strict=True))["note"] for row in body]
    assert MARKUP_NOTE in notes and STAFF_NOTE in notes
    assert "Łukasz Nowak" in data.decode("utf-8-sig")


def test_caseload_csv_reads_back_names_intact(make_mentee):
    mentees = [make_mentee(name=name) for name in [*NAMES, "-Dash Person"]]
    data = caseload_csv(caseload_data(mentees))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["name", "record number", "status"]
    # By last name, accents and case aside.
    assert [r[0] for r in rows[1:]] == [
        "Nguyễn Thị Ánh",
        "Zoë Fischer",
        "José García",
        "Łukasz Kowalski",
        "'-Dash Person",
        "Søren Sørensen",
    ]
    assert rows[1][4:6] == ["0", "0"]


def test_caseload_csv_rows_say_each_value(team, make_user, make_mentee, assign, skill):
    mentor, _, mentee = team
    sign(mentee, skill("read-timetable"), mentor, 3, TODAY)
    sign(mentee, skill("open-bank-account"), mentor, 3, TODAY)
    assign(make_user("mentor", name="Ann Avery"), mentee)
    quiet = make_mentee(name="Quinn Quiet", start_date=START)
    assign(mentor, quiet)
    since = TODAY - timedelta(days=1)  # after the transit card: two signed off since
    data = caseload_data([mentee, quiet], period_from=since)
    rows = list(csv.reader(io.StringIO(caseload_csv(data).decode("utf-8-sig"))))
    header, *body = rows
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert [e.stalled for e in data.rows] == [False, True]  # José, then Quinn
    jose, quinn = by_name["José García"], by_name["Quinn Quiet"]
    assert (jose["status"], jose["stalled"], quinn["stalled"]) == ("active", "no", "yes")
    assert sorted(jose["mentor"].split(", ")) == ["Ann Avery", "Łukasz Nowak"]
    assert quinn["mentor"] == "Łukasz Nowak" and quinn["last sign-off"] == ""
    # Of the 5 skills, 3 signed off (the transit card before the period, 2 in it).
    assert (jose["skills signed off"], jose["skills in total"], jose["overall (%)"]) == (
        "3",
        "5",
        "60",
    )
    assert jose[f"change since {since.isoformat()}"] == "2"
    assert jose["last sign-off"] == TODAY.isoformat()


def test_caseload_csv_header_names_every_column_and_the_period_start(make_mentee):
    data = caseload_data([make_mentee()], period_from=START)
    header = next(csv.reader(io.StringIO(caseload_csv(data).decode("utf-8-sig"))))
    assert header == [
        "name",
        "record number",
        "status",
        "mentor",
        "Getting around (%)",
        "Money and banking (%)",
        "overall (%)",
        "skills signed off",
        "skills in total",
        f"change since {START.isoformat()}",
        "last sign-off",
        "stalled",
    ]
    # Summary data made with no period start counts the change from the start.
    no_start = dataclasses.replace(data, period_from=None)
    header = next(csv.reader(io.StringIO(caseload_csv(no_start).decode("utf-8-sig"))))
    assert "change since start" in header


# --- Web -------------------------------------------------------------------------------


def test_case_manager_downloads_each_report_with_one_audit_event(client, login, team):
    _, manager, mentee = team
    login(manager)
    downloads = [
        (f"/mentees/{mentee.id}/report.pdf", "application/pdf", "report.print", mentee.id),
        (f"/mentees/{mentee.id}/history.csv", "text/csv", "report.export", mentee.id),
        ("/caseload/report.pdf", "application/pdf", "report.print", None),
        ("/caseload/batch.pdf", "application/pdf", "report.print", None),
        ("/caseload/summary.csv", "text/csv", "report.export", None),
    ]
    for url, mimetype, action, mentee_id in downloads:
        before = len(report_audits())
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == mimetype
        assert response.headers["Cache-Control"] == "no-store"
        disposition = response.headers["Content-Disposition"]
        assert "attachment" in disposition and "Garc" not in disposition
        body = response.get_data()
        assert body.startswith(b"%PDF-" if mimetype == "application/pdf" else b"\xef\xbb\xbf")
        events = report_audits()[before:]
        assert len(events) == 1, url
        assert (events[0].action, events[0].mentee_id, events[0].actor_id) == (
            action,
            mentee_id,
            manager.id,
        )
        assert events[0].object_type == ("mentee" if mentee_id else "caseload")
    assert "José García" in text_of(client.get("/caseload/batch.pdf").get_data())


def test_mentee_gets_own_copy_without_staff_notes(client, login, team):
    mentee = team[2]
    login(mentee.user)
    response = client.get(f"/mentees/{mentee.id}/report.pdf?from={START.isoformat()}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/me/report.pdf?from={START.isoformat()}"
    response = client.get("/me/report.pdf")
    assert response.status_code == 200
    text = text_of(response.get_data())
    assert "José García" in text and MARKUP_NOTE in text and STAFF_NOTE not in text
    (event,) = report_audits()
    assert event.actor_id == mentee.user_id and '"copy": "mentee"' in event.detail
    assert client.get("/caseload/report.pdf").status_code == 403
    assert client.get(f"/mentees/{mentee.id}/history.csv").status_code == 403


@pytest.mark.parametrize("who", ["other mentor", "other case manager", "other mentee"])
def test_others_cannot_print_or_export_a_mentee(who, client, login, team, make_user, make_mentee):
    mentee = team[2]
    if who == "other mentee":
        outsider = make_mentee(with_login=True).user
    else:
        role = "mentor" if who == "other mentor" else "case_manager"
        outsider = make_user(role)
    login(outsider)
    for url in (f"/mentees/{mentee.id}/report.pdf", f"/mentees/{mentee.id}/history.csv"):
        assert client.get(url).status_code == 403, url
    assert client.get("/mentees/99999/report.pdf").status_code == 404
    assert report_audits() == []


def test_user_without_a_mentee_record_has_no_own_report(client, login, make_user):
    login(make_user("mentee"))
    assert client.get("/me/report.pdf").status_code == 404


def test_caseload_downloads_cover_only_the_callers_caseload(
    client, login, team, make_user, make_mentee, assign
):
    _, manager, mine = team
    other_manager = make_user("case_manager")
    theirs = make_mentee(name="Zoë Fischer")
    assign(other_manager, theirs)
    gone = make_mentee(name="Søren Gone")
    assign(manager, gone)
    gone.status = "discharged"
    db.session.commit()
    login(manager)
    text = text_of(client.get("/caseload/report.pdf").get_data())
    assert "José García" in text and "Zoë Fischer" not in text and "Søren Gone" not in text
    text = text_of(client.get("/caseload/report.pdf?status=all").get_data())
    assert "Søren Gone (discharged)" in text
    assert client.get("/caseload/report.pdf?status=everyone").status_code == 400
    (first, second) = report_audits()
    assert '"count": 1' in first.detail and '"count": 2' in second.detail


@pytest.mark.parametrize(
    "query, message, urls",
    [
        ("from=2025-13-01", "is not a date", "mentee batch"),
        ("from=yesterday", "is not a date", "mentee batch"),
        ("to=01/02/2025", "is not a date", "mentee batch"),
        (
            f"from={TODAY.isoformat()}&to={(TODAY - timedelta(days=3)).isoformat()}",
            "after it ends",
            "mentee batch",
        ),
        # Before this mentee started; a batch gives such mentees an empty period instead.
        (f"to={(START - timedelta(days=1)).isoformat()}", "after it ends", "mentee"),
    ],
)
def test_bad_report_dates_are_a_clear_400(query, message, urls, client, login, team):
    login(team[1])
    paths = {"mentee": f"/mentees/{team[2].id}/report.pdf", "batch": "/caseload/batch.pdf"}
    for url in (paths[u] for u in urls.split()):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert report_audits() == []


def test_report_of_a_period_and_a_long_note_over_the_web(client, login, team, skill):
    mentor, manager, mentee = team
    sign(mentee, skill("ride-and-pay"), mentor, 2, note="Long note. " * 180)
    login(manager)
    day = (TODAY - timedelta(days=2)).isoformat()
    response = client.get(f"/mentees/{mentee.id}/report.pdf?from={day}&to={day}")
    assert response.status_code == 200
    assert mentee.record_number in response.headers["Content-Disposition"]
    text = text_of(response.get_data())
    shown = local_date(TODAY - timedelta(days=2))
    assert f"Period: {shown} to {shown}" in text and "I can now get a transit card." in text


# --- CLI -------------------------------------------------------------------------------


def test_cli_writes_a_mentee_report_and_audits_it(runner, team, tmp_path):
    mentee = team[2]
    out = tmp_path / "report.pdf"
    result = runner.invoke(
        args=["report", "mentee", mentee.record_number, "--mentee-copy", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = text_of(out.read_bytes())
    assert "José García" in text and STAFF_NOTE not in text
    (event,) = report_audits()
    assert event.actor_id is None and event.action == "report.print"
    assert '"via": "cli"' in event.detail and event.mentee_id == mentee.id


def test_cli_refuses_unknown_records_and_bad_dates(runner, team, tmp_path):
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["report", "mentee", "NOPE", "-o", str(out)])
    assert result.exit_code == 1 and "No mentee has the record number NOPE" in result.output
    assert not out.exists()
    record = team[2].record_number
    result = runner.invoke(
        args=["report", "mentee", record, "--from", "31/12/2025", "-o", str(out)]
    )
    assert result.exit_code == 2 and "Usage:" in result.output
    result = runner.invoke(args=["report", "caseload", "--username", "nobody", "-o", str(out)])
    assert result.exit_code == 1 and "No user has the username nobody" in result.output
    assert report_audits() == []


@pytest.mark.parametrize(
    "flags, start", [([], b"%PDF-"), (["--batch"], b"%PDF-"), (["--csv"], b"\xef")]
)
def test_cli_writes_caseload_files(flags, start, runner, team, tmp_path):
    manager = team[1]
    out = tmp_path / "caseload.out"
    result = runner.invoke(
        args=["report", "caseload", "--username", manager.username, *flags, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(start)
    (event,) = report_audits()
    assert event.object_type == "caseload" and '"count": 1' in event.detail


def test_no_report_writes_to_sign_off_history(client, login, team):
    before = db.session.scalar(select(func.count()).select_from(SignoffEvent))
    login(team[1])
    client.get(f"/mentees/{team[2].id}/report.pdf")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == before
