"""All models, importable from one place; append-only rules live here too."""

from sqlalchemy import DDL, Table, event

from .audit import AuditEvent
from .curriculum import Curriculum, CurriculumLoad, Domain, Level, Skill
from .people import ROLES, Assignment, Mentee, Organisation, User
from .security import LoginFailure
from .signoffs import DomainCounter, GroupSession, SignoffEvent, SkillStatus
from .voice import DidItReport, Goal, SelfRating, SignoffConfirmation, SkillResource

APPEND_ONLY_TABLES = ("signoff_events", "audit_events")


def append_only_ddl(table: str, dialect: str) -> list[str]:
    """SQL that makes the database itself refuse UPDATE and DELETE on `table`."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
            for op in ("UPDATE", "DELETE")
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION USING MESSAGE = '{table} is append-only: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
    ]


def _attach_append_only(table: Table) -> None:
    for dialect in ("sqlite", "postgresql"):
        for statement in append_only_ddl(table.name, dialect):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


for _table in (SignoffEvent.__table__, AuditEvent.__table__):
    _attach_append_only(_table)

__all__ = [
    "ROLES",
    "Assignment",
    "AuditEvent",
    "Curriculum",
    "DidItReport",
    "DomainCounter",
    "Goal",
    "SelfRating",
    "SignoffConfirmation",
    "SkillResource",
    "CurriculumLoad",
    "Domain",
    "GroupSession",
    "Level",
    "LoginFailure",
    "Mentee",
    "Organisation",
    "Skill",
    "SignoffEvent",
    "SkillStatus",
    "User",
]
