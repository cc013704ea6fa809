"""A mentee who reads Spanish gets their own pages, sign-in, account, two-step sign-in
and error pages in Spanish, with no English sentence left over; an unknown language
falls back to English."""

import ast
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pyotp
import pytest
import zxcvbn.feedback
from babel.dates import format_date
from sqlalchemy import select

from skills import timeutil
from skills.extensions import db
from skills.models import Domain, Level, Skill, User
from skills.services import passwords, voice
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import PASSWORD

# Words only English uses (whole words, any case). Spanish pages carry none of them once
# curriculum text, names and notes (the mentee's and mentor's own words) are taken out.
ENGLISH = re.compile(
    r"\b(the|and|you|your|my|with|skills?|goals?|learning|done|back|page|sign|save|help"
    r"|what|have|keep going|right|answer|said|sent|newer|older|steps?|account|password"
    r"|codes?|tell|here|yet|near|soon|again|percent|menu)\b",
    re.I,
)
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")


class _Visible(HTMLParser):
    """The text a reader sees or hears: text outside scripts and styles, plus the
    attributes a screen reader speaks."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def curriculum_texts() -> list[str]:
    """Curriculum wording (translated by the curriculum files, not the catalog)."""
    texts: list[str] = []
    for level in db.session.scalars(select(Level)):
        texts += [level.name, level.mentee_text]
    for domain in db.session.scalars(select(Domain)):
        texts += [domain.title, domain.summary]
    for skill in db.session.scalars(select(Skill)):
        texts += [skill.title, skill.i_can, skill.description, *skill.steps]
    return texts


def english_left(html: str, *data: str) -> list[str]:
    """English words left on a page once curriculum text and `data` are taken out."""
    text = visible_text(html)
    for known in sorted({t for t in [*curriculum_texts(), *data] if t}, key=len, reverse=True):
        text = text.replace(known, " ")
    return ENGLISH.findall(text)


def test_the_leak_check_finds_english_left_on_a_page(app):
    # The check itself: English text and spoken labels are found, Spanish passes.
    assert english_left("<p>Keep going, you can do it</p>") == ["Keep going", "you"]
    assert english_left('<svg aria-label="My skills: 40 percent"></svg>') == [
        "My",
        "skills",
        "percent",
    ]
    assert english_left("<p>Mis habilidades</p><script>var the = 1</script>") == []


@pytest.fixture
def rosa(app, org, make_user, make_mentee, assign, skill):
    """A mentee who chose Spanish, with a mentor, sign-offs, a goal, a self-rating and an
    "I did it" report: enough for every part of her pages to show."""
    today = timeutil.today(org)
    mentee = make_mentee(name="Rosa Díaz", with_login=True, start_date=today - timedelta(days=365))
    user = db.session.get(User, mentee.user_id)
    user.language = "es"
    mentor = make_user("mentor", name="Marta Gómez")
    assign(mentor, mentee)
    card = skill("get-transit-card")
    record_signoff(
        mentee,
        card,
        mentor,
        SignoffDetails(
            level=2, shown_on=today, note="Compró la tarjeta sola.", note_visibility="mentee"
        ),
    )
    record_signoff(
        mentee,
        skill("open-bank-account"),
        mentor,
        SignoffDetails(level=3, shown_on=today - timedelta(days=200), support="own"),
    )
    voice.set_goal(mentee, skill("use-atm"), user)
    voice.rate_self(mentee, card, "help", user)
    voice.report_did_it(mentee, skill("ride-and-pay"), "Fui en autobús.", user)
    db.session.commit()
    return mentee, user


def test_a_spanish_mentee_reads_her_own_pages_in_spanish(client, login, rosa, skill, org):
    user = rosa[1]
    login(user)
    # The browser asks for English: her own choice wins on every page.
    english = {"Accept-Language": "en-US"}
    data = ("Rosa Díaz", "Rosa", "Marta Gómez", "Compró la tarjeta sola.", "Fui en autobús.")
    card = skill("get-transit-card")
    pages = {
        "/me/": [
            "Hola, Rosa",
            "Mis metas",
            "Lo que le dije a mi mentor",
            "Dije: “¡Lo hice!”",
            "Esperando la respuesta de tu mentor.",
            "Agregar o ver fotos",
            "Todas mis habilidades, por tema",
            "tu mentor la va a repasar contigo otra vez pronto.",
        ],
        f"/me/skills/{card.id}": [
            "Volver a mi progreso",
            "Más habilidades como esta",
            "Cómo voy:",
            "Pasos para practicar",
            "Lo que puedo decir",
            "¿Cómo te sientes con esta habilidad?",
            "Puedo hacerlo",
            "Dije: <strong>Quiero ayuda con esto</strong>",
            "¡Lo hice!",
            "Cuéntale a tu mentor (puedes saltar esto)",
            "Avisarle a mi mentor",
            "Agregar a mis metas",
            "Lo que he hecho",
            "(con Marta Gómez)",
            "¿Está bien? Díselo a tu mentor",
            "Sí, está bien",
            "Mis metas y respuestas de antes",
        ],
        "/me/history": [
            "Lo que he hecho hasta ahora",
            "Por mi cuenta",
            "La elegí como una de mis metas.",
            "Dije: “Quiero ayuda con esto”",
            format_date(timeutil.today(org), "long", locale="es_US"),
        ],
        f"/me/areas/{skill('use-atm').domain_id}": [
            "Toca una habilidad para ver los pasos.",
            "Mi meta",
            "Tu mentor la va a repasar contigo otra vez pronto.",
        ],
        "/account/": [
            "Mi cuenta",
            "Nombre de usuario",
            "Verificación en dos pasos",
            "Desactivada",
            "Cambiar mi contraseña",
            "Activar la verificación en dos pasos",
            "Guardar mi idioma",
        ],
    }
    for url, spanish in pages.items():
        response = client.get(url, headers=english)
        assert response.status_code == 200, url
        page = response.text
        assert '<html lang="es">' in page, url
        assert [s for s in spanish if s not in page] == [], url
        assert english_left(page, *data, user.username) == [], url
    # One skill done in an area is "1 lista", not "1 listas".
    assert re.search(r"\b1 lista\b", client.get("/me/").text)


def test_what_a_spanish_mentee_does_is_answered_in_spanish(client, login, rosa, skill):
    user = rosa[1]
    login(user)
    atm = skill("use-atm")

    def flashed(response):
        return client.get(response.headers["Location"]).text

    assert "Se quitó de mis metas." in flashed(client.post(f"/me/skills/{atm.id}/goal/clear"))
    assert "Se agregó a mis metas." in flashed(client.post(f"/me/skills/{atm.id}/goal"))
    refused = flashed(client.post(f"/me/skills/{atm.id}/rating", data={"rating": "maybe"}))
    assert "Elige una de las dos respuestas." in refused
    thanked = flashed(client.post(f"/me/skills/{atm.id}/rating", data={"rating": "can"}))
    assert "Gracias. Tu mentor puede ver tu respuesta." in thanked
    assert "Dije: <strong>Puedo hacerlo</strong>" in thanked
    too_long = flashed(client.post(f"/me/skills/{atm.id}/did-it", data={"note": "x" * 501}))
    assert "Escribe una nota corta, por favor (500 caracteres o menos)." in too_long
    did_it = flashed(client.post(f"/me/skills/{atm.id}/did-it", data={"note": ""}))
    assert "¡Excelente! Tu mentor lo va a ver y te va a responder." in did_it
    event_id = int(re.search(r'id="signoff-(\d+)"', client.get("/me/history").text)[1])
    confirmed = flashed(client.post(f"/me/signoffs/{event_id}/confirm", data={"words": ""}))
    assert "Gracias. Tus palabras van a salir en tu" in confirmed
    assert "Dijiste: “Está bien.”" in confirmed
    assert english_left(confirmed, "Rosa Díaz", "Rosa", "Marta Gómez", user.username) == []


def test_the_sign_in_page_follows_a_spanish_browser(client, make_user):
    spanish = {"Accept-Language": "es-US,es;q=0.9,en;q=0.5"}
    page = client.get("/login", headers=spanish).text
    assert '<html lang="es">' in page
    assert "<title>Entrar · Registro de habilidades</title>" in page
    assert "Nombre de usuario" in page and "Contraseña" in page
    assert english_left(page) == []
    empty = client.post("/login", data={}, headers=spanish).text
    assert "Este campo es obligatorio." in empty  # WTForms' own Spanish
    user = make_user("mentee")
    wrong = client.post(
        "/login", data={"username": user.username, "password": "not it"}, headers=spanish
    ).text
    assert "Ese nombre de usuario y esa contraseña no coinciden con ninguna cuenta activa." in wrong
    assert english_left(wrong) == []


def test_signing_out_is_said_in_the_language_of_the_sign_in_page(client, login, rosa):
    user = rosa[1]  # chose Spanish
    login(user)
    spanish = client.post("/logout", headers={"Accept-Language": "es"}, follow_redirects=True)
    assert '<html lang="es">' in spanish.text and "Saliste de tu cuenta." in spanish.text
    login(user)
    english = client.post("/logout", headers={"Accept-Language": "en"}, follow_redirects=True)
    assert '<html lang="en">' in english.text and "You are signed out." in english.text


@pytest.mark.parametrize("header", ["de-DE,de;q=0.9", "xx", "", "*"])
def test_an_unknown_or_missing_browser_language_falls_back_to_english(client, header):
    page = client.get("/login", headers={"Accept-Language": header}).text
    assert '<html lang="en">' in page
    assert "<h1>Sign in</h1>" in page and "Username" in page and "Entrar" not in page


def test_error_pages_speak_the_readers_language(client, login, make_user):
    login(make_user("mentor"))  # no language chosen: the browser's
    page = client.get("/no-such-page", headers={"Accept-Language": "es"})
    assert page.status_code == 404
    assert '<html lang="es">' in page.text and "No encontramos esa página" in page.text
    assert "Revisa la dirección o vuelve a tu página de inicio." in page.text
    assert english_left(page.text) == []
    english = client.get("/no-such-page", headers={"Accept-Language": "en"}).text
    assert "We could not find that page" in english


def test_password_and_two_step_messages_in_spanish(client, login, rosa):
    user = rosa[1]
    login(user)
    wrong = client.post(
        "/account/password", data={"current": "not it", "new": "plum-harbor-lantern-quiet"}
    ).text
    assert "Esa no es tu contraseña actual." in wrong
    easy = client.post("/account/password", data={"current": PASSWORD, "new": "aaaaaaaaa1"}).text
    # The app's wording of zxcvbn's warning, in Spanish, and the advice after it.
    assert "Esa contraseña es muy fácil de adivinar: las repeticiones como" in easy
    assert "Elige algo difícil de adivinar" in easy
    short = client.post("/account/password", data={"current": PASSWORD, "new": "abc"}).text
    assert "Usa al menos 8 caracteres." in short
    assert english_left(short, "Rosa Díaz", "Rosa", user.username) == []

    setup = client.get("/account/two-step").text
    assert "Abre una app de autenticación en tu teléfono." in setup
    assert "<title>Código QR para tu app</title>" in setup
    refused = client.post("/account/two-step", data={"code": "000000"}).text
    assert "Ese código no es correcto. Revisa tu app y prueba con el código más nuevo." in refused
    assert english_left(refused, "Rosa Díaz", "Rosa", user.username) == []


def test_every_warning_zxcvbn_gives_has_the_apps_own_wording():
    # zxcvbn speaks only English; passwords.WARNINGS words each warning for the catalog.
    # A zxcvbn that changes or adds a warning fails here instead of showing English.
    tree = ast.parse(Path(zxcvbn.feedback.__file__).read_text())
    given = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "warning" for t in node.targets
        ):
            value = node.value
        elif isinstance(node, ast.Dict):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
            if "warning" not in keys:
                continue
            value = node.values[keys.index("warning")]
        else:
            continue
        if isinstance(value, ast.Call) and value.args and isinstance(value.args[0], ast.Constant):
            given.add(value.args[0].value)
    assert len(given) >= 10
    assert given == set(passwords.WARNINGS)


def test_the_same_pages_in_english_fail_the_leak_check(client, login, rosa, skill):
    # The check can fail: with English chosen, Rosa's pages are full of English words.
    user = rosa[1]
    user.language = "en"
    db.session.commit()
    login(user)
    for url in ("/me/", f"/me/skills/{skill('get-transit-card').id}", "/me/history", "/account/"):
        assert len(english_left(client.get(url).text, user.username)) > 5, url


def test_two_step_sign_in_and_a_recovery_code_in_spanish(app, client, rosa):
    user = rosa[1]  # chose Spanish; her browser asks for English
    english = {"Accept-Language": "en"}
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.get("/account/two-step").text
    secret = "".join(re.search(r"<code>([A-Z2-7 ]+)</code>", page)[1].split())
    shown = client.post("/account/two-step", data={"code": pyotp.TOTP(secret).now()}).text
    assert "La verificación en dos pasos está activada." in shown
    assert "Tienes 10 códigos de recuperación sin usar." in shown
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown)

    browser = app.test_client()
    browser.post("/login", data={"username": user.username, "password": PASSWORD})
    # Not signed in yet: the code page follows the browser.
    assert "Escribe tu código" in browser.get("/login/code", headers={"Accept-Language": "es"}).text
    assert "Enter your code" in browser.get("/login/code", headers=english).text
    first = browser.post("/login/code", data={"code": codes[0]}, headers=english)
    home = browser.get(first.headers["Location"], follow_redirects=True, headers=english).text
    assert '<html lang="es">' in home
    assert "Usaste un código de recuperación. Te quedan 9." in home


def test_a_refused_language_is_shown_escaped_in_the_readers_language(client, login, rosa):
    # The message is a lazy string carrying what was sent; Jinja would take a lazy string
    # for safe HTML, so the page must get it as plain text.
    login(rosa[1])
    client.post("/account/language", data={"language": "<b>xx</b>"})
    page = client.get("/account/").text
    assert (
        "“&lt;b&gt;xx&lt;/b&gt;” no es un idioma del programa. Elige uno de estos: en, es." in page
    )
    assert "<b>xx</b>" not in page
