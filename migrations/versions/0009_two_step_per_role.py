"""Two-step sign-in required per role; encrypted secrets; recovery codes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 14:00:00

- `organisations.require_two_step` (a boolean that meant "admins and case managers")
  becomes `two_step_roles`, space-separated roles; true becomes every staff role
  (admin, case manager, mentor: mentors read mentee records too).
- `organisations.time_zone`, default America/New_York.
- `users.totp_secret` is encrypted here, with the running app's key. Unlike the other
  revisions this one imports application code (`skills.secrets_crypto`): the key must be
  derived exactly as the app derives it (TOTP_KEY, else SECRET_KEY). A SQL-only (offline)
  run cannot read rows, so it leaves them plain; the app still reads a plain value (it
  has no "v1:" prefix) and encrypts it the next time it is written.
- `recovery_codes`: keyed hashes of one-time codes.
"""
from alembic import context, op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

STAFF_ROLES = 'admin case_manager mentor'
users = sa.table('users', sa.column('id', sa.Integer), sa.column('totp_secret', sa.String))


def _rewrite_secrets(change) -> None:
    """Apply `change` to every stored two-step secret (online runs only)."""
    if context.is_offline_mode():
        return
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()
    for user_id, stored in rows:
        new = change(stored)
        if new != stored:
            conn.execute(users.update().where(users.c.id == user_id).values(totp_secret=new))


def upgrade():
    from skills.secrets_crypto import encrypt, is_encrypted

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('two_step_roles', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), server_default='America/New_York', nullable=False))
    op.execute(
        sa.text("UPDATE organisations SET two_step_roles = :roles WHERE require_two_step")
        .bindparams(roles=STAFF_ROLES)
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('require_two_step')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255), existing_nullable=True)
    config = current_app.config
    _rewrite_secrets(lambda stored: stored if is_encrypted(stored) else encrypt(stored, config))

    op.create_table('recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recovery_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
    sa.UniqueConstraint('user_id', 'code_hash', name=op.f('uq_recovery_codes_user_id'))
    )
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_codes_user_id'), ['user_id'], unique=False)


def downgrade():
    from skills.secrets_crypto import decrypt

    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_codes_user_id'))
    op.drop_table('recovery_codes')

    # Back to plain text; a secret that does not open with this key stops the downgrade
    # (SecretUnreadable) rather than being lost or truncated.
    config = current_app.config
    _rewrite_secrets(lambda stored: decrypt(stored, config))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64), existing_nullable=True)

    # The boolean meant "admins and case managers": any required role turns it on.
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_two_step', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE organisations SET require_two_step = (two_step_roles <> '')")
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.alter_column('require_two_step', existing_type=sa.Boolean(), server_default=None)
        batch_op.drop_column('time_zone')
        batch_op.drop_column('two_step_roles')
