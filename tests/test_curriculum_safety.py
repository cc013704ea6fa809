"""Curriculum files built to hurt, and the YAML slips people make by hand.

Alias bombs, tags, deep nesting, huge values and floods of errors are refused with
`file:line: message` by the service, by `flask curriculum check` and by the upload
page alike: never a 500, a traceback or a page of thousands of lines.
"""

import html
import re

import pytest
import yaml

from skills.config import PROJECT_ROOT
from skills.models import CurriculumLoad, Skill
from skills.services import curriculum as cs
from skills.services.curriculum import safe_yaml

from .conftest import MINI_CURRICULUM
from .test_admin import admin, as_admin, count, writes_no_audit  # noqa: F401

MINI = MINI_CURRICULUM.read_text()


def mini(old: str, new: str) -> str:
    assert MINI.count(old) == 1, old
    return MINI.replace(old, new)


def errors_for(text: str) -> list[str]:
    with pytest.raises(cs.CurriculumInvalid) as info:
        cs.parse_curriculum(text, "bad.yaml")
    return [str(e) for e in info.value.errors]


# Billion laughs: nine levels of nine aliases, 9**9 "lol"s from under a kilobyte.
LAUGHS = "id: laughs\n" + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
for before, name in zip("abcdefgh", "bcdefghi", strict=True):
    LAUGHS += f"{name}: &{name} [" + ",".join([f"*{before}"] * 9) + "]\n"
LAUGHS += "domains: *i\n"

ANCHORS = (
    "anchors and aliases (&name, *name) are not allowed in curriculum files; write the "
    "text out in full (and put text that starts with & or * in quotes)."
)
DEEP = (
    "lists and fields are nested more than 20 levels deep here; a curriculum needs only "
    "a few levels (domains, skills, steps), so check the indentation and brackets."
)


def tags(shown: str) -> str:
    return (
        f"tags such as {shown} are not allowed in curriculum files; remove the tag (and put "
        "text that starts with ! in quotes)."
    )


# (name, file text, line of the one error, the error)
HOSTILE = [
    ("alias-bomb", LAUGHS, 2, ANCHORS),
    ("unknown-tag", mini("title: Mini", "title: !foo Mini"), 4, tags("!foo")),
    (
        "python-object-tag",
        mini("id: mini", "id: !!python/object:os.system mini"),
        2,
        tags("!!python/object:os.system"),
    ),
    ("int-tag", mini("signed_off_level: 3", "signed_off_level: !!int x"), 5, tags("!!int")),
    ("deep-list", "id: deep\ndomains: " + "[" * 5000 + "]" * 5000 + "\n", 2, DEEP),
    ("deep-mapping", "id: deep\ndomains: " + "{a: " * 5000 + "b" + "}" * 5000 + "\n", 2, DEEP),
    (
        "100000-digit-number",
        mini("recheck_days: 180", "recheck_days: " + "9" * 100_000),
        49,
        "this value is 100,000 characters long; a single value may be at most 5,000 characters.",
    ),
    (
        # Longer than Python's own limit for turning text into a number (4,300 digits).
        "4400-digit-number",
        mini("recheck_days: 180", "recheck_days: " + "9" * 4400),
        49,
        "the number " + "9" * 23 + "… has 4,400 digits; numbers in curriculum files have "
        "at most 18 (put it in quotes if it is meant as text).",
    ),
    (
        "1-mb-value",
        mini("description: Buy a card and put money on it.", "description: " + "x" * 1_000_000),
        28,
        "this value is 1,000,000 characters long; a single value may be at most 5,000 characters.",
    ),
    (
        "tab-indented",
        mini("        title: Get a transit card", "\ttitle: Get a transit card"),
        26,
        "a tab is used to indent this line; indent with spaces only.",
    ),
    (
        "missing-colon",
        mini("        title: Get a transit card", "        title Get a transit card"),
        26,
        "this line has no colon after the field name; write it as 'name: value' (or start "
        "it with '- ' if it is an item of a list).",
    ),
    (
        "impossible-date",
        mini("title: Mini curriculum", "title: 2026-02-30"),
        4,
        "'2026-02-30' looks like a date or time but is not a real one; correct it, or put "
        "it in quotes if it is meant as text.",
    ),
    (
        "second-document",
        MINI + "---\nid: other\n",
        MINI.count("\n") + 1,
        "a second YAML document starts here (a '---' line); a curriculum file holds one "
        "document, so remove this line or split the file.",
    ),
    (
        "too-many-values",
        "id: many\nsteps: [" + "a, " * 20_000 + "a]\n",
        2,
        "the file holds more than 20,000 values, far more than a curriculum needs; split "
        "it into smaller files.",
    ),
]
HOSTILE_IDS = [case[0] for case in HOSTILE]


