"""Curricula have an owner: the shared library (no organisation) or one organisation; which library curricula each organisation uses

Every existing curriculum becomes a library curriculum and every existing organisation
goes on using every one of them, so nobody's pages change. No sign-off, status or
counter row is touched.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LIBRARY_ONLY = sa.text("organisation_id IS NULL")


def _rebuilding_curricula(rebuild):
    """SQLite rebuilds `curricula` to change its constraints (copy, drop, rename): with
    foreign keys enforced, dropping a table others point at fails, so they are off for
    the rebuild and every reference is checked once it is done."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        rebuild()
        return
    op.execute("PRAGMA foreign_keys = OFF")
    try:
        rebuild()
        broken = bind.execute(sa.text("PRAGMA foreign_key_check")).all()
        if broken:
            raise RuntimeError(f"references broken by the rebuild of curricula: {broken}")
    finally:
        op.execute("PRAGMA foreign_keys = ON")


def _add_owner():
    with op.batch_alter_table('curricula', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_curricula_key', type_='unique')
        batch_op.create_foreign_key(
            batch_op.f('fk_curricula_organisation_id_organisations'),
            'organisations', ['organisation_id'], ['id'],
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_curricula_organisation_id'), ['organisation_id', 'key']
        )
        batch_op.create_index(
            batch_op.f('ix_curricula_organisation_id'), ['organisation_id'], unique=False
        )


def _drop_owner():
    with op.batch_alter_table('curricula', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_curricula_organisation_id'))
        batch_op.drop_constraint(batch_op.f('uq_curricula_organisation_id'), type_='unique')
        batch_op.drop_constraint(
            batch_op.f('fk_curricula_organisation_id_organisations'), type_='foreignkey'
        )
        batch_op.drop_column('organisation_id')
        batch_op.create_unique_constraint('uq_curricula_key', ['key'])


def upgrade():
    _rebuilding_curricula(_add_owner)
    op.create_index(
        'uq_curricula_library_key', 'curricula', ['key'], unique=True,
        sqlite_where=LIBRARY_ONLY, postgresql_where=LIBRARY_ONLY,
    )
    op.create_table(
        'organisation_curricula',
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('curriculum_id', sa.Integer(), nullable=False),
        sa.Column('adopted_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['curriculum_id'], ['curricula.id'],
            name=op.f('fk_organisation_curricula_curriculum_id_curricula'),
        ),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisations.id'],
            name=op.f('fk_organisation_curricula_organisation_id_organisations'),
        ),
        sa.PrimaryKeyConstraint(
            'organisation_id', 'curriculum_id', name=op.f('pk_organisation_curricula')
        ),
    )
    with op.batch_alter_table('organisation_curricula', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_organisation_curricula_curriculum_id'), ['curriculum_id'], unique=False
        )
    # Everyone keeps what they saw: each organisation uses every curriculum there is.
    op.execute(
        "INSERT INTO organisation_curricula (organisation_id, curriculum_id, adopted_at) "
        "SELECT o.id, c.id, CURRENT_TIMESTAMP FROM organisations o CROSS JOIN curricula c"
    )


def downgrade():
    bind = op.get_bind()
    owned = bind.execute(
        sa.text("SELECT DISTINCT key FROM curricula WHERE organisation_id IS NOT NULL ORDER BY key")
    ).scalars().all()
    if owned:
        # Before 0005 a key named one curriculum for everyone: an organisation's own
        # curriculum has no place there, and dropping it would drop its history.
        raise RuntimeError(
            "Cannot downgrade below 0005: organisations own curricula "
            f"({', '.join(owned)}); the older schema has no owner to keep them apart."
        )
    with op.batch_alter_table('organisation_curricula', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_curricula_curriculum_id'))
    op.drop_table('organisation_curricula')
    op.drop_index(
        'uq_curricula_library_key', table_name='curricula',
        sqlite_where=LIBRARY_ONLY, postgresql_where=LIBRARY_ONLY,
    )
    _rebuilding_curricula(_drop_owner)
