"""Session notes: contacts for the record and for billing, their skills, linked sign-offs
(a link table, so sign-off events stay as they are), addenda and mentee comments;
billing settings on organisations, a credential on users

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
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
    sa.Column('service_code', sa.String(length=16), nullable=False),
    sa.Column('modifiers', sa.String(length=32), nullable=False),
    sa.Column('sign_by', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('signed_name', sa.String(length=120), nullable=True),
    sa.Column('signed_credential', sa.String(length=40), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.CheckConstraint("mode IN ('in_person', 'phone', 'video')", name=op.f('ck_session_notes_mode')),
    sa.CheckConstraint("note_visibility IN ('mentee', 'staff')", name=op.f('ck_session_notes_note_visibility')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_session_notes_times')),
    sa.ForeignKeyConstraint(['mentee_id'], ['mentees.id'], name=op.f('fk_session_notes_mentee_id_mentees')),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_session_notes_mentor_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_session_notes_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_notes')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_session_notes_idempotency_key'))
    )
    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.create_index('ix_session_notes_mentee', ['mentee_id', 'contact_on'], unique=False)
        batch_op.create_index('ix_session_notes_mentor_unsigned', ['mentor_id', 'signed_at'], unique=False)
        batch_op.create_index('ix_session_notes_org_month', ['organisation_id', 'contact_on'], unique=False)

    op.create_table('session_note_addenda',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_session_note_addenda_author_id_users')),
    sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'], name=op.f('fk_session_note_addenda_note_id_session_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_note_addenda'))
    )
    with op.batch_alter_table('session_note_addenda', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_note_addenda_note_id'), ['note_id'], unique=False)

    op.create_table('session_note_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('words', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_session_note_comments_author_id_users')),
    sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'], name=op.f('fk_session_note_comments_note_id_session_notes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_note_comments'))
    )
    with op.batch_alter_table('session_note_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_note_comments_note_id'), ['note_id'], unique=False)

    op.create_table('session_note_skills',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'], name=op.f('fk_session_note_skills_note_id_session_notes')),
    sa.ForeignKeyConstraint(['skill_id'], ['skills.id'], name=op.f('fk_session_note_skills_skill_id_skills')),
    sa.PrimaryKeyConstraint('note_id', 'skill_id', name=op.f('pk_session_note_skills'))
    )
    op.create_table('session_note_signoffs',
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('signoff_event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['note_id'], ['session_notes.id'], name=op.f('fk_session_note_signoffs_note_id_session_notes')),
    sa.ForeignKeyConstraint(['signoff_event_id'], ['signoff_events.id'], name=op.f('fk_session_note_signoffs_signoff_event_id_signoff_events')),
    sa.PrimaryKeyConstraint('note_id', 'signoff_event_id', name=op.f('pk_session_note_signoffs')),
    sa.UniqueConstraint('signoff_event_id', name=op.f('uq_session_note_signoffs_signoff_event_id'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('billing_code', sa.String(length=16), server_default='H0038', nullable=False))
        batch_op.add_column(sa.Column('billing_modifiers', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('unit_minutes', sa.Integer(), server_default='15', nullable=False))
        batch_op.add_column(sa.Column('unit_threshold', sa.Integer(), server_default='8', nullable=False))
        batch_op.add_column(sa.Column('sign_within_days', sa.Integer(), server_default='3', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credential', sa.String(length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('credential')

    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('sign_within_days')
        batch_op.drop_column('unit_threshold')
        batch_op.drop_column('unit_minutes')
        batch_op.drop_column('billing_modifiers')
        batch_op.drop_column('billing_code')

    op.drop_table('session_note_signoffs')
    op.drop_table('session_note_skills')
    with op.batch_alter_table('session_note_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_note_comments_note_id'))

    op.drop_table('session_note_comments')
    with op.batch_alter_table('session_note_addenda', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_note_addenda_note_id'))

    op.drop_table('session_note_addenda')
    with op.batch_alter_table('session_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_session_notes_org_month')
        batch_op.drop_index('ix_session_notes_mentor_unsigned')
        batch_op.drop_index('ix_session_notes_mentee')

    op.drop_table('session_notes')
