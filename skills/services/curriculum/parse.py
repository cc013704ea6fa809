"""Reading and checking curriculum files.

A file is checked in full before anything is written: every error is reported with
its file and line (up to MAX_ERRORS a file), and a file with any error loads nothing.
The YAML itself is read by `safe_yaml`, which refuses what a curriculum never needs
(anchors, aliases, tags, deep nesting) before building anything. Parsing touches no
database; `load` writes what it returns.
"""

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import safe_yaml
from .spec import (
    CurriculumError,
    CurriculumInvalid,
    CurriculumSpec,
    DomainSpec,
    LevelSpec,
    SkillSpec,
)

KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

TOP_FIELDS = {"id", "version", "title", "signed_off_level", "levels", "domains"}
LEVEL_FIELDS = {"value", "name", "mentee_text"}
DOMAIN_FIELDS = {"key", "title", "summary", "icon", "skills"}
SKILL_FIELDS = {"key", "title", "i_can", "description", "steps", "recheck_days"}

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

# A file with more errors than this lists the first ones and says how many more; a
# generated or badly broken file can otherwise have hundreds of thousands.
MAX_ERRORS = 100


@dataclass(frozen=True)
class MoreErrors(CurriculumError):
    """Stands in for the errors in one file past MAX_ERRORS, which are not listed."""

    count: int = 0


def error_count(errors: Iterable[CurriculumError]) -> int:
    """How many errors a list stands for, counting those that are not listed."""
    return sum(e.count if isinstance(e, MoreErrors) else 1 for e in errors)


def _capped(errors: list[CurriculumError]) -> list[CurriculumError]:
    errors = sorted(errors, key=lambda e: e.line)
    if len(errors) <= MAX_ERRORS:
        return errors
    first_hidden = errors[MAX_ERRORS]
    hidden = len(errors) - MAX_ERRORS
    return [
        *errors[:MAX_ERRORS],
        MoreErrors(
            first_hidden.file,
            first_hidden.line,
            f"and {hidden:,} more {'problem' if hidden == 1 else 'problems'} from this line "
            "on, not listed; fix the ones above and check the file again.",
            hidden,
        ),
    ]


def _shown(value: object, limit: int = 60) -> str:
    """A value from the file as quoted in a message, cut short if long."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_TYPE_NAMES = {
    str: "text",
    int: "a whole number",
    list: "a list",
    dict: "a mapping of fields",
    bool: "true or false",
    float: "a number",
    type(None): "nothing",
}


class _Reader:
    """Walks the YAML node tree, converting values and collecting errors with lines."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[CurriculumError] = []

    def error(self, node_or_line: yaml.Node | int, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        self.errors.append(CurriculumError(self.filename, line, message))

    def mapping(self, node: yaml.Node, what: str, allowed: set[str]) -> dict[str, yaml.Node]:
        """Return field name -> value node, reporting duplicates and unknown fields."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what}: expected a mapping of fields, found {self.describe(node)}")
            return {}
        fields: dict[str, yaml.Node] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: a field name must be a word, not a list or mapping")
                continue
            name = str(key_node.value)
            if name in fields:
                self.error(
                    key_node,
                    f"{what}: duplicate field '{_shown(name)}' (first given at line "
                    f"{first_line[name]})",
                )
                continue
            if name not in allowed:
                self.error(
                    key_node,
                    f"{what}: unknown field '{_shown(name)}'; allowed fields are "
                    + ", ".join(sorted(allowed)),
                )
                continue
            fields[name] = value_node
            first_line[name] = key_node.start_mark.line + 1
        return fields

    def value(self, node: yaml.Node) -> Any:
        if isinstance(node, safe_yaml.Scalar):
            return node.data  # converted and checked as the file was read
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        return dict(node.value)

    def describe(self, node: yaml.Node) -> str:
        value = self.value(node)
        return _TYPE_NAMES.get(type(value), type(value).__name__)

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
                self.error(parent, f"{what}: missing required field '{name}' (text)")
            return ""
        value = self.value(node)
        if not isinstance(value, str):
            self.error(node, f"{what}: '{name}' must be text, found {self.describe(node)}")
            return ""
        value = " ".join(value.split())
        if required and not value:
            self.error(node, f"{what}: '{name}' must not be empty")
        limit = MAX_LENGTH.get(name)
        if limit and len(value) > limit:
            self.error(node, f"{what}: '{name}' is {len(value)} characters; at most {limit}")
        return value

    def key(self, fields: dict[str, yaml.Node], name: str, what: str, parent: yaml.Node) -> str:
        value = self.text(fields, name, what, parent)
        if value and not KEY_PATTERN.match(value):
            self.error(
                fields[name],
                f"{what}: '{name}' '{_shown(value)}' must be lowercase letters, digits and single "
                "hyphens (for example get-transit-card)",
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
                self.error(parent, f"{what}: missing required field '{name}' (a whole number)")
            return None
        value = self.value(node)
        if not isinstance(value, int) or isinstance(value, bool):
            self.error(
                node, f"{what}: '{name}' must be a whole number, found {self.describe(node)}"
            )
            return None
        if value < minimum:
            self.error(node, f"{what}: '{name}' must be {minimum} or more, found {value}")
            return None
        if value > maximum:
            self.error(node, f"{what}: '{name}' must be {maximum} or less, found {value}")
            return None
        return value

    def sequence(
        self, fields: dict[str, yaml.Node], name: str, what: str, parent: yaml.Node
    ) -> list[yaml.Node]:
        node = fields.get(name)
        if node is None:
            self.error(parent, f"{what}: missing required field '{name}' (a list)")
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what}: '{name}' must be a list, found {self.describe(node)}")
            return []
        if not node.value:
            self.error(node, f"{what}: '{name}' must not be empty")
        return node.value


def parse_curriculum(text: str, filename: str = "<curriculum>") -> CurriculumSpec:
    """Check a curriculum file's text; return its content or raise CurriculumInvalid."""
    reader = _Reader(filename)
    root = safe_yaml.compose(text, filename)
    if root is None:
        raise CurriculumInvalid([CurriculumError(filename, 1, "the file is empty")])

    top = reader.mapping(root, "curriculum", TOP_FIELDS)
    key = reader.key(top, "id", "curriculum", root)
    version_node = top.get("version")
    version = ""
    if version_node is None:
        reader.error(root, "curriculum: missing required field 'version' (text such as \"1.0\")")
    else:
        raw = reader.value(version_node)
        if isinstance(raw, str | int) and not isinstance(raw, bool) and str(raw).strip():
            version = str(raw).strip()
        else:
            reader.error(
                version_node,
                f"curriculum: 'version' must be text such as \"2026.1\" (in quotes), "
                f"found {reader.describe(version_node)}",
            )
    title = reader.text(top, "title", "curriculum", root)
    signed_off_level = reader.integer(top, "signed_off_level", "curriculum", root)

    levels = _read_levels(reader, top, root)
    values = [level.value for level in levels]
    if signed_off_level is not None and levels and signed_off_level not in values:
        reader.error(
            top["signed_off_level"],
            f"curriculum: signed_off_level {signed_off_level} is not a level in the scale; "
            f"levels are {', '.join(map(str, values))}",
        )

    domains = _read_domains(reader, top, root)
    if reader.errors:
        raise CurriculumInvalid(_capped(reader.errors))
    levels_node = top["levels"]
    return CurriculumSpec(
        key=key,
        version=version,
        title=title,
        signed_off_level=signed_off_level or 0,
        levels=levels,
        domains=domains,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        filename=filename,
        levels_line=levels_node.start_mark.line + 1,
    )


def _read_levels(reader: _Reader, top: dict, root: yaml.Node) -> list[LevelSpec]:
    levels: list[LevelSpec] = []
    seen: dict[int, int] = {}
    for node in reader.sequence(top, "levels", "curriculum", root):
        line = node.start_mark.line + 1
        what = f"level at line {line}"
        fields = reader.mapping(node, what, LEVEL_FIELDS)
        if not fields:
            continue
        value = reader.integer(fields, "value", what, node)
        name = reader.text(fields, "name", what, node)
        mentee_text = reader.text(fields, "mentee_text", what, node)
        if value is None:
            continue
        if value in seen:
            reader.error(
                node, f"{what}: level value {value} repeats the level at line {seen[value]}"
            )
            continue
        if levels and value < levels[-1].value:
            reader.error(node, f"{what}: levels must be listed from lowest to highest")
        seen[value] = line
        levels.append(LevelSpec(value, name, mentee_text, line))
    return levels


def _read_domains(reader: _Reader, top: dict, root: yaml.Node) -> list[DomainSpec]:
    domains: list[DomainSpec] = []
    domain_lines: dict[str, int] = {}
    skill_lines: dict[str, int] = {}
    for node in reader.sequence(top, "domains", "curriculum", root):
        line = node.start_mark.line + 1
        fields = reader.mapping(node, f"domain at line {line}", DOMAIN_FIELDS)
        if not fields:
            continue
        key = reader.key(fields, "key", f"domain at line {line}", node)
        what = f"domain '{key}'" if key else f"domain at line {line}"
        if key in domain_lines:
            reader.error(
                fields["key"],
                f"{what}: duplicate domain key (first used at line {domain_lines[key]})",
            )
        elif key:
            domain_lines[key] = line
        domain = DomainSpec(
            key=key,
            title=reader.text(fields, "title", what, node),
            summary=reader.text(fields, "summary", what, node, required=False),
            icon=reader.text(fields, "icon", what, node, required=False),
            skills=[],
            line=line,
        )
        for skill_node in reader.sequence(fields, "skills", what, node):
            skill = _read_skill(reader, skill_node, skill_lines)
            if skill:
                domain.skills.append(skill)
        domains.append(domain)
    return domains


def _read_skill(reader: _Reader, node: yaml.Node, skill_lines: dict[str, int]) -> SkillSpec | None:
    line = node.start_mark.line + 1
    fields = reader.mapping(node, f"skill at line {line}", SKILL_FIELDS)
    if not fields:
        return None
    key = reader.key(fields, "key", f"skill at line {line}", node)
    what = f"skill '{key}'" if key else f"skill at line {line}"
    if key in skill_lines:
        reader.error(
            fields["key"], f"{what}: duplicate skill key (first used at line {skill_lines[key]})"
        )
    elif key:
        skill_lines[key] = line
    i_can = reader.text(fields, "i_can", what, node)
    if i_can and not i_can.startswith("I can "):
        reader.error(fields["i_can"], f"{what}: 'i_can' must start with \"I can \"")
    steps: list[str] = []
    steps_node = fields.get("steps")
    if steps_node is not None:
        if not isinstance(steps_node, yaml.SequenceNode):
            reader.error(
                steps_node,
                f"{what}: 'steps' must be a list of text, found {reader.describe(steps_node)}",
            )
        else:
            for step_node in steps_node.value:
                step = reader.value(step_node)
                if not isinstance(step, str) or not step.strip():
                    reader.error(step_node, f"{what}: each step must be text that is not empty")
                elif len(step) > MAX_LENGTH["steps"]:
                    reader.error(
                        step_node, f"{what}: a step is {len(step)} characters; at most 300"
                    )
                else:
                    steps.append(" ".join(step.split()))
    return SkillSpec(
        key=key,
        title=reader.text(fields, "title", what, node),
        i_can=i_can,
        description=reader.text(fields, "description", what, node),
        steps=steps,
        recheck_days=reader.integer(
            fields, "recheck_days", what, node, required=False, minimum=1, maximum=MAX_RECHECK_DAYS
        ),
        line=line,
    )


def read_curriculum_file(path: Path) -> CurriculumSpec:
    """Parse one file from disk, reporting unreadable files like any other error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CurriculumInvalid(
            [CurriculumError(str(path), 1, f"cannot read file: {exc}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CurriculumInvalid(
            [CurriculumError(str(path), line, "not UTF-8 text; save the file as UTF-8")]
        ) from None
    return parse_curriculum(text, str(path))


def check_files(paths: Iterable[Path]) -> list[CurriculumError]:
    """Every error in every file; an empty list means all files are good."""
    errors: list[CurriculumError] = []
    for path in paths:
        try:
            read_curriculum_file(path)
        except CurriculumInvalid as exc:
            errors.extend(exc.errors)
    return errors


def curriculum_files(directory: Path) -> list[Path]:
    """The curriculum files in a folder: *.yaml, then *.yml, each sorted by name."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file()) + sorted(
        p for p in directory.glob("*.yml") if p.is_file()
    )
