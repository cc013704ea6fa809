"""People on the caseload page, its summary (PDF, CSV) and batch sort by last name, in a
way that depends on the reader's language and never on the server's locale."""

import csv
import io
import itertools
import locale

from pypdf import PdfReader

from skills.extensions import db
from skills.reports.caseload import collation_key, last_name_key

# In sorted order for English readers: accents and case ignored first, so "Łukasz" is
# with the Ls, "Émile Zola" with the Zs and "Ñandú" with the Ns.
ENGLISH = [
    "Zoë Ålund",
    "bo lee",
    "Ana Łukasz",
    "Fa Ñandú",
    "Ha Nava",
    "Di Núñez",
    "Ed Nunez",
    "Bo Nunzio",
    "Cy Nuo",
    "Wei Zhang",
    "Émile Zola",
]
# Spanish readers: ñ is a letter after n, so Ñandú and Núñez come after every other N….
SPANISH = [
    "Zoë Ålund",
    "bo lee",
    "Ana Łukasz",
    "Ha Nava",
    "Ed Nunez",
    "Bo Nunzio",
    "Di Núñez",
    "Cy Nuo",
    "Fa Ñandú",
    "Wei Zhang",
    "Émile Zola",
]


def test_last_name_first_accents_ignored_at_first_level():
    assert sorted(reversed(ENGLISH), key=lambda n: last_name_key(n, "en")) == ENGLISH
    assert collation_key("Łukasz", "en") < collation_key("Wei", "en") < collation_key("Zoë", "en")
    assert collation_key("ÉMILE", "en") == collation_key("emile", "en")
    # Outside any request the language is English.
    assert sorted(SPANISH, key=last_name_key) == ENGLISH


def test_spanish_puts_n_tilde_after_n():
    assert sorted(reversed(SPANISH), key=lambda n: last_name_key(n, "es")) == SPANISH
    assert collation_key("Nunzio", "es") < collation_key("Nuñez", "es") < collation_key("Nuo", "es")
    # Decomposed input (n + combining tilde) sorts as the composed letter.
    assert collation_key("Nun\u0303ez", "es") == collation_key("Nuñez", "es")


def test_names_alike_but_for_accents_or_case_have_one_order():
    alike = ["Ana Müller", "ana muller", "Ana Muller"]
    for order in itertools.permutations(alike):
        assert sorted(order, key=last_name_key) == ["Ana Muller", "ana muller", "Ana Müller"]


def test_the_key_does_not_use_the_servers_locale():
    before = [last_name_key(n, "es") for n in SPANISH]
    saved = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, "C")
        assert [last_name_key(n, "es") for n in SPANISH] == before
    finally:
        locale.setlocale(locale.LC_ALL, saved)


def _caseload(make_user, make_mentee, assign, names, language=None):
    manager = make_user("case_manager")
    mentor = make_user("mentor")
    if language:
        manager.language = language
        db.session.commit()
    for name in names:
        mentee = make_mentee(name=name)
        assign(manager, mentee)
        assign(mentor, mentee)
    return manager


def _order(text, names):
    found = {name: text.find(name) for name in names}
    assert all(at >= 0 for at in found.values()), found
    return sorted(names, key=found.__getitem__)


def test_caseload_page_and_downloads_sort_by_last_name(
    client, login, make_user, make_mentee, assign
):
    names = ["Wei Zhang", "Ana Łukasz", "Émile Zola", "Zoë Ålund", "Di Núñez", "Ed Nunez"]
    login(_caseload(make_user, make_mentee, assign, names))
    expected = ["Zoë Ålund", "Ana Łukasz", "Di Núñez", "Ed Nunez", "Wei Zhang", "Émile Zola"]

    page = client.get("/caseload/").get_data(as_text=True)
    assert _order(page, names) == expected

    rows = list(csv.reader(io.StringIO(client.get("/caseload/summary.csv").get_data(as_text=True))))
    listed = [row[0] for row in rows if row and row[0] in names]
    assert listed == expected

    pdf = PdfReader(io.BytesIO(client.get("/caseload/report.pdf").get_data()))
    assert _order(pdf.pages[0].extract_text(), names) == expected


def test_a_spanish_readers_caseload_puts_n_tilde_after_n(
    client, login, make_user, make_mentee, assign
):
    names = ["Fa Ñandú", "Cy Nuo", "Ha Nava", "Bo Nunzio"]
    login(_caseload(make_user, make_mentee, assign, names, language="es"))
    expected = ["Ha Nava", "Bo Nunzio", "Cy Nuo", "Fa Ñandú"]

    page = client.get("/caseload/").get_data(as_text=True)
    assert _order(page, names) == expected
    rows = list(csv.reader(io.StringIO(client.get("/caseload/summary.csv").get_data(as_text=True))))
    assert [row[0] for row in rows if row and row[0] in names] == expected
