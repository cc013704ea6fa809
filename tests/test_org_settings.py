"""The organisation settings page: name, time zone, who must use two-step sign-in."""

import json
import re

import pytest
from sqlalchemy import select

from skills.extensions import db
from skills.models import AuditEvent, Organisation
from skills.services import organisations, people


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def other_org(app):
    organisation = people.get_or_create_organisation("Riverside Peer Support")
    db.session.commit()
    return organisation


def settings_audit() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "organisation.settings")
            .order_by(AuditEvent.id)
        )
    )


def stored(org_id: int) -> tuple[str, str, str]:
    db.session.expire_all()
    org = db.session.get(Organisation, org_id)
    return org.name, org.time_zone, org.two_step_roles


FORM = {"name": "Test Program", "time_zone": "America/New_York"}


def test_page_shows_the_current_settings_with_us_time_zones_first(client, login, admin, org):
    login(admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="Test Program"' in page
    assert re.search(r'<option selected value="America/New_York">', page)
    zones = re.findall(r'<option[^>]* value="([^"]+)"', page)
    us = list(organisations.US_TIME_ZONES)
    assert zones[: len(us)] == us
    assert "Africa/Abidjan" in zones and len(zones) > 400
    assert '<optgroup label="United States">' in page
    # Every role can be required; none is by default.
    boxes = re.findall(r'<input[^>]*name="two_step_roles"[^>]*>', page)
    assert len(boxes) == 4 and not any("checked" in b for b in boxes)
    assert 'href="/admin/settings"' in client.get("/admin/").get_data(as_text=True)


def test_saving_changes_every_setting_and_audits_old_and_new(client, login, admin, org):
    login(admin)
    response = client.post(
        "/admin/settings",
        data={
            "name": "  Test   Program East ",
            "time_zone": "America/Phoenix",
            "two_step_roles": ["mentor", "case_manager"],
        },
    )
    assert response.headers["Location"] == "/admin/settings"
    assert stored(org.id) == ("Test Program East", "America/Phoenix", "case_manager mentor")
    (event,) = settings_audit()
    assert (event.organisation_id, event.actor_id) == (org.id, admin.id)
    assert json.loads(event.detail)["changes"] == {
        "name": {"old": "Test Program", "new": "Test Program East"},
        "time_zone": {"old": "America/New_York", "new": "America/Phoenix"},
        "two_step_roles": {"old": "", "new": "case_manager mentor"},
    }
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Settings saved." in page
    boxes = re.findall(r'<input[^>]*name="two_step_roles"[^>]*>', page)
    assert sorted("checked" in b for b in boxes) == [False, False, True, True]


def test_saving_unchanged_settings_writes_no_audit(client, login, admin, org):
    login(admin)
    client.post("/admin/settings", data=FORM)
    assert "Nothing was changed." in client.get("/admin/settings").get_data(as_text=True)
    assert settings_audit() == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "riverside peer SUPPORT"}, "name", "Another organization is already called"),
        ({"name": "   "}, "name", "Enter the organization"),
        ({"name": "x" * 201}, "name", "200"),
        ({"name": "Tab\tName\x07"}, "name", "control characters"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "is not a time zone name"),
        ({"time_zone": ""}, "time_zone", "is not a time zone name"),
        ({"two_step_roles": ["admin", "superuser"]}, "two_step_roles", "Unknown role: superuser"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
    client, login, admin, org, other_org, change, field, message
):
    login(admin)
    # Every other field holds a valid change: a refusal must not half-apply the form.
    data = {
        "name": "A Renamed Program",
        "time_zone": "America/Chicago",
        "two_step_roles": ["admin"],
        **change,
    }
    response = client.post("/admin/settings", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    errors = re.search(rf'<ul class="errors" id="{field}-errors">(.*?)</ul>', page, re.S)
    assert errors and message in errors.group(1), page
    assert stored(org.id) == ("Test Program", "America/New_York", "")
    assert settings_audit() == []


def test_a_name_taken_by_a_race_is_refused_not_a_500(monkeypatch, admin, org, other_org):
    # Another admin takes the name between the friendly check and the save: skipping the
    # check reaches the unique constraint, as the race would.
    other_org.name = "Taken Meanwhile"
    db.session.flush()
    monkeypatch.setattr(organisations, "_clean_name", lambda o, name: name)
    wanted = organisations.Settings("Taken Meanwhile", "America/New_York", frozenset())
    with pytest.raises(organisations.SettingsRefused, match="already called"):
        organisations.update(org, wanted, admin)
    db.session.rollback()
    assert stored(org.id)[0] == "Test Program"


@pytest.mark.parametrize("role", ["mentor", "case_manager", "mentee"])
def test_only_admins_may_open_or_post_the_settings(client, login, make_user, org, role):
    login(make_user(role))
    assert client.get("/admin/settings").status_code == 403
    answer = client.post("/admin/settings", data={**FORM, "name": "Hijacked"})
    assert answer.status_code == 403
    assert stored(org.id)[0] == "Test Program"


def test_an_admin_changes_only_their_own_organisation(client, login, make_user, org, other_org):
    other_admin = make_user("admin", organisation=other_org)
    login(other_admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Riverside Peer Support" in page and "Test Program" not in page
    client.post(
        "/admin/settings",
        data={"name": "Riverside", "time_zone": "America/Denver", "two_step_roles": ["mentee"]},
    )
    assert stored(org.id) == ("Test Program", "America/New_York", "")
    assert stored(other_org.id) == ("Riverside", "America/Denver", "mentee")
    (event,) = settings_audit()
    assert event.organisation_id == other_org.id


def test_requiring_two_step_for_admins_sends_the_admin_to_enroll(client, login, admin, org):
    login(admin)
    client.post("/admin/settings", data={**FORM, "two_step_roles": ["admin"]})
    assert client.get("/admin/").headers["Location"] == "/account/two-step"


def test_the_page_hands_the_organisation_to_its_template(app, client, login, admin, org):
    from flask import template_rendered

    seen = []

    def record(*_, template, context, **__):
        seen.append((template.name, context.get("organisation")))

    template_rendered.connect(record, app)
    try:
        login(admin)
        client.get("/admin/settings")
    finally:
        template_rendered.disconnect(record, app)
    assert [(name, o.id) for name, o in seen if name == "admin/settings.html"] == [
        ("admin/settings.html", org.id)
    ]
