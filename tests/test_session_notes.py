"""Session notes: units, bad input, double submit, signing and addenda, late marking,
what the mentee sees, and the billing export."""

import csv
import html
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from skills import timeutil
from skills.extensions import db
from skills.models import AuditEvent, SessionNote, SessionNoteSignoff
from skills.services import session_note_queries as queries
from skills.services import session_notes as notes
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import PASSWORD, today

YESTERDAY = today() - timedelta(days=1)


@pytest.fixture
def pair(make_user, make_mentee, assign):
    mentor = make_user("mentor", name="Dana Mentor")
    mentor.credential = "CPS"
    mentee = make_mentee(name="Eli Mentee", with_login=True)
    mentee.record_number = "R-100"
    db.session.commit()
    assign(mentor, mentee)
    return mentor, mentee


def details(**changes):
    values = dict(
        contact_on=YESTERDAY,
        starts_at=time(14, 0),
        ends_at=time(14, 45),
        mode="in_person",
        place="Library",
        what_we_did="Practised the bus route",
        how_it_went="Found the stop alone",
        next_step="Ride it together Friday",
        note_visibility="mentee",
    )
    values.update(changes)
    return notes.NoteDetails(**values)


def note_count() -> int:
    return db.session.scalar(select(func.count()).select_from(SessionNote))


def form(mentee, **changes):
    data = {
        "mentee_id": str(mentee.id),
        "contact_on": YESTERDAY.isoformat(),
        "starts_at": "14:00",
        "ends_at": "14:45",
        "mode": "phone",
        "place": "",
        "what_we_did": "Talked through the budget",
        "how_it_went": "Calm",
        "next_step": "Bring the bank letter",
        "note_visibility": "staff",
        "idempotency_key": "key-1",
    }
    data.update(changes)
    return data


# --- Units ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "minutes, units", [(0, 0), (7, 0), (8, 1), (15, 1), (22, 1), (23, 2), (45, 3), (720, 48)]
)
def test_units_round_up_from_eight_minutes(minutes, units):
    assert notes.units_for(minutes) == units


def test_units_follow_the_organisations_rule(app, pair):
    mentor, mentee = pair
    org = mentee.organisation
    org.unit_minutes, org.unit_threshold = 30, 20
    db.session.commit()
    # 50 minutes: one unit of 30, and 20 left over count as another.
    note = notes.record_note(mentee, mentor, details(ends_at=time(14, 50)))
    assert (note.minutes, note.units) == (50, 2)
    note = notes.record_note(mentee, mentor, details(ends_at=time(14, 49)))
    assert (note.minutes, note.units) == (49, 1)


# --- Writing a note: bad input and double submit --------------------------------------


def test_mentor_writes_a_note_from_the_form(client, login, pair, skill):
    mentor, mentee = pair
    login(mentor)
    page = client.get(f"/mentor/notes/new?mentee_id={mentee.id}")
    assert page.status_code == 200 and "Practised" not in page.text
    response = client.post("/mentor/notes/new", data=form(mentee, skill_ids=[str(skill().id)]))
    assert response.status_code == 302
    note = db.session.scalar(select(SessionNote))
    assert (note.minutes, note.units, note.service_code, note.mode) == (45, 3, "H0038", "phone")
    assert note.sign_by == YESTERDAY + timedelta(days=3)
    assert [s.id for s in queries.parts([note.id]).skills[note.id]] == [skill().id]
    audited = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "session_note.record")
    )
    assert audited.mentee_id == mentee.id and "budget" not in audited.detail


