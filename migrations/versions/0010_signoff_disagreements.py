"""The mentee's "That's not right": signoff_disagreements, append-only like confirmations

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TABLE = 'signoff_disagreements'


# Copied, not imported, so this revision keeps working when the models change
# (skills/models/append_only.py as of this revision).
def _append_only_ddl(dialect):
    if dialect == 'sqlite':
        return [
            f"CREATE TRIGGER {TABLE}_no_{op_.lower()} BEFORE {op_} ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {op_} refused'); END"
            for op_ in ('UPDATE', 'DELETE')
        ]
    return [
        f"CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION USING MESSAGE = '{TABLE} is append-only: ' || TG_OP || ' refused'; "
        "END; "
        "$$ LANGUAGE plpgsql",
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()",
    ]


def upgrade():
    op.create_table(TABLE,
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['signoff_events.id'], name=op.f('fk_signoff_disagreements_event_id_signoff_events')),
    sa.ForeignKeyConstraint(['mentee_id'], ['mentees.id'], name=op.f('fk_signoff_disagreements_mentee_id_mentees')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoff_disagreements')),
    sa.UniqueConstraint('event_id', name=op.f('uq_signoff_disagreements_event_id'))
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoff_disagreements_mentee_id'), ['mentee_id'], unique=False)
    for statement in _append_only_ddl(op.get_context().dialect.name):
        op.execute(statement)


def downgrade():
    # Dropping the table drops its triggers; the PostgreSQL function goes by hand.
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoff_disagreements_mentee_id'))
    op.drop_table(TABLE)
    if op.get_context().dialect.name == 'postgresql':
        op.execute(f"DROP FUNCTION IF EXISTS {TABLE}_append_only()")
