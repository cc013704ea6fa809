"""Languages: the person's choice (else the browser's) decides the page's language and
`lang`; the Spanish catalog is complete, compiled and current; users read US English."""

import io
import re
import subprocess
import sys
import tokenize
from datetime import UTC, date, datetime
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import refresh
from sqlalchemy import select

from skills.extensions import db
from skills.models import AuditEvent, User

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "skills" / "translations" / "es" / "LC_MESSAGES"
BRITISH = re.compile(
    r"(?<![-_.\w])(organisations?|organisation[’']s|practis\w*|colour\w*|centre\w*|licence\w*"
    r"|behaviour\w*)(?![_.(\w])",
    re.I,
)


def test_a_mentee_who_chose_spanish_reads_their_progress_in_spanish(client, login, make_mentee):
    mentee = make_mentee(name="Rosa Díaz", with_login=True)
    user = db.session.get(User, mentee.user_id)
    user.language = "es"
    db.session.commit()
    login(user)
    page = client.get("/me/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Hola, Rosa" in page and "Mi progreso" in page and "Todas mis habilidades" in page
    assert "All my skills, by area" not in page and "Sign out" not in page


def test_before_sign_in_the_browser_decides_and_an_unknown_language_falls_back(client):
    spanish = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert '<html lang="es">' in spanish.text and "Nombre de usuario" in spanish.text
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="en">' in french.text and "Username" in french.text


def test_a_person_chooses_their_language_on_the_account_page(client, login, make_user):
    user = make_user("mentor")
    login(user)
    assert "Español" in client.get("/account/").text
    response = client.post("/account/language", data={"language": "es"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).language == "es"
    # The browser asks for English; the person's choice wins.
    page = client.get("/account/", headers={"Accept-Language": "en"}).text
    assert '<html lang="es">' in page and "Salir" in page
    # The message about the change is in the language chosen, not the one it replaced.
    assert "El programa ahora usa el idioma que elegiste." in page
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.language"))
    assert event.actor_id == user.id
    # Back to the browser's language: none stored.
    client.post("/account/language", data={"language": ""})
    db.session.expire_all()
    assert db.session.get(User, user.id).language is None


def test_an_unknown_language_is_refused_with_the_choices(client, login, make_user):
    user = make_user("mentor")
    login(user)
    client.post("/account/language", data={"language": "xx"})
    page = client.get("/account/").text
    assert "“xx” is not a language the program speaks; choose one of: en, es." in page
    db.session.expire_all()
    assert db.session.get(User, user.id).language is None


def test_dates_are_formatted_by_babel_for_the_reader(app, org, make_user):
    moment = datetime(2026, 12, 1, 6, 30, tzinfo=UTC)  # Nov 30, 10:30 PM in California
    org.time_zone = "America/Los_Angeles"
    db.session.commit()
    template = "{{ day|date }} | {{ day|date('long') }} | {{ moment|datetime }} | {{ moment|date }}"
    with app.test_request_context(headers={"Accept-Language": "en-US"}):
        shown = render_template_string(template, day=date(2026, 11, 30), moment=moment)
    assert shown == "Nov 30, 2026 | November 30, 2026 | Dec 1, 2026, 6:30\u202fAM UTC | Dec 1, 2026"
    with app.test_request_context(headers={"Accept-Language": "es"}):
        refresh()  # the test's app context outlives the first request's cached locale
        shown = render_template_string("{{ day|date }}", day=date(2026, 11, 30))
    assert shown == "30 nov 2026"


def test_times_are_shown_in_the_readers_organisation_zone(client, login, make_user, org):
    org.time_zone = "America/Los_Angeles"
    db.session.commit()
    login(make_user("admin"))
    page = client.get("/admin/audit").text
    # The sign-in just made is listed in Pacific time, never as UTC.
    cells = re.findall(r"<time datetime=[^>]*>([^<]*)</time>", page)
    assert cells and all(
        re.fullmatch(r"\w{3} \d{1,2}, \d{4}, \d{1,2}:\d{2}:\d{2}\s[AP]M P[SD]T", c) for c in cells
    )


def test_every_message_has_a_spanish_translation_and_the_catalog_is_current(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg"]
        + ["-k", "_l", "--no-location", "--sort-output", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        source = {m.id for m in read_po(f) if m.id}
    with (CATALOG / "messages.po").open("rb") as f:
        spanish = read_po(f)
    with (CATALOG / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    translated = {m.id: m.string for m in spanish if m.id}
    assert source - set(translated) == set(), "run pybabel extract and update, then translate"
    assert set(translated) - source == set(), "messages no longer in the source: update"
    untranslated = [i for i, s in translated.items() if not all(s if isinstance(s, tuple) else [s])]
    assert untranslated == []

    # The committed .mo is the compiled .po (pybabel compile -d skills/translations).
    def plain(value):  # read_mo gives lists where read_po gives tuples
        return tuple(value) if isinstance(value, list) else value

    assert {plain(m.id): plain(m.string) for m in compiled if m.id} == translated


def _python_strings(path: Path):
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    for i, token in enumerate(tokens):
        before = [t for t in tokens[:i] if t.type not in (tokenize.NL, tokenize.COMMENT)]
        docstring = not before or before[-1].type in (
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
        )
        # Sentences only: keys, names and identifiers carry no space.
        if token.type == tokenize.STRING and not docstring and " " in token.string:
            # Not the names inside an f-string's braces (variables keep their names).
            yield token.start[0], re.sub(r"{[^{}]*}", "", token.string)


def _template_text(text: str) -> str:
    # Text outside tags, plus the quoted sentences inside them (labels, hints).
    parts = re.split(r"({{.*?}}|{%.*?%}|{#.*?#})", text, flags=re.S)
    quoted = [
        q
        for tag in parts[1::2]
        if not tag.startswith("{#")
        for q in re.findall(r"\"[^\"]*\"|'[^']*'", tag)
    ]
    return "\n".join(parts[::2] + [q for q in quoted if " " in q])


def test_users_read_us_english():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        found += [
            f"{path.name}: {m[0]}" for m in BRITISH.finditer(_template_text(path.read_text()))
        ]
    for path in sorted((ROOT / "skills").rglob("*.py")):
        for line, text in _python_strings(path):
            found += [f"{path.name}:{line}: {m[0]}" for m in BRITISH.finditer(text)]
    for path in [*(ROOT / "curriculum").glob("*.yaml"), ROOT / "skills/translations/messages.pot"]:
        found += [f"{path.name}: {m[0]}" for m in BRITISH.finditer(path.read_text())]
    assert found == []


def test_a_lazy_message_carrying_a_name_is_escaped_on_a_page(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app.test_request_context("/"):
        message = lazy_gettext("%(name)s is discharged.", name="<script>alert(1)</script>")
        page = render_template_string("<p>{{ message }}</p>", message=message)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is discharged." in page
