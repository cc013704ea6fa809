"""Session notes: versions kept by each edit of an unsigned note, the key shared by the
notes of one group contact and the organization's group modifiers; photos keep the
small copy made at upload (older photos get theirs when first shown)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 17:12:29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_note_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(), nullable=False),
    sa.Column('contact_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.Time(), nullable=False),
    sa.Column('ends_at', sa.Time(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('what_we_did', sa.Text(), nullable=False),
    sa.Column('how_it_went', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=False),
    sa.Column('note_visibility', sa.String(length=8), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('skill_ids', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'], name=op.f('fk_session_note_versions_note_id_session_notes')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['users.id'], name=op.f('fk_session_note_versions_replaced_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_note_versions')),
    sa.UniqueConstraint('note_id', 'number', name=op.f('uq_session_note_versions_note_id'))
    )

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_modifiers', sa.String(length=32), server_default='HQ', nullable=False))

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thumbnail', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_key', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_session_notes_group_key'), ['group_key'], unique=False)


def downgrade():
    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_notes_group_key'))
        batch_op.drop_column('group_key')

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_column('thumbnail')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('group_modifiers')

    op.drop_table('session_note_versions')
