"""An admin who reads Spanish gets the admin pages, their messages and the errors of the
services behind them (roster import, people, settings, the audit log) in Spanish, with no
English word left over; an admin sets the language a person reads the program in."""

import html
import io
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from skills import timeutil
from skills.extensions import db
from skills.models import AuditEvent, Curriculum, CurriculumLoad, Domain, Level, Skill, User
from skills.services import mentee_standing, people
from skills.services.languages import LANGUAGES

CATALOG = Path(__file__).resolve().parent.parent / "skills/translations/es/LC_MESSAGES/messages.po"
SPOKEN_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
# Literal values are not words to translate: “quoted” text (a search, a username, a CSV
# value) and code-like tokens (roster.csv:3, mentee.update, America/Chicago, start_date).
QUOTED = re.compile(r"“[^”]*”")
CODE = re.compile(r"\S*\w[./_#@:]\w\S*")
PLACEHOLDER = re.compile(r"%\(\w+\)\w|%%|<[^>]+>")
WORD = re.compile(r"[^\W\d_]{3,}")
# Worth catching even if a Spanish text ever used them.
ALWAYS_ENGLISH = {"the", "and", "mentee", "mentees", "staff", "assignment", "people", "search"}


def _words(text: str) -> set[str]:
    text = CODE.sub(" ", QUOTED.sub(" ", PLACEHOLDER.sub(" ", text)))
    return {w.lower() for w in WORD.findall(text)}


def _texts(value: object) -> list[str]:
    return list(value) if isinstance(value, tuple | list) else [str(value)]


def english_words() -> set[str]:
    """Every word of the English messages that no Spanish translation uses: a page
    reading in Spanish shows none of them."""
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalog:
        if message.id and all(_texts(message.string)):
            english.update(*(_words(t) for t in _texts(message.id)))
            spanish.update(*(_words(t) for t in _texts(message.string)))
    return (english - spanish) | ALWAYS_ENGLISH


class _Visible(HTMLParser):
    """What a reader sees or hears: text outside scripts and styles, the attributes a
    screen reader speaks. A one-word <code> is a file's own vocabulary (type, staff)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0
        self._code: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        if tag == "code":
            self._code = []
        self.parts += [value for name, value in attrs if name in SPOKEN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1
        if tag == "code" and self._code is not None:
            code = "".join(self._code)
            self.parts.append(code if " " in code.strip() else "")
            self._code = None

    def handle_data(self, data):
        if self._hidden:
            return
        if self._code is not None:
            self._code.append(data)
        else:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def data_texts() -> list[str]:
    """What the program shows as it is stored, in no catalog: curriculum wording, names
    of people, mentees and the organization, load summaries, each language's own name."""
    texts: list[str] = [*LANGUAGES.values()]
    for level in db.session.scalars(select(Level)):
        texts += [level.name, level.mentee_text]
    for domain in db.session.scalars(select(Domain)):
        texts += [domain.title, domain.summary]
    for skill in db.session.scalars(select(Skill)):
        texts += [skill.key, skill.title, skill.i_can, skill.description, *skill.steps]
    texts += [t for c in db.session.scalars(select(Curriculum)) for t in (c.key, c.title)]
    texts += [load.summary for load in db.session.scalars(select(CurriculumLoad))]
    for user in db.session.scalars(select(User)):
        texts += [user.display_name, user.username, user.organisation.name]
    return texts


def english_left(page: str, vocabulary: set[str]) -> list[str]:
    """English words on a page once stored data is taken out."""
    # Other IANA zones are place names ("America/Swift Current"), not text to translate.
    page = re.sub(r'<optgroup label="Otras zonas horarias">.*?</optgroup>', "", page, flags=re.S)
    text = visible_text(page)
    for known in sorted({t for t in data_texts() if t}, key=len, reverse=True):
        text = text.replace(known, " ")
    # A roster problem's place names the file's own column: "roster.csv:3: start_date: ".
    text = re.sub(r"\S+:\d+: (\w+: )?", " ", text)
    text = CODE.sub(" ", QUOTED.sub(" ", text))
    return [w for w in WORD.findall(text) if w.lower() in vocabulary]


