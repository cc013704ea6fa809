"""Curriculum files carry their text in Spanish too: `translations` beside each text.

A translation into a language the program does not speak, of a field that does not
exist, or that breaks the "I can" rule ("Puedo" in Spanish) is a file:line error; a
text with no translation is a file:line warning and the file still loads. Pages and
reports show the text in the reader's language, English where a text has none.
"""

import io

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from skills import permissions
from skills.config import PROJECT_ROOT
from skills.extensions import db
from skills.models import AuditEvent, Curriculum, Level, Skill, User
from skills.models.curriculum import translation, translation_sql
from skills.services import curriculum as cs
from skills.services import history as histories
from skills.services import signoffs
from skills.services.curriculum import owners
from skills.services.curriculum.export import curriculum_yaml
from skills.services.curriculum_view import curriculum_view, reading_language, skill_detail
from skills.services.languages import LANGUAGES

from .conftest import MINI_CURRICULUM

DEFAULT = PROJECT_ROOT / "curriculum" / "daily-living.yaml"
TEMPLATE = PROJECT_ROOT / "curriculum" / "template.yaml.txt"

# The test curriculum (tests/data/mini.yaml), every text translated.
SPANISH_MINI = """\
# A small curriculum for tests, in English and Spanish.
id: mini
version: "1"
title: Mini curriculum
translations:
  es:
    title: Mini plan de estudios
signed_off_level: 3
levels:
  - value: 0
    name: Not started
    mentee_text: Not started yet
    translations:
      es:
        name: Sin empezar
        mentee_text: Todavía no empiezo
  - value: 1
    name: Introduced
    mentee_text: I have seen how it is done
    translations:
      es:
        name: Presentado
        mentee_text: Ya vi cómo se hace
  - value: 2
    name: Practicing with support
    mentee_text: I am practicing with help
    translations:
      es:
        name: Practica con apoyo
        mentee_text: Estoy practicando con ayuda
  - value: 3
    name: Can do it on my own
    mentee_text: I can do this on my own
    translations:
      es:
        name: Lo hace por su cuenta
        mentee_text: Puedo hacerlo por mi cuenta
domains:
  - key: getting-around
    title: Getting around
    summary: Buses and trains.
    icon: bus
    translations:
      es:
        title: Moverse por la ciudad
        summary: Autobuses y trenes.
    skills:
      - key: get-transit-card
        title: Get a transit card
        i_can: I can get a transit card.
        description: Buy a card and put money on it.
        steps:
          - Find a store that sells cards.
          - Add money.
        translations:
          es:
            title: Sacar una tarjeta de transporte
            i_can: Puedo sacar una tarjeta de transporte.
            description: Compra una tarjeta y ponle dinero.
            steps:
              - Busca una tienda que venda tarjetas.
              - Ponle dinero.
      - key: read-timetable
        title: Read a timetable
        i_can: I can read a bus timetable.
        description: Find when the bus comes.
        translations:
          es:
            title: Leer un horario
            i_can: Puedo leer el horario del autobús.
            description: Busca a qué hora pasa el autobús.
      - key: ride-and-pay
        title: Ride and pay
        i_can: I can ride the bus and pay.
        description: Tap the card when you get on.
        translations:
          es:
            title: Viajar y pagar
            i_can: Puedo subir al autobús y pagar.
            description: Pasa la tarjeta al subir.
  - key: money
    title: Money and banking
    summary: Banks and budgets.
    icon: bank
    translations:
      es:
        title: Dinero y banco
        summary: Bancos y presupuestos.
    skills:
      - key: open-bank-account
        title: Open a bank account
        i_can: I can open a bank account.
        description: Bring ID to the bank.
        recheck_days: 180
        translations:
          es:
            title: Abrir una cuenta de banco
            i_can: Puedo abrir una cuenta de banco.
            description: Lleva tu identificación al banco.
      - key: use-atm
        title: Use an ATM
        i_can: I can use an ATM.
        description: Take out cash safely.
        translations:
          es:
            title: Usar un cajero automático
            i_can: Puedo usar un cajero automático.
            description: Saca dinero con cuidado.
"""


def spanish_mini(old: str, new: str) -> str:
    assert SPANISH_MINI.count(old) == 1, old
    return SPANISH_MINI.replace(old, new)


def errors_for(text: str) -> list[str]:
    with pytest.raises(cs.CurriculumInvalid) as info:
        cs.parse_curriculum(text, "bad.yaml")
    return [str(e) for e in info.value.errors]


