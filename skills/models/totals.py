"""Figures kept so pages need not count: per-organisation totals of the domain counters,
and version numbers that tell app servers when what they hold in memory is stale.

Both are optimisations, never a second truth: `services.counters` recounts the totals
(`flask check`), and a version only says "read again".
"""

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model

# Writers of one organisation spread their updates of a domain's total over this many
# rows (by mentee id), so concurrent sign-offs on PostgreSQL seldom wait on one row lock.
STRIPES = 8
CURRICULUM_VERSION = "curriculum"
# Tables whose every change (rows, translations, which curricula an organisation uses)
# bumps the curriculum version, by trigger: no writer can forget it.
CURRICULUM_TABLES = ("curricula", "organisation_curricula", "levels", "domains", "skills")
CASELOAD_VERSION = "caseload"
VERSIONS = (CURRICULUM_VERSION, CASELOAD_VERSION)
# Tables whose every change bumps the caseload version, by trigger: what the caseload and
# mentor pages show (mentees, their progress and voice, session notes, who is assigned
# and their names, the organisation's zone). The audit log is not among them: every view
# writes to it.
CASELOAD_TABLES = (
    "organisations",
    "users",
    "mentees",
    "assignments",
    "domain_counters",
    "skill_status",
    "signoff_events",
    "signoff_disagreements",
    "self_ratings",
    "did_it_reports",
    "session_notes",
)


class OrganisationDomainTotal(Model):
    """One stripe of an organisation's totals for a domain: the sum of the domain counters
    of the organisation's mentees whose id falls in the stripe (id % STRIPES)."""

    __tablename__ = "organisation_domain_totals"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    domain_id: Mapped[int] = mapped_column(ForeignKey("domains.id"), primary_key=True)
    stripe: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    signed_off: Mapped[int] = mapped_column()
    started: Mapped[int] = mapped_column()


class CacheVersion(Model):
    """A number set afresh at random by every change to what it names ("curriculum"):
    app servers keep their copy while the number they read from the database is the one
    they built it at. Random, not counted up: a change that was rolled back, or a database
    restored from a backup, can never bring back a number a server built its copy at."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


# A random 53-bit number in each database's own words.
_RANDOM = {"sqlite": "random() / 1024", "postgresql": "floor(random() * 9007199254740991)::bigint"}


def curriculum_version_ddl(table: str, dialect: str) -> list[str]:
    """Triggers that give the curriculum a new version on any change to `table`."""
    return version_ddl(CURRICULUM_VERSION, table, dialect)


def version_ddl(name: str, table: str, dialect: str) -> list[str]:
    """Triggers that give version `name` a new value on any change to `table`."""
    bump = version_bump(name, dialect)
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER {version_trigger(name, table, op)} AFTER {op} ON {table} "
            f"BEGIN {bump}; END"
            for op in ("INSERT", "UPDATE", "DELETE")
        ]
    return [
        f"CREATE OR REPLACE FUNCTION bump_{name}_version() RETURNS trigger AS $$ "
        f"BEGIN {bump}; RETURN NULL; END; $$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {table}_{name}_version "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION bump_{name}_version()",
    ]


def version_trigger(name: str, table: str, op: str) -> str:
    """The name of SQLite's trigger that bumps version `name` on `op` on `table`."""
    return f"{table}_{name}_version_{op.lower()}"


def version_bump(name: str, dialect: str) -> str:
    """The statement that gives version `name` a new value."""
    return (
        f"INSERT INTO cache_versions (name, version) VALUES ('{name}', "  # noqa: S608  # nosec B608
        f"{_RANDOM[dialect]}) ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )
