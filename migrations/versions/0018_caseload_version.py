"""A caseload version that triggers bump on any change to what the caseload and mentor
pages show (app servers cache those pages' rendered lists per viewer)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 12:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Copied, not imported, so this revision keeps working when the models change.
CASELOAD_TABLES = (
    'organisations', 'users', 'mentees', 'assignments', 'domain_counters', 'skill_status',
    'signoff_events', 'signoff_disagreements', 'self_ratings', 'did_it_reports', 'session_notes',
)
# A new random version (not a count: a rolled-back change must never bring back a
# number an app server built its cached copy at).
RANDOM = {'sqlite': 'random() / 1024', 'postgresql': 'floor(random() * 9007199254740991)::bigint'}


def _bump(dialect):
    return (
        f"INSERT INTO cache_versions (name, version) VALUES ('caseload', {RANDOM[dialect]}) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )


def _triggers(dialect):
    if dialect == 'sqlite':
        return [
            f"CREATE TRIGGER {table}_caseload_version_{op_.lower()} AFTER {op_} ON {table} "
            f"BEGIN {_bump(dialect)}; END"
            for table in CASELOAD_TABLES
            for op_ in ('INSERT', 'UPDATE', 'DELETE')
        ]
    return [
        "CREATE OR REPLACE FUNCTION bump_caseload_version() RETURNS trigger AS $$ "
        f"BEGIN {_bump(dialect)}; RETURN NULL; END; $$ LANGUAGE plpgsql"
    ] + [
        f"CREATE TRIGGER {table}_caseload_version "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_caseload_version()"
        for table in CASELOAD_TABLES
    ]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.execute(_bump(dialect))
    for statement in _triggers(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in CASELOAD_TABLES:
        if dialect == 'sqlite':
            for op_ in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_caseload_version_{op_}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_caseload_version ON {table}")
    if dialect != 'sqlite':
        op.execute("DROP FUNCTION IF EXISTS bump_caseload_version()")
    # The 'caseload' row stays: downgrades keep the rows of the tables they leave.
