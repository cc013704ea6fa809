"""Curriculum translations: each curriculum, level, domain and skill keeps its text in
the program's other languages beside the English ({"es": {"title": ...}})

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TABLES = ('curricula', 'levels', 'domains', 'skills')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            # Rows loaded before translations existed have none.
            batch_op.add_column(
                sa.Column('translations', sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