@pytest.fixture(scope="module")
def vocabulary() -> set[str]:
    return english_words()


def test_the_english_check_finds_english_and_passes_spanish(app, vocabulary):
    # The check itself: English text and spoken labels are found, Spanish passes, and
    # literal values (quoted, code-like) are not words.
    found = english_left('<p>Search people</p><a aria-label="End the assignment">x</a>', vocabulary)
    assert found == ["Search", "people", "End", "the", "assignment"]
    spanish = "<p>Buscar personas</p><p>Ningún/a participante coincide con “mentee”.</p>"
    assert english_left(spanish + "<p>roster.csv:3: start_date</p>", vocabulary) == []
    assert english_left("<code>roster.csv:2: name: required</code>", vocabulary) == ["required"]


# --- A Spanish-reading admin's organization ------------------------------------------


@pytest.fixture
def world(org, make_user, make_mentee, assign):
    """An admin who reads Spanish, staff, a mentee with a login and one discharged, with
    assignments current and ended: enough for every part of the admin pages to show."""
    admin = make_user("admin", username="aruiz", name="Ana Ruiz")
    admin.language = "es"
    mentor = make_user("mentor", username="lmora", name="Luis Mora")
    manager = make_user("case_manager", username="csoto", name="Carla Soto")
    make_user("mentor", username="pvega", name="Pilar Vega", active=False)
    rosa = make_mentee(name="Rosa Díaz", with_login=True)
    rosa.preferred_name = "Rosi"
    rosa.record_number = "R-100"
    db.session.get(User, rosa.user_id).username = "rdiaz"
    gone = make_mentee(name="Tomás Gil")
    assign(mentor, rosa)
    assign(manager, rosa)
    ended = assign(mentor, gone)
    today = timeutil.today(org)
    ended.ends_on = today - timedelta(days=1)
    mentee_standing.discharge_mentee(gone, today - timedelta(days=1), actor=admin)
    db.session.commit()
    return {"admin": admin, "mentor": mentor, "rosa": rosa, "gone": gone}


@pytest.fixture
def as_admin(client, login, world):
    login(world["admin"])
    return client


def spanish_page(client, url: str, vocabulary: set[str], status: int = 200) -> str:
    # The browser asks for English; the admin's own choice wins.
    response = client.get(url, headers={"Accept-Language": "en-US"})
    assert response.status_code == status, url
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page
    left = english_left(page, vocabulary)
    assert left == [], f"{url}: {left}"
    return page


PAGES = {
    "/admin/": "Progreso en toda la organización",
    "/admin/people": "Agregar una persona",
    "/admin/people/new": "Letras minúsculas, números, punto, guion o guion bajo.",
    "/admin/people/import": "Importar una lista",
    "/admin/mentees": "Buscar participantes",
    "/admin/mentees/new": "Mentor/a y administrador/a de casos (opcional)",
    "/admin/assignments": "Traspasar casos",
    "/admin/assignments?show=all": "Terminada",
    "/admin/assignments/new": "Asignar personal a un/a participante",
    "/admin/assignments/transfer": "Mostrar sus participantes",
    "/admin/audit": "Registro de auditoría",
    "/admin/settings": "Quién debe usar el inicio de sesión en dos pasos",
    "/admin/curriculum": "Biblioteca compartida",
    "/admin/curriculum/upload": "Revisar y cargar",
}


@pytest.mark.parametrize("url", PAGES)
def test_an_admin_reading_spanish_sees_each_admin_page_in_spanish(as_admin, vocabulary, url):
    assert PAGES[url] in spanish_page(as_admin, url, vocabulary)