def test_double_submit_creates_one_note(client, login, pair):
    mentor, mentee = pair
    login(mentor)
    first = client.post("/mentor/notes/new", data=form(mentee))
    second = client.post("/mentor/notes/new", data=form(mentee))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert note_count() == 1


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"ends_at": "13:30"}, "ends_at", "must be after the start time"),
        # Both times as the form shows them (a 24-hour "14:00" beside "1:30 PM" misread).
        (
            {"ends_at": "14:00"},
            "ends_at",
            "(2:00\u202fPM) must be after the start time (2:00\u202fPM)",
        ),
        ({"starts_at": "06:00", "ends_at": "18:01"}, "ends_at", "at most 12 hours"),
        (
            {"contact_on": (today() + timedelta(days=1)).isoformat()},
            "contact_on",
            "is in the future",
        ),
        (
            {"contact_on": (today() - timedelta(days=400)).isoformat()},
            "contact_on",
            "before Eli Mentee started",
        ),
        ({"mode": "carrier pigeon"}, "mode", "Not a valid choice"),
        ({"what_we_did": "  "}, "what_we_did", "Say what you did together"),
        ({"skill_ids": ["999999"]}, "skill_ids", "not in this mentee's program"),
    ],
)
def test_bad_input_is_refused_beside_its_field(client, login, pair, changes, field, message):
    mentor, mentee = pair
    login(mentor)
    response = client.post("/mentor/notes/new", data=form(mentee, **changes))
    assert response.status_code == 422
    # The message sits in the field's own error list, which the field points to.
    errors = html.unescape(response.text).split(f'id="{field}-errors"', 1)
    assert len(errors) == 2 and message in errors[1].split("</ul>", 1)[0]
    assert note_count() == 0


def test_exactly_twelve_hours_is_allowed(app, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details(starts_at=time(6, 0), ends_at=time(18, 0)))
    assert note.minutes == 720


def test_a_session_ending_later_today_is_in_the_future(app, pair):
    mentor, mentee = pair
    now = datetime(2026, 11, 5, 14, 30, tzinfo=ZoneInfo("America/New_York"))
    mentee.start_date = date(2026, 1, 1)
    with pytest.raises(notes.SessionNoteError, match="still in the future") as refused:
        notes.record_note(mentee, mentor, details(contact_on=now.date()), now=now)
    assert refused.value.field == "ends_at"
    ok = notes.record_note(
        mentee, mentor, details(contact_on=now.date(), ends_at=time(14, 30)), now=now
    )
    assert ok.minutes == 30


def test_mentee_not_on_the_caseload_is_refused(client, login, pair, make_mentee, make_user, assign):
    mentor, _ = pair
    stranger = make_mentee(name="Fay Stranger")
    ended = make_mentee(name="Gus Ended")
    assign(mentor, ended, starts_on=ended.start_date, ends_on=today())
    login(mentor)
    for other in (stranger, ended):
        response = client.post("/mentor/notes/new", data=form(other, idempotency_key=""))
        assert response.status_code == 422
        errors = response.text.split('id="mentee_id-errors"', 1)[1].split("</ul>", 1)[0]
        assert "Choose one of your mentees from the list." in errors
        assert other.name not in response.text
    assert note_count() == 0


def test_another_organisations_mentee_is_refused_without_naming_them(
    client, login, pair, make_mentee
):
    from skills.services import people

    mentor, _ = pair
    other = make_mentee(name="Hal Elsewhere", organisation=people.get_or_create_organisation("X"))
    db.session.commit()
    login(mentor)
    response = client.post("/mentor/notes/new", data=form(other))
    assert response.status_code == 422
    assert "Hal Elsewhere" not in response.text and "Choose one of your mentees" in response.text
    assert note_count() == 0


def test_sign_offs_of_the_session_are_linked(app, pair, skill, make_user, assign):
    mentor, mentee = pair
    event = record_signoff(mentee, skill(), mentor, SignoffDetails(level=2, shown_on=YESTERDAY))
    older = record_signoff(
        mentee,
        skill("use-atm"),
        mentor,
        SignoffDetails(level=1, shown_on=YESTERDAY - timedelta(days=2)),
    )
    db.session.commit()
    assert {e.id for e in queries.linkable_signoffs(mentee, mentor, today())} == {
        event.id,
        older.id,
    }
    with pytest.raises(notes.SessionNoteError, match="made on the date of the session"):
        notes.record_note(mentee, mentor, details(signoff_ids=[older.id]))
    note = notes.record_note(mentee, mentor, details(signoff_ids=[event.id]))
    db.session.commit()
    assert [e.id for e in queries.parts([note.id]).signoffs[note.id]] == [event.id]
    # A sign-off belongs to one note only.
    with pytest.raises(notes.SessionNoteError, match="not linked to another note"):
        notes.record_note(mentee, mentor, details(signoff_ids=[event.id]))
    assert db.session.scalar(select(func.count()).select_from(SessionNoteSignoff)) == 1


# --- Signing, addenda, late -----------------------------------------------------------


