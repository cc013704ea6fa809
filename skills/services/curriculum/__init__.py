"""Curriculum files: `parse` reads and checks them, `load` writes them to the database.

Callers use `from skills.services import curriculum` and the names below.
"""

from .load import LoadSummary, apply_curriculum, load_files
from .parse import (
    KEY_PATTERN,
    MAX_ERRORS,
    MAX_LENGTH,
    check_files,
    curriculum_files,
    error_count,
    parse_curriculum,
    read_curriculum_file,
)
from .spec import (
    CurriculumError,
    CurriculumInvalid,
    CurriculumSpec,
    DomainSpec,
    LevelSpec,
    SkillSpec,
)

__all__ = [
    "KEY_PATTERN",
    "MAX_ERRORS",
    "MAX_LENGTH",
    "CurriculumError",
    "CurriculumInvalid",
    "CurriculumSpec",
    "DomainSpec",
    "LevelSpec",
    "LoadSummary",
    "SkillSpec",
    "apply_curriculum",
    "check_files",
    "curriculum_files",
    "error_count",
    "load_files",
    "parse_curriculum",
    "read_curriculum_file",
]