def test_the_pages_of_a_person_a_mentee_and_a_caseload_are_in_spanish(as_admin, world, vocabulary):
    mentor, rosa, gone = world["mentor"], world["rosa"], world["gone"]
    page = spanish_page(as_admin, f"/admin/people/{mentor.id}", vocabulary)
    assert "Nombre y funciones" in page and "Desactivar a Luis Mora…" in page
    page = spanish_page(as_admin, f"/admin/people/{mentor.id}/deactivate", vocabulary)
    assert "Luis Mora tiene asignado 1 participante ahora o desde una fecha posterior:" in page
    page = spanish_page(as_admin, f"/admin/mentees/{rosa.id}", vocabulary)
    assert "Cuenta del/de la participante" in page and "Mentores y administradores/as" in page
    page = spanish_page(as_admin, f"/admin/mentees/{gone.id}", vocabulary)
    assert "Dado/a de alta" in page and "Readmitir a Tomás Gil" in page
    page = spanish_page(
        as_admin, f"/admin/assignments/transfer?source={mentor.id}-mentor", vocabulary
    )
    assert "Participantes de Luis Mora como mentor" in page


def test_the_audit_log_reads_in_spanish(as_admin, world, org, vocabulary):
    people.create_user(org, "jluna", "Julia Luna", None, ["mentor"], actor=world["admin"])
    db.session.commit()
    as_admin.get("/admin/mentees")  # a list of mentees viewed is audited too
    page = spanish_page(as_admin, "/admin/audit", vocabulary)
    assert "Creó la cuenta de Julia Luna (jluna) como Mentor." in page
    assert "Inició sesión." in page and "correcto" in page
    assert "Se asignó a Luis Mora (lmora) como mentor." in page


def roster_upload(client, text: str, action: str = "check"):
    data = {"files": (io.BytesIO(text.encode()), "roster.csv"), "action": action}
    return client.post("/admin/people/import", data=data, content_type="multipart/form-data")


