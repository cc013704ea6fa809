"""The progress report in Spanish: the mentee copy in the mentee's language, the staff
copy and caseload summary in the reader's, with fonts that print Spanish."""

import io
import re
import shutil
import subprocess
from datetime import timedelta

import pikepdf
import pytest
from pypdf import PdfReader

from skills.extensions import db
from skills.services.curriculum_view import curriculum_view
from skills.services.signoffs import SignoffDetails, record_signoff

from .conftest import today

TODAY = today()
START = TODAY - timedelta(days=60)
NOTE = "¿Pagó solo? ¡Sí! En la tienda, sin ayuda."


def text_of(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def lang_of(pdf: bytes) -> str:
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return str(document.Root.Lang)


def sign(mentee, skill, mentor, level, shown_on, **details):
    record_signoff(mentee, skill, mentor, SignoffDetails(level=level, shown_on=shown_on, **details))
    db.session.commit()


@pytest.fixture
def spanish(make_user, make_mentee, assign, skill):
    """An English-speaking mentor, a Spanish-speaking case manager, and a mentee who
    reads the program in Spanish, with sign-offs in two months and a note."""
    mentor = make_user("mentor", name="Ana Ruiz")
    manager = make_user("case_manager", name="Begoña Díaz")
    manager.language = "es"
    mentee = make_mentee(name="Íñigo Muñoz", start_date=START, with_login=True)
    mentee.user.language = "es"
    db.session.commit()
    for staff in (mentor, manager):
        assign(staff, mentee)
    sign(mentee, skill("get-transit-card"), mentor, 1, START + timedelta(days=3))
    sign(
        mentee,
        skill("get-transit-card"),
        mentor,
        3,
        TODAY - timedelta(days=2),
        note=NOTE,
        note_visibility="mentee",
        support="own",
    )
    return mentor, manager, mentee


def download(client, login, user, url) -> bytes:
    login(user)
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data()


# Words a Spanish report prints as the English one does.
SAME_IN_SPANISH = {"Mentor"}


def sentences(text: str) -> set[str]:
    """The text's sentences and lines (a heading is a line of its own)."""
    parts = (part.strip() for part in re.split(r"(?<=[.:!?])\s+|\n", text))
    return {part for part in parts if part and part not in SAME_IN_SPANISH}


def data_of(mentee, *people) -> list[str]:
    """What a report prints as it was entered: names, the note, and the curriculum's
    text (the test curriculum has no Spanish, so it prints in English)."""
    view = curriculum_view(mentee.organisation_id, "en")
    texts = [d.title for d in view.domains]
    for skills in view.skills.values():
        texts += [text for s in skills for text in (s.title, s.i_can)]
    for levels in view.levels.values():
        texts += [text for level in levels for text in (level.name, level.mentee_text)]
    texts += [mentee.full_name, mentee.organisation.name, *(p.display_name for p in people)]
    texts += [NOTE, *re.split(r"(?<=[.:!?])\s+", NOTE)]  # as split into sentences
    return sorted(texts, key=len, reverse=True)  # the longest first: "I can …" before "I can"


def test_mentee_copy_prints_in_the_mentees_language(client, login, spanish):
    mentor, manager, mentee = spanish
    url = f"/mentees/{mentee.id}/report.pdf?copy=mentee"
    pdf = download(client, login, mentor, url)  # the mentor reads the program in English
    text = text_of(pdf)
    for phrase in (
        "Informe de progreso",
        "Copia del participante",
        "Tu copia: puedes quedarte con ella.",
        "Cómo voy",
        "Puedo hacer 1 de 5 habilidades por mi cuenta.",
        "Lo que aprendí en este tiempo",
        "Mis habilidades, por área",
        "Notas de mi mentor",
        "Firma del participante",
        "Revisamos juntos este informe.",
        "Página 1 de",
        "Impreso por Ana Ruiz el",
        "Por mi cuenta",  # a sign-off's label, resolved in the mentee's language
    ):
        assert phrase in text, phrase
    assert lang_of(pdf) == "es-US"

    # The same copy for a mentee who chose no language is English: no English sentence
    # of it, other than what people and the curriculum wrote, is left in the Spanish one.
    mentee.user.language = None
    db.session.commit()
    english = text_of(download(client, login, mentor, url))
    assert "How I'm doing" in english and "Mentee signature" in english
    data = data_of(mentee, mentor)
    spanish_parts, left = sentences(text), []
    for sentence in sentences(english):
        rest = sentence
        for entered in data:
            rest = rest.replace(entered, "")
        # A word alone must be a line of its own ("Date"); a sentence may be anywhere.
        found = sentence in (spanish_parts if len(sentence.split()) == 1 else text)
        if re.search(r"[A-Za-z]{3,}", rest) and found:
            left.append(sentence)
    assert left == []


def test_staff_copy_is_in_the_readers_language(client, login, spanish):
    mentor, manager, mentee = spanish
    url = f"/mentees/{mentee.id}/report.pdf?copy=staff"
    pdf = download(client, login, mentor, url)
    text = text_of(pdf)
    assert "Staff copy" in text and "Summary" in text and "Skills by area" in text
    assert "Informe de progreso" not in text and "Página" not in text
    assert lang_of(pdf) == "en-US"
    # The Spanish-speaking case manager's staff copy is in Spanish, in staff words.
    spanish_pdf = download(client, login, manager, url)
    text = text_of(spanish_pdf)
    assert "Copia del personal" in text and "No entregue esta copia al participante." in text
    assert "Habilidades aprobadas en este período" in text and "aprobada por Ana Ruiz" in text
    assert lang_of(spanish_pdf) == "es-US"


def test_mentee_copy_of_a_mentee_without_a_language_is_english(
    client, login, spanish, make_mentee, assign
):
    mentor, manager, mentee = spanish
    other = make_mentee(name="Pat Lee", start_date=START)  # no login: no language
    assign(manager, other)
    pdf = download(client, login, manager, f"/mentees/{other.id}/report.pdf?copy=mentee")
    assert "How I'm doing" in text_of(pdf) and lang_of(pdf) == "en-US"


def test_spanish_case_managers_caseload_summary_is_spanish(client, login, spanish):
    mentor, manager, mentee = spanish
    pdf = download(client, login, manager, "/caseload/report.pdf")
    text = text_of(pdf)
    for phrase in (
        "Resumen de casos",
        "Casos de Begoña Díaz",
        "1 participante (activo/a)",
        "Promedio de 1",
        "Página 1 de 1",
        "Impreso por Begoña Díaz el",
    ):
        assert phrase in text, phrase
    assert "Caseload summary" not in text and "Average" not in text
    assert lang_of(pdf) == "es-US"
    batch = download(client, login, manager, "/caseload/batch.pdf?copy=mentee")
    assert "Informes de progreso" in text_of(batch) and lang_of(batch) == "es-US"


def test_fonts_print_spanish(client, login, spanish, tmp_path):
    mentor, manager, mentee = spanish
    login(mentee.user)
    response = client.get("/me/report.pdf")  # the mentee's own copy, in their language
    assert response.status_code == 200
    path = tmp_path / "copia.pdf"
    path.write_bytes(response.get_data())
    assert shutil.which("pdftotext") and shutil.which("pdffonts"), "poppler-utils needed"
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for char in "¿¡ñáíóÍ":
        assert char in text, char
    assert "¿Pagó solo? ¡Sí!" in text and "Íñigo Muñoz" in text and "Cómo voy" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # emb


def test_the_command_lines_mentee_copy_has_no_english_footer_or_mode(runner, spanish, tmp_path):
    """Printed at the command line, the Spanish copy's footer said "Impreso por the
    command line" and its sessions "In person"; counts said "session(s)"."""
    from .conftest import _session_note

    mentor, _manager, mentee = spanish
    _session_note(mentee, mentor, "Practicamos el trayecto.", "mentee")
    db.session.commit()
    out = tmp_path / "copy.pdf"
    result = runner.invoke(args=["report", "mentee", mentee.record_number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = text_of(out.read_bytes())
    assert "Impreso por la línea de comandos el" in text and "the command line" not in text
    assert "En persona" in text and "In person" not in text
    assert "1 sesión, 30 min en total." in text
