"""Walking a curriculum file's YAML nodes: converting values, and collecting errors and
warnings with their lines. `parse` and `translations` say what a file holds; this
module says how a field is read and how a problem is worded.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from . import safe_yaml
from .spec import CurriculumError, CurriculumWarning

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Longest text each field may hold, matching the database columns.
MAX_LENGTH = {
    "id": 64,
    "version": 64,
    "title": 200,
    "name": 80,
    "mentee_text": 120,
    "key": 64,
    "summary": 300,
    "icon": 40,
    "i_can": 300,
    "description": 2000,
    "steps": 300,
}

# Largest whole number each field may hold: sensible for the field, and well inside
# the database's integer columns.
MAX_LEVEL = 100
MAX_RECHECK_DAYS = 3650  # ten years

# A file with more errors (or warnings) than this lists the first ones and says how many
# more; a generated or badly broken file can otherwise have hundreds of thousands.
MAX_ERRORS = 100


@dataclass(frozen=True)
class MoreErrors(CurriculumError):
    """Stands in for the errors in one file past MAX_ERRORS, which are not listed."""

    count: int = 0


@dataclass(frozen=True)
class MoreWarnings(CurriculumWarning):
    """Stands in for the warnings in one file past MAX_ERRORS, which are not listed."""

    count: int = 0


def error_count(errors: Iterable[CurriculumError | CurriculumWarning]) -> int:
    """How many errors (or warnings) a list stands for, counting those not listed."""
    return sum(e.count if isinstance(e, MoreErrors | MoreWarnings) else 1 for e in errors)


def capped_errors(errors: list[CurriculumError]) -> list[CurriculumError]:
    """The errors by line, the first MAX_ERRORS of them and a count of the rest."""
    errors = sorted(errors, key=lambda e: e.line)
    if len(errors) <= MAX_ERRORS:
        return errors
    first_hidden, hidden = errors[MAX_ERRORS], len(errors) - MAX_ERRORS
    message = ngettext(
        "and %(count)s more problem from this line on, not listed; fix the ones above and "
        "check the file again.",
        "and %(count)s more problems from this line on, not listed; fix the ones above and "
        "check the file again.",
        hidden,
        count=format(hidden, ","),
    )
    return [*errors[:MAX_ERRORS], MoreErrors(first_hidden.file, first_hidden.line, message, hidden)]


def capped_warnings(warnings: list[CurriculumWarning]) -> list[CurriculumWarning]:
    """The warnings by line, the first MAX_ERRORS of them and a count of the rest."""
    warnings = sorted(warnings, key=lambda w: w.line)
    if len(warnings) <= MAX_ERRORS:
        return warnings
    first_hidden, hidden = warnings[MAX_ERRORS], len(warnings) - MAX_ERRORS
    message = ngettext(
        "and %(count)s more warning from this line on, not listed.",
        "and %(count)s more warnings from this line on, not listed.",
        hidden,
        count=format(hidden, ","),
    )
    return [
        *warnings[:MAX_ERRORS],
        MoreWarnings(first_hidden.file, first_hidden.line, message, hidden),
    ]


def shown(value: object, limit: int = 60) -> str:
    """A value from the file as quoted in a message, cut short if long."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def line_of(node: yaml.Node) -> int:
    return node.start_mark.line + 1


# What a value in the file is, as a message names it ("found a list").
_TYPE_NAMES = {
    str: _l("text"),
    int: _l("a whole number"),
    list: _l("a list"),
    dict: _l("a mapping of fields"),
    bool: _l("true or false"),
    float: _l("a number"),
    type(None): _l("nothing"),
}


