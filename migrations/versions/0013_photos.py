"""Photo evidence on "I did it" reports, sign-offs and session notes (bytes in the
database; withdrawn photos keep their row without bytes)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('did_it_id', sa.Integer(), nullable=True),
    sa.Column('signoff_event_id', sa.Integer(), nullable=True),
    sa.Column('session_note_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('content_type', sa.String(length=16), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("content_type IN ('image/jpeg', 'image/png')", name=op.f('ck_photos_content_type')),
    sa.CheckConstraint('(CASE WHEN did_it_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN signoff_event_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN session_note_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_photos_one_record')),
    sa.ForeignKeyConstraint(['did_it_id'], ['did_it_reports.id'], name=op.f('fk_photos_did_it_id_did_it_reports')),
    sa.ForeignKeyConstraint(['mentee_id'], ['mentees.id'], name=op.f('fk_photos_mentee_id_mentees')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_photos_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['session_note_id'], ['session_notes.id'], name=op.f('fk_photos_session_note_id_session_notes')),
    sa.ForeignKeyConstraint(['signoff_event_id'], ['signoff_events.id'], name=op.f('fk_photos_signoff_event_id_signoff_events')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_photos_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_did_it_id'), ['did_it_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_mentee_id'), ['mentee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_session_note_id'), ['session_note_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photos_signoff_event_id'), ['signoff_event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_signoff_event_id'))
        batch_op.drop_index(batch_op.f('ix_photos_session_note_id'))
        batch_op.drop_index(batch_op.f('ix_photos_mentee_id'))
        batch_op.drop_index(batch_op.f('ix_photos_did_it_id'))

    op.drop_table('photos')
