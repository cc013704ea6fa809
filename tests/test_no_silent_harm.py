"""Nothing lowers a mentee's level, or records twice, without the mentor seeing it first.

Once, ticking "came" on the group form and saving took a mentee from "Can do it on my
own" to "Not started" (every level list started at 0), and posting the form twice
saved a second session. In the world, mentee A is at level 2 ("Practicing with
support") on the transit-card skill.
"""

import html
import re

from sqlalchemy import func, select

from skills.extensions import db
from skills.models import GroupSession, SignoffEvent, SkillStatus

from .conftest import PASSWORD, today

TODAY = today()


def signed_in(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def events() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SignoffEvent))


def level_of(world, skill) -> int:
    db.session.rollback()
    return db.session.get(SkillStatus, (world.mentee_a.id, skill.id)).level


def group_form(world, skill, level: int, **extra) -> dict:
    return {
        "skill_id": str(skill.id),
        "held_on": TODAY.isoformat(),
        f"attend-{world.mentee_a.id}": "y",
        f"level-{world.mentee_a.id}": str(level),
        **extra,
    }


def test_group_form_starts_each_mentee_at_their_current_level(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    page = mentor.get(f"/mentor/group?skill_id={card.id}").get_data(as_text=True)
    select_a = re.search(rf'<select id="level-{world.mentee_a.id}".*?</select>', page, re.S).group(
        0
    )
    assert re.search(r'<option value="2" selected>2 · Practicing with support \(now\)', select_a)
    assert 'value="0" selected' not in select_a
    assert 'name="idempotency_key"' in page
    # Another skill: mentee A has not started it, so the list starts at 0 there.
    atm_page = mentor.get(f"/mentor/group?skill_id={skill('open-bank-account').id}")
    assert re.search(
        rf'<select id="level-{world.mentee_a.id}"[^>]*>\s*<option value="0" selected',
        atm_page.get_data(as_text=True),
    )


def test_group_session_that_would_lower_a_level_asks_first(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    before = events()
    response = mentor.post("/mentor/group", data=group_form(world, card, 0))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This would lower the level of Alma Qzmarkera" in page
    assert "from “Practicing with support” to “Not started”" in page
    assert 'name="confirm_lower"' in page
    # Said beside the mentee too: the box is at the form's foot, far from her on a phone.
    beside = page.split(f'id="err-{world.mentee_a.id}"')[1].split("</p>")[0]
    assert "Lower than now (“Practicing with support”)" in html.unescape(beside)
    assert events() == before and level_of(world, card) == 2
    response = mentor.post(
        "/mentor/group", data=group_form(world, card, 0, confirm_lower="y", idempotency_key="k1")
    )
    assert response.status_code == 302
    assert events() == before + 1 and level_of(world, card) == 0


def test_group_session_at_the_current_level_saves_without_asking(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    response = mentor.post("/mentor/group", data=group_form(world, card, 2))
    assert response.status_code == 302
    page = mentor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Group session saved: 1 sign-off (" in page


def test_posting_the_group_form_twice_saves_one_session(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    before = events()
    form = group_form(world, card, 3, idempotency_key="same-form")
    assert mentor.post("/mentor/group", data=form).status_code == 302
    assert mentor.post("/mentor/group", data=form).status_code == 302
    assert events() == before + 1
    assert db.session.scalar(select(func.count()).select_from(GroupSession)) == 1


def test_a_sign_off_that_would_lower_a_level_asks_first(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    url = f"/mentees/{world.mentee_a.id}/skills/{card.id}"
    form = {"level": "1", "shown_on": TODAY.isoformat(), "note_visibility": "staff"}
    before = events()
    response = mentor.post(url, data=form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "This would lower Alma Qzmarkera's level from “Practicing with support” to" in page
    assert 'name="confirm_lower"' in page
    assert events() == before
    assert mentor.post(url, data={**form, "confirm_lower": "y"}).status_code == 302
    assert events() == before + 1 and level_of(world, card) == 1
    # The same level again, or a higher one, needs no confirmation.
    assert mentor.post(url, data=form).status_code == 302
    assert mentor.post(url, data={**form, "level": "3"}).status_code == 302
    assert level_of(world, card) == 3


def test_reloading_levels_keeps_the_form_token_out_of_the_address(app, world, skill):
    mentor = signed_in(app, world.users["mentor_a"])
    card = skill("get-transit-card")
    response = mentor.get(
        f"/mentor/group?csrf_token=abc&idempotency_key=used&skill_id={card.id}&place=Library"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "csrf_token" not in location and "idempotency_key" not in location
    assert f"skill_id={card.id}" in location and "place=Library" in location
    page = mentor.get(location).get_data(as_text=True)
    assert 'value="used"' not in page and "(now)" in page
