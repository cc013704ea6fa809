"""Reports, second pass (issue 16): two copies, notes, compact checklist, distance
travelled, caseload summary, batch, footers and CSV, read back from the PDF and CSV."""

import csv
import io
import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from skills.extensions import db
from skills.i18n import local_date
from skills.models import User
from skills.permissions import MENTEE_COPY, Viewer
from skills.reports import caseload_data, caseload_summary_pdf, mentee_report_data
from skills.reports.caseload import CaseloadFilter, collation_key, last_name_key
from skills.reports.content import NOTES_LIMIT
from skills.reports.pdf import mentee_report_pdf
from skills.services import voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

STAFF = Viewer(sees_staff_notes=True)
TODAY = today()
JARGON = ("signed off", "Signed off", "Introduced", "Record number", "STAFF ONLY")


def pages_of(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def sign(mentee, skill, mentor, level, shown_on=TODAY, note="", visibility="mentee"):
    event = record_signoff(
        mentee,
        skill,
        mentor,
        SignoffDetails(level=level, shown_on=shown_on, note=note, note_visibility=visibility),
        allow_lower=True,
    )
    db.session.commit()
    return event


def csv_rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def long_world(world, skill):
    """World, with enough notes that mentee A's report runs to several pages, staff-only
    markers spread through them."""
    mentor = world.users["mentor_a"]
    for n in range(24):
        visibility = "staff" if n % 4 == 0 else "mentee"
        marker = f"STAFF-QZA-X{n}" if visibility == "staff" else f"Shared note {n}"
        sign(world.mentee_a, skill("use-atm"), mentor, 1 + n % 2, note=f"{marker} " * 30,
             visibility=visibility)  # fmt: skip
    return world


# --- 1. Two copies ----------------------------------------------------------------------


def staff_markers(world) -> list[str]:
    return [*world.staff_markers_a, *(f"STAFF-QZA-X{n}" for n in range(0, 24, 4))]


@pytest.mark.parametrize("who", ["cm_a", "mentor_a"])
def test_staff_download_is_the_mentee_copy_unless_staff_copy_is_chosen(
    who, client, login, long_world
):
    world = long_world
    login(world.users[who])
    url = f"/mentees/{world.mentee_a.id}/report.pdf"
    for query in ("", "?copy=mentee"):
        response = client.get(url + query)
        assert response.status_code == 200
        assert "mentee-copy" in response.headers["Content-Disposition"]
        pages = pages_of(response.get_data())
        assert len(pages) > 2
        for page in pages:
            assert "Mentee copy" in page
            for marker in staff_markers(world):
                assert marker not in page
        assert "Mentee signature" in pages[-1]
    pages = pages_of(client.get(url + "?copy=staff").get_data())
    assert all("Staff copy" in page for page in pages)
    text = "\n".join(pages)
    assert all(marker in text for marker in staff_markers(world))
    assert "Mentee signature" not in text and "We went through this report" not in text
    response = client.get(url + "?copy=everything")
    assert response.status_code == 400 and "copy=mentee" in response.get_data(as_text=True)


def test_a_mentee_asking_for_the_staff_copy_still_gets_their_own(client, login, long_world):
    world = long_world
    login(world.users["mentee_a"])
    pages = pages_of(client.get("/me/report.pdf?copy=staff").get_data())
    text = "\n".join(pages)
    assert all("Mentee copy" in page for page in pages)
    assert not any(marker in text for marker in staff_markers(world))


def test_batch_mentee_copies_hold_no_staff_note_on_any_page(client, login, long_world):
    world = long_world
    login(world.users["cm_a"])
    pages = pages_of(client.get("/caseload/batch.pdf").get_data())
    assert any(world.markers_a[0] in page for page in pages)
    for page in pages:
        assert not any(marker in page for marker in staff_markers(world))
    staff = "\n".join(pages_of(client.get("/caseload/batch.pdf?copy=staff").get_data()))
    assert all(marker in staff for marker in staff_markers(world))


@pytest.mark.parametrize("flags, staff", [([], False), (["--copy", "staff"], True)])
def test_cli_prints_the_copy_asked(flags, staff, runner, long_world, tmp_path):
    out = tmp_path / "r.pdf"
    record = long_world.mentee_a.record_number
    result = runner.invoke(args=["report", "mentee", record, *flags, "-o", str(out)])
    assert result.exit_code == 0, result.output
    pages = pages_of(out.read_bytes())
    name = "Staff copy" if staff else "Mentee copy"
    assert all(name in page for page in pages)
    text = "\n".join(pages)
    assert all((m in text) == staff for m in staff_markers(long_world))


# --- 3. All the notes of a period ---------------------------------------------------------


def test_a_cut_list_of_notes_says_how_many_there_were(client, login, world, skill):
    mentor = world.users["mentor_a"]
    for n in range(NOTES_LIMIT + 5):
        sign(world.mentee_a, skill("read-timetable"), mentor, 1, note=f"Session {n}")
    data = mentee_report_data(world.mentee_a, STAFF)
    total = data.notes_total
    assert total == NOTES_LIMIT + 5 + 3  # and the world's three notes
    text = "\n".join(pages_of(mentee_report_pdf(data)))
    assert f"The {NOTES_LIMIT} most recent of {total} notes; all are in the history CSV." in text
    login(world.users["cm_a"])
    day = TODAY.isoformat()
    rows = csv_rows(
        client.get(f"/mentees/{world.mentee_a.id}/history.csv?from={day}&to={day}").get_data()
    )
    assert len([r for r in rows if r["note"]]) == total


def test_every_note_is_printed_when_under_the_limit(world, skill):
    for n in range(12):
        sign(world.mentee_a, skill("read-timetable"), world.users["mentor_a"], 1, note=f"N{n}-Q")
    text = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(world.mentee_a, STAFF))))
    assert all(f"N{n}-Q" in text for n in range(12)) and "most recent of" not in text