def test_signing_needs_a_credential(app, pair):
    mentor, mentee = pair
    mentor.credential = None
    note = notes.record_note(mentee, mentor, details())
    with pytest.raises(notes.SessionNoteError, match="credential") as refused:
        notes.sign_note(note, mentor)
    assert refused.value.field == "credential" and not note.signed


def test_only_the_author_signs(app, pair, make_user, assign):
    mentor, mentee = pair
    colleague = make_user("mentor")
    colleague.credential = "CPS"
    assign(colleague, mentee)
    note = notes.record_note(mentee, mentor, details())
    with pytest.raises(notes.SessionNoteError, match="Only the mentor who wrote"):
        notes.sign_note(note, colleague)


def test_a_signed_note_cannot_change_and_takes_addenda(client, login, pair):
    mentor, mentee = pair
    note = notes.record_note(mentee, mentor, details())
    db.session.commit()
    with pytest.raises(notes.SessionNoteError, match="Sign the note first"):
        notes.add_addendum(note, mentor, "Forgot the bus pass")
    login(mentor)
    assert client.post(f"/notes/{note.id}/sign").status_code == 302
    db.session.refresh(note)
    assert note.signed and (note.signed_name, note.signed_credential) == ("Dana Mentor", "CPS")
    assert note.signed_on == notes.local_now(mentee.organisation).date() and not note.late
    with pytest.raises(notes.SessionNoteError, match="already signed"):
        notes.sign_note(note, mentor)
    db.session.rollback()  # the refused call had queued for the write lock
    response = client.post(f"/notes/{note.id}/addendum", data={"text": "Also: bus pass renewed"})
    assert response.status_code == 302
    page = client.get(f"/notes/{note.id}").text
    assert "Also: bus pass renewed" in page and "Practised the bus route" in page
    assert "Sign this note" not in page
    db.session.refresh(note)
    assert note.what_we_did == "Practised the bus route"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"session_note.sign", "session_note.addendum"} <= actions


def test_signing_after_the_limit_marks_the_note_late(app, pair):
    mentor, mentee = pair
    zone = ZoneInfo(mentee.organisation.time_zone)
    contact = today() - timedelta(days=10)
    on_time = notes.record_note(mentee, mentor, details(contact_on=contact))
    late = notes.record_note(
        mentee, mentor, details(contact_on=contact, starts_at=time(9, 0), ends_at=time(9, 30))
    )
    # Signed on the last day (contact + 3) is on time; a day later is late.
    notes.sign_note(
        on_time, mentor, now=datetime.combine(contact + timedelta(days=3), time(23, 0), zone)
    )
    notes.sign_note(
        late, mentor, now=datetime.combine(contact + timedelta(days=4), time(8, 0), zone)
    )
    db.session.commit()
    assert (on_time.late, late.late) == (False, True)
    # The rule's SQL form agrees with its Python form.
    assert set(db.session.scalars(select(SessionNote.id).where(SessionNote.late))) == {late.id}


def test_unsigned_notes_past_the_limit_are_listed(client, login, pair, make_user, assign):
    mentor, mentee = pair
    manager = make_user("case_manager")
    assign(manager, mentee)
    # The organisation's own calendar day decides, as on the pages.
    today = notes.local_now(mentee.organisation).date()
    old = notes.record_note(mentee, mentor, details(contact_on=today - timedelta(days=4)))
    recent = notes.record_note(mentee, mentor, details(contact_on=today - timedelta(days=3)))
    db.session.commit()
    assert (old.overdue(today), recent.overdue(today)) == (True, False)
    assert [n.id for n in queries.overdue_by_mentor(mentor, today)] == [old.id]
    assert set(db.session.scalars(select(SessionNote.id).where(SessionNote.overdue(today)))) == {
        old.id
    }
    for user, url in ((mentor, "/mentor/"), (manager, "/caseload/")):
        login(user)
        page = client.get(url).text
        assert "Session notes waiting to be signed" in page
        assert f"/notes/{old.id}" in page and f"/notes/{recent.id}" not in page
    notes.sign_note(old, mentor)
    db.session.commit()
    assert "Session notes waiting to be signed" not in client.get("/caseload/").text


# --- What the mentee sees -------------------------------------------------------------


