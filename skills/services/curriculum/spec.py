"""What a checked curriculum file says, and the errors and warnings a check finds.

Shared by `parse` (which builds these from YAML) and `load` (which writes them to the
database).
"""

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

# A node's translations: language code -> field -> text (a list of text for steps).
Translations = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class CurriculumError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class CurriculumWarning:
    """Something a file should fix that does not stop it loading (a missing translation)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        # In the language in use, as the message itself is (English from the command line).
        return f"{self.file}:{self.line}: " + _("warning: %(message)s", message=self.message)


class CurriculumInvalid(Exception):
    """A curriculum file has errors; `errors` lists every one."""

    def __init__(self, errors: list[CurriculumError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class SkillSpec:
    key: str
    title: str
    i_can: str
    description: str
    steps: list[str]
    recheck_days: int | None
    line: int
    translations: Translations = field(default_factory=dict)


@dataclass
class DomainSpec:
    key: str
    title: str
    summary: str
    icon: str
    skills: list[SkillSpec]
    line: int
    translations: Translations = field(default_factory=dict)


@dataclass
class LevelSpec:
    value: int
    name: str
    mentee_text: str
    line: int
    translations: Translations = field(default_factory=dict)


@dataclass
class CurriculumSpec:
    key: str
    version: str
    title: str
    signed_off_level: int
    levels: list[LevelSpec]
    domains: list[DomainSpec]
    sha256: str
    filename: str
    levels_line: int = 1
    translations: Translations = field(default_factory=dict)
    # Loading goes ahead with these; `check` and the upload page show them.
    warnings: list[CurriculumWarning] = field(default_factory=list)

    @property
    def skill_count(self) -> int:
        return sum(len(d.skills) for d in self.domains)
