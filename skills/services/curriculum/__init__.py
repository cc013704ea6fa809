"""Curriculum files: `parse` reads and checks them (with `reader` and `translations`),
`load` writes them to the database, `export` writes one back out.

Callers use `from skills.services import curriculum` and the names below.
"""

from .load import LoadSummary, apply_curriculum, load_files, summary_text
from .parse import (
    check_files,
    check_report,
    curriculum_files,
    parse_curriculum,
    read_curriculum_file,
)
from .reader import KEY_PATTERN, MAX_ERRORS, MAX_LENGTH, error_count
from .spec import (
    CurriculumError,
    CurriculumInvalid,
    CurriculumSpec,
    CurriculumWarning,
    DomainSpec,
    LevelSpec,
    SkillSpec,
)
from .translations import I_CAN, SOURCE_LANGUAGE, TRANSLATION_LANGUAGES

__all__ = [
    "I_CAN",
    "KEY_PATTERN",
    "MAX_ERRORS",
    "MAX_LENGTH",
    "SOURCE_LANGUAGE",
    "TRANSLATION_LANGUAGES",
    "CurriculumError",
    "CurriculumInvalid",
    "CurriculumSpec",
    "CurriculumWarning",
    "DomainSpec",
    "LevelSpec",
    "LoadSummary",
    "SkillSpec",
    "apply_curriculum",
    "check_files",
    "check_report",
    "curriculum_files",
    "error_count",
    "load_files",
    "parse_curriculum",
    "read_curriculum_file",
    "summary_text",
]