def test_mentee_sees_shared_notes_only_and_comments(client, login, pair):
    mentor, mentee = pair
    shared = notes.record_note(mentee, mentor, details(what_we_did="SHARED-NOTE-1"))
    staff = notes.record_note(
        mentee, mentor, details(what_we_did="STAFF-NOTE-1", note_visibility="staff")
    )
    db.session.commit()
    login(mentee.user)
    listing = client.get("/me/notes").text
    assert "SHARED-NOTE-1" in listing and "STAFF-NOTE-1" not in listing
    assert client.get(f"/me/notes/{staff.id}").status_code == 404
    assert client.post(f"/me/notes/{staff.id}/comment", data={"words": "hi"}).status_code == 404
    assert client.get(f"/notes/{shared.id}").headers["Location"] == f"/me/notes/{shared.id}"
    response = client.post(f"/me/notes/{shared.id}/comment", data={"words": "I felt ready"})
    assert response.status_code == 302
    assert client.post(f"/me/notes/{shared.id}/comment", data={"words": " "}).status_code == 422
    login(mentor)
    page = client.get(f"/mentees/{mentee.id}/notes").text
    assert "SHARED-NOTE-1" in page and "STAFF-NOTE-1" in page and "I felt ready" in page


def test_the_leak_check_covers_session_notes(app, world):
    """The world's session notes carry the markers: staff read the staff-only one, the
    mentee's own pages show only the shared one."""
    mentor = app.test_client()
    mentor.post("/login", data={"username": world.users["mentor_a"].username, "password": PASSWORD})
    page = mentor.get(f"/mentees/{world.mentee_a.id}/notes").text
    assert "STAFF-QZA-2" in page and "NOTE-QZA-1" in page
    mentee = app.test_client()
    mentee.post("/login", data={"username": world.users["mentee_a"].username, "password": PASSWORD})
    own = mentee.get("/me/notes").text
    assert "NOTE-QZA-1" in own and "STAFF-QZA-2" not in own


# --- Billing --------------------------------------------------------------------------


def _billing_world(pair):
    mentor, mentee = pair
    zone = ZoneInfo(mentee.organisation.time_zone)
    mentee.start_date = date(2026, 1, 1)
    mentee.organisation.billing_modifiers = "HQ"
    now = datetime(2026, 12, 20, 12, 0, tzinfo=zone)
    ok = notes.record_note(
        mentee, mentor, details(contact_on=date(2026, 11, 3), place="=HYPERLINK(1)"), now=now
    )
    notes.sign_note(ok, mentor, now=datetime(2026, 11, 4, 9, 0, tzinfo=zone))
    late = notes.record_note(
        mentee, mentor, details(contact_on=date(2026, 11, 10), mode="video"), now=now
    )
    notes.sign_note(late, mentor, now=datetime(2026, 11, 20, 9, 0, tzinfo=zone))
    unsigned = notes.record_note(mentee, mentor, details(contact_on=date(2026, 11, 30)), now=now)
    notes.record_note(mentee, mentor, details(contact_on=date(2026, 12, 1)), now=now)
    db.session.commit()
    return ok, late, unsigned