# --- 4. Compact checklist, plain words -----------------------------------------------------


def test_skills_not_started_are_summarised_per_area(make_mentee):
    mentee = make_mentee(name="New Person")
    staff = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, STAFF))))
    assert "Not started (3): Get a transit card, Read a timetable, Ride and pay." in staff
    assert "Not started (2): Open a bank account, Use an ATM." in staff
    own = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, MENTEE_COPY))))
    assert "Not started yet (3): Get a transit card" in own
    assert "I can do 0 of 5" not in own and "I am just getting started" in own


def test_mentee_copy_uses_mentee_words_and_large_type(world, skill):
    mentee = world.mentee_a
    sign(mentee, skill("ride-and-pay"), world.users["mentor_a"], 3, note="Well done QZ")
    sign(mentee, skill("read-timetable"), world.users["mentor_a"], 1, note="Seen it QZ")
    pdf = mentee_report_pdf(mentee_report_data(mentee, MENTEE_COPY))
    text = "\n".join(pages_of(pdf))
    for word in JARGON:
        assert word not in text, word
    assert "I have seen how it is done" in text and "I can do this on my own" in text
    sizes: dict[str, float] = {}

    def visit(run, _cm, _tm, _font, size):
        for wanted in ("Well done QZ", "Seen it QZ", "Read a timetable"):
            if wanted in run:
                sizes[wanted] = size

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    assert len(sizes) == 3 and min(sizes.values()) >= 11, sizes
    staff = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, STAFF))))
    assert "Introduced" in staff and "Record number" in staff


# --- 2. Distance travelled -----------------------------------------------------------------


