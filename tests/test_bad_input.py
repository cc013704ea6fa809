"""Input an attacker (or a broken client) sends: a clear 4xx or a normal page, never a 500.

Each case here once gave a 500: a NUL byte (PostgreSQL refuses to store one), the last
representable date as a filter's end, and query keys that `url_for` takes as its own
options.
"""

import pytest
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import SignoffEvent

from .conftest import PASSWORD, today


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_byte_in_sign_in_is_a_400(client, world, field):
    data = {"username": world.users["mentor_a"].username, "password": PASSWORD}
    data[field] = data[field][:3] + "\x00" + data[field][3:]
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.get_data(as_text=True)


def test_a_nul_byte_in_a_sign_off_note_saves_nothing(app, world):
    mentor = signed_in(app, world.users["mentor_a"])
    url = f"/mentees/{world.mentee_a.id}/skills/{world.params['skill_id']}"
    before = db.session.scalar(select(func.count()).select_from(SignoffEvent))
    response = mentor.post(
        url,
        data={
            "level": "2",
            "shown_on": today().isoformat(),
            "note": "Paid\x00 the fare",
            "note_visibility": "mentee",
        },
    )
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SignoffEvent)) == before


@pytest.mark.parametrize("query", ["actor=ad\x00min", "action=\x00", "mentee\x00=1"])
def test_a_nul_byte_in_a_query_string_is_a_400(app, world, query):
    admin = signed_in(app, world.users["admin"])
    assert admin.get(f"/admin/audit?{query}").status_code == 400


@pytest.mark.parametrize(
    "query", ["until=9999-12-31", "since=0001-01-01", "since=0001-01-01&until=9999-12-31"]
)
def test_audit_filters_take_the_extreme_dates(app, world, query):
    admin = signed_in(app, world.users["admin"])
    response = admin.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert "test.seed" in response.get_data(as_text=True)


def test_url_for_options_in_the_query_string_are_ignored(app, world):
    mentee = signed_in(app, world.users["mentee_a"])
    response = mentee.get(
        f"/mentees/{world.mentee_a.id}/report.pdf"
        "?_method=POST&_external=1&endpoint=x&from=2026-01-01"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/me/report.pdf") and "_method" not in location
    assert "endpoint" not in location
    assert "from=2026-01-01" in location
    admin = signed_in(app, world.users["admin"])
    assert admin.get("/admin/audit?_method=POST&_anchor=x").status_code == 200
    assert admin.get("/admin/people?_method=POST").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/mentees/{a}/report.pdf?copy=staff&from=0001-01-01",
        "/mentees/{a}/report.pdf?copy=staff&from=2026-01-01&to=9999-12-31",
        "/mentees/{a}/history.csv?from=0001-01-01",
        "/caseload/report.pdf?from=0001-01-01",
        "/caseload/summary.csv?from=0001-01-01",
        "/caseload/batch.pdf?from=0001-01-01",
        "/caseload/summary.csv?to=9999-12-31",
    ],
)
def test_report_periods_at_the_ends_of_the_calendar_are_refused_not_a_500(app, world, path):
    mentor = signed_in(app, world.users["mentor_a"])
    response = mentor.get(path.format(a=world.mentee_a.id))
    assert response.status_code == 400, response.status_code
    assert "year" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "x"])
def test_billing_months_out_of_range_are_refused_not_a_500(app, world, month):
    admin = signed_in(app, world.users["admin"])
    page = admin.get(f"/notes/billing?month={month}")
    assert page.status_code == 422
    assert "Enter the month as year and month, like 2026-11." in page.get_data(as_text=True)
    assert admin.get(f"/notes/billing.csv?month={month}").status_code == 400


@pytest.mark.parametrize(
    "typed, saved",
    [("{iso}", True), ("{us}", True), ("{day}.{month}.{year}", False), ("yesterday", False)],
)
def test_a_date_typed_where_a_browser_has_no_picker(app, world, typed, saved):
    """A date picker sends 2026-05-31; a person typing in a browser without one writes
    05/31/2026, which is taken too. Anything else is refused with the US example."""
    mentor = signed_in(app, world.users["mentor_a"])
    day = today()
    value = typed.format(
        iso=day.isoformat(),
        us=f"{day:%m/%d/%Y}",
        day=f"{day:%d}",
        month=f"{day:%m}",
        year=day.year,
    )
    url = f"/mentees/{world.mentee_a.id}/skills/{world.params['skill_id']}"
    before = db.session.scalar(select(func.count()).select_from(SignoffEvent))
    response = mentor.post(url, data={"level": "2", "shown_on": value, "note_visibility": "staff"})
    db.session.rollback()
    after = db.session.scalar(select(func.count()).select_from(SignoffEvent))
    assert (after == before + 1) is saved
    if not saved:
        assert response.status_code == 422
        assert "Enter the date, like 05/31/2026." in response.get_data(as_text=True)
