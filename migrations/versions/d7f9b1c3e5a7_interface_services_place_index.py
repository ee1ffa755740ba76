"""Services are found by their place: branch and workstation together (issue 15)

The effective configuration (and the jobs that resolve one) reads the services that apply at
a workstation: the chain's (branch_id IS NULL AND workstation_id IS NULL), its branch's and
its own. The chain's were found through the index of branch_id alone, then every branch-less
row was read to test workstation_id: thousands on SQLite, a scan of the table on PostgreSQL
(2.7 ms of 10,000 services). An index of (branch_id, workstation_id) finds them directly
(PostgreSQL 0.33 ms, SQLite 0.49 → 0.26 ms for the whole statement) and serves every lookup
by branch_id, so it replaces that index.

Revision ID: d7f9b1c3e5a7
Revises: c6e8a0b2d4f6
Create Date: 2026-12-04 17:35:00

"""
from alembic import op


revision = 'd7f9b1c3e5a7'
down_revision = 'c6e8a0b2d4f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_interface_services_place', 'interface_services',
                    ['branch_id', 'workstation_id'])
    op.drop_index('ix_interface_services_branch_id', table_name='interface_services')


def downgrade():
    op.create_index('ix_interface_services_branch_id', 'interface_services', ['branch_id'])
    op.drop_index('ix_interface_services_place', table_name='interface_services')
