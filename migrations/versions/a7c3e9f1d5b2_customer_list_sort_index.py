"""The customer list's order as an index (issue 15)

customers: ix_customers_sort on (lower(last_name), lower(first_name), id), the order of
services.search_customers, so the list's first page reads 25 index entries instead of sorting
every customer (50,000 in the benchmark: ~90 ms per page on SQLite).

Revision ID: a7c3e9f1d5b2
Revises: f2d8b4a1c6e3
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c3e9f1d5b2'
down_revision = 'f2d8b4a1c6e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_customers_sort', 'customers',
                    [sa.text('lower(last_name)'), sa.text('lower(first_name)'), 'id'])


def downgrade():
    op.drop_index('ix_customers_sort', table_name='customers')
