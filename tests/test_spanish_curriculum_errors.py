"""A curriculum file's errors and warnings, and what a load changed, in the reader's
language: an admin who reads Spanish gets each problem of an uploaded file in Spanish at
its file:line, and reads the load history and the audit log in Spanish (old load rows
too); `flask curriculum check`, which has no reader, keeps its English."""

import html
import io
import re

from flask_babel import force_locale
from sqlalchemy import select

from skills.extensions import db
from skills.models import Curriculum, CurriculumLoad
from skills.services import curriculum as cs

from .test_spanish_admin import as_admin, english_left, vocabulary, world  # noqa: F401

# Five mistakes on known lines; the field names ('version', 'i_can') and the words of
# the file itself stay as written in either language.
BAD = """\
id: oficios
title: Oficios
signed_off_level: 5
levels:
  - value: 0
    name: Not started
    mentee_text: Not started yet
  - value: 1
    name: Done
    mentee_text: I did it
domains:
  - key: home
    title: Home
    colour: blue
    skills:
      - key: Cook_Rice
        title: Cook rice
        i_can: Cook rice.
        description: Rice on the stove.
"""
ENGLISH = [
    "1: curriculum: missing required field 'version' (text such as \"1.0\")",
    "3: curriculum: signed_off_level 5 is not a level in the scale; levels are 0, 1",
    "14: domain at line 12: unknown field 'colour'; allowed fields are icon, key, skills, "
    "summary, title, translations",
    "16: skill at line 16: 'key' 'Cook_Rice' must be lowercase letters, digits and single "
    "hyphens (for example get-transit-card)",
    "18: skill 'Cook_Rice': 'i_can' must start with \"I can \"",
]
SPANISH = [
    "1: plan de estudios: falta el campo obligatorio 'version' (un texto como \"1.0\")",
    "3: plan de estudios: signed_off_level 5 no es un nivel de la escala; los niveles son 0, 1",
    "14: área de la línea 12: campo desconocido 'colour'; los campos permitidos son icon, "
    "key, skills, summary, title, translations",
    "16: habilidad de la línea 16: 'key' 'Cook_Rice' debe tener solo letras minúsculas, "
    "números y guiones sueltos (por ejemplo get-transit-card)",
    "18: habilidad 'Cook_Rice': 'i_can' debe empezar con \"I can \"",
]
# The same file put right, with no Spanish: it loads, with a warning per text.
GOOD = (
    BAD.replace("id: oficios\n", 'id: oficios\nversion: "1"\n')
    .replace("signed_off_level: 5", "signed_off_level: 1")
    .replace("    colour: blue\n", "")
    .replace("Cook_Rice", "cook-rice")
    .replace("i_can: Cook rice.", "i_can: I can cook rice.")
)
# A YAML slip, read by safe_yaml before any field is.
COLON = GOOD.replace("title: Cook rice", "title: Rice: cook it")


def upload(client, text: str, filename: str):
    return client.post(
        "/admin/curriculum/upload",
        data={"file": (io.BytesIO(text.encode()), filename)},
        content_type="multipart/form-data",
    )