def line_of(text: str, fragment: str) -> int:
    """The line (1-based) where `fragment` first appears in `text`."""
    return text[: text.index(fragment)].count("\n") + 1


# --- Reading translations -------------------------------------------------------------


def test_translations_are_read_beside_each_text():
    spec = cs.parse_curriculum(SPANISH_MINI, "mini.yaml")
    assert spec.warnings == []
    assert spec.translations == {"es": {"title": "Mini plan de estudios"}}
    assert spec.levels[2].translations == {
        "es": {"name": "Practica con apoyo", "mentee_text": "Estoy practicando con ayuda"}
    }
    domain = spec.domains[0]
    assert domain.title == "Getting around"  # the English stays the English
    assert domain.translations["es"] == {
        "title": "Moverse por la ciudad",
        "summary": "Autobuses y trenes.",
    }
    card = domain.skills[0]
    assert card.i_can == "I can get a transit card."
    assert card.translations["es"]["i_can"] == "Puedo sacar una tarjeta de transporte."
    assert card.translations["es"]["steps"] == [
        "Busca una tienda que venda tarjetas.",
        "Ponle dinero.",
    ]


def test_a_file_without_translations_still_loads_with_a_warning_per_text_and_line(app):
    text = MINI_CURRICULUM.read_text()
    spec = cs.parse_curriculum(text, "mini.yaml")
    shown = [str(w) for w in spec.warnings]
    assert shown[0] == (
        f"mini.yaml:{line_of(text, 'id: mini')}: warning: curriculum: no translation into "
        "es (Español) of title (shown in English until there is one)"
    )
    assert (
        f"mini.yaml:{line_of(text, '- key: use-atm')}: warning: skill 'use-atm': no "
        "translation into es (Español) of title, i_can, description (shown in English until "
        "there is one)"
    ) in shown
    # One per text-bearing node: the title, 4 levels, 2 domains, 5 skills.
    assert len(shown) == 12
    summary = cs.apply_curriculum(spec)
    assert summary.warnings == spec.warnings


def test_a_missing_field_is_warned_at_its_language_block():
    text = spanish_mini(
        "            description: Saca dinero con cuidado.\n",
        "",
    )
    (warning,) = cs.parse_curriculum(text, "mini.yaml").warnings
    # The "es:" line of the skill 'use-atm', the last one in the file.
    es_line = text[: text.rindex("          es:")].count("\n") + 1
    assert str(warning) == (
        f"mini.yaml:{es_line}: warning: skill 'use-atm': no translation into es (Español) of "
        "description (shown in English until there is one)"
    )


def test_a_translation_into_an_unknown_language_is_an_error_with_its_line():
    text = spanish_mini(
        "    translations:\n      es:\n        title: Dinero y banco\n",
        "    translations:\n      fr:\n        title: Argent et banque\n"
        "      es:\n        title: Dinero y banco\n",
    )
    assert errors_for(text) == [
        f"bad.yaml:{line_of(text, 'fr:')}: domain 'money': translations into an unknown "
        "language 'fr'; a file may translate into es (Español)"
    ]


def test_english_under_translations_is_an_error():
    text = spanish_mini(
        "title: Mini curriculum\ntranslations:\n",
        "title: Mini curriculum\ntranslations:\n  en:\n    title: Mini\n",
    )
    assert errors_for(text) == [
        f"bad.yaml:{line_of(text, '  en:')}: curriculum: 'en' is the file's own language; "
        "write the English in the fields above, not under translations"
    ]


def test_a_translation_of_a_field_that_does_not_exist_is_an_error_with_its_line():
    text = spanish_mini(
        "            title: Leer un horario\n", "            titulo: Leer un horario\n"
    )
    errors = errors_for(text)
    assert errors == [
        f"bad.yaml:{line_of(text, 'titulo:')}: skill 'read-timetable', translation 'es': "
        "'titulo' is not a text this skill has to translate; translate title, i_can, "
        "description, steps"
    ]


def test_a_translation_of_a_text_the_english_does_not_have_is_an_error():
    # read-timetable has no steps in English: Spanish steps translate nothing.
    text = spanish_mini(
        "            description: Busca a qué hora pasa el autobús.\n",
        "            description: Busca a qué hora pasa el autobús.\n"
        "            steps:\n              - Mira el letrero.\n",
    )
    assert errors_for(text) == [
        f"bad.yaml:{line_of(text, '- Mira el letrero.')}: skill 'read-timetable', "
        "translation 'es': 'steps' translates nothing: the English gives no 'steps'; add the "
        "English or remove this"
    ]