def test_a_roster_with_mistakes_is_refused_line_by_line_in_spanish(as_admin, vocabulary):
    header = "type,username,name,roles,record_number,start_date,mentor"
    rows = [
        header,
        "mentee,,Eva Paz,,R-200,2026-13-45,lmora",
        "staff,Nuevo!,Nuevo Uno,mentor,,,",
        "mentee,,Iris Sol,,R-201,2020-01-05,nadie",
    ]
    response = roster_upload(as_admin, "\n".join(rows) + "\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page and english_left(page, vocabulary) == []
    assert "Se encontraron 3 problemas. No se cambió nada." in page
    assert "roster.csv:2: start_date: “2026-13-45” no es una fecha real" in page
    assert "roster.csv:3: username: “Nuevo!” no es un nombre de usuario" in page
    assert "roster.csv:4: mentor: nombre de usuario desconocido “nadie”" in page
    assert db.session.scalar(select(User).where(User.display_name == "Nuevo Uno")) is None


def test_a_good_roster_is_summed_up_in_spanish(as_admin, vocabulary):
    text = "type,username,name,roles\nstaff,nuevo,Nuevo Uno,mentor\n"
    page = roster_upload(as_admin, text).get_data(as_text=True)
    assert "Se crearían: 1 cuenta de personal, 0 expedientes de participante" in page
    assert english_left(page, vocabulary) == []
    response = roster_upload(as_admin, text, action="import")
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Se crearon: 1 cuenta de personal" in page
    assert "Las cuentas nuevas todavía no tienen contraseña" in page
    assert english_left(page, vocabulary) == []


def test_refusals_of_the_services_are_in_spanish(as_admin, world, vocabulary):
    # A time zone not in the IANA list: refused, naming where the list is.
    response = as_admin.post(
        "/admin/settings",
        data={"name": "Test Program", "time_zone": "Mars/Olympus", "two_step_roles": []},
    )
    page = response.get_data(as_text=True)
    assert "“Mars/Olympus” no es el nombre de una zona horaria, como America/Chicago." in page
    assert "Elija una de la lista de zonas horarias" in page
    assert "List_of_tz_database_time_zones" in page
    assert english_left(page, vocabulary) == []
    # A username already taken, beside its field.
    response = as_admin.post(
        "/admin/people/new",
        data={"username": "lmora", "display_name": "Otro", "roles": ["mentor"], "password": "x"},
    )
    page = response.get_data(as_text=True)
    assert "El nombre de usuario “lmora” ya está en uso." in page
    assert english_left(page, vocabulary) == []
    # A discharge date before the start date.
    rosa = world["rosa"]
    before = (rosa.start_date - timedelta(days=3)).isoformat()
    response = as_admin.post(f"/admin/mentees/{rosa.id}/discharge", data={"discharged_on": before})
    page = response.get_data(as_text=True)
    assert "La fecha de alta no puede ser anterior a la fecha de inicio" in page
    assert english_left(page, vocabulary) == []


def test_what_an_admin_saves_is_confirmed_in_spanish(as_admin, world, vocabulary):
    response = as_admin.post(
        "/admin/people/new",
        data={
            "username": "nuevo",
            "display_name": "Nuevo Uno",
            "roles": ["mentor"],
            "password": "plum-kettle-harbor-97",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Nuevo Uno ya puede iniciar sesión como “nuevo”" in page
    assert english_left(page, vocabulary) == []


# --- The language a person reads the program in ----------------------------------------


def test_the_admin_chooses_among_the_same_languages_as_the_account_page(
    client, login, world, make_user, vocabulary
):
    admin = make_user("admin")  # reads English
    login(admin)
    page = client.get(f"/admin/people/{world['mentor'].id}").get_data(as_text=True)
    assert len(english_left(page, vocabulary)) > 20  # the check sees a real English page
    options = re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', page)
    assert [value for value, _ in options] == ["", "en", "es"]
    labels = [html.unescape(label) for _, label in options]
    assert labels == ["Their browser's language", "English", "Español"]


def test_an_admin_sets_a_persons_language_and_their_pages_follow(client, login, world, make_user):
    admin = make_user("admin")
    mentor = world["mentor"]
    login(admin)
    response = client.post(f"/admin/people/{mentor.id}/language", data={"language": "es"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Luis Mora now reads the program in Español." in page  # the admin reads English
    assert re.search(r'<option selected value="es">|<option value="es" selected>', page)
    db.session.expire_all()
    assert db.session.get(User, mentor.id).language == "es"
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.language"))
    assert event.actor_id == admin.id and event.object_id == str(mentor.id)

    # Their own pages now speak Spanish, whatever their browser asks for.
    login(mentor)
    page = client.get("/account/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="es">' in page

    # Back to the browser's language: nothing stored, and the browser decides again.
    login(admin)
    client.post(f"/admin/people/{mentor.id}/language", data={"language": ""})
    db.session.expire_all()
    assert db.session.get(User, mentor.id).language is None
    login(mentor)
    page = client.get("/account/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_an_admin_sets_the_language_of_a_mentees_login(client, login, world, make_user):
    rosa = world["rosa"]
    login(make_user("admin"))
    page = client.get(f"/admin/mentees/{rosa.id}").get_data(as_text=True)
    assert "Save language" in page
    response = client.post(f"/admin/mentees/{rosa.id}/language", data={"language": "es"})
    assert response.headers["Location"].endswith(f"/admin/mentees/{rosa.id}")
    db.session.expire_all()
    login(db.session.get(User, rosa.user_id))
    page = client.get("/me/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="es">' in page


def test_a_language_is_set_only_for_a_login_of_the_admins_organization(
    client, login, world, make_user
):
    login(make_user("admin"))
    # A mentee with no login has no language to set.
    gone = world["gone"]
    assert (
        client.post(f"/admin/mentees/{gone.id}/language", data={"language": "es"}).status_code
        == 404
    )
    # Another organization's person is not found.
    elsewhere = people.get_or_create_organisation("Elsewhere")
    outsider = make_user("mentor", organisation=elsewhere)
    response = client.post(f"/admin/people/{outsider.id}/language", data={"language": "es"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(User, outsider.id).language is None


def test_an_unknown_language_is_refused_with_the_choices(client, login, world, make_user):
    mentor = world["mentor"]
    login(make_user("admin"))
    response = client.post(
        f"/admin/people/{mentor.id}/language", data={"language": "xx"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "“xx” is not a language the program speaks; choose one of: en, es." in page
    db.session.expire_all()
    assert db.session.get(User, mentor.id).language is None


@pytest.mark.parametrize("role", ["mentor", "case_manager", "mentee"])
def test_only_admins_set_someone_elses_language(client, login, world, make_user, role):
    login(make_user(role))
    response = client.post(f"/admin/people/{world['mentor'].id}/language", data={"language": "es"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, world["mentor"].id).language is None
