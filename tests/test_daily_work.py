"""Issue 15, items 2, 3 and 5 on the server: finding a skill and signing it off in few
taps, the mentee browsing every area and skill, and the safer defaults (staff-only
notes, history by the date shown, re-check dates said on every page)."""

import re
from datetime import date, timedelta

from babel.dates import format_date
from flask import render_template_string
from sqlalchemy import select

from skills.extensions import db
from skills.models import Domain, Goal, SignoffEvent, Skill, SkillStatus
from skills.permissions import Viewer
from skills.services import history, people, voice
from skills.services.signoffs import SignoffDetails, record_signoff
from skills.services.skill_search import RESULTS_MAX, clean_query, find

from .conftest import PASSWORD, today

TODAY = today()


def client_for(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def element(page: str, element_id: str, tag: str) -> str:
    """The inside of the first `tag` element with `element_id` (no nesting of `tag`)."""
    match = re.search(rf'<{tag}\b[^>]*\bid="{element_id}"[^>]*>(.*?)</{tag}>', page, re.S)
    assert match, f"no <{tag} id={element_id}>"
    return match.group(1)


def found_section(page: str) -> str:
    match = re.search(r'<section id="found".*?</section>', page, re.S)
    return match.group(0) if match else ""


# Finding a skill


def test_search_matches_every_word_in_title_statement_or_area():
    items = [
        ("Getting around", "Get a transit card", "I can get a transit card."),
        ("Getting around", "Read a timetable", "I can read a bus timetable."),
        ("Money and banking", "Use an ATM", "I can use an ATM."),
    ]
    texts = lambda item: item  # noqa: E731 - the item is its own texts here
    assert [i[1] for i in find(items, "BUS", texts).items] == ["Read a timetable"]
    assert [i[1] for i in find(items, "card  getting", texts).items] == ["Get a transit card"]
    assert [i[1] for i in find(items, "money atm", texts).items] == ["Use an ATM"]
    assert find(items, "atm bus", texts).total == 0  # every word, not any word
    assert find(items, "   ", texts).query == "" and not find(items, "", texts).items
    many = find([("a", f"skill {n}") for n in range(30)], "skill", texts)
    assert (len(many.items), many.total, many.more) == (RESULTS_MAX, 30, 30 - RESULTS_MAX)
    assert clean_query("x" * 500) == "x" * 100


def test_mentor_finds_a_skill_on_the_mentee_page_and_signs_it_off_from_the_results(
    app, world, skill
):
    mentor = client_for(app, world.users["mentor_a"])
    mentee_id = world.mentee_a.id
    page = mentor.get(f"/mentees/{mentee_id}?q=ATM").get_data(as_text=True)
    results = found_section(page)
    assert "1 skill found for “ATM”" in results and "Use an ATM" in results
    assert "Get a transit card" not in results
    # Use an ATM is at level 1: only the higher levels are offered, for today.
    assert re.findall(r'name="level" value="(\d)"', results) == ["2", "3"]
    assert f'name="shown_on" value="{TODAY.isoformat()}"' in results
    key = re.search(r'name="idempotency_key" value="(\w+)"', results).group(1)
    atm = skill("use-atm")
    form = {"level": "3", "shown_on": TODAY.isoformat(), "idempotency_key": key}
    response = mentor.post(f"/mentees/{mentee_id}/skills/{atm.id}", data=form)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/mentees/{mentee_id}?saved={atm.id}#skill-{atm.id}"
    # The message is in the row the page scrolls to, not at the top of the page.
    page = mentor.get(response.headers["Location"]).get_data(as_text=True)
    row = element(page, f"skill-{atm.id}", "li")
    assert "Saved: Use an ATM — 3 · Can do it on my own." in row and 'role="status"' in row
    assert page.count("Saved: Use an ATM") == 1
    again = mentor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved:" not in again  # shown once

    mentor.post(f"/mentees/{mentee_id}/skills/{atm.id}", data=form)  # a double tap
    events = db.session.scalars(
        select(SignoffEvent).where(SignoffEvent.skill_id == atm.id, SignoffEvent.level == 3)
    ).all()
    assert len(events) == 1 and events[0].note_visibility == "staff"


def test_search_results_for_a_signed_off_skill_offer_no_quick_levels(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    record_signoff(
        world.mentee_a, skill("ride-and-pay"), world.users["mentor_a"], SignoffDetails(3, TODAY)
    )
    db.session.commit()
    page = mentor.get(f"/mentees/{world.mentee_a.id}?q=ride").get_data(as_text=True)
    results = found_section(page)
    assert "Ride and pay" in results and 'name="level"' not in results


def test_a_case_manager_can_search_but_gets_no_sign_off_buttons(app, world):
    cm = client_for(app, world.users["cm_a"])
    page = cm.get(f"/mentees/{world.mentee_a.id}?q=bank").get_data(as_text=True)
    results = found_section(page)
    assert "Open a bank account" in results and "<form" not in results


def test_a_search_with_no_match_says_so_and_without_words_shows_no_results(app, world):
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get(f"/mentees/{world.mentee_a.id}?q=zebra").get_data(as_text=True)
    assert "0 skills found for “zebra”" in found_section(page)
    page = mentor.get(f"/mentees/{world.mentee_a.id}?q=").get_data(as_text=True)
    assert found_section(page) == ""


def test_mentee_page_has_a_jump_list_to_each_area(app, world):
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get(f"/mentees/{world.mentee_a.id}").get_data(as_text=True)
    jump = re.search(r'<nav aria-label="Skill areas".*?</nav>', page, re.S).group(0)
    domains = db.session.scalars(select(Domain).order_by(Domain.position)).all()
    for domain in domains:
        assert f'href="#domain-{domain.id}"' in jump and f'id="domain-{domain.id}"' in page


def test_group_form_search_narrows_the_skills_and_labels_fit(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get("/mentor/group?q=timetable").get_data(as_text=True)
    select_html = re.search(r'<select id="skill_id".*?</select>', page, re.S).group(0)
    options = re.findall(r"<option[^>]*>([^<]*)</option>", select_html)
    assert options == ["Choose a skill", "Read a timetable"]  # the first is empty, as HTML wants
    assert '<optgroup label="Getting around">' in select_html
    assert "1 skill found for “timetable”" in page
    page = mentor.get("/mentor/group").get_data(as_text=True)
    select_html = re.search(r'<select id="skill_id".*?</select>', page, re.S).group(0)
    assert len(re.findall(r"<option", select_html)) == 1 + 5  # every skill without a search
    assert "Money and banking: " not in select_html  # the area is the group, not the label
    # The search does not limit what may be posted: any skill of the curriculum saves.
    atm = skill("use-atm")
    response = mentor.post(
        "/mentor/group?q=timetable",
        data={
            "skill_id": str(atm.id),
            "held_on": TODAY.isoformat(),
            f"attend-{world.mentee_a.id}": "y",
            f"level-{world.mentee_a.id}": "2",
            f"note-{world.mentee_a.id}": "Group practice",
        },
    )
    assert response.status_code == 302
    event = db.session.scalar(
        select(SignoffEvent).where(SignoffEvent.group_session_id.is_not(None))
    )
    assert (event.skill_id, event.note_visibility) == (atm.id, "staff")


def test_group_form_reload_keeps_the_search(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    atm = skill("use-atm")
    response = mentor.get(f"/mentor/group?csrf_token=x&q=atm&skill_id={atm.id}&idempotency_key=k")
    assert response.status_code == 302
    assert "q=atm" in response.headers["Location"]
    assert "idempotency_key" not in response.headers["Location"]


def test_mentor_home_is_one_line_per_mentee_with_the_areas_folded(app, world, make_mentee, assign):
    second = make_mentee(name="Dee Second")
    assign(world.users["mentor_a"], second)
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get("/mentor/").get_data(as_text=True)
    for mentee in (world.mentee_a, second):
        line = element(page, f"mentee-{mentee.id}", "li")
        assert line.count("<a ") == 1 and f'href="/mentees/{mentee.id}"' in line
        assert "<details>" in line and "signed off" in line
    assert "mentee-lines" in page and 'class="ring"' not in page


# Mentee browses everything


def test_mentee_reaches_every_area_and_skill_by_links(app, world):
    me = client_for(app, world.users["mentee_a"])
    page = me.get("/me/").get_data(as_text=True)
    skills = db.session.scalars(select(Skill).where(Skill.retired.is_(False))).all()
    for domain in db.session.scalars(select(Domain)):
        assert f'href="/me/areas/{domain.id}"' in page
        area = me.get(f"/me/areas/{domain.id}")
        assert area.status_code == 200
        text = area.get_data(as_text=True)
        for s in (s for s in skills if s.domain_id == domain.id):
            assert f'href="/me/skills/{s.id}"' in text and s.i_can in text
    skill_page = me.get(f"/me/skills/{skills[0].id}").get_data(as_text=True)
    assert skills[0].i_can in skill_page and "Steps to practice" in skill_page


def test_area_of_another_organisations_curriculum_is_not_found(app, world):
    own = people.get_or_create_organisation("Own Curriculum Org")
    other_domain = Domain(curriculum_id=_private_curriculum(own.id), key="d", title="Private")
    db.session.add(other_domain)
    db.session.commit()
    me = client_for(app, world.users["mentee_a"])
    assert me.get(f"/me/areas/{other_domain.id}").status_code == 404
    assert me.get("/me/areas/999999").status_code == 404


def _private_curriculum(organisation_id: int) -> int:
    from skills.models import Curriculum

    curriculum = Curriculum(
        key="private-one",
        version="1",
        title="Private",
        signed_off_level=3,
        organisation_id=organisation_id,
        source_sha256="0" * 64,
    )
    db.session.add(curriculum)
    db.session.flush()
    return curriculum.id


def test_any_skill_can_become_a_goal_up_to_five(app, world, skill):
    me = client_for(app, world.users["mentee_a"])
    area = me.get(f"/me/areas/{skill('use-atm').domain_id}").get_data(as_text=True)
    assert f'href="/me/skills/{skill("use-atm").id}"' in area
    for key in ("use-atm", "open-bank-account", "read-timetable", "ride-and-pay"):
        assert me.post(f"/me/skills/{skill(key).id}/goal").status_code == 302
    goals = db.session.scalars(select(Goal.skill_id).where(Goal.cleared_at.is_(None))).all()
    assert len(goals) == 4
    page = me.get(f"/me/areas/{skill('use-atm').domain_id}").get_data(as_text=True)
    assert page.count("My goal<") == 2  # both money skills are goals now


def test_next_heading_never_stands_alone(app, world, skill):
    me = client_for(app, world.users["mentee_a"])
    page = me.get("/me/").get_data(as_text=True)
    assert "Next, I&#39;m learning" in page or "Next, I'm learning" in page
    # Every skill not started is a goal: nothing is left to suggest.
    for key in ("read-timetable", "ride-and-pay", "open-bank-account"):
        voice.set_goal(world.mentee_a, skill(key), world.users["mentee_a"])
    db.session.commit()
    page = me.get("/me/").get_data(as_text=True)
    assert "Next, I" not in page and "My goals" in page


def test_a_new_mentee_is_welcomed_not_told_what_is_missing(app, make_mentee):
    mentee = make_mentee(with_login=True)
    from skills.models import User

    me = client_for(app, db.session.get(User, mentee.user_id))
    page = me.get("/me/").get_data(as_text=True)
    assert "Welcome!" in page and "pick one you would like to learn" in page
    assert not re.search(r"\b0 of \d+", page) and "Keep going" not in page
    assert "you learned 0" not in page and "0 done" not in page
    assert "to explore" in page


def test_progress_is_told_by_what_is_done_and_being_learned(app, world, skill):
    record_signoff(
        world.mentee_a, skill("ride-and-pay"), world.users["mentor_a"], SignoffDetails(3, TODAY)
    )
    db.session.commit()
    me = client_for(app, world.users["mentee_a"])
    page = me.get("/me/").get_data(as_text=True)
    summary = re.search(r'<div class="card me-summary">(.*?)</div>', page, re.S).group(1)
    # Ride and pay is done; transit card (2) and ATM (1) are being learned.
    assert "You can do <strong>1 skill</strong>" in summary
    assert "You are learning <strong>2</strong>" in summary
    assert " of " not in summary


def test_domain_icons_are_inline_svg_with_a_neutral_fallback(app, world):
    me = client_for(app, world.users["mentee_a"])
    page = me.get("/me/").get_data(as_text=True)
    icons = re.findall(
        r'<svg class="icon"[^>]*aria-hidden="true"[^>]*><path d="([^"]+)"/></svg>', page
    )
    assert len(icons) == 2 and len(set(icons)) == 2  # bus and bank, each its own drawing
    with app.test_request_context():
        template = '{% from "_icons.html" import icon %}{{ icon(name) }}'
        unknown = render_template_string(template, name="no-such-icon")
        empty = render_template_string(template, name="")
        bus = render_template_string(template, name="bus")
    assert unknown == empty and unknown != bus and "<path d=" in unknown


# Defaults


def test_a_new_note_is_staff_only_unless_the_mentor_shares_it(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    timetable = skill("read-timetable")
    url = f"/mentees/{world.mentee_a.id}/skills/{timetable.id}"
    page = mentor.get(url).get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="staff"|value="staff"[^>]*checked', page)
    assert "Staff only unless you choose to share it with the mentee." in page
    mentor.post(url, data={"level": "1", "shown_on": TODAY.isoformat(), "note": "QZ-DEFAULT"})
    event = db.session.scalar(select(SignoffEvent).where(SignoffEvent.note == "QZ-DEFAULT"))
    assert event.note_visibility == "staff"
    me = client_for(app, world.users["mentee_a"])
    assert "QZ-DEFAULT" not in me.get(f"/me/skills/{timetable.id}").get_data(as_text=True)
    mentor.post(
        url,
        data={
            "level": "2",
            "shown_on": TODAY.isoformat(),
            "note": "QZ-SHARED",
            "note_visibility": "mentee",
        },
    )
    assert "QZ-SHARED" in me.get(f"/me/skills/{timetable.id}").get_data(as_text=True)


def test_history_is_ordered_by_date_shown_then_entry_time(app, world, skill):
    mentor = world.users["mentor_a"]
    mentee = world.mentee_a
    timetable = skill("read-timetable")
    # Typed in this order; the second happened earlier.
    for level, days_ago, note in ((2, 1, "typed first"), (1, 10, "typed second")):
        details = SignoffDetails(level, TODAY - timedelta(days=days_ago), note)
        record_signoff(mentee, timetable, mentor, details, allow_lower=True)
    record_signoff(
        mentee, timetable, mentor, SignoffDetails(2, TODAY - timedelta(days=1), "same day, later")
    )
    db.session.commit()
    viewer = Viewer(sees_staff_notes=True)
    entries = history.history(mentee, viewer, skill=timetable)
    assert [e.note for e in entries] == ["same day, later", "typed first", "typed second"]
    assert [e.note for e in history.history(mentee, viewer, limit=2)][:1] != ["typed second"]
    everyone = history.histories({mentee.id: viewer})[mentee.id]
    shown = [e.shown_on for e in everyone]
    assert shown == sorted(shown, reverse=True)
    # The earlier level is not "lower than before" just because it was typed later.
    assert not any(e.lower_than_before for e in entries)
    mentee_page = client_for(app, world.users["mentee_a"]).get("/me/history").get_data(as_text=True)
    dates = re.findall(r"<strong>([A-Z][a-z]+ \d+, \d{4})</strong>", mentee_page)
    assert dates == sorted(dates, key=lambda d: _parse(d), reverse=True) and len(dates) >= 3


def _parse(text: str) -> date:
    from datetime import datetime

    return datetime.strptime(text, "%B %d, %Y").date()


def test_recheck_dates_are_shown_to_staff_and_said_plainly_to_the_mentee(app, world, skill):
    bank = skill("open-bank-account")  # re-checked 180 days after sign-off
    shown_on = TODAY - timedelta(days=170)
    world.mentee_a.start_date = TODAY - timedelta(days=400)
    record_signoff(world.mentee_a, bank, world.users["mentor_a"], SignoffDetails(3, shown_on))
    db.session.commit()
    due = shown_on + timedelta(days=180)
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get(f"/mentees/{world.mentee_a.id}").get_data(as_text=True)
    assert f"next re-check on {format_date(due, locale='en_US')}" in element(
        page, f"skill-{bank.id}", "li"
    )
    skill_page = mentor.get(f"/mentees/{world.mentee_a.id}/skills/{bank.id}")
    assert (
        f"Next re-check on <strong>{format_date(due, locale='en_US')}</strong>"
        in skill_page.get_data(as_text=True)
    )
    # A skill with an interval that is not signed off says when it will be re-checked.
    other = client_for(app, world.users["other_mentor"])
    text = other.get(f"/mentees/{world.mentee_b.id}/skills/{bank.id}").get_data(as_text=True)
    assert "Re-checked 180 days after it is signed off." in text

    me = client_for(app, world.users["mentee_a"])
    plain = f"again around {due.strftime('%B')} {due.day}"
    assert plain in me.get(f"/me/skills/{bank.id}").get_data(as_text=True)
    progress = me.get("/me/").get_data(as_text=True)
    assert "Coming up" in progress and plain in progress
    assert plain in me.get(f"/me/areas/{bank.domain_id}").get_data(as_text=True)


def test_a_recheck_far_off_is_not_coming_up_yet_and_an_overdue_one_is_soon(app, world, skill):
    bank = skill("open-bank-account")
    record_signoff(world.mentee_a, bank, world.users["mentor_a"], SignoffDetails(3, TODAY))
    db.session.commit()
    me = client_for(app, world.users["mentee_a"])
    assert "Coming up" not in me.get("/me/").get_data(as_text=True)
    status = db.session.get(SkillStatus, (world.mentee_a.id, bank.id))
    world.mentee_a.start_date = TODAY - timedelta(days=400)
    status.shown_on = TODAY - timedelta(days=200)
    db.session.commit()
    page = me.get("/me/").get_data(as_text=True)
    assert "Coming up" in page and "with you again soon" in page
    # Staff lists it as due, computed by the same rule.
    assert any(d.skill.id == bank.id for d in voice.due_checks([world.mentee_a.id], today()))