def test_a_past_period_shows_its_own_counts_and_the_change(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=200))
    assign(mentor, mentee)
    before, inside, after = (TODAY - timedelta(days=d) for d in (150, 60, 5))
    sign(mentee, skill("get-transit-card"), mentor, 3, before)
    sign(mentee, skill("read-timetable"), mentor, 3, inside)
    sign(mentee, skill("ride-and-pay"), mentor, 3, after)  # after the period: not counted
    period = {"period_from": TODAY - timedelta(days=100), "period_to": TODAY - timedelta(days=30)}
    data = mentee_report_data(mentee, STAFF, **period)
    around = data.domains[0]
    assert (around.at_start, around.signed_off, data.signed_off) == (1, 2, 2)
    assert not data.baseline
    assert data.trend[-1].signed_off == 2 and data.trend[0].signed_off == 1
    assert len(data.trend) >= 3  # a point per month
    text = "\n".join(pages_of(mentee_report_pdf(data)))
    start = local_date(period["period_from"])
    assert f"1 → 2 of 3 (+1 since {start})" in text
    assert "Skills signed off at the end of each month" in text
    assert "Read a timetable" in text and "Ride and pay" in text  # listed as not started yet
    today = mentee_report_data(mentee, STAFF)
    assert today.domains[0].signed_off == 3


def test_a_past_period_reads_next_steps_goals_and_own_words_as_of_its_end(
    make_user, make_mentee, assign, skill
):
    """The checklist of a past period showed its own levels, but "Next, I'm learning",
    the goals and the mentee's own words showed today's: a skill "Not started yet" in
    the checklist was "I have seen how it is done" two pages earlier."""
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=200), with_login=True)
    assign(mentor, mentee)
    inside, after = TODAY - timedelta(days=60), TODAY - timedelta(days=5)
    sign(mentee, skill("get-transit-card"), mentor, 1, inside)
    atm = sign(mentee, skill("use-atm"), mentor, 2, after)  # after the period
    first = sign(mentee, skill("get-transit-card"), mentor, 3, inside + timedelta(days=1))
    user = db.session.get(User, mentee.user_id)
    voice.set_goal(mentee, skill("use-atm"), user)
    voice.confirm_signoff(first, user, "I did it at the office.")
    voice.confirm_signoff(atm, user, "With the card from the bank.")
    db.session.commit()
    period = {"period_from": TODAY - timedelta(days=100), "period_to": TODAY - timedelta(days=30)}
    past = mentee_report_data(mentee, MENTEE_COPY, **period)
    learning = {i.title: i.mentee_text for i in past.learning}
    assert learning["Use an ATM"] == "Not started yet"  # today: practising, after the period
    assert [(g.title, g.mentee_text) for g in past.goals] == [("Use an ATM", "Not started yet")]
    assert [w for _on, _skill, w in past.own_words] == ["I did it at the office."]
    now = mentee_report_data(mentee, MENTEE_COPY)
    assert {i.title: i.mentee_text for i in now.learning}["Use an ATM"] != "Not started yet"
    assert len(now.own_words) == 2


def test_a_single_reading_is_a_baseline_not_change(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor")
    mentee = make_mentee(start_date=TODAY - timedelta(days=40))
    assign(mentor, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=3))
    sign(mentee, skill("use-atm"), mentor, 3, TODAY - timedelta(days=3))
    data = mentee_report_data(mentee, STAFF, period_from=TODAY - timedelta(days=30))
    assert data.baseline
    text = "\n".join(pages_of(mentee_report_pdf(data)))
    assert "1 of 3 (baseline)" in text and "since" not in text.split("Summary")[1].split("Next")[0]


def test_a_first_report_reads_as_a_starting_point_and_nothing_recorded_says_so(make_mentee):
    mentee = make_mentee(name="Noa New")
    own = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, MENTEE_COPY))))
    assert "0 of 3 (my starting point)" in own and "(baseline)" not in own
    staff = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, STAFF))))
    assert "Baseline: nothing is recorded yet" in staff and "recorded on one day" not in staff


