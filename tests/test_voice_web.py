"""Mentee voice and peer practice through the browser."""

from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import func, select

from skills.extensions import db
from skills.models import AuditEvent, DidItReport, Goal, SelfRating, SignoffEvent, SkillStatus
from skills.services import voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import PASSWORD, today

TODAY = today()


def client_for(app, user):
    client = app.test_client()
    assert (
        client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


def test_mentee_rates_sets_a_goal_and_says_i_did_it(app, world, skill):
    me = client_for(app, world.users["mentee_a"])
    atm = skill("use-atm")
    page = me.get(f"/me/skills/{atm.id}").get_data(as_text=True)
    assert "like help with this" in page and "Make this one of my goals" in page
    me.post(f"/me/skills/{atm.id}/rating", data={"rating": "help"})
    me.post(f"/me/skills/{atm.id}/goal")
    me.post(f"/me/skills/{atm.id}/did-it", data={"note": "Got cash out by myself"})
    assert db.session.scalar(select(SelfRating.rating)) == "help"
    assert db.session.scalar(select(Goal.skill_id)) == atm.id
    progress = me.get("/me/").get_data(as_text=True)
    assert "My goals" in progress and "Use an ATM" in progress

    mentor = client_for(app, world.users["mentor_a"])
    mine = mentor.get("/mentor/").get_data(as_text=True)
    assert "To confirm" in mine and "Use an ATM" in mine
    staff_page = mentor.get(f"/mentees/{world.mentee_a.id}").get_data(as_text=True)
    assert "goals" in staff_page and "Says: wants help" in staff_page
    report = db.session.scalar(select(DidItReport).where(DidItReport.skill_id == atm.id))
    answer = mentor.post(
        f"/mentor/did-it/{report.id}",
        data={
            "confirm-level": "3",
            "confirm-shown_on": TODAY.isoformat(),
            "confirm-note_visibility": "mentee",
        },
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(DidItReport, report.id).status == "confirmed"
    assert db.session.get(SkillStatus, (world.mentee_a.id, atm.id)).level == 3


def test_mentor_replies_instead_of_confirming(app, world):
    mentor = client_for(app, world.users["mentor_a"])
    report_id = world.params["report_id"]
    response = mentor.post(
        f"/mentor/did-it/{report_id}", data={"reply-reply": "Let's practise it together Friday"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(DidItReport, report_id).reply == "Let's practise it together Friday"


def test_mentee_confirms_a_sign_off_in_own_words(app, world):
    me = client_for(app, world.users["mentee_a"])
    event_id = world.params["event_id"]
    history = me.get("/me/history").get_data(as_text=True)
    assert "Yes, that's right" in history and "STAFF-QZA-1" not in history
    me.post(f"/me/signoffs/{event_id}/confirm", data={"words": "I did it with Dana"})
    assert "You said: “I did it with Dana”" in me.get("/me/history").get_data(as_text=True)
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get(f"/mentees/{world.mentee_a.id}/history").get_data(as_text=True)
    assert "I did it with Dana" in page


def test_mentee_cannot_confirm_someone_elses_sign_off(app, world):
    other = client_for(app, world.users["mentee_b"])
    assert (
        other.post(
            f"/me/signoffs/{world.params['event_id']}/confirm", data={"words": "x"}
        ).status_code
        == 404
    )


def test_group_session_form_signs_off_each_attendee(app, world, make_mentee, assign, skill):
    mentor_user = world.users["mentor_a"]
    second = make_mentee(name="Sam Second", start_date=TODAY - timedelta(days=10))
    assign(mentor_user, second)
    mentor = client_for(app, mentor_user)
    assert "Sam Second came" in mentor.get("/mentor/group").get_data(as_text=True)
    ride = skill("ride-and-pay")
    response = mentor.post(
        "/mentor/group",
        data={
            "skill_id": str(ride.id),
            "held_on": TODAY.isoformat(),
            "place": "Transit center",
            "topic": "Riding together",
            f"attend-{world.mentee_a.id}": "y",
            f"level-{world.mentee_a.id}": "2",
            f"note-{world.mentee_a.id}": "Paid with the card",
            f"attend-{second.id}": "y",
            f"level-{second.id}": "1",
        },
    )
    assert response.status_code == 302
    events = db.session.scalars(
        select(SignoffEvent).where(SignoffEvent.group_session_id.is_not(None))
    ).all()
    assert sorted(e.level for e in events) == [1, 2]
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "group.record")) == 1


def test_group_session_without_a_level_is_refused(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    response = mentor.post(
        "/mentor/group",
        data={
            "skill_id": str(skill().id),
            "held_on": TODAY.isoformat(),
            f"attend-{world.mentee_a.id}": "y",
            f"level-{world.mentee_a.id}": "9",
        },
    )
    assert response.status_code == 422 and "Choose a level for this mentee." in response.get_data(
        as_text=True
    )
    assert (
        db.session.scalar(select(func.count()).where(SignoffEvent.group_session_id.is_not(None)))
        == 0
    )


def test_refresher_button_and_due_list(app, world, skill):
    ride = skill("ride-and-pay")
    record_signoff(
        world.mentee_a, ride, world.users["mentor_a"], SignoffDetails(level=3, shown_on=TODAY)
    )
    db.session.commit()
    mentor = client_for(app, world.users["mentor_a"])
    assert "Mark for a refresher" in mentor.get(
        f"/mentees/{world.mentee_a.id}/skills/{ride.id}"
    ).get_data(as_text=True)
    mentor.post(f"/mentees/{world.mentee_a.id}/skills/{ride.id}/refresher")
    status = db.session.get(SkillStatus, (world.mentee_a.id, ride.id))
    assert status.signed_off and status.needs_refresher
    mine = mentor.get("/mentor/").get_data(as_text=True)
    assert "Refreshers and re-checks due" in mine and "refresher asked" in mine
    me = client_for(app, world.users["mentee_a"])
    assert "Time for a refresher. You still have this skill!" in me.get("/me/history").get_data(
        as_text=True
    )


def test_note_scaffold_and_needs_practice_wording(app, world, skill):
    mentor = client_for(app, world.users["mentor_a"])
    url = f"/mentees/{world.mentee_a.id}/skills/{skill().id}"  # now at level 2
    mentor.post(
        url,
        data={
            "level": "1",
            "shown_on": TODAY.isoformat(),
            "note_visibility": "mentee",
            "what_we_did": "Bought a card",
            "how_it_went": "Nervous",
            "next_step": "Top it up",
            "confirm_lower": "y",  # a lower level is recorded only once confirmed
        },
    )
    event = db.session.scalar(select(SignoffEvent).order_by(SignoffEvent.id.desc()))
    assert event.note == "What we did: Bought a card\nHow it went: Nervous\nNext step: Top it up"
    me = client_for(app, world.users["mentee_a"])
    history = me.get("/me/history").get_data(as_text=True)
    assert "Needs practice" in history and "fail" not in history.lower()


def test_local_resource_shows_beside_the_skill(app, world, skill):
    voice.set_resource(
        world.users["admin"].organisation_id,
        skill(),
        "Transit office: 5 Elm St, Mon-Fri 9-4",
        world.users["admin"],
    )
    db.session.commit()
    me = client_for(app, world.users["mentee_a"])
    assert "Transit office: 5 Elm St" in me.get(f"/me/skills/{skill().id}").get_data(as_text=True)
    mentor = client_for(app, world.users["mentor_a"])
    page = mentor.get(f"/mentees/{world.mentee_a.id}/skills/{skill().id}").get_data(as_text=True)
    assert "Transit office: 5 Elm St" in page


def test_report_prints_self_rating_own_words_and_local_help(app, world, skill):
    import io

    from pypdf import PdfReader

    me_user = world.users["mentee_a"]
    voice.rate_self(world.mentee_a, skill(), "can", me_user)
    event = db.session.get(SignoffEvent, world.params["event_id"])
    voice.confirm_signoff(event, me_user, "I bought it myself")
    voice.set_goal(world.mentee_a, skill("read-timetable"), me_user)
    voice.set_resource(
        world.users["admin"].organisation_id,
        skill("read-timetable"),
        "Timetables at the library desk",
        world.users["admin"],
    )
    db.session.commit()
    staff = client_for(app, world.users["cm_a"])
    pdf = staff.get(f"/mentees/{world.mentee_a.id}/report.pdf").get_data()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "I say: I can do this" in text
    assert "In my own words" in text and "I bought it myself" in text
    assert (
        "My goals" in text and "Help near me" in text and "Timetables at the library desk" in text
    )


def test_admin_adds_local_details_to_a_skill(app, world, skill):
    admin = client_for(app, world.users["admin"])
    assert "Get a transit card" in admin.get("/admin/resources/").get_data(as_text=True)
    too_long = admin.post(f"/admin/resources/{skill().id}", data={"details": "x" * 2001})
    assert too_long.status_code == 422
    admin.post(f"/admin/resources/{skill().id}", data={"details": "Card office: 1 Main St"})
    assert voice.resources(world.users["admin"].organisation_id) == {
        skill().id: "Card office: 1 Main St"
    }
    other = client_for(app, world.users["other_org_admin"])
    other.post(f"/admin/resources/{skill().id}", data={"details": "Elsewhere"})
    assert (
        voice.resources(world.users["admin"].organisation_id)[skill().id]
        == "Card office: 1 Main St"
    )
    assert client_for(app, world.users["mentor_a"]).get("/admin/resources/").status_code == 403


def test_a_long_due_list_shows_the_longest_waiting_and_each_mentee_page_its_own(
    app, make_user, make_mentee, assign, skill
):
    mentor = make_user("mentor")
    bank = skill("open-bank-account")  # re-checked every 180 days
    mentees = []
    for n in range(12):
        mentee = make_mentee(name=f"Due Person {n:02}", start_date=TODAY - timedelta(days=400))
        assign(mentor, mentee)
        shown = TODAY - timedelta(days=200 + n)  # Due Person 11 has waited longest
        record_signoff(mentee, bank, mentor, SignoffDetails(level=3, shown_on=shown))
        mentees.append(mentee)
    db.session.commit()

    client = client_for(app, mentor)
    mine = client.get("/mentor/").get_data(as_text=True)
    due = mine[mine.index("Refreshers and re-checks due") :]
    assert due.count("re-check due since") == 10
    assert "2 more are due; each mentee's page lists theirs." in due
    assert "Due Person 11" in due and "Due Person 00" not in due.split("more are due")[0]

    own = client.get(f"/mentees/{mentees[0].id}").get_data(as_text=True)
    assert "Refreshers and re-checks due" in own
    assert own.count("re-check due since") == 1
    assert f"re-check due since {format_date(TODAY - timedelta(days=20), locale='en_US')}" in own
