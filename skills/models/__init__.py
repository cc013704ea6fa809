"""All models, importable from one place; append-only rules live here too."""

from sqlalchemy import DDL, Table, event

from ..extensions import Model
from .append_only import APPEND_ONLY_TABLES, SIGNED_NOTES, append_only_ddl, signed_notes_ddl
from .audit import AuditEvent
from .chain import chain_model
from .curriculum import Curriculum, CurriculumAdoption, CurriculumLoad, Domain, Level, Skill
from .evidence import Photo
from .people import ROLES, Assignment, Mentee, Organisation, User
from .security import SignInThrottle
from .session_notes import (
    SessionNote,
    SessionNoteAddendum,
    SessionNoteComment,
    SessionNoteSignoff,
    SessionNoteSkill,
)
from .signoffs import DomainCounter, GroupSession, SignoffEvent, SkillStatus
from .totals import (
    CASELOAD_TABLES,
    CASELOAD_VERSION,
    CURRICULUM_TABLES,
    CacheVersion,
    OrganisationDomainTotal,
    curriculum_version_ddl,
    version_ddl,
)
from .two_step import RecoveryCode
from .voice import (
    DidItReport,
    Goal,
    SelfRating,
    SignoffConfirmation,
    SignoffDisagreement,
    SkillResource,
)


def _attach_append_only(table: Table) -> None:
    for dialect in ("sqlite", "postgresql"):
        statements = (
            signed_notes_ddl(dialect)
            if table.name == SIGNED_NOTES
            else append_only_ddl(table.name, dialect)
        )
        for statement in statements:
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


for _table in Model.metadata.sorted_tables:
    if _table.name in (*APPEND_ONLY_TABLES, SIGNED_NOTES):
        _attach_append_only(_table)
for _table in Model.metadata.sorted_tables:
    if _table.name in CURRICULUM_TABLES:
        for _dialect in ("sqlite", "postgresql"):
            for _statement in curriculum_version_ddl(_table.name, _dialect):
                event.listen(_table, "after_create", DDL(_statement).execute_if(dialect=_dialect))
    if _table.name in CASELOAD_TABLES:
        for _dialect in ("sqlite", "postgresql"):
            for _statement in version_ddl(CASELOAD_VERSION, _table.name, _dialect):
                event.listen(_table, "after_create", DDL(_statement).execute_if(dialect=_dialect))
for _model in (SignoffEvent, AuditEvent):
    chain_model(_model)

__all__ = [
    "CacheVersion",
    "OrganisationDomainTotal",
    "CurriculumAdoption",
    "ROLES",
    "Assignment",
    "AuditEvent",
    "Curriculum",
    "DidItReport",
    "DomainCounter",
    "Goal",
    "SelfRating",
    "SignoffConfirmation",
    "SignoffDisagreement",
    "SkillResource",
    "CurriculumLoad",
    "Domain",
    "GroupSession",
    "Level",
    "Mentee",
    "Organisation",
    "Photo",
    "RecoveryCode",
    "Skill",
    "SignInThrottle",
    "SessionNote",
    "SessionNoteAddendum",
    "SessionNoteComment",
    "SessionNoteSignoff",
    "SessionNoteSkill",
    "SignoffEvent",
    "SkillStatus",
    "User",
]