@pytest.mark.parametrize("name, text, line, message", HOSTILE, ids=HOSTILE_IDS)
def test_a_hostile_file_gets_one_file_line_message_from_the_service(name, text, line, message):
    assert errors_for(text) == [f"bad.yaml:{line}: {message}"]


@pytest.mark.parametrize("name, text, line, message", HOSTILE, ids=HOSTILE_IDS)
def test_a_hostile_file_gets_one_file_line_message_from_curriculum_check(
    runner, tmp_path, name, text, line, message
):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = runner.invoke(args=["curriculum", "check", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # not a crash
    assert "Traceback" not in result.output
    assert [row for row in result.output.splitlines() if row.startswith(str(path))] == [
        f"{path}:{line}: {message}"
    ]
    assert "1 error(s)." in result.output


def upload(client, text: str, filename: str = "mine.yaml"):
    """Post a file to the upload page, encoding the form by hand: the test client spools
    a large form it encodes itself to a temporary file that it never closes."""
    boundary = "curriculum-test"
    body = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/yaml\r\n\r\n"
        f"{text}\r\n--{boundary}--\r\n"
    )
    return client.post(
        "/admin/curriculum/upload",
        data=body.encode(),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def listed_errors(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", page, re.S)]


@pytest.mark.parametrize("name, text, line, message", HOSTILE, ids=HOSTILE_IDS)
def test_a_hostile_upload_gets_a_422_page_with_its_one_message(as_admin, name, text, line, message):
    before = (count(Skill), count(CurriculumLoad))
    with writes_no_audit():
        response = upload(as_admin, text, "bad.yaml")
    assert response.status_code == 422
    assert listed_errors(response) == [f"bad.yaml:{line}: {message}"]
    assert "1 problem found." in response.get_data(as_text=True)
    assert (count(Skill), count(CurriculumLoad)) == before


# --- A flood of errors is cut short ----------------------------------------------------

# Ten thousand skills that are each a number instead of a mapping: one error apiece.
FLOOD = MINI + "  - key: flood\n    title: Flood\n    skills:\n" + "      - 1\n" * 10_000
FLOOD_FIRST = MINI.count("\n") + 4  # the line of the first "- 1"


def flood_summary(file: str) -> str:
    return (
        f"{file}:{FLOOD_FIRST + 100}: and 9,900 more problems from this line on, not "
        "listed; fix the ones above and check the file again."
    )


def test_ten_thousand_errors_list_the_first_hundred_and_say_how_many_more():
    errors = errors_for(FLOOD)
    assert len(errors) == 101
    assert errors[0] == (
        f"bad.yaml:{FLOOD_FIRST}: skill at line {FLOOD_FIRST}: expected a mapping of fields, "
        "found a whole number"
    )
    assert errors[-1] == flood_summary("bad.yaml")
    with pytest.raises(cs.CurriculumInvalid) as info:
        cs.parse_curriculum(FLOOD, "bad.yaml")
    assert cs.error_count(info.value.errors) == 10_000


def test_curriculum_check_lists_a_hundred_errors_and_counts_them_all(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(FLOOD)
    result = runner.invoke(args=["curriculum", "check", str(path)])
    assert result.exit_code == 1
    listed = [row for row in result.output.splitlines() if row.startswith(str(path))]
    assert len(listed) == 101 and listed[-1] == flood_summary(str(path))
    assert "10000 error(s)." in result.output


def test_an_upload_with_ten_thousand_errors_lists_a_hundred_and_counts_them_all(as_admin):
    response = upload(as_admin, FLOOD, "bad.yaml")
    assert response.status_code == 422
    errors = listed_errors(response)
    assert len(errors) == 101 and errors[-1] == flood_summary("bad.yaml")
    assert "10,000 problems found." in response.get_data(as_text=True)


def test_curriculum_load_counts_every_error_but_lists_a_hundred(runner, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(FLOOD)
    result = runner.invoke(args=["curriculum", "load", str(path)])
    assert result.exit_code == 1
    listed = [row for row in result.output.splitlines() if row.startswith(str(path))]
    assert len(listed) == 101 and listed[-1] == flood_summary(str(path))
    assert "10000 error(s) in the curriculum; nothing was loaded." in result.output


# --- Limits, exactly -------------------------------------------------------------------


def compose(text: str) -> yaml.Node | None:
    return safe_yaml.compose(text, "f.yaml")


def refusal(text: str) -> str:
    with pytest.raises(cs.CurriculumInvalid) as info:
        compose(text)
    [error] = info.value.errors
    return str(error)


def test_nesting_twenty_deep_is_read_and_twenty_one_is_refused():
    assert compose("[" * 20 + "]" * 20) is not None
    assert refusal("[" * 21 + "]" * 21) == f"f.yaml:1: {DEEP}"
    assert compose("a:\n" + "".join(" " * n + "- \n" for n in range(1, 20))) is not None


def test_a_value_of_five_thousand_characters_is_read_and_one_more_is_refused():
    assert compose("a: " + "x" * 5000) is not None
    assert refusal("a: " + "x" * 5001).startswith("f.yaml:1: this value is 5,001 characters")


def test_twenty_thousand_values_are_read_and_one_more_is_refused():
    assert compose("[" + "a, " * 19_998 + "a]") is not None  # the list and its items
    assert "more than 20,000 values" in refusal("[" + "a, " * 19_999 + "a]")


def test_a_number_of_eighteen_digits_is_read_and_nineteen_is_refused():
    node = compose("a: -1_000_000_000_000_000_00")
    assert node is not None and node.value[0][1].data == -(10**17)
    assert "has 19 digits" in refusal("a: " + "9" * 19)


def test_plain_values_are_read_as_numbers_true_false_nothing_and_text():
    node = compose("[1, 0x1f, 1.5, .inf, yes, ~, =, <<, 2026-05-31, text, '12']")
    assert node is not None
    values = [item.data for item in node.value]
    assert [type(v).__name__ for v in values] == [
        "int", "int", "float", "float", "bool", "NoneType", "str", "str", "date", "str", "str"
    ]  # fmt: skip
    assert values[1] == 31 and values[6:8] == ["=", "<<"]


def test_an_empty_file_is_nothing():
    assert compose("# only a comment\n") is None
    assert errors_for("") == ["bad.yaml:1: the file is empty"]


# --- Numbers and names the database could not hold -------------------------------------


def test_numbers_out_of_range_for_their_field_are_reported():
    text = mini("recheck_days: 180", "recheck_days: 9999999999").replace(
        "  - value: 3\n", "  - value: 1000\n"
    )
    errors = errors_for(text)
    assert any("'recheck_days' must be 3650 or less, found 9999999999" in e for e in errors)
    assert any("'value' must be 100 or less, found 1000" in e for e in errors)


def test_a_value_of_equals_is_text_not_a_crash():
    spec = cs.parse_curriculum(mini("icon: bus", "icon: ="), "ok.yaml")
    assert spec.domains[0].icon == "="


def test_a_long_unknown_field_name_is_cut_short_in_the_message():
    [error] = errors_for(
        mini("title: Mini curriculum\n", "title: Mini curriculum\n" + "z" * 1000 + ": 1\n")
    )
    assert error.startswith("bad.yaml:5: curriculum: unknown field 'zzz") and len(error) < 250
    assert "z…'" in error


def test_a_field_name_that_is_a_list_is_reported():
    errors = errors_for(mini("title: Mini curriculum\n", "title: Mini curriculum\n? [a, b]\n: c\n"))
    assert errors == ["bad.yaml:5: curriculum: a field name must be a word, not a list or mapping"]


# --- YAML slips, in plain words, whichever parser reads them ----------------------------

LOADERS = [yaml.SafeLoader] + ([yaml.CSafeLoader] if yaml.__with_libyaml__ else [])
INDENT = (
    "this line does not line up with the lines above it; fields of the same item, and the "
    "items of a list, must start in the same column."
)
QUOTES = "put the whole value in quotes."

SLIPS = [
    (
        "tab",
        "id: x\nlevels:\n  - value: 1\n  \tname: a\n",
        4,
        "a tab is used to indent this line; indent with spaces only.",
    ),
    (
        "missing-colon",
        "id: x\ntitle Hello\nversion: 1\n",
        2,
        "this line has no colon after the field name; write it as 'name: value' (or start "
        "it with '- ' if it is an item of a list).",
    ),
    ("less-indented", "domains:\n  - key: a\n    title: b\n   icon: bus\n", 4, INDENT),
    ("list-item-out", "levels:\n  - value: 1\n    name: a\n - value: 2\n", 4, INDENT),
    (
        "more-indented",
        "id: x\ntitle: a\n  version: 1\n",
        3,
        "this line is indented further than the line above it, but that line already has a "
        "value; line this field up with the fields above it.",
    ),
    (
        "unclosed-quote",
        'id: x\ntitle: "Hello\nversion: 1\n',
        2,
        "a quote mark opened on this line is never closed; add the closing quote.",
    ),
    (
        "unclosed-bracket",
        "id: x\nsteps: [a, b\nversion: 1\n",
        2,
        "a '[' opened on this line is not closed with ']' (or its items are not separated "
        "by commas); put text that contains these marks in quotes.",
    ),
    (
        "unclosed-brace",
        "id: x\nsteps: {a: b\nversion: 1\n",
        2,
        "a '{' opened on this line is not closed with '}' (or its items are not separated "
        "by commas); put text that contains these marks in quotes.",
    ),
    (
        "colon-in-value",
        "id: x\ntitle: Step 1: pay\n",
        2,
        f"this value contains a colon followed by a space; {QUOTES}",
    ),
    (
        "text-after-quote",
        'id: x\ntitle: "Hello" world\n',
        2,
        "there is text after the closing quote; put the whole value inside the quotes.",
    ),
    ("starts-with-at", "id: x\ntitle: @home\n", 2, f"a value cannot start with '@'; {QUOTES}"),
    (
        "unknown-escape",
        'id: x\ntitle: "a\\qb"\n',
        2,
        "a backslash (\\) inside double quotes starts a code YAML does not know; use single "
        "quotes around this text instead, or write \\\\ for a backslash.",
    ),
    (
        "control-character",
        "id: x\ntitle: a\x07b\n",
        2,
        "this line holds a control character (code 7) that a curriculum file cannot "
        "contain; delete it (it is often invisible: retype the line if unsure).",
    ),
    ("anchor", "id: x\ntitle: &t Hello\n", 2, ANCHORS),
    ("alias-like-text", "id: x\ntitle: *important*\n", 2, ANCHORS),
    ("tag-handle", "id: x\ntitle: !e!x y\n", 2, tags("!foo or !!int")),
    (
        "block-text",
        "id: x\ntitle: |x\n  a\n",
        2,
        "a block of text started with '|' or '>' is not written correctly; indent every "
        "line of the text further than its field name.",
    ),
    (
        "long-field-name",
        "id: x\n" + "z" * 2000 + ": 1\n",
        2,
        "this field name is longer than YAML allows (1,024 characters); field names in "
        "curriculum files are short words.",
    ),
    (
        "duplicate-directive",
        "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
        2,
        "this line is not valid YAML (the format curriculum files are written in); the "
        "YAML reader says: found duplicate ",
    ),
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
@pytest.mark.parametrize("name, text, line, message", SLIPS, ids=[s[0] for s in SLIPS])
def test_a_yaml_slip_is_explained_in_plain_words_with_its_line(loader, name, text, line, message):
    with pytest.raises(cs.CurriculumInvalid) as info:
        safe_yaml.compose(text, "f.yaml", loader)
    [error] = info.value.errors
    assert str(error).startswith(f"f.yaml:{line}: {message}")


def test_a_yaml_slip_reaches_the_upload_page_in_plain_words(as_admin):
    response = upload(as_admin, mini("        title: Get a transit card", "        title Get"))
    assert response.status_code == 422
    assert listed_errors(response) == [
        "mine.yaml:26: this line has no colon after the field name; write it as "
        "'name: value' (or start it with '- ' if it is an item of a list)."
    ]


# --- Only YAML files are taken, and the real curriculum still loads ---------------------


def test_an_upload_that_is_not_a_yaml_file_is_refused_beside_the_field(as_admin):
    before = count(CurriculumLoad)
    response = upload(as_admin, MINI.replace('version: "1"', 'version: "2"'), "mini.txt")
    assert response.status_code == 422
    assert "Only curriculum files ending in .yaml or .yml can be uploaded." in (
        response.get_data(as_text=True)
    )
    assert count(CurriculumLoad) == before


def test_an_upload_ending_in_yml_is_taken(as_admin):
    response = upload(as_admin, MINI.replace('version: "1"', 'version: "2"'), "Mini.YML")
    assert response.status_code == 302


def test_the_real_curriculum_files_pass_curriculum_check(runner):
    files = sorted((PROJECT_ROOT / "curriculum").glob("*.y*ml"))
    assert files
    result = runner.invoke(args=["curriculum", "check", *map(str, files)])
    assert result.exit_code == 0, result.output
    assert f"{len(files)} file(s) OK." in result.output