def test_an_areas_change_wraps_instead_of_being_cut(make_mentee):
    """Spanish runs longer, in the mentee copy's larger type most: "0 → 2 de 12 (+2
    desde el 19 jun…" lost its date."""
    from flask_babel import force_locale

    data = mentee_report_data(make_mentee(), MENTEE_COPY, period_from=date(2026, 6, 19))
    data.baseline = False
    for section in data.domains:
        section.at_start, section.signed_off, section.total = 100, 112, 120
    with force_locale("es_US"):
        text = "\n".join(pages_of(mentee_report_pdf(data)))
    assert "…" not in text.split("Mis habilidades")[0]
    assert text.count("jun 2026)") >= len(data.domains)


def test_the_mentee_page_has_a_period_form_defaulting_to_90_days(client, login, world):
    login(world.users["cm_a"])
    page = client.get(f"/mentees/{world.mentee_a.id}").get_data(as_text=True)
    start = max(TODAY - timedelta(days=90), world.mentee_a.start_date)
    assert f'name="from" value="{start.isoformat()}"' in page
    assert f'name="to" value="{TODAY.isoformat()}"' in page
    assert 'name="copy" value="mentee" checked' in page
    login(world.users["mentee_a"])
    page = client.get("/me/").get_data(as_text=True)
    assert 'name="from"' in page and 'name="copy"' not in page


def test_caseload_summary_has_change_mentors_and_averages(make_user, make_mentee, assign, skill):
    mentor = make_user("mentor", name="Pat Guide")
    manager = make_user("case_manager")
    one = make_mentee(name="Ann Able", start_date=TODAY - timedelta(days=200))
    two = make_mentee(name="Ben Baker", start_date=TODAY - timedelta(days=200))
    for mentee in (one, two):
        assign(mentor, mentee)
        assign(manager, mentee)
    sign(one, skill("get-transit-card"), mentor, 3, TODAY - timedelta(days=120))
    sign(one, skill("use-atm"), mentor, 3, TODAY - timedelta(days=10))
    sign(one, skill("read-timetable"), mentor, 3, TODAY - timedelta(days=9))
    data = caseload_data([one, two], owner="Case Person")
    assert [(r.full_name, r.change, r.mentors) for r in data.rows] == [
        ("Ann Able", 2, ["Pat Guide"]),
        ("Ben Baker", 0, ["Pat Guide"]),
    ]
    per_domain, overall, change = data.averages
    assert change == 1.0 and overall == 30.0  # (60 + 0) / 2
    text = "\n".join(pages_of(caseload_summary_pdf(data)))
    ann = next(line for line in text.splitlines() if "Ann Able" in line)
    assert "Pat Guide" in ann and "+2" in ann
    assert "Average of 2" in text and "+1.0" in text


# --- 5. Caseload summary -------------------------------------------------------------------


def test_names_sort_by_last_name_whatever_the_accents():
    names = ["Wei Zhang", "Ana Łukasz", "Émile Zola", "bo lee", "Zoë Ålund", "Li Wei"]
    assert sorted(names, key=last_name_key) == [
        "Zoë Ålund",
        "bo lee",
        "Ana Łukasz",
        "Li Wei",
        "Wei Zhang",
        "Émile Zola",
    ]
    assert collation_key("Łukasz") < collation_key("Wei") < collation_key("Zoë")
    assert collation_key("ÉMILE") == collation_key("emile")