def test_a_spanish_i_can_must_start_with_puedo():
    text = spanish_mini(
        "i_can: Puedo usar un cajero automático.", "i_can: Sé usar un cajero automático."
    )
    assert errors_for(text) == [
        f"bad.yaml:{line_of(text, 'Sé usar')}: skill 'use-atm', translation 'es': the es "
        "'i_can' must start with \"Puedo \""
    ]


def test_translated_steps_match_the_english_one_for_one():
    text = spanish_mini("              - Ponle dinero.\n", "")
    assert errors_for(text) == [
        f"bad.yaml:{line_of(text, '- Busca una tienda')}: skill 'get-transit-card', "
        "translation 'es': 'steps' lists 1 steps and the English 2; translate each step, "
        "in the same order"
    ]


def test_translations_obey_the_english_limits_and_types():
    text = spanish_mini("        name: Presentado\n", "        name: [Presentado]\n")
    text = text.replace("title: Viajar y pagar", "title: " + "x" * 201)
    errors = "\n".join(errors_for(text))
    assert "level 1, translation 'es': 'name' must be text, found a list" in errors
    assert "skill 'ride-and-pay', translation 'es': 'title' is 201 characters; at most 200" in (
        errors
    )


def test_every_language_the_program_speaks_has_an_i_can_start_and_may_be_translated_into():
    assert set(cs.I_CAN) == set(LANGUAGES)
    assert cs.SOURCE_LANGUAGE == "en"
    assert tuple(code for code in LANGUAGES if code != "en") == cs.TRANSLATION_LANGUAGES


# --- The command line -----------------------------------------------------------------


def test_check_prints_warnings_with_lines_and_passes(runner, tmp_path):
    result = runner.invoke(args=["curriculum", "check", str(MINI_CURRICULUM)])
    assert result.exit_code == 0
    assert f"{MINI_CURRICULUM}:2: warning: curriculum: no translation into es" in result.output
    assert "1 file(s) OK." in result.output and "12 warning(s)." in result.stderr


