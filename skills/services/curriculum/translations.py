"""Reading the translations beside each text of a curriculum file.

A file is written in English; any node with text may carry a `translations` mapping
with the same fields in another language the program speaks:

    title: Use an ATM
    i_can: I can use an ATM safely.
    translations:
      es:
        title: Usar un cajero automático
        i_can: Puedo usar un cajero automático con cuidado.

A translation for a language the program does not speak, of a field the node does not
have, or that breaks the "I can" rule is an error; a text with no translation is a
warning (readers of that language see the English until it comes).
"""

from collections.abc import Callable
from typing import Any

import yaml
from flask_babel import gettext as _

from ..languages import DEFAULT_LANGUAGE, LANGUAGES
from .reader import Reader, shown
from .spec import Translations

# The files' own language, and the others a file may translate into (the languages the
# program speaks: `services.languages`).
SOURCE_LANGUAGE = DEFAULT_LANGUAGE
TRANSLATION_LANGUAGES = tuple(code for code in LANGUAGES if code != SOURCE_LANGUAGE)

# How an "I can" statement starts in each language; tests/test_curriculum_translations.py
# checks that every language the program speaks has one.
I_CAN = {"en": "I can ", "es": "Puedo "}

# The fields each kind of node translates (the text fields it has in English).
TRANSLATED = {
    "curriculum": ("title",),
    "level": ("name", "mentee_text"),
    "domain": ("title", "summary"),
    "skill": ("title", "i_can", "description", "steps"),
}


def language_label(code: str) -> str:
    return f"{code} ({LANGUAGES[code]})"


def i_can_rule(reader: Reader, node: yaml.Node, value: str, language: str, what: str) -> None:
    """The one rule for "I can" statements, in every language: they start with I_CAN."""
    start = I_CAN[language]
    if value and not value.startswith(start):
        if language == SOURCE_LANGUAGE:
            message = _("%(what)s: 'i_can' must start with \"%(start)s\"", what=what, start=start)
        else:
            message = _(
                "%(what)s: the %(language)s 'i_can' must start with \"%(start)s\"",
                what=what,
                language=language,
                start=start,
            )
        reader.error(node, message)


def _unknown_language(what: str) -> Callable[[str], str]:
    allowed = ", ".join(language_label(code) for code in TRANSLATION_LANGUAGES) or _("none")

    def message(code: str) -> str:
        if code == SOURCE_LANGUAGE:
            return _(
                "%(what)s: '%(code)s' is the file's own language; write the English in the "
                "fields above, not under translations",
                what=what,
                code=code,
            )
        return _(
            "%(what)s: translations into an unknown language '%(code)s'; a file may "
            "translate into %(allowed)s",
            what=what,
            code=shown(code),
            allowed=allowed,
        )

    return message


def read_translations(
    reader: Reader,
    kind: str,
    fields: dict[str, yaml.Node],
    node: yaml.Node,
    what: str,
    english: dict[str, Any],
) -> Translations:
    """The node's checked translations; `english` holds its English text by field.

    Warns once per language, at the node (or its block for that language), for the
    texts that have no translation.
    """
    result: Translations = {}
    block = fields.get("translations")
    where: dict[str, yaml.Node] = {}  # each language's "es:", where its warning points
    if block is not None:
        label = f"{what}: translations"  # the file's own word: not translated
        by_language = reader.mapping(
            block, label, set(TRANSLATION_LANGUAGES), _unknown_language(what)
        )
        if by_language:  # then the block is a mapping with these languages as keys
            where = {
                key.value: key
                for key, _ in block.value
                if isinstance(key, yaml.ScalarNode) and key.value in by_language
            }
        for language, language_node in by_language.items():
            result[language] = _read_language(
                reader,
                kind,
                language,
                language_node,
                _("%(what)s, translation '%(language)s'", what=what, language=language),
                english,
            )
    for language in TRANSLATION_LANGUAGES:
        given = result.get(language, {})
        missing = [name for name in TRANSLATED[kind] if english.get(name) and name not in given]
        if missing:
            reader.warn(
                where.get(language, node),
                _(
                    "%(what)s: no translation into %(language)s of %(fields)s (shown in "
                    "English until there is one)",
                    what=what,
                    language=language_label(language),
                    fields=", ".join(missing),
                ),
            )
    return {language: texts for language, texts in result.items() if texts}


def _read_language(
    reader: Reader,
    kind: str,
    language: str,
    node: yaml.Node,
    what: str,
    english: dict[str, Any],
) -> dict[str, Any]:
    allowed = set(TRANSLATED[kind])
    fields = reader.mapping(
        node,
        what,
        allowed,
        lambda name: _not_translated(
            kind, what=what, name=shown(name), fields=", ".join(TRANSLATED[kind])
        ),
    )
    texts: dict[str, Any] = {}
    for name, value_node in fields.items():
        if not english.get(name):
            reader.error(
                value_node,
                _(
                    "%(what)s: '%(name)s' translates nothing: the English gives no "
                    "'%(name)s'; add the English or remove this",
                    what=what,
                    name=name,
                ),
            )
            continue
        if name == "steps":
            steps = reader.steps(value_node, what)
            if isinstance(value_node, yaml.SequenceNode) and len(value_node.value) != len(
                english["steps"]
            ):
                reader.error(
                    value_node,
                    _(
                        "%(what)s: 'steps' lists %(given)s steps and the English "
                        "%(english)s; translate each step, in the same order",
                        what=what,
                        given=len(value_node.value),
                        english=len(english["steps"]),
                    ),
                )
            elif steps:
                texts[name] = steps
            continue
        value = reader.text(fields, name, what, node)
        if name == "i_can":
            i_can_rule(reader, value_node, value, language, what)
        if value:
            texts[name] = value
    return texts


def _not_translated(kind: str, **values: str) -> str:
    """A field no translation of this kind of node holds; one message per kind, so each
    language can word the kind its own way."""
    if kind == "curriculum":
        return _(
            "%(what)s: '%(name)s' is not a text this curriculum has to translate; "
            "translate %(fields)s",
            **values,
        )
    if kind == "level":
        return _(
            "%(what)s: '%(name)s' is not a text this level has to translate; translate %(fields)s",
            **values,
        )
    if kind == "domain":
        return _(
            "%(what)s: '%(name)s' is not a text this domain has to translate; translate %(fields)s",
            **values,
        )
    return _(
        "%(what)s: '%(name)s' is not a text this skill has to translate; translate %(fields)s",
        **values,
    )
