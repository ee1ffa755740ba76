"""The interface list's index also holds what its search compares (issue 15)

ix_interface_services_list (workstation_id, group_position, lower(name), id) gives the list
its default order. Its search compares search_name, branch_id and interface_key of every
chain and branch service: in the count, and in the page until 25 match. With those three
columns at the end of the index, the count reads the index alone and the page tests each
entry without reading its row (SQLite, the benchmark's search: count 1.04 → 0.47 ms, page
0.47 → 0.27 ms). The order it gives is unchanged.

Revision ID: c6e8a0b2d4f6
Revises: b5d7f9a1c3e5
Create Date: 2026-12-04 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c6e8a0b2d4f6'
down_revision = 'b5d7f9a1c3e5'
branch_labels = None
depends_on = None

ORDER = ['workstation_id', 'group_position', sa.text('lower(name)'), 'id']


def upgrade():
    op.drop_index('ix_interface_services_list', table_name='interface_services')
    op.create_index('ix_interface_services_list', 'interface_services',
                    ORDER + ['search_name', 'branch_id', 'interface_key'])


def downgrade():
    op.drop_index('ix_interface_services_list', table_name='interface_services')
    op.create_index('ix_interface_services_list', 'interface_services', ORDER)
