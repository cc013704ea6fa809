"""Curriculum text in the reader's language wherever a page or a message names it: the
messages after a sign-off, a correction, a refresher, a goal or local details; the
mentor's inbox and the refreshers due; the level names of the sign-off and group forms
and of a refusal; what the mentee said before; the admin's curriculum, home, settings
and local-details pages. A Spanish reader reads the Spanish of the file, an English
reader the English (tests/test_curriculum_translations.py covers the progress pages)."""

import html
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from skills.extensions import db
from skills.models import Curriculum, SignoffEvent, User
from skills.services import curriculum as cs
from skills.services import voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .test_curriculum_translations import SPANISH_MINI

# The test curriculum's texts as each reader reads them (SPANISH_MINI and tests/data/mini.yaml).
TEXT = {
    "es": {
        "curriculum": "Mini plan de estudios",
        "get-transit-card": "Sacar una tarjeta de transporte",
        "read-timetable": "Leer un horario",
        "open-bank-account": "Abrir una cuenta de banco",
        "use-atm": "Usar un cajero automático",
        "use-atm i_can": "Puedo usar un cajero automático.",
        "getting-around": "Moverse por la ciudad",
        0: "Sin empezar",
        1: "Presentado",
        2: "Practica con apoyo",
        3: "Lo hace por su cuenta",
        "now using": "ahora usa",
        "no longer using": "ya no usa",
        "from": "de",
        "to": "a",
    },
    "en": {
        "curriculum": "Mini curriculum",
        "get-transit-card": "Get a transit card",
        "read-timetable": "Read a timetable",
        "open-bank-account": "Open a bank account",
        "use-atm": "Use an ATM",
        "use-atm i_can": "I can use an ATM.",
        "getting-around": "Getting around",
        0: "Not started",
        1: "Introduced",
        2: "Practicing with support",
        3: "Can do it on my own",
        "now using": "now using",
        "no longer using": "no longer using",
        "from": "from",
        "to": "to",
    },
}
OTHER = {"es": "en", "en": "es"}
SKILL_KEYS = ("get-transit-card", "read-timetable", "open-bank-account", "use-atm")
CSS = Path(__file__).parent.parent / "static" / "app.css"


def flashes(response) -> list[tuple[str, str]]:
    """The flash messages on a page: (category, text)."""
    page = response.get_data(as_text=True)
    found = re.findall(r'<div class="flash ([\w-]+)"[^>]*>(.*?)</div>', page, re.S)
    return [(category, html.unescape(text).strip()) for category, text in found]


def section(page: str, heading_id: str) -> str:
    """The <section> labelled by `heading_id`, unescaped."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', page, re.S)
    assert match, heading_id
    return html.unescape(match.group(0))


def no_other_language(text: str, language: str, keys=SKILL_KEYS) -> None:
    """None of the other language's skill titles is in `text`."""
    for key in keys:
        assert TEXT[OTHER[language]][key] not in text, key


@pytest.fixture
def spanish_curriculum(app):
    cs.apply_curriculum(cs.parse_curriculum(SPANISH_MINI, "mini.yaml"))
    db.session.commit()


@pytest.fixture
def people(spanish_curriculum, org, make_user, make_mentee, assign, skill):
    """A mentor and a mentee with a login; use-atm and read-timetable signed off."""

    def make(language: str):
        mentor = make_user("mentor", name="Marta Ruiz")
        mentor.language = language
        mentee = make_mentee(name="Rosa Díaz", with_login=True)
        db.session.get(User, mentee.user_id).language = language
        assign(mentor, mentee)
        for key in ("use-atm", "read-timetable"):
            details = SignoffDetails(level=3, shown_on=mentee.start_date, note="")
            record_signoff(mentee, skill(key), mentor, details)
        db.session.commit()
        return mentor, mentee

    return make


