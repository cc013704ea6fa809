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


# Plain ALTER TABLE, not batch mode: a batch rebuild of audit_events on SQLite would
# drop its append-only triggers. Existing rows get no client (they predate recording it),
# and no existing password is forced to change.
def upgrade():
    op.add_column('audit_events', sa.Column('client_address', sa.String(length=45), nullable=True))
    op.add_column('audit_events', sa.Column('user_agent', sa.String(length=255), nullable=True))
    op.add_column(
        'users',
        sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade():
    op.drop_column('users', 'must_change_password')
    op.drop_column('audit_events', 'user_agent')
    op.drop_column('audit_events', 'client_address')