class Reader:
    """Walks the YAML node tree, converting values and collecting problems with lines.

    Messages are in the language in use (Flask-Babel): the reader's on the upload page,
    English from the command line. Field names ('i_can') stay as the file spells them.
    """

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[CurriculumError] = []
        self.warnings: list[CurriculumWarning] = []

    def error(self, node_or_line: yaml.Node | int, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else line_of(node_or_line)
        self.errors.append(CurriculumError(self.filename, line, message))

    def warn(self, node_or_line: yaml.Node | int, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else line_of(node_or_line)
        self.warnings.append(CurriculumWarning(self.filename, line, message))

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        allowed: set[str],
        unknown: Callable[[str], str] | None = None,
    ) -> dict[str, yaml.Node]:
        """Return field name -> value node, reporting duplicates and unknown fields
        (worded by `unknown(name)` when given)."""
        if not isinstance(node, yaml.MappingNode):
            self.error(
                node,
                _(
                    "%(what)s: expected a mapping of fields, found %(found)s",
                    what=what,
                    found=self.describe(node),
                ),
            )
            return {}
        fields: dict[str, yaml.Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(
                    key_node,
                    _("%(what)s: a field name must be a word, not a list or mapping", what=what),
                )
                continue
            name = str(key_node.value)
            if name in fields:
                self.error(
                    key_node,
                    _(
                        "%(what)s: duplicate field '%(name)s' (first given at line %(line)s)",
                        what=what,
                        name=shown(name),
                        line=first_line[name],
                    ),
                )
                continue
            if name not in allowed:
                self.error(
                    key_node,
                    unknown(name)
                    if unknown
                    else _(
                        "%(what)s: unknown field '%(name)s'; allowed fields are %(allowed)s",
                        what=what,
                        name=shown(name),
                        allowed=", ".join(sorted(allowed)),
                    ),
                )
                continue
            fields[name] = value_node
            first_line[name] = line_of(key_node)
        return fields

    def value(self, node: yaml.Node) -> Any:
        if isinstance(node, safe_yaml.Scalar):
            return node.data  # converted and checked as the file was read
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return dict(node.value)

    def describe(self, node: yaml.Node) -> str:
        value = self.value(node)
        return str(_TYPE_NAMES.get(type(value), type(value).__name__))

    def text(
        self,
        fields: dict[str, yaml.Node],
        name: str,
        what: str,
        parent: yaml.Node,
        required: bool = True,
    ) -> str:
        node = fields.get(name)
        if node is None:
            if required:
                self.error(
                    parent,
                    _("%(what)s: missing required field '%(name)s' (text)", what=what, name=name),
                )
            return ""
        value = self.value(node)
        if not isinstance(value, str):
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' must be text, found %(found)s",
                    what=what,
                    name=name,
                    found=self.describe(node),
                ),
            )
            return ""
        value = " ".join(value.split())
        if required and not value:
            self.error(node, _("%(what)s: '%(name)s' must not be empty", what=what, name=name))
        limit = MAX_LENGTH.get(name)
        if limit and len(value) > limit:
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' is %(length)s characters; at most %(limit)s",
                    what=what,
                    name=name,
                    length=len(value),
                    limit=limit,
                ),
            )
        return value

    def key(self, fields: dict[str, yaml.Node], name: str, what: str, parent: yaml.Node) -> str:
        value = self.text(fields, name, what, parent)
        if value and not KEY_PATTERN.match(value):
            self.error(
                fields[name],
                _(
                    "%(what)s: '%(name)s' '%(value)s' must be lowercase letters, digits and "
                    "single hyphens (for example get-transit-card)",
                    what=what,
                    name=name,
                    value=shown(value),
                ),
            )
        return value

    def integer(
        self,
        fields: dict[str, yaml.Node],
        name: str,
        what: str,
        parent: yaml.Node,
        required: bool = True,
        minimum: int = 0,
        maximum: int = MAX_LEVEL,
    ) -> int | None:
        node = fields.get(name)
        if node is None:
            if required:
                self.error(
                    parent,
                    _(
                        "%(what)s: missing required field '%(name)s' (a whole number)",
                        what=what,
                        name=name,
                    ),
                )
            return None
        value = self.value(node)
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' must be a whole number, found %(found)s",
                    what=what,
                    name=name,
                    found=self.describe(node),
                ),
            )
            return None
        if value < minimum:
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' must be %(minimum)s or more, found %(value)s",
                    what=what,
                    name=name,
                    minimum=minimum,
                    value=value,
                ),
            )
            return None
        if value > maximum:
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' must be %(maximum)s or less, found %(value)s",
                    what=what,
                    name=name,
                    maximum=maximum,
                    value=value,
                ),
            )
            return None
        return value

    def sequence(
        self, fields: dict[str, yaml.Node], name: str, what: str, parent: yaml.Node
    ) -> list[yaml.Node]:
        node = fields.get(name)
        if node is None:
            self.error(
                parent,
                _("%(what)s: missing required field '%(name)s' (a list)", what=what, name=name),
            )
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node,
                _(
                    "%(what)s: '%(name)s' must be a list, found %(found)s",
                    what=what,
                    name=name,
                    found=self.describe(node),
                ),
            )
            return []
        if not node.value:
            self.error(node, _("%(what)s: '%(name)s' must not be empty", what=what, name=name))
        return node.value

    def steps(self, node: yaml.Node, what: str) -> list[str]:
        """A list of practice steps, each short text that is not empty."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node,
                _(
                    "%(what)s: 'steps' must be a list of text, found %(found)s",
                    what=what,
                    found=self.describe(node),
                ),
            )
            return []
        steps: list[str] = []
        limit = MAX_LENGTH["steps"]
        for step_node in node.value:
            step = self.value(step_node)
            if not isinstance(step, str) or not step.strip():
                self.error(
                    step_node, _("%(what)s: each step must be text that is not empty", what=what)
                )
            elif len(step) > limit:
                self.error(
                    step_node,
                    _(
                        "%(what)s: a step is %(length)s characters; at most %(limit)s",
                        what=what,
                        length=len(step),
                        limit=limit,
                    ),
                )
            else:
                steps.append(" ".join(step.split()))
        return steps