def listed_errors(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", page, re.S)]


def file_words(text: str) -> set[str]:
    """The words of a curriculum file and of its format's field names: they are quoted
    as written in every language."""
    names = {"icon", "key", "skills", "summary", "title", "translations", "version", "can"}
    return {w.lower() for w in re.findall(r"[^\W\d_]{3,}", text)} | names


def no_english_but_the_files(page: str, vocabulary: set[str], text: str) -> None:  # noqa: F811
    page = re.sub(r"\b[0-9a-f]{64}\b", " ", page)  # a file's SHA-256 is not words
    left = [w for w in english_left(page, vocabulary) if w.lower() not in file_words(text)]
    assert left == []


def test_a_spanish_admin_gets_each_error_of_a_file_in_spanish_at_its_line(
    as_admin,  # noqa: F811
    vocabulary,  # noqa: F811
):
    before = db.session.scalar(select(Curriculum).where(Curriculum.key == "oficios"))
    response = upload(as_admin, BAD, "oficios.yaml")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<html lang="es">' in page
    assert listed_errors(response) == [f"oficios.yaml:{line}" for line in SPANISH]
    assert "Se encontraron 5 problemas. No se cambió nada." in html.unescape(page)
    no_english_but_the_files(page, vocabulary, BAD)
    assert before is None
    assert db.session.scalar(select(Curriculum).where(Curriculum.key == "oficios")) is None


def test_a_yaml_slip_is_explained_in_spanish_at_its_line(as_admin):  # noqa: F811
    response = upload(as_admin, COLON, "oficios.yaml")
    assert response.status_code == 422
    assert listed_errors(response) == [
        "oficios.yaml:17: este valor tiene dos puntos seguidos de un espacio; ponga todo el "
        "valor entre comillas."
    ]


def test_an_english_admin_gets_the_same_errors_in_english(client, login, make_user):
    admin = make_user("admin")
    db.session.commit()
    login(admin)
    response = upload(client, BAD, "oficios.yaml")
    assert response.status_code == 422
    assert listed_errors(response) == [f"oficios.yaml:{line}" for line in ENGLISH]


def test_curriculum_check_on_the_command_line_stays_in_english(runner, tmp_path):
    bad = tmp_path / "oficios.yaml"
    bad.write_text(BAD)
    result = runner.invoke(args=["curriculum", "check", str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [*(f"{bad}:{line}" for line in ENGLISH), "5 error(s)."]
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    result = runner.invoke(args=["curriculum", "check", str(good)])
    assert result.exit_code == 0
    assert (
        f"{good}:1: warning: curriculum: no translation into es (Español) of title (shown in "
        "English until there is one)"
    ) in result.output.splitlines()


def test_the_messages_follow_the_language_in_use_and_default_to_english(app):
    # No request (the command line, a test): English; a forced Spanish locale: Spanish.
    def errors() -> list[str]:
        try:
            cs.parse_curriculum(BAD, "x.yaml")
        except cs.CurriculumInvalid as exc:
            return [str(e) for e in exc.errors]
        raise AssertionError("the file should be refused")

    assert errors() == [f"x.yaml:{line}" for line in ENGLISH]
    with force_locale("es_US"):
        assert errors() == [f"x.yaml:{line}" for line in SPANISH]
    assert errors() == [f"x.yaml:{line}" for line in ENGLISH]


def flashes(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [
        html.unescape(t).strip()
        for t in re.findall(r'<div class="flash [^"]*"[^>]*>(.*?)</div>', page, re.S)
    ]


def test_warnings_load_history_and_audit_log_read_in_spanish(as_admin, vocabulary):  # noqa: F811
    response = upload(as_admin, GOOD, "oficios.yaml")
    assert response.status_code == 302
    shown = flashes(as_admin.get(response.headers["Location"]))
    assert (
        "oficios.yaml:1: aviso: plan de estudios: falta la traducción al es (Español) de "
        "title (se muestra en inglés hasta que la tenga)"
    ) in shown
    assert (
        "oficios.yaml:16: aviso: habilidad 'cook-rice': falta la traducción al es (Español) "
        "de title, i_can, description (se muestra en inglés hasta que la tenga)"
    ) in shown

    # A load stored before summaries were translated, and one in some other wording.
    curriculum = db.session.scalar(select(Curriculum).where(Curriculum.key == "oficios"))
    for version, summary in [
        ("0.9", "oficios 0.9: 2 skills added, 0 updated, 0 retired, 0 brought back"),
        ("0.8", "loaded by hand"),
    ]:
        db.session.add(
            CurriculumLoad(
                curriculum_id=curriculum.id,
                version=version,
                source_sha256="0" * 64,
                summary=summary,
            )
        )
    db.session.commit()

    page = html.unescape(as_admin.get("/admin/curriculum").get_data(as_text=True))
    assert "oficios 1: 1 habilidades agregadas, 0 actualizadas, 0 retiradas, 0 recuperadas" in page
    assert (
        "oficios 0.9: 2 habilidades agregadas, 0 actualizadas, 0 retiradas, 0 recuperadas" in page
    )
    assert "loaded by hand" in page and "skills added" not in page

    audit = as_admin.get("/admin/audit?action=curriculum.load")
    text = html.unescape(audit.get_data(as_text=True))
    assert (
        "Cargó un plan de estudios propio de la organización, versión 1: 1 habilidades "
        "agregadas, 0 actualizadas, 0 retiradas, 0 recuperadas (SHA-256 del archivo: "
        f"{curriculum.source_sha256})."
    ) in text
    exported = as_admin.get("/admin/audit.csv?action=curriculum.load").get_data(as_text=True)
    assert ",plan de estudios oficios," in exported and "Cargó un plan de estudios" in exported
    no_english_but_the_files(audit.get_data(as_text=True), vocabulary, GOOD)


def test_an_english_reader_reads_load_summaries_as_stored(client, login, make_user):
    admin = make_user("admin")
    db.session.commit()
    login(admin)
    assert upload(client, GOOD, "oficios.yaml").status_code == 302
    page = html.unescape(client.get("/admin/curriculum").get_data(as_text=True))
    assert "oficios 1: 1 skills added, 0 updated, 0 retired, 0 brought back" in page
    audit = html.unescape(client.get("/admin/audit?action=curriculum.load").get_data(as_text=True))
    assert (
        "Loaded the organization's own curriculum, version 1: 1 skills added, 0 updated, "
        "0 retired, 0 brought back (file SHA-256 "
    ) in audit
