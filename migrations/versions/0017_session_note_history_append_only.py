"""Session-note history append-only: versions, addenda, the mentee's comments and the
linked sign-offs refuse UPDATE and DELETE (and TRUNCATE); a signed note refuses them too

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# Copied, not imported, so this revision keeps working when the models change
# (skills/models/append_only.py as of this revision: append_only_ddl, signed_notes_ddl).
NEWLY_APPEND_ONLY = (
    'session_note_versions',
    'session_note_addenda',
    'session_note_comments',
    'session_note_signoffs',
)
NOTES = 'session_notes'
OPERATIONS = ('UPDATE', 'DELETE')


def _append_only_ddl(table, dialect):
    if dialect == 'sqlite':
        return [
            f"CREATE TRIGGER {table}_no_{op_.lower()} BEFORE {op_} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op_} refused'); END"
            for op_ in OPERATIONS
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION USING MESSAGE = '{table} is append-only: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()",
    ]


def _signed_notes_ddl(dialect):
    # Signing is the last UPDATE a note takes: of a row whose signed_at is still NULL.
    if dialect == 'sqlite':
        return [
            f"CREATE TRIGGER {NOTES}_signed_no_{op_.lower()} BEFORE {op_} ON {NOTES} "
            "WHEN OLD.signed_at IS NOT NULL "
            f"BEGIN SELECT RAISE(ABORT, 'a signed session note cannot change: {op_} refused'); "
            "END"
            for op_ in OPERATIONS
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {NOTES}_signed() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION USING MESSAGE = "
        "'a signed session note cannot change: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {NOTES}_signed BEFORE UPDATE OR DELETE ON {NOTES} "
        f"FOR EACH ROW WHEN (OLD.signed_at IS NOT NULL) EXECUTE FUNCTION {NOTES}_signed()",
        f"CREATE TRIGGER {NOTES}_no_truncate BEFORE TRUNCATE ON {NOTES} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {NOTES}_signed()",
    ]


def upgrade():
    # Rows already there stay as they are: the services only ever added to these tables.
    dialect = op.get_context().dialect.name
    for table in NEWLY_APPEND_ONLY:
        for statement in _append_only_ddl(table, dialect):
            op.execute(statement)
    for statement in _signed_notes_ddl(dialect):
        op.execute(statement)


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        op.execute(f"DROP TRIGGER IF EXISTS {NOTES}_no_truncate ON {NOTES}")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTES}_signed ON {NOTES}")
        op.execute(f"DROP FUNCTION IF EXISTS {NOTES}_signed()")
        for table in NEWLY_APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        return
    for op_ in OPERATIONS:
        op.execute(f"DROP TRIGGER IF EXISTS {NOTES}_signed_no_{op_.lower()}")
        for table in NEWLY_APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op_.lower()}")
