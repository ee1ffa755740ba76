"""Planned credential changes (issue 18, Zugangsdaten planmäßig ändern)

credential_plans: one row per plan and its state machine (planned → swapping → testing →
done / rolled_back, or cancelled); the new and the previous secrets encrypted
(EncryptedText); open_key unique while the plan is open, so a service has one open plan.

Revision ID: c4e8a2d6f1b3
Revises: a7c3e9f1d5b2
Create Date: 2026-12-03 18:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e8a2d6f1b3'
down_revision = 'a7c3e9f1d5b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('open_key', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('new_secrets', sa.Text(), nullable=True),
    sa.Column('previous_secrets', sa.Text(), nullable=True),
    sa.Column('planned_by', sa.String(length=120), nullable=False),
    sa.Column('planned_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('test_run_id', sa.Integer(), nullable=True),
    sa.Column('failed_step', sa.String(length=20), nullable=False),
    sa.Column('failed_reason', sa.String(length=20), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('swapped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('planned', 'swapping', 'testing', 'done', 'rolled_back', 'cancelled')", name=op.f('ck_credential_plans_state')),
    sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'], name=op.f('fk_credential_plans_service_id_interface_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_plans')),
    sa.UniqueConstraint('open_key', name=op.f('uq_credential_plans_open_key')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('credential_plans', schema=None) as batch_op:
        batch_op.create_index('ix_credential_plans_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_credential_plans_service', ['service_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('credential_plans', schema=None) as batch_op:
        batch_op.drop_index('ix_credential_plans_service')
        batch_op.drop_index('ix_credential_plans_due')
    op.drop_table('credential_plans')
