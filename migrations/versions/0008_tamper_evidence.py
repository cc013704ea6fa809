"""Append-only triggers (row and TRUNCATE) and a hash chain over sign-off and audit events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