def test_downloads_apply_the_caseload_page_filters(client, login, make_user, make_mentee, assign):
    manager = make_user("case_manager", username="cmfilter")
    pat, sam = make_user("mentor", name="Pat Filter"), make_user("mentor", name="Sam Other")
    for n in range(6):
        mentee = make_mentee(name=f"Person Q{n}")
        assign(manager, mentee)
        assign(pat if n < 4 else sam, mentee)
    login(manager)
    page = client.get("/caseload/?mentor=Pat+Filter").get_data(as_text=True)
    assert "4 mentees shown" in page
    assert "mentor=Pat+Filter" in page  # the download links carry the filters
    response = client.get("/caseload/summary.csv?mentor=Pat+Filter")
    rows = csv_rows(response.get_data())
    assert len(rows) == 4 and {r["mentor"] for r in rows} == {"Pat Filter"}
    disposition = response.headers["Content-Disposition"]
    assert f"caseload-cmfilter-{TODAY.isoformat()}.csv" in disposition
    text = "\n".join(pages_of(client.get("/caseload/report.pdf?mentor=Pat+Filter").get_data()))
    assert text.count("Person Q") == 4 and "4 mentees (active, mentor Pat Filter)" in text
    batch = pages_of(client.get("/caseload/batch.pdf?mentor=Pat+Filter").get_data())
    assert "4 reports" in batch[0]
    assert len(csv_rows(client.get("/caseload/summary.csv").get_data())) == 6
    assert client.get("/caseload/summary.csv?status=everyone").status_code == 400


def test_summary_repeats_the_legend_on_every_page(make_mentee, org):
    mentees = [make_mentee(name=f"Person Number{n:02d}") for n in range(45)]
    pdf = caseload_summary_pdf(caseload_data(mentees, filters=CaseloadFilter("all")))
    pages = pages_of(pdf)
    assert len(pages) > 1
    assert all("1. Getting around · 2. Money and banking" in page for page in pages)


def test_table_columns_asked_right_aligned_end_at_the_same_x():
    from reportlab.lib.pagesizes import letter

    from skills.reports.layout import Layout
    from skills.reports.text import text_width

    lay = Layout(letter)
    lay.table([("Name", 200), ("Count", 60)], [["a", "7"], ["b", "1234"]], right=(1,))
    ends = {
        round(x + text_width(s, font) * size, 1)
        for font, size, _, x, _, s in lay.texts
        if s in ("Count", "7", "1234")
    }
    assert len(ends) == 1  # right edges line up
    lefts = {round(x, 1) for _, _, _, x, _, s in lay.texts if s in ("a", "b", "Name")}
    assert len(lefts) == 1