@pytest.mark.parametrize("language", ["es", "en"])
def test_messages_after_a_mentors_action_name_the_skill_and_level_in_their_language(
    client, login, people, skill, language
):
    text = TEXT[language]
    mentor, mentee = people(language)
    login(mentor)
    timetable, atm, card = skill("read-timetable"), skill("use-atm"), skill("get-transit-card")
    skill_url = f"/mentees/{mentee.id}/skills/{card.id}"
    day = mentee.start_date.isoformat()

    form_page = client.get(skill_url).get_data(as_text=True)
    assert f"2 · {text[2]}" in form_page and f"2 · {TEXT[OTHER[language]][2]}" not in form_page

    saved = client.post(
        skill_url,
        data={"level": "1", "shown_on": day, "note_visibility": "staff"},
        follow_redirects=True,
    )
    assert flashes(saved) == [("success", _saved(language, text["get-transit-card"], text[1]))]

    event = db.session.scalar(select(SignoffEvent).where(SignoffEvent.skill_id == card.id))
    corrected = client.post(
        f"/signoffs/{event.id}/correct",
        data={"level": "2", "shown_on": day, "note_visibility": "staff", "reason": "Typo"},
        follow_redirects=True,
    )
    ((category, message),) = flashes(corrected)
    assert category == "success" and text["get-transit-card"] in message

    goal_url = f"/mentees/{mentee.id}/skills/{card.id}/goal"
    added = flashes(client.post(goal_url, follow_redirects=True))
    again = flashes(client.post(goal_url, follow_redirects=True))  # refused by the service
    cleared = flashes(client.post(goal_url + "/clear", follow_redirects=True))
    for (category, message), wanted in zip(
        (*added, *again, *cleared), ("success", "error", "success"), strict=True
    ):
        assert category == wanted and text["get-transit-card"] in message, message
        no_other_language(message, language)

    refresher = client.post(
        f"/mentees/{mentee.id}/skills/{timetable.id}/refresher", follow_redirects=True
    )
    ((category, message),) = flashes(refresher)
    assert category == "success" and message.startswith(text["read-timetable"])

    # Lowering a level: the refusal names both levels as the reader reads them.
    lower = client.post(
        f"/mentees/{mentee.id}/skills/{atm.id}",
        data={"level": "1", "shown_on": day, "note_visibility": "staff"},
    )
    page = html.unescape(lower.get_data(as_text=True))
    assert lower.status_code == 422
    assert f"“{text[3]}”" in page and f"“{text[1]}”" in page
    assert f"“{TEXT[OTHER[language]][3]}”" not in page

    group = client.get(f"/mentor/group?skill_id={atm.id}").get_data(as_text=True)
    assert f"3 · {text[3]}" in group and f"3 · {TEXT[OTHER[language]][3]}" not in group
    lowered = client.post(
        "/mentor/group",
        data={
            "skill_id": atm.id,
            "held_on": day,
            f"attend-{mentee.id}": "y",
            f"level-{mentee.id}": "1",
        },
    )
    page = html.unescape(lowered.get_data(as_text=True))
    assert lowered.status_code == 422
    assert f"Rosa Díaz ({text['from']} “{text[3]}” {text['to']} “{text[1]}”)" in page
    assert f"“{TEXT[OTHER[language]][3]}”" not in page


def test_a_refusal_about_a_retired_skill_names_it_in_the_readers_language(app, people, skill):
    _, mentee = people("es")
    user = db.session.get(User, mentee.user_id)
    atm = skill("use-atm")
    atm.retired = True
    for locale, language in (("es_US", "es"), ("en_US", "en")):
        with force_locale(locale):
            with pytest.raises(voice.VoiceError) as caught:
                voice.rate_self(mentee, atm, "can", user)
            assert f"“{TEXT[language]['use-atm']}”" in str(caught.value), language


def _saved(language: str, title: str, level: str) -> str:
    if language == "es":
        return f"Guardado: {title} — 1 · {level}."
    return f"Saved: {title} — 1 · {level}."


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_mentors_inbox_and_refreshers_due_name_skills_in_their_language(
    client, login, people, skill, language
):
    text = TEXT[language]
    mentor, mentee = people(language)
    mentee_user = db.session.get(User, mentee.user_id)
    report = voice.report_did_it(mentee, skill("get-transit-card"), "", mentee_user)
    voice.rate_self(mentee, skill("open-bank-account"), "help", mentee_user)
    atm_event = db.session.scalar(
        select(SignoffEvent).where(SignoffEvent.skill_id == skill("use-atm").id)
    )
    voice.disagree_signoff(atm_event, mentee_user, "No fue así")
    voice.mark_refresher(mentee, skill("read-timetable"), mentor)
    db.session.commit()

    login(mentor)
    home = client.get("/mentor/").get_data(as_text=True)
    inbox = section(home, "from-mentees")
    for key in ("get-transit-card", "open-bank-account", "use-atm"):
        assert f"Rosa Díaz: {text[key]}" in inbox, key
    no_other_language(inbox, language)
    due = section(home, "due")
    assert f"Rosa Díaz: {text['read-timetable']}" in due
    no_other_language(due, language)

    answered = client.post(
        f"/mentor/did-it/{report.id}", data={"reply-reply": "Muy bien"}, follow_redirects=True
    )
    ((category, message),) = flashes(answered)
    assert category == "success" and f"Rosa Díaz: {text['get-transit-card']}" in message


