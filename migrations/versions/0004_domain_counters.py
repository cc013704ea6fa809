"""Per-mentee, per-domain counters filled from the status rows; an index of refreshers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The counters of an existing database come from its current-status rows, counted the
# way skills.services.counters counts them.
FILL = """
INSERT INTO domain_counters (mentee_id, domain_id, signed_off, started, last_shown_on)
SELECT s.mentee_id, k.domain_id,
       SUM(CASE WHEN s.signed_off THEN 1 ELSE 0 END),
       SUM(CASE WHEN NOT s.signed_off AND s.level > 0 THEN 1 ELSE 0 END),
       MAX(s.shown_on)
FROM skill_status s JOIN skills k ON k.id = s.skill_id
WHERE NOT k.retired
GROUP BY s.mentee_id, k.domain_id
"""


def upgrade():
    op.create_table('domain_counters',
    sa.Column('mentee_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('signed_off', sa.Integer(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=False),
    sa.Column('last_shown_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_domain_counters_domain_id_domains')),
    sa.ForeignKeyConstraint(['mentee_id'], ['mentees.id'], name=op.f('fk_domain_counters_mentee_id_mentees')),
    sa.PrimaryKeyConstraint('mentee_id', 'domain_id', name=op.f('pk_domain_counters'))
    )
    op.execute(FILL)
    op.create_index(
        'ix_skill_status_refresher', 'skill_status', ['mentee_id'], unique=False,
        sqlite_where=sa.text('needs_refresher = 1'), postgresql_where=sa.text('needs_refresher'),
    )


def downgrade():
    op.drop_index('ix_skill_status_refresher', table_name='skill_status')
    op.drop_table('domain_counters')