def test_text_is_measured_in_a_process_that_has_written_no_pdf_yet():
    """A layout measured before any PDF is written finds the fonts registered: the two
    tests above failed with "no afm found for faceName='DejaVuSans'" when no earlier test
    in their process had written a PDF (in-process, a font is registered only once, so
    a fresh interpreter is the only honest place to check)."""
    import subprocess
    import sys

    code = (
        "from skills.reports.text import BOLD, FONT, text_width;"
        "print(text_width('Count', FONT), text_width('Count', BOLD))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    regular, bold = map(float, run.stdout.split())
    assert 2.5 < regular < bold < 3.5  # DejaVu's widths, not a fallback face's


# --- 6. Batch ------------------------------------------------------------------------------


def test_batch_has_a_cover_odd_page_starts_labels_title_and_author(
    client, login, make_user, make_mentee, assign, skill
):
    manager = make_user("case_manager", name="Casey Owner")
    mentor = make_user("mentor")
    names = ["Wei Zhang", "Łukasz Adamski", "Ana Long"]
    for name in names:
        mentee = make_mentee(name=name)
        assign(manager, mentee)
        assign(mentor, mentee)
        if name == "Ana Long":
            for n in range(20):
                sign(mentee, skill("use-atm"), mentor, 1, note=f"long note {n} " * 40)
    login(manager)
    reader = PdfReader(io.BytesIO(client.get("/caseload/batch.pdf").get_data()))
    texts = [page.extract_text() for page in reader.pages]
    assert "Caseload of Casey Owner" in texts[0] and "Contents" in texts[0]
    assert "Mentee copies" in texts[0]  # the cover says which copy every report is
    staff = PdfReader(io.BytesIO(client.get("/caseload/batch.pdf?copy=staff").get_data()))
    assert "Staff copies" in staff.pages[0].extract_text()
    assert texts[0].index("Łukasz Adamski") < texts[0].index("Ana Long")
    assert texts[0].index("Ana Long") < texts[0].index("Wei Zhang")
    starts = [reader.get_destination_page_number(entry) for entry in reader.outline]
    assert [entry["/Title"].split(" (")[0] for entry in reader.outline] == [
        "Łukasz Adamski",
        "Ana Long",
        "Wei Zhang",
    ]
    assert starts[0] >= 1 and all(start % 2 == 0 for start in starts)  # odd page numbers
    assert any("left blank on purpose" in text for text in texts)
    assert reader.metadata.title == "Progress reports, caseload of Casey Owner"
    assert reader.metadata.author == "Casey Owner"
    labels = reader.page_labels
    assert labels[0].startswith("Contents") and labels[starts[1]].endswith("-1")


# --- 7. Footers ----------------------------------------------------------------------------


def test_footer_says_who_printed_in_the_organisation_time_zone(client, login, world, org):
    org.time_zone = "America/Chicago"
    db.session.commit()
    login(world.users["cm_a"])
    name = world.users["cm_a"].display_name
    pages = pages_of(client.get(f"/mentees/{world.mentee_a.id}/report.pdf").get_data())
    for page in pages:
        assert f"Printed by {name} on " in page
        assert " CST" in page or " CDT" in page
    summary = "\n".join(pages_of(client.get("/caseload/report.pdf").get_data()))
    assert f"Printed by {name} on " in summary


# --- 8. CSV --------------------------------------------------------------------------------


def test_cli_writes_the_history_csv_with_record_name_and_area(runner, world, tmp_path):
    out = tmp_path / "history.csv"
    record = world.mentee_a.record_number
    result = runner.invoke(args=["report", "history", record, "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = csv_rows(out.read_bytes())
    assert len(rows) == 3
    assert {(r["record number"], r["name"], r["area"]) for r in rows} == {
        (record, "Alma Qzmarkera", "Getting around"),
        (record, "Alma Qzmarkera", "Money and banking"),
    }
    assert any(r["note"] == "STAFF-QZA-1" for r in rows)  # the staff view: every note
    result = runner.invoke(
        args=["report", "history", record, "--from", "2026-02-02", "--to", "2026-01-01", "-o",
              str(out)]
    )  # fmt: skip
    assert result.exit_code == 2 and "after" in result.output


@pytest.mark.parametrize("count", [9, 10])
def test_area_percentages_never_wrap_in_the_summary(make_mentee, count):
    """With the real curriculum's nine areas the columns were too narrow for "17%":
    the sign went to a second line and read as a separate number."""
    data = caseload_data([make_mentee(name="Ann Able")], filters=CaseloadFilter("all"))
    areas = [f"Area {n}" for n in range(1, count + 1)]
    row = replace(data.rows[0], percents=[100] * len(areas), percent=100)
    data = replace(data, domains=areas, rows=[row])
    text = "\n".join(pages_of(caseload_summary_pdf(data)))
    ann = next(line for line in text.splitlines() if "Ann Able" in line)
    assert ann.count("100%") == len(areas) + 1  # each area and the overall, whole


@pytest.mark.parametrize("areas", [1, 9, 12, 30])
def test_the_summary_table_fits_the_page_whatever_the_number_of_areas(areas):
    from reportlab.lib.pagesizes import landscape, letter

    from skills.reports.caseload_pdf import NAME_LEAST, _summary_columns
    from skills.reports.layout import Layout

    width = Layout(landscape(letter)).width
    columns, size = _summary_columns(width, areas)
    assert sum(w for _label, w in columns) == pytest.approx(width)
    assert columns[0][1] >= NAME_LEAST and 6.5 <= size <= 8.5


def test_no_heading_or_first_line_is_left_alone_at_a_pages_foot(make_mentee):
    """Whatever length the list before them, an area's heading stays with what it heads
    and an "I can now" line with its detail: they were left at a page's foot (the
    room kept after them was less than the next paragraph asks for)."""
    from skills.reports.items import ChecklistItem, SignedOffItem
    from skills.reports.pdf import layout_mentee
    from skills.reports.text import register_fonts

    register_fonts()  # as building a PDF does first
    data = mentee_report_data(make_mentee(), MENTEE_COPY)
    place = "the branch of the credit union across from the library on Fifth Avenue"
    item = SignedOffItem(
        TODAY, "Use an ATM", "I can now use an ATM.", "On my own", "Pat", "Alone", place, ""
    )
    # Areas of twelve skills not started, as in the real curriculum: each area's heading
    # heads a paragraph of three lines or more.
    waiting = ChecklistItem("Keep track of my keys and my transit card", 0, "0", False, None, "")
    for section in data.domains:
        section.skills = [waiting] * 12
    for copy in (MENTEE_COPY, STAFF):
        data.staff_view = copy.sees_staff_notes
        for count in range(1, 45):
            data.signed_off_in_period = [item] * count
            for page in layout_mentee(data).pages[:-1]:
                body = [(t[5], tag) for t, tag in zip(page[0], page[3], strict=True)]
                last, tag = [b for b in body if not isinstance(b[1], str)][-1]
                assert tag.role != "H3" and "I can now" not in last, (count, last)


def test_every_areas_heading_has_one_size_with_or_without_a_table(
    make_user, make_mentee, assign, skill
):
    """An area with skills under way (a table) had a 10 pt heading, one with none (a
    paragraph) the body's size: 11 pt in the mentee copy."""
    from skills.reports.pdf import layout_mentee
    from skills.reports.text import register_fonts

    register_fonts()
    mentor, mentee = make_user("mentor"), make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 2)  # one area under way, one not
    for copy in (MENTEE_COPY, STAFF):
        data = mentee_report_data(mentee, copy)
        shown = [any(s.level > 0 or s.signed_off for s in d.skills) for d in data.domains]
        assert True in shown and False in shown  # both kinds of area in this report
        sizes = {
            text[1]
            for page in layout_mentee(data).pages
            for text, tag in zip(page[0], page[3], strict=True)
            if not isinstance(tag, str) and tag.role == "H3" and ": " in text[5]
        }
        assert len(sizes) == 1, sizes


def test_a_mentors_first_and_last_name_fit_on_one_line_of_the_checklist(
    make_user, make_mentee, assign, skill
):
    mentor, mentee = make_user("mentor", name="Pat Lindqvist"), make_mentee()
    assign(mentor, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 2)
    for copy in (MENTEE_COPY, STAFF):
        text = "\n".join(pages_of(mentee_report_pdf(mentee_report_data(mentee, copy))))
        row = next(line for line in text.splitlines() if line.startswith("Get a transit card"))
        assert row.endswith("Pat Lindqvist"), row


def test_the_area_legend_breaks_between_areas_on_every_page(make_mentee):
    """It broke inside an area: "… · 8." at a line's end and "Communication and safety"
    on the next."""
    mentees = [make_mentee(name=f"Person Number{n:02d}") for n in range(45)]
    data = caseload_data(mentees, filters=CaseloadFilter("all"))
    names = ["Getting around", "Food and groceries", "Money and banking", "Home"]
    names += ["Health and medication", "Staying well", "Community and services"]
    names += ["Communication and safety", "Work and learning"]
    rows = [replace(r, percents=[0] * len(names)) for r in data.rows]
    pages = pages_of(caseload_summary_pdf(replace(data, domains=names, rows=rows)))
    assert len(pages) > 1
    for page in pages:
        legend = [line for line in page.splitlines() if " · " in line and "." in line[:3]]
        legend += [line for line in page.splitlines() if line.startswith("Areas:")]
        assert any("8. Communication and safety" in line for line in page.splitlines())
        assert not any(re.search(r"(^|· )\d+\.$", line.strip()) for line in legend), legend
