"""Audoora partner lists and the nightly refresh setting

audoora_partner_lists keeps, per Audoora service, the partner companies the portal listed
when last asked ("Partnerliste abrufen"); the chain gets audoora_auto_refresh, whether the
registration is refreshed at night when something changed (default off).

Revision ID: c5e2a8f4b1d7
Revises: f3b8d2e6a4c1
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c5e2a8f4b1d7'
down_revision = 'f3b8d2e6a4c1'
branch_labels = None
depends_on = None

# SQLite rebuilds the table for a column with an expression as its default (and to drop
# one): the rebuilt chain table keeps AUTOINCREMENT (142204e29e5f), which it would lose.
CHAIN = {"sqlite_autoincrement": True}


def upgrade():
    op.create_table(
        'audoora_partner_lists',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('partners', sa.JSON(), nullable=False),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'],
                                name=op.f('fk_audoora_partner_lists_service_id_interface_services'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audoora_partner_lists')),
        sa.UniqueConstraint('service_id', name=op.f('uq_audoora_partner_lists_service_id')),
    )
    with op.batch_alter_table('chain', schema=None, table_kwargs=CHAIN) as batch_op:
        batch_op.add_column(sa.Column('audoora_auto_refresh', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('chain', schema=None, table_kwargs=CHAIN) as batch_op:
        batch_op.drop_column('audoora_auto_refresh')
    op.drop_table('audoora_partner_lists')
