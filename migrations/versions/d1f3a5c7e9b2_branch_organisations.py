"""Branch organisations (Filialorganisationen)

branch_organisations are named groups of branches (a region, say), kept under Verwaltung →
Filialorganisationen; branch_organisation_members says which branches each holds. Deleting
a branch or an organisation deletes its memberships with it.

Revision ID: d1f3a5c7e9b2
Revises: b5d9e3a7c2f4
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd1f3a5c7e9b2'
down_revision = 'b5d9e3a7c2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('branch_organisations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_organisations')),
    sa.UniqueConstraint('name', name=op.f('uq_branch_organisations_name')),
    sqlite_autoincrement=True
    )
    op.create_table('branch_organisation_members',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'],
                            name=op.f('fk_branch_organisation_members_branch_id_branches'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['branch_organisations.id'],
                            name=op.f('fk_branch_organisation_members_organisation_id_branch_organisations'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'branch_id',
                            name=op.f('pk_branch_organisation_members'))
    )
    with op.batch_alter_table('branch_organisation_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_branch_organisation_members_branch_id'),
                              ['branch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('branch_organisation_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_organisation_members_branch_id'))
    op.drop_table('branch_organisation_members')
    op.drop_table('branch_organisations')
