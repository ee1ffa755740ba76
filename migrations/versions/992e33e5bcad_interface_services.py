"""interface services

Tables: interface_services (configured services at chain, branch or workstation scope),
interface_service_secrets (encrypted secret field values), interface_service_companies (the
companies a service's company/supplier fields name, with the exclusivity slot of the
ear-mould rule).
Generated from the models, then reviewed: every constraint carries the name of the naming
convention (pk_/uq_/fk_/ck_), so SQLite and PostgreSQL get the same names; the encrypted
column is written as the Text it stores; the CHECK expressions are plain SQL both accept.

Revision ID: 992e33e5bcad
Revises: 826e397798b6
Create Date: 2026-11-21 00:07:01.950553

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '992e33e5bcad'
down_revision = '826e397798b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('interface_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interface_key', sa.String(length=64), nullable=False),
    sa.Column('group_key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('workstation_id', sa.Integer(), nullable=True),
    sa.Column('usage_server', sa.Boolean(), nullable=False),
    sa.Column('usage_client', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('field_values', sa.JSON(), nullable=False),
    sa.Column('unique_slot', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('branch_id IS NULL OR workstation_id IS NULL', name=op.f('ck_interface_services_one_scope')),
    sa.CheckConstraint('usage_server OR usage_client', name=op.f('ck_interface_services_usage')),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_interface_services_branch_id_branches')),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstations.id'], name=op.f('fk_interface_services_workstation_id_workstations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interface_services')),
    sa.UniqueConstraint('unique_slot', name=op.f('uq_interface_services_unique_slot'))
    )
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interface_services_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_interface_services_group_name', ['group_key', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_interface_services_interface_key'), ['interface_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_interface_services_workstation_id'), ['workstation_id'], unique=False)

    op.create_table('interface_service_companies',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('field_key', sa.String(length=64), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('exclusive_slot', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_interface_service_companies_company_id_companies')),
    sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'], name=op.f('fk_interface_service_companies_service_id_interface_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'field_key', 'company_id', name=op.f('pk_interface_service_companies')),
    sa.UniqueConstraint('exclusive_slot', 'company_id', name=op.f('uq_interface_service_companies_exclusive_slot'))
    )
    with op.batch_alter_table('interface_service_companies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interface_service_companies_company_id'), ['company_id'], unique=False)

    op.create_table('interface_service_secrets',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('field_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'], name=op.f('fk_interface_service_secrets_service_id_interface_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'field_key', name=op.f('pk_interface_service_secrets'))
    )


def downgrade():
    op.drop_table('interface_service_secrets')
    with op.batch_alter_table('interface_service_companies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interface_service_companies_company_id'))

    op.drop_table('interface_service_companies')
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interface_services_workstation_id'))
        batch_op.drop_index(batch_op.f('ix_interface_services_interface_key'))
        batch_op.drop_index('ix_interface_services_group_name')
        batch_op.drop_index(batch_op.f('ix_interface_services_branch_id'))

    op.drop_table('interface_services')
