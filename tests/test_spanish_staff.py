"""Staff who read the program in Spanish: a mentor and a case manager see the mentee's
page, the caseload and the sign-off form (with its errors) in Spanish, with no English
sentence left over, and the CSV files they download have Spanish headers."""

import csv
import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import yaml
from babel.dates import format_date
from flask_babel import force_locale

from skills import timeutil
from skills.extensions import db
from skills.services.signoffs import SignoffDetails, SignoffError, record_signoff

from .conftest import MINI_CURRICULUM

# Words that are English and never Spanish: one of them in a piece of text the program
# wrote (not a name or curriculum text) is a sentence left untranslated.
ENGLISH = frozenset(
    re.findall(
        r"\w+",
        """the and of to for with is are this that these your you was has have not be by
        from on at or it its will can all more skill skills sign signed off save back find
        show only staff history mentee mentees what who how when which none yet now today
        level note notes area areas goal goals session shown since found due every each
        period copy report progress correct correction print download yes""",
    )
)
SPOKEN_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class _Visible(HTMLParser):
    """The text a person reads or hears in <main> and the <title>: text nodes and the
    attributes screen readers speak."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._depth = 0  # inside <main>
        self._skip = 0  # inside <script>/<style>
        self._title = False

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self._depth += 1
        elif tag in ("script", "style"):
            self._skip += 1
        elif tag == "title":
            self._title = True
        if self._depth:
            self.pieces += [v for k, v in attrs if k in SPOKEN_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag == "main":
            self._depth -= 1
        elif tag in ("script", "style"):
            self._skip -= 1
        elif tag == "title":
            self._title = False

    def handle_data(self, data):
        if (self._depth or self._title) and not self._skip and data.strip():
            self.pieces.append(data)


def _curriculum_texts() -> list[str]:
    """Every text of the test curriculum: data, shown as the file says."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)

    walk(yaml.safe_load(MINI_CURRICULUM.read_text()))
    return found


def english_left(page: str, data: list[str]) -> list[str]:
    """Pieces of visible text that still hold an English word, once names, notes and
    curriculum texts (`data`, longest first) are taken out."""
    parser = _Visible()
    parser.feed(page)
    left = []
    strip = sorted([*data, *_curriculum_texts()], key=len, reverse=True)
    for piece in parser.pieces:
        text = piece
        for known in strip:
            text = text.replace(known, " ")
        words = {w.lower() for w in re.findall(r"[A-Za-z]+(?:-[A-Za-z]+)?", text)}
        if words & ENGLISH or any(w.split("-")[0] in ENGLISH for w in words):
            left.append(" ".join(piece.split()))
    return left


def test_the_scan_finds_english_it_is_meant_to_find():
    # So a passing scan means something: English among Spanish is caught, data is not.
    page = (
        "<html><head><title>Mis casos</title></head><body><main>"
        "<h1>Mis casos</h1><p>Save sign-off</p><p>Get a transit card</p>"
        '<span aria-label="Back to the list"></span><p>Ana Díaz · Test Program</p>'
        "</main></body></html>"
    )
    assert english_left(page, ["Ana Díaz", "Test Program"]) == ["Save sign-off", "Back to the list"]


@pytest.fixture
def spanish_staff(org, make_user, make_mentee, assign, skill):
    """A mentor and a case manager who chose Spanish, and their mentee with one sign-off
    shared with the mentee and one note for staff only."""
    mentor = make_user("mentor", name="Marta Ruiz")
    manager = make_user("case_manager", name="Carlos Vega")
    for person in (mentor, manager):
        person.language = "es"
    mentee = make_mentee(name="Rosa Díaz")
    assign(mentor, mentee)
    assign(manager, mentee)
    on = timeutil.today(org)
    record_signoff(
        mentee,
        skill(),
        mentor,
        SignoffDetails(level=2, shown_on=on, note="Fuimos a la tienda", note_visibility="mentee"),
    )
    record_signoff(
        mentee,
        skill("use-atm"),
        mentor,
        SignoffDetails(level=1, shown_on=on - timedelta(days=1), note="Nota interna"),
    )
    db.session.commit()
    data = ["Rosa Díaz", "Marta Ruiz", "Carlos Vega", org.name, mentee.record_number]
    return mentor, manager, mentee, data


def _page(client, url):
    # The browser asks for English: the person's own choice must win.
    response = client.get(url, headers={"Accept-Language": "en-US"})
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_spanish_mentor_reads_the_mentee_page_in_spanish(client, login, spanish_staff):
    mentor, _, mentee, data = spanish_staff
    login(mentor)
    page = _page(client, f"/mentees/{mentee.id}?q=tarjeta")
    assert '<html lang="es">' in page
    for spanish in (
        "Buscar una habilidad",
        "Aprobaciones recientes",
        "Historial completo",
        "Volver a la lista de áreas",
        "Mentor: Marta Ruiz · Administrador/a de casos: Carlos Vega",
        "Informe de progreso (PDF)",
        "0 habilidades encontradas para “tarjeta”",
        "Solo el personal",  # the staff-only note's badge
    ):
        assert spanish in page, spanish
    assert english_left(page, data) == []


