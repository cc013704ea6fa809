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
from flask_babel import gettext as _

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
    """Check a curriculum file's text; return its content or raise CurriculumInvalid.

    Messages are in the language in use (see `Reader`)."""
    reader = Reader(filename)
    root = safe_yaml.compose(text, filename)
    if root is None:
        raise CurriculumInvalid([CurriculumError(filename, 1, _("the file is empty"))])

    # What the messages call the file's top level ("curriculum: missing ...").
    whole = _("curriculum")
    top = reader.mapping(root, whole, TOP_FIELDS)
    key = reader.key(top, "id", whole, root)
    version_node = top.get("version")
    version = ""
    if version_node is None:
        reader.error(
            root,
            _(
                "%(what)s: missing required field 'version' (text such as \"1.0\")",
                what=whole,
            ),
        )
    else:
        raw = reader.value(version_node)
        if isinstance(raw, str | int) and not isinstance(raw, bool) and str(raw).strip():
            version = str(raw).strip()
        else:
            reader.error(
                version_node,
                _(
                    "%(what)s: 'version' must be text such as \"2026.1\" (in quotes), "
                    "found %(found)s",
                    what=whole,
                    found=reader.describe(version_node),
                ),
            )
    title = reader.text(top, "title", whole, root)
    english = {"title": title}
    translations = read_translations(reader, "curriculum", top, root, whole, english)
    signed_off_level = reader.integer(top, "signed_off_level", whole, root)

    levels = _read_levels(reader, top, root)
    values = [level.value for level in levels]
    if signed_off_level is not None and levels and signed_off_level not in values:
        reader.error(
            top["signed_off_level"],
            _(
                "%(what)s: signed_off_level %(level)s is not a level in the scale; levels are "
                "%(levels)s",
                what=whole,
                level=signed_off_level,
                levels=", ".join(map(str, values)),
            ),
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
    for node in reader.sequence(top, "levels", _("curriculum"), root):
        line = line_of(node)
        what = _("level at line %(line)s", line=line)
        fields = reader.mapping(node, what, LEVEL_FIELDS)
        if not fields:
            continue
        value = reader.integer(fields, "value", what, node)
        name = reader.text(fields, "name", what, node)
        mentee_text = reader.text(fields, "mentee_text", what, node)
        english = {"name": name, "mentee_text": mentee_text}
        label = what if value is None else _("level %(value)s", value=value)
        translations = read_translations(reader, "level", fields, node, label, english)
        if value is None:
            continue
        if value in seen:
            reader.error(
                node,
                _(
                    "%(what)s: level value %(value)s repeats the level at line %(line)s",
                    what=what,
                    value=value,
                    line=seen[value],
                ),
            )
            continue
        if levels and value < levels[-1].value:
            reader.error(
                node, _("%(what)s: levels must be listed from lowest to highest", what=what)
            )
        seen[value] = line
        levels.append(LevelSpec(value, name, mentee_text, line, translations))
    return levels


def _read_domains(reader: Reader, top: dict, root: yaml.Node) -> list[DomainSpec]:
    domains: list[DomainSpec] = []
    domain_lines: dict[str, int] = {}
    skill_lines: dict[str, int] = {}
    for node in reader.sequence(top, "domains", _("curriculum"), root):
        line = line_of(node)
        at_line = _("domain at line %(line)s", line=line)
        fields = reader.mapping(node, at_line, DOMAIN_FIELDS)
        if not fields:
            continue
        key = reader.key(fields, "key", at_line, node)
        what = _("domain '%(key)s'", key=key) if key else at_line
        if key in domain_lines:
            reader.error(
                fields["key"],
                _(
                    "%(what)s: duplicate domain key (first used at line %(line)s)",
                    what=what,
                    line=domain_lines[key],
                ),
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
    at_line = _("skill at line %(line)s", line=line)
    fields = reader.mapping(node, at_line, SKILL_FIELDS)
    if not fields:
        return None
    key = reader.key(fields, "key", at_line, node)
    what = _("skill '%(key)s'", key=key) if key else at_line
    if key in skill_lines:
        reader.error(
            fields["key"],
            _(
                "%(what)s: duplicate skill key (first used at line %(line)s)",
                what=what,
                line=skill_lines[key],
            ),
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
            [CurriculumError(str(path), 1, _("cannot read file: %(error)s", error=exc))]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CurriculumInvalid(
            [CurriculumError(str(path), line, _("not UTF-8 text; save the file as UTF-8"))]
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
