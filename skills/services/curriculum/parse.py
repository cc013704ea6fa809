"""Reading and checking curriculum files.

A file is checked in full before anything is written: every error is reported with
its file and line (up to MAX_ERRORS a file), and a file with any error loads nothing.
Warnings (a text with no translation) are reported the same way but load. The YAML
itself is read by `safe_yaml`, which refuses what a curriculum never needs (anchors,
aliases, tags, deep nesting) before building anything; `reader` converts each field and
`translations` reads the translations beside each text. Parsing touches no database;
`load` writes what it returns.
"""

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from . import safe_yaml
from .reader import MAX_RECHECK_DAYS, Reader, capped_errors, capped_warnings, line_of
from .spec import (
    CurriculumError,
    CurriculumInvalid,
    CurriculumSpec,
    CurriculumWarning,
    DomainSpec,
    LevelSpec,
    SkillSpec,
)
from .translations import SOURCE_LANGUAGE, i_can_rule, read_translations

TOP_FIELDS = {"id", "version", "title", "signed_off_level", "levels", "domains", "translations"}
LEVEL_FIELDS = {"value", "name", "mentee_text", "translations"}
DOMAIN_FIELDS = {"key", "title", "summary", "icon", "skills", "translations"}
SKILL_FIELDS = {"key", "title", "i_can", "description", "steps", "recheck_days", "translations"}


def parse_curriculum(text: str, filename: str = "<curriculum>") -> CurriculumSpec:
    """Check a curriculum file's text; return its content or raise CurriculumInvalid."""
    reader = Reader(filename)
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
    english = {"title": title}
    translations = read_translations(reader, "curriculum", top, root, "curriculum", english)
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
        raise CurriculumInvalid(capped_errors(reader.errors))
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
        levels_line=line_of(levels_node),
        translations=translations,
        warnings=capped_warnings(reader.warnings),
    )


def _read_levels(reader: Reader, top: dict, root: yaml.Node) -> list[LevelSpec]:
    levels: list[LevelSpec] = []
    seen: dict[int, int] = {}
    for node in reader.sequence(top, "levels", "curriculum", root):
        line = line_of(node)
        what = f"level at line {line}"
        fields = reader.mapping(node, what, LEVEL_FIELDS)
        if not fields:
            continue
        value = reader.integer(fields, "value", what, node)
        name = reader.text(fields, "name", what, node)
        mentee_text = reader.text(fields, "mentee_text", what, node)
        english = {"name": name, "mentee_text": mentee_text}
        label = what if value is None else f"level {value}"
        translations = read_translations(reader, "level", fields, node, label, english)
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
        levels.append(LevelSpec(value, name, mentee_text, line, translations))
    return levels


def _read_domains(reader: Reader, top: dict, root: yaml.Node) -> list[DomainSpec]:
    domains: list[DomainSpec] = []
    domain_lines: dict[str, int] = {}
    skill_lines: dict[str, int] = {}
    for node in reader.sequence(top, "domains", "curriculum", root):
        line = line_of(node)
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
        title = reader.text(fields, "title", what, node)
        summary = reader.text(fields, "summary", what, node, required=False)
        domain = DomainSpec(
            key=key,
            title=title,
            summary=summary,
            icon=reader.text(fields, "icon", what, node, required=False),
            skills=[],
            line=line,
            translations=read_translations(
                reader, "domain", fields, node, what, {"title": title, "summary": summary}
            ),
        )
        for skill_node in reader.sequence(fields, "skills", what, node):
            skill = _read_skill(reader, skill_node, skill_lines)
            if skill:
                domain.skills.append(skill)
        domains.append(domain)
    return domains


def _read_skill(reader: Reader, node: yaml.Node, skill_lines: dict[str, int]) -> SkillSpec | None:
    line = line_of(node)
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
    if "i_can" in fields:
        i_can_rule(reader, fields["i_can"], i_can, SOURCE_LANGUAGE, what)
    steps_node = fields.get("steps")
    english: dict[str, Any] = {
        "title": reader.text(fields, "title", what, node),
        "i_can": i_can,
        "description": reader.text(fields, "description", what, node),
        "steps": [] if steps_node is None else reader.steps(steps_node, what),
    }
    return SkillSpec(
        key=key,
        **english,
        recheck_days=reader.integer(
            fields, "recheck_days", what, node, required=False, minimum=1, maximum=MAX_RECHECK_DAYS
        ),
        line=line,
        translations=read_translations(reader, "skill", fields, node, what, english),
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
    return check_report(paths)[0]


def check_report(paths: Iterable[Path]) -> tuple[list[CurriculumError], list[CurriculumWarning]]:
    """Every error in every file, and the warnings of the files that have no error."""
    errors: list[CurriculumError] = []
    warnings: list[CurriculumWarning] = []
    for path in paths:
        try:
            warnings.extend(read_curriculum_file(path).warnings)
        except CurriculumInvalid as exc:
            errors.extend(exc.errors)
    return errors, warnings


def curriculum_files(directory: Path) -> list[Path]:
    """The curriculum files in a folder: *.yaml, then *.yml, each sorted by name."""
    return sorted(p for p in directory.glob("*.yaml") if p.is_file()) + sorted(
        p for p in directory.glob("*.yml") if p.is_file()
    )
