"""The admin's audit log reads in names and local time, and exports as CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import AuditEvent
from skills.services import assignments, audit, mentee_standing, people
from skills.timeutil import frozen_at

from .conftest import PASSWORD, today


def html(response) -> str:
    # Babel puts a narrow no-break space before "PM"; read it as a plain space.
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\xa0", " ")


def rows_of(response) -> list[dict[str, str]]:
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="boss", name="Bea Boss")


@pytest.fixture
def as_admin(client, login, admin):
    login(admin)
    return client


def test_the_log_names_people_instead_of_ids(as_admin, admin, org, make_mentee):
    mentee = make_mentee(name="Rosa Diaz")
    mentee.record_number = "R-77"
    new = people.create_user(org, "dlee", "Dana Lee", PASSWORD, ["mentor"], admin)
    login = people.create_user(org, "rosa", "Rosa Login", PASSWORD, ["mentee"], admin)
    mentee_standing.link_login(mentee, login, admin)
    assignments.assign(new, mentee, "mentor", mentee.start_date, None, actor=admin)
    db.session.commit()

    page = html(as_admin.get("/admin/audit"))
    assert "Created the login Dana Lee (dlee) as Mentor." in page
    assert "Assigned Dana Lee (dlee) as mentor." in page
    assert "Linked the login Rosa Login (rosa) (no login before)." in page
    assert "Rosa Diaz" in page and "R-77" in page
    assert f"staff: {new.id}" not in page and "previous user: None" not in page


def test_a_failed_sign_in_shows_the_username_tried(client, as_admin, make_user):
    target = make_user("mentor", username="mhill", name="Max Hill")
    other = client.application.test_client()
    other.post("/login", data={"username": target.username, "password": "wrong-password-1"})
    page = html(as_admin.get("/admin/audit?action=auth.login"))
    assert "Sign-in failed for username “mhill”." in page


def test_times_and_date_filters_are_in_the_organizations_zone(as_admin, admin, org):
    org.time_zone = "America/Los_Angeles"
    db.session.commit()
    # 06:30 UTC on March 2 is 10:30 PM on March 1 in California.
    with frozen_at(datetime(2026, 3, 2, 6, 30, tzinfo=UTC)):
        audit.record("mentee.view", admin, object_type="note", object_id="x-1")
        db.session.commit()
    page = html(as_admin.get("/admin/audit?action=mentee.view"))
    assert "10:30:00 PM PST" in page and "6:30:00 AM" not in page
    assert "(UTC)" not in page
    assert "10:30:00 PM" in html(as_admin.get("/admin/audit?action=mentee.view&since=2026-03-01"))
    the_day = html(
        as_admin.get("/admin/audit?action=mentee.view&since=2026-03-01&until=2026-03-01")
    )
    assert "10:30:00 PM" in the_day
    next_day = html(as_admin.get("/admin/audit?action=mentee.view&since=2026-03-02"))
    assert "No events match." in next_day
    exported = rows_of(as_admin.get("/admin/audit.csv?action=mentee.view&until=2026-03-01"))
    assert [r["time"] for r in exported] == ["2026-03-01T22:30:00-08:00"]


def test_csv_export_follows_the_filters_and_is_formula_safe(
    as_admin, admin, org, make_user, make_mentee
):
    sly = make_user("mentor", username="sly", name="=HYPERLINK(1)")
    mentee = make_mentee(name="+Cell Trick")
    audit.record("mentee.view", sly, mentee=mentee, object_type="mentee", object_id=mentee.id)
    audit.record("signoff.record", sly, mentee=mentee, object_type="signoff", object_id=9)
    db.session.commit()

    response = as_admin.get(f"/admin/audit.csv?actor=sly&mentee={mentee.record_number}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/csv"
    rows = rows_of(response)
    assert [r["action"] for r in rows] == ["signoff.record", "mentee.view"]
    first = rows[0]
    assert first["actor name"] == "'=HYPERLINK(1)"
    assert first["actor username"] == "sly"
    assert first["mentee name"] == "'+Cell Trick"
    assert first["mentee record number"] == mentee.record_number
    assert first["object"] == "signoff 9"
    assert rows[1]["object"] == f"mentee +Cell Trick ({mentee.record_number})"
    assert first["outcome"] == "ok"

    # The export is audited itself, once, with the filters but no rows' contents.
    exports = list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export"))
    )
    assert len(exports) == 1 and exports[0].actor_id == admin.id
    assert '"rows": 2' in exports[0].detail and "HYPERLINK" not in exports[0].detail


def test_another_organizations_admin_exports_only_their_own_rows(
    client, login, admin, make_user, make_mentee
):
    mentee = make_mentee(name="Home Mentee")
    audit.record("mentee.view", admin, mentee=mentee, object_type="mentee", object_id=mentee.id)
    elsewhere = people.get_or_create_organisation("Another Program")
    db.session.commit()
    outsider = make_user("admin", username="otheradmin", name="Other Admin", organisation=elsewhere)
    login(outsider)
    body = client.get("/admin/audit.csv").get_data(as_text=True)
    assert "Home Mentee" not in body and "Bea Boss" not in body and "boss" not in body
    assert "otheradmin" in body  # their own sign-in
    assert client.get("/admin/audit").status_code == 200


def test_an_export_over_the_cap_is_refused_with_a_clear_message(as_admin, monkeypatch):
    monkeypatch.setattr(audit, "EXPORT_CAP", 1)
    before = db.session.scalar(select(db.func.count(AuditEvent.id)))
    response = as_admin.get("/admin/audit.csv")
    assert response.status_code == 400
    assert "More than 1 events match" in html(response)
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(AuditEvent.id))) == before


def test_bad_dates_in_an_export_are_explained(as_admin):
    response = as_admin.get("/admin/audit.csv?since=2026-03-05&until=2026-03-01")
    assert response.status_code == 400
    assert "The “To” date is before the “From” date." in html(response)


@pytest.mark.parametrize("kind", ["page", "csv"])
def test_reading_the_log_takes_the_same_queries_for_5_or_50_rows(
    as_admin, admin, org, make_mentee, count_queries, kind
):
    def fill(n: int, tag: str) -> None:
        for i in range(n):
            mentee = make_mentee(name=f"{tag} Mentee {i}")
            user = people.create_user(org, f"{tag}{i}", f"{tag} Person {i}", None, "mentor", admin)
            db.session.flush()
            assignments.assign(user, mentee, "mentor", mentee.start_date, None, actor=admin)
        db.session.commit()

    def queries(tag: str) -> int:
        url = f"/admin/audit?action=assignment&since={today()}"
        if kind == "csv":
            url = url.replace("/admin/audit?", "/admin/audit.csv?")
        with count_queries() as counter:
            assert as_admin.get(url).status_code == 200
        return counter.count

    fill(5, "few")
    small = queries("few")
    fill(45, "many")
    assert queries("many") == small
