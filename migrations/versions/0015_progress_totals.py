"""Org-wide figures in constant time: each mentee's latest sign-off date on their row,
per-organisation per-domain totals of the domain counters (in stripes), and a curriculum
version that triggers bump on any curriculum change (app servers cache the curriculum)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

STRIPES = 8
CURRICULUM_TABLES = ('curricula', 'organisation_curricula', 'levels', 'domains', 'skills')
# A new random version (not a count: a rolled-back change must never bring back a
# number an app server built its cached copy at).
RANDOM = {'sqlite': 'random() / 1024', 'postgresql': 'floor(random() * 9007199254740991)::bigint'}


def _bump(dialect):
    return (
        f"INSERT INTO cache_versions (name, version) VALUES ('curriculum', {RANDOM[dialect]}) "
        "ON CONFLICT (name) DO UPDATE SET version = excluded.version"
    )
# Filled the way skills.services.counters keeps them.
FILL_LAST = """
UPDATE mentees SET last_signoff_on = (
    SELECT MAX(c.last_shown_on) FROM domain_counters c WHERE c.mentee_id = mentees.id
)
"""
FILL_TOTALS = f"""
INSERT INTO organisation_domain_totals (organisation_id, domain_id, stripe, signed_off, started)
SELECT m.organisation_id, c.domain_id, m.id % {STRIPES}, SUM(c.signed_off), SUM(c.started)
FROM domain_counters c JOIN mentees m ON m.id = c.mentee_id
GROUP BY m.organisation_id, c.domain_id, m.id % {STRIPES}
"""


def _triggers(dialect):
    if dialect == 'sqlite':
        return [
            f"CREATE TRIGGER {table}_curriculum_version_{op_.lower()} AFTER {op_} ON {table} "
            f"BEGIN {_bump(dialect)}; END"
            for table in CURRICULUM_TABLES
            for op_ in ('INSERT', 'UPDATE', 'DELETE')
        ]
    return [
        "CREATE OR REPLACE FUNCTION bump_curriculum_version() RETURNS trigger AS $$ "
        f"BEGIN {_bump(dialect)}; RETURN NULL; END; $$ LANGUAGE plpgsql"
    ] + [
        f"CREATE TRIGGER {table}_curriculum_version "
        f"AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION bump_curriculum_version()"
        for table in CURRICULUM_TABLES
    ]


def upgrade():
    with op.batch_alter_table('mentees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_signoff_on', sa.Date(), nullable=True))
    op.execute(FILL_LAST)
    op.create_index(
        'ix_mentees_progress', 'mentees',
        ['organisation_id', 'status', 'last_signoff_on', 'start_date'], unique=False,
    )
    op.create_table('organisation_domain_totals',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('domain_id', sa.Integer(), nullable=False),
    sa.Column('stripe', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('signed_off', sa.Integer(), nullable=False),
    sa.Column('started', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['domain_id'], ['domains.id'], name=op.f('fk_organisation_domain_totals_domain_id_domains')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_organisation_domain_totals_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('organisation_id', 'domain_id', 'stripe', name=op.f('pk_organisation_domain_totals'))
    )
    op.execute(FILL_TOTALS)
    op.create_table('cache_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO cache_versions (name, version) VALUES ('curriculum', {RANDOM[dialect]})"
    )
    for statement in _triggers(dialect):
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for table in CURRICULUM_TABLES:
        if dialect == 'sqlite':
            for op_ in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_curriculum_version_{op_}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_curriculum_version ON {table}")
    if dialect != 'sqlite':
        op.execute("DROP FUNCTION IF EXISTS bump_curriculum_version()")
    op.drop_table('cache_versions')
    op.drop_table('organisation_domain_totals')
    op.drop_index('ix_mentees_progress', table_name='mentees')
    with op.batch_alter_table('mentees', schema=None) as batch_op:
        batch_op.drop_column('last_signoff_on')
