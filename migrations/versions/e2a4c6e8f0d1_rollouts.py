"""Roll-outs to many branches (issue 18, Auf Filialen übertragen)

rollouts: one row per roll-out of a service, its state (running → done / stopped /
cancelled) and the claim of the worker applying it; rollout_steps: one row per chosen branch,
what happens there (create / update / skip), the branch's values (secrets encrypted) and the
step's state.

Revision ID: e2a4c6e8f0d1
Revises: d1f3a5c7e9b2
Create Date: 2026-12-03 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e2a4c6e8f0d1'
down_revision = 'd1f3a5c7e9b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rollouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('source_name', sa.String(length=120), nullable=False),
    sa.Column('interface_key', sa.String(length=64), nullable=False),
    sa.Column('carried', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('running', 'stopped', 'done', 'cancelled')", name=op.f('ck_rollouts_state')),
    sa.ForeignKeyConstraint(['source_id'], ['interface_services.id'], name=op.f('fk_rollouts_source_id_interface_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollouts')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('rollouts', schema=None) as batch_op:
        batch_op.create_index('ix_rollouts_state_lease', ['state', 'lease_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_rollouts_source_id'), ['source_id'], unique=False)

    op.create_table('rollout_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rollout_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('branch_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('step_values', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('numbers', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'done', 'failed', 'skipped', 'cancelled')", name=op.f('ck_rollout_steps_state')),
    sa.CheckConstraint("action IN ('create', 'update', 'skip')", name=op.f('ck_rollout_steps_action')),
    sa.ForeignKeyConstraint(['rollout_id'], ['rollouts.id'], name=op.f('fk_rollout_steps_rollout_id_rollouts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_rollout_steps_branch_id_branches'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rollout_steps')),
    sa.UniqueConstraint('rollout_id', 'position', name=op.f('uq_rollout_steps_rollout_id')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('rollout_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollout_steps_branch_id'), ['branch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('rollout_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollout_steps_branch_id'))
    op.drop_table('rollout_steps')
    with op.batch_alter_table('rollouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollouts_source_id'))
        batch_op.drop_index('ix_rollouts_state_lease')
    op.drop_table('rollouts')