def test_a_spanish_mentor_reads_their_home_and_the_skill_page_in_spanish(
    client, login, spanish_staff, skill
):
    mentor, _, mentee, data = spanish_staff
    login(mentor)
    home = _page(client, "/mentor/")
    assert "Aprobar habilidades de un grupo" in home
    assert english_left(home, data) == []
    page = _page(client, f"/mentees/{mentee.id}/skills/{skill().id}")
    assert "Aprobar para Rosa Díaz" in page and "Guardar aprobación" in page
    assert "Quién puede ver la nota" in page and "Sin registrar" in page
    assert english_left(page, data) == []


def test_a_spanish_case_manager_reads_the_caseload_in_spanish(client, login, spanish_staff):
    _, manager, _, data = spanish_staff
    login(manager)
    page = _page(client, "/caseload/")
    assert '<html lang="es">' in page
    for spanish in (
        "Mis casos",
        "Se muestra 1 participante.",
        "Resumen de casos (PDF)",
        "Solo sin avance (sin aprobaciones en 30 días)",
        "Última aprobación",
        "Todos los mentores",
    ):
        assert spanish in page, spanish
    assert english_left(page, data) == []


def test_a_sign_off_refused_by_a_rule_says_why_in_spanish(client, login, spanish_staff, skill, org):
    mentor, _, mentee, data = spanish_staff
    login(mentor)
    tomorrow = timeutil.today(org) + timedelta(days=1)
    url = f"/mentees/{mentee.id}/skills/{skill('read-timetable').id}"
    response = client.post(
        url,
        data={"level": "1", "shown_on": tomorrow.isoformat(), "note_visibility": "staff"},
        headers={"Accept-Language": "en-US"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # The service's rule, in Spanish, with the date as Spanish readers write it.
    day = format_date(tomorrow, "medium", locale="es_US")  # "30 nov 2026"
    assert (
        f"La fecha en que lo demostró ({day}) está en el futuro; use hoy o una fecha anterior."
        in page
    )
    assert english_left(page, data) == []


def test_form_errors_and_lowering_a_level_are_explained_in_spanish(
    client, login, spanish_staff, skill
):
    mentor, _, mentee, data = spanish_staff
    login(mentor)
    url = f"/mentees/{mentee.id}/skills/{skill().id}"
    empty = client.post(url, data={"shown_on": ""}).get_data(as_text=True)
    assert "Elija un nivel." in empty
    assert "Escriba la fecha, por ejemplo 05/31/2026 (mes/día/año)." in empty
    assert english_left(empty, data) == []
    lower = client.post(
        url, data={"level": "1", "shown_on": mentee.start_date.isoformat()}
    ).get_data(as_text=True)
    assert "Esto bajaría el nivel de Rosa Díaz de “Practicing with support”" in lower
    assert "marque “Sí, registrar el nivel más bajo” y guarde de nuevo." in lower
    assert english_left(lower, data) == []


def test_sign_off_errors_read_in_the_language_of_whoever_is_shown_them(app, spanish_staff, skill):
    mentor, _, mentee, _ = spanish_staff
    future = mentee.start_date + timedelta(days=400)
    with pytest.raises(SignoffError) as caught:
        record_signoff(mentee, skill(), mentor, SignoffDetails(level=2, shown_on=future))
    db.session.rollback()
    assert str(caught.value).startswith("The date shown (")  # no request: English
    with force_locale("es_US"):
        assert str(caught.value).startswith("La fecha en que lo demostró (")


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_headers_are_in_the_readers_language(client, login, spanish_staff, make_user):
    mentor, manager, mentee, _ = spanish_staff
    login(mentor)
    history = _csv_rows(client.get(f"/mentees/{mentee.id}/history.csv"))
    assert history[0][:6] == [
        "número de expediente",
        "nombre",
        "registro",
        "fecha en que lo demostró",
        "registrado (UTC)",
        "área",
    ]
    assert "quién ve la nota" in history[0]
    kinds = {row[history[0].index("tipo")] for row in history[1:]}
    seen_by = {row[history[0].index("quién ve la nota")] for row in history[1:]}
    assert kinds == {"aprobación"} and seen_by == {"participante y personal", "solo el personal"}

    login(manager)
    summary = _csv_rows(client.get("/caseload/summary.csv"))
    assert summary[0][:4] == ["nombre", "número de expediente", "estado", "mentor"]
    assert "habilidades aprobadas" in summary[0] and "sin avance" in summary[0]
    assert summary[1][2] == "activo/a" and summary[1][-1] == "no"

    # The same file for a reader of English keeps English headers.
    manager.language = "en"
    db.session.commit()
    english = _csv_rows(client.get("/caseload/summary.csv"))
    assert english[0][:4] == ["name", "record number", "status", "mentor"]
    assert english[1][2] == "active"
