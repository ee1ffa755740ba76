"""Chain setting: customers restricted to the users' own branches

Revision ID: c7a1d2e3f4b5
Revises: 0755711f8779
Create Date: 2026-12-03 09:00:00

Customers are chain-wide by default; a chain that wants it keeps branch managers and staff to
the customers of their own branches (docs/permissions.md).
"""
from alembic import op
import sqlalchemy as sa


revision = 'c7a1d2e3f4b5'
down_revision = '0755711f8779'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chain', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customers_by_branch', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('chain', schema=None) as batch_op:
        batch_op.drop_column('customers_by_branch')