def test_check_fails_on_a_broken_translation_with_its_line(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    text = spanish_mini("i_can: Puedo leer el horario", "i_can: Leo el horario")
    path.write_text(text)
    result = runner.invoke(args=["curriculum", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:{line_of(text, 'Leo el horario')}: skill 'read-timetable'" in result.output


def test_the_default_curriculum_ships_complete_in_spanish(runner):
    spec = cs.read_curriculum_file(DEFAULT)
    assert spec.warnings == []
    for domain in spec.domains:
        assert domain.translations["es"]["title"] != domain.title
        for s in domain.skills:
            assert s.translations["es"]["i_can"].startswith("Puedo ")
            assert len(s.translations["es"].get("steps", [])) == len(s.steps)
    everything = str(
        [d.translations for d in spec.domains]
        + [s.translations for s in [s for d in spec.domains for s in d.skills]]
    )
    for must in ("988", "Medicaid", "estampillas de comida (SNAP)"):
        assert must in everything, must
    result = runner.invoke(args=["curriculum", "check", str(DEFAULT)])
    assert result.exit_code == 0 and "warning" not in result.output + result.stderr


def test_the_template_is_translated_and_passes_the_check_without_warnings():
    errors, warnings = cs.check_report([TEMPLATE])
    assert errors == [] and warnings == []
    assert "translations:" in TEMPLATE.read_text()


# --- Storage, loading and export ------------------------------------------------------


def _load_spanish_mini() -> cs.LoadSummary:
    summary = cs.apply_curriculum(cs.parse_curriculum(SPANISH_MINI, "mini.yaml"))
    db.session.commit()
    return summary


def test_loading_translations_updates_in_place_and_is_audited(app):
    summary = _load_spanish_mini()
    assert sorted(summary.updated) == sorted(
        ["get-transit-card", "read-timetable", "ride-and-pay", "open-bank-account", "use-atm"]
    )
    atm = db.session.scalar(select(Skill).where(Skill.key == "use-atm"))
    assert atm.title == "Use an ATM"
    assert atm.text_in("title", "es") == "Usar un cajero automático"
    level = db.session.scalar(select(Level).where(Level.value == 2))
    assert level.text_in("name", "es") == "Practica con apoyo"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "curriculum.load")
    ).all()
    assert len(events) == 2  # the fixture's load, then this one

    # A file with one broken translation changes nothing.
    broken = spanish_mini("title: Abrir una cuenta de banco", "title: Abrir una cuenta")
    broken = broken.replace("i_can: Puedo usar un", "i_can: Usar un")
    with pytest.raises(cs.CurriculumInvalid):
        cs.apply_curriculum(cs.parse_curriculum(broken, "mini.yaml"))
    db.session.rollback()
    account = db.session.scalar(select(Skill).where(Skill.key == "open-bank-account"))
    assert account.text_in("title", "es") == "Abrir una cuenta de banco"


def test_export_round_trips_translations(app):
    _load_spanish_mini()
    curriculum = db.session.scalar(
        select(Curriculum).where(Curriculum.key == "mini", Curriculum.organisation_id.is_(None))
    )
    text = curriculum_yaml(curriculum)
    assert "    translations:\n      es:\n        title: Moverse por la ciudad\n" in text
    again = cs.parse_curriculum(text, "out.yaml")
    original = cs.parse_curriculum(SPANISH_MINI, "mini.yaml")
    assert again.warnings == []
    assert again.translations == original.translations
    assert [lv.translations for lv in again.levels] == [lv.translations for lv in original.levels]
    assert [s.translations for d in again.domains for s in d.skills] == [
        s.translations for d in original.domains for s in d.skills
    ]
    assert not cs.apply_curriculum(again).changed


def test_a_dropped_translation_falls_back_to_english(app):
    _load_spanish_mini()
    cs.apply_curriculum(cs.parse_curriculum(MINI_CURRICULUM.read_text(), "mini.yaml"))
    db.session.commit()
    atm = db.session.scalar(select(Skill).where(Skill.key == "use-atm"))
    assert atm.translations == {} and atm.text_in("title", "es") == "Use an ATM"


def test_the_sql_and_python_forms_of_a_translation_agree(app):
    _load_spanish_mini()
    for language in ("es", "en"):
        for name in ("title", "i_can", "description"):
            rows = db.session.execute(
                select(Skill.translations, translation_sql(Skill, name, language))
            ).all()
            assert rows and all(translation(row[0], name, language) == row[1] for row in rows), (
                language,
                name,
            )


# --- Reading in a language --------------------------------------------------------------


def test_the_view_holds_text_in_its_language_with_english_where_there_is_none(app, org):
    text = spanish_mini("            title: Usar un cajero automático\n", "")
    cs.apply_curriculum(cs.parse_curriculum(text, "mini.yaml"))
    db.session.commit()
    spanish = curriculum_view(org.id, "es")
    english = curriculum_view(org.id, "en")
    assert spanish.language == "es" and english.language == "en"
    titles = {s.key: s.title for skills in spanish.skills.values() for s in skills}
    assert titles["get-transit-card"] == "Sacar una tarjeta de transporte"
    assert titles["use-atm"] == "Use an ATM"  # no Spanish title: the English
    i_cans = {s.key: s.i_can for skills in spanish.skills.values() for s in skills}
    assert i_cans["use-atm"] == "Puedo usar un cajero automático."
    assert [d.title for d in spanish.domains] == ["Moverse por la ciudad", "Dinero y banco"]
    assert [d.title for d in english.domains] == ["Getting around", "Money and banking"]
    curriculum_id = spanish.domains[0].curriculum_id
    assert spanish.level(curriculum_id, 3).mentee_text == "Puedo hacerlo por mi cuenta"
    assert english.level(curriculum_id, 3).mentee_text == "I can do this on my own"
    with pytest.raises(AttributeError):
        spanish.domains[0].title = "changed"  # type: ignore[misc]  # a plain immutable value


def test_the_reading_language_follows_babel_and_is_english_outside_a_context(app):
    assert reading_language() == "en"
    with force_locale("es_US"):
        assert reading_language() == "es"
        atm = db.session.scalar(select(Skill).where(Skill.key == "use-atm"))
        assert skill_detail(atm).title == "Use an ATM"  # nothing translated yet
        _load_spanish_mini()
        detail = skill_detail(atm)
        assert (detail.title, detail.description) == (
            "Usar un cajero automático",
            "Saca dinero con cuidado.",
        )


def _mentee_reading(make_mentee, language: str | None):
    mentee = make_mentee(with_login=True)
    user = db.session.get(User, mentee.user_id)
    user.language = language
    db.session.commit()
    return mentee, user


def test_a_spanish_mentee_sees_spanish_skills_and_an_english_mentee_english(
    app, client, login, make_mentee, make_user, assign, skill
):
    _load_spanish_mini()
    mentor = make_user("mentor")
    rosa, rosa_user = _mentee_reading(make_mentee, "es")
    sam, sam_user = _mentee_reading(make_mentee, "en")
    for mentee in (rosa, sam):
        assign(mentor, mentee)
        signoffs.record_signoff(
            mentee,
            skill("use-atm"),
            mentor,
            signoffs.SignoffDetails(level=2, shown_on=mentee.start_date, note=""),
        )
    db.session.commit()

    login(rosa_user)
    page = client.get("/me/").get_data(as_text=True)
    assert "Usar un cajero automático" in page and "Estoy practicando con ayuda" in page
    assert "Moverse por la ciudad" in page
    assert "Use an ATM" not in page and "I am practicing with help" not in page
    atm = skill("use-atm")
    page = client.get(f"/me/skills/{atm.id}").get_data(as_text=True)
    assert "Puedo usar un cajero automático." in page and "Saca dinero con cuidado." in page
    assert "Take out cash safely." not in page

    login(sam_user)
    page = client.get("/me/").get_data(as_text=True)
    assert "Use an ATM" in page and "I am practicing with help" in page
    assert "Usar un cajero automático" not in page


def test_staff_read_skills_and_levels_in_their_own_language(
    app, client, login, make_mentee, make_user, assign, skill
):
    _load_spanish_mini()
    mentor = make_user("mentor")
    mentor.language = "es"
    mentee = make_mentee()
    assign(mentor, mentee)
    signoffs.record_signoff(
        mentee,
        skill("get-transit-card"),
        mentor,
        signoffs.SignoffDetails(level=3, shown_on=mentee.start_date, note=""),
    )
    db.session.commit()
    login(mentor)
    page = client.get(f"/mentees/{mentee.id}").get_data(as_text=True)
    assert "Sacar una tarjeta de transporte" in page and "Lo hace por su cuenta" in page
    card = skill("get-transit-card")
    page = client.get(f"/mentees/{mentee.id}/skills/{card.id}").get_data(as_text=True)
    assert "Busca una tienda que venda tarjetas." in page
    with force_locale("es_US"):
        (entry,) = histories.history(mentee, permissions.viewer_for(mentor, mentee))
    assert (entry.skill_title, entry.level_name, entry.level_text) == (
        "Sacar una tarjeta de transporte",
        "Lo hace por su cuenta",
        "Puedo hacerlo por mi cuenta",
    )
    (entry,) = histories.history(mentee, permissions.viewer_for(mentor, mentee))
    assert entry.skill_title == "Get a transit card"  # outside a Spanish context: English


def test_an_upload_with_missing_translations_loads_and_says_where(app, client, login, make_user):
    admin = make_user("admin")
    login(admin)
    text = MINI_CURRICULUM.read_text().replace("id: mini", "id: ours")
    response = client.post(
        "/admin/curriculum/upload",
        data={"file": (io.BytesIO(text.encode()), "ours.yaml")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "12 warnings: texts with no translation show in English" in page
    assert "ours.yaml:2: warning: curriculum: no translation into es (Español) of title" in page
    assert "Translate these and upload the file again to see the rest." in page
    assert db.session.scalar(select(Curriculum).where(Curriculum.key == "ours")) is not None


def test_a_sign_off_refused_in_spanish_names_the_skill_in_spanish(
    app, make_mentee, make_user, assign, skill
):
    """The refusals that name a skill name it as the reader reads it."""
    _load_spanish_mini()
    mentor = make_user("mentor")
    mentee = make_mentee(name="Rosa Díaz")
    assign(mentor, mentee)
    card = skill("get-transit-card")
    details = signoffs.SignoffDetails(level=1, shown_on=mentee.start_date)

    def refusal() -> str:
        with force_locale("es_US"), pytest.raises(signoffs.SignoffError) as refused:
            signoffs.record_signoff(mentee, card, mentor, details)
        with force_locale("es_US"):
            message = str(refused.value)
        db.session.rollback()
        return message

    card.retired = True
    assert refusal() == (
        "La habilidad “Sacar una tarjeta de transporte” está retirada; ya no se puede aprobar."
    )
    admin = make_user("admin")
    owners.choose(mentee.organisation, [], admin)
    db.session.commit()
    assert refusal() == (
        "El programa de Rosa Díaz no usa la habilidad “Sacar una tarjeta de transporte”."
    )
