"""Audoora registrations: what the portal holds of the chain, per Audoora service

One row per service, written when the portal accepted a registration or refresh: the
portal's registration id and revision, when, the body last sent and its fingerprint (a
refresh is due when the current data gives another), and the branches listed back.

Revision ID: a9c4e1f7d2b3
Revises: e7a3c5d9f1b2
Create Date: 2026-12-03 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9c4e1f7d2b3'
down_revision = 'e7a3c5d9f1b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audoora_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('registration_id', sa.String(length=40), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('sent', sa.JSON(), nullable=False),
        sa.Column('portal_branches', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'],
                                name=op.f('fk_audoora_registrations_service_id_interface_services'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audoora_registrations')),
        sa.UniqueConstraint('service_id', name=op.f('uq_audoora_registrations_service_id')),
    )


def downgrade():
    op.drop_table('audoora_registrations')