def _sections(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    blank = rows.index([])
    return rows[:blank], rows[blank + 1 :]


def test_billing_csv_lists_signed_notes_and_the_rest_apart(client, login, pair, make_user):
    ok, late, unsigned = _billing_world(pair)
    admin = make_user("admin")
    login(admin)
    response = client.get("/notes/billing.csv?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    billable, rest = _sections(response.data)
    assert billable[0][:6] == ["mentee record number", "date", "start", "end", "minutes", "units"]
    assert billable[1:] == [
        [
            "R-100",
            "2026-11-03",
            "14:00",
            "14:45",
            "45",
            "3",
            "H0038",
            "HQ",
            "Dana Mentor",
            "CPS",
            "In person",
            "'=HYPERLINK(1)",
            "",  # group size: a one-to-one contact
        ]
    ]
    assert rest[0] == ["Not billed: unsigned or signed late"]
    reasons = {row[1]: row[-1] for row in rest[2:]}
    assert reasons == {
        "2026-11-10": "signed late on 2026-11-20 (due by 2026-11-13)",
        "2026-11-30": "unsigned (sign by 2026-12-03)",
    }
    page = client.get("/notes/billing?month=2026-11").text
    # The page speaks US dates; the CSV, for machines, keeps ISO dates.
    assert "signed late on Nov 20, 2026 (due by Nov 13, 2026)" in page
    assert client.get("/notes/billing?month=2026-13").status_code == 422
    # With no month asked, the page is about this month, and its field says so (an empty
    # field's example "2026-11" read as the month shown).
    this_month = f"{today():%Y-%m}"
    field = re.search(r"<input[^>]*\bname=\"month\"[^>]*>", client.get("/notes/billing").text)
    assert 'type="month"' in field.group() and f'value="{this_month}"' in field.group()
    assert client.get("/notes/billing.csv?month=nope").status_code == 400


def test_billing_from_the_command_line(runner, pair):
    _billing_world(pair)
    org = pair[1].organisation.name
    result = runner.invoke(args=["notes", "billing", "--organisation", org, "--month", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "R-100,2026-11-03,14:00,14:45,45,3,H0038,HQ" in result.stdout
    assert "1 signed note(s) to bill; 2 not billed" in result.stderr
    bad = runner.invoke(args=["notes", "billing", "--organisation", org, "--month", "11/2026"])
    assert bad.exit_code != 0 and "like 2026-11" in bad.output


def test_billing_settings_are_checked_and_audited(client, login, pair, make_user):
    admin = make_user("admin")
    login(admin)
    data = {
        "billing_code": "h0038",
        "billing_modifiers": "HQ, U1",
        "unit_minutes": "15",
        "unit_threshold": "16",
        "sign_within_days": "3",
    }
    refused = client.post("/notes/billing/settings", data=data)
    assert refused.status_code == 422 and "A part unit counts from 1 to 15" in refused.text
    assert pair[1].organisation.unit_threshold == 8
    saved = client.post("/notes/billing/settings", data={**data, "unit_threshold": "7"})
    assert saved.status_code == 302
    org = pair[1].organisation
    db.session.refresh(org)
    assert (org.billing_code, org.billing_modifiers, org.unit_threshold) == ("H0038", "HQ U1", 7)
    assert "HQ U1" in client.get("/admin/settings").text


def test_credential_is_set_on_the_account(client, login, pair):
    mentor, _ = pair
    login(mentor)
    assert client.post("/account/credential", data={"credential": "=cmd"}).status_code == 422
    assert client.post("/account/credential", data={"credential": "CPS, CRPS"}).status_code == 302
    db.session.refresh(mentor)
    assert mentor.credential == "CPS, CRPS"


def test_an_unassigned_mentees_id_never_names_them(client, login, world):
    """The form refuses any mentee it did not offer in the same words, whoever the id is."""
    login(world.users["mentor_a"])
    for mentee in (world.mentee_b, world.mentee_c):
        response = client.post("/mentor/notes/new", data=form(mentee, idempotency_key=""))
        assert response.status_code == 422
        errors = response.text.split('id="mentee_id-errors"', 1)[1].split("</ul>", 1)[0]
        assert "Choose one of your mentees from the list." in errors
        assert mentee.name not in response.text


def test_the_form_tells_two_sign_offs_of_one_skill_apart(client, login, pair, skill):
    """The level by name and the time each was entered: two sign-offs of one skill on one
    day read the same before ("Get a transit card · level 2 · Nov 30, 2026" twice)."""
    mentor, mentee = pair
    moments = [datetime.combine(YESTERDAY, time(h, m), UTC) for h, m in ((14, 5), (19, 40))]
    for at in moments:
        with timeutil.frozen_at(at):
            record_signoff(mentee, skill(), mentor, SignoffDetails(level=2, shown_on=at.date()))
    db.session.commit()
    login(mentor)
    page = html.unescape(client.get(f"/mentor/notes/new?mentee_id={mentee.id}").text)
    labels = re.findall(r"Get a transit card · [^<]*entered at [^<]*", page)
    assert len(labels) == 2 and labels[0] != labels[1]
    assert all("2 · " in label and "level 2" not in label for label in labels)
    # Entered at 9:05 AM and 2:40 PM in New York in winter (the organization's zone; an
    # hour later in summer), newest first.
    first, second = (at.astimezone(ZoneInfo("America/New_York")) for at in moments)
    assert f"{first:%-I:%M}\u202f{first:%p}" in labels[1]
    assert f"{second:%-I:%M}\u202f{second:%p}" in labels[0]