@pytest.mark.parametrize("language", ["es", "en"])
def test_what_a_mentee_said_before_names_skills_in_the_readers_language(
    client, login, people, skill, language
):
    text = TEXT[language]
    mentor, mentee = people(language)
    mentee_user = db.session.get(User, mentee.user_id)
    voice.report_did_it(mentee, skill("get-transit-card"), "", mentee_user)
    voice.rate_self(mentee, skill("open-bank-account"), "can", mentee_user)
    db.session.commit()

    login(mentee_user)
    told = section(client.get("/me/").get_data(as_text=True), "told-mentor")
    assert text["get-transit-card"] in told
    no_other_language(told, language)
    goal_url = f"/me/skills/{skill('use-atm').id}/goal"
    client.post(goal_url, follow_redirects=True)
    ((category, message),) = flashes(client.post(goal_url, follow_redirects=True))
    assert category == "error" and text["use-atm"] in message  # already one of my goals
    mine = html.unescape(client.get("/me/history").get_data(as_text=True))
    assert text["open-bank-account"] in mine and text["use-atm"] in mine
    no_other_language(mine, language, ("open-bank-account", "use-atm"))

    login(mentor)
    staff = html.unescape(client.get(f"/mentees/{mentee.id}/history").get_data(as_text=True))
    assert text["open-bank-account"] in staff and text["use-atm"] in staff
    no_other_language(staff, language)


@pytest.mark.parametrize("language", ["es", "en"])
def test_an_admin_reads_curricula_and_local_details_in_their_language(
    client, login, spanish_curriculum, make_user, skill, language
):
    text, other = TEXT[language], TEXT[OTHER[language]]
    admin = make_user("admin")
    admin.language = language
    db.session.commit()
    login(admin)

    page = html.unescape(client.get("/admin/curriculum").get_data(as_text=True))
    for wanted in (text["curriculum"], text[0], text[3], text["getting-around"], text["use-atm"]):
        assert wanted in page, wanted
    for unwanted in (other["curriculum"], other[0], other["getting-around"], other["use-atm"]):
        assert unwanted not in page, unwanted
    for url in ("/admin/", "/admin/settings"):
        shown = html.unescape(client.get(url).get_data(as_text=True))
        assert text["curriculum"] in shown and other["curriculum"] not in shown, url

    atm = skill("use-atm")
    edit = html.unescape(client.get(f"/admin/resources/{atm.id}").get_data(as_text=True))
    assert f"<h1>{text['use-atm']}</h1>" in edit and text["use-atm i_can"] in edit
    assert other["use-atm"] not in edit
    saved = client.post(
        f"/admin/resources/{atm.id}", data={"details": "Banco, calle 5"}, follow_redirects=True
    )
    ((category, message),) = flashes(saved)
    assert category == "success" and text["use-atm"] in message
    listing = html.unescape(client.get("/admin/resources/").get_data(as_text=True))
    assert text["use-atm"] in listing and other["use-atm"] not in listing

    # Choosing the library's curricula: the message names the curriculum.
    mini = db.session.scalar(
        select(Curriculum.id).where(Curriculum.key == "mini", Curriculum.organisation_id.is_(None))
    )
    stopped = flashes(client.post("/admin/curriculum", data={}, follow_redirects=True))
    assert stopped[0][0] == "success"
    assert f"{text['no longer using']} {text['curriculum']}" in stopped[0][1]
    again = flashes(
        client.post("/admin/curriculum", data={"curricula": [mini]}, follow_redirects=True)
    )
    assert f"{text['now using']} {text['curriculum']}" in again[0][1]


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, two: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_a_warning_message_has_its_own_color_with_aa_contrast():
    css = CSS.read_text()
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", css))
    background = re.search(r"\.flash \{[^}]*background: (#[0-9a-fA-F]{3,6})", css).group(1)
    background = "#ffffff" if background.lower() in ("#fff", "#ffffff") else background
    colors = {}
    for category in ("success", "error", "warning"):
        rule = re.search(rf"\.flash\.{category} \{{ border-left-color: var\(--([\w-]+)\); \}}", css)
        assert rule, category  # styled like the other flash messages
        colors[category] = variables[rule.group(1)]
    assert len(set(colors.values())) == 3  # a warning looks like neither of the others
    for category, color in colors.items():
        assert _contrast(color, background) >= 4.5, category  # AA, as for text
