"""Interface health: the nightly re-test's settings and day markers, and failure notices

The chain gets the time of its nightly connection tests (chain time zone, "HH:MM"; empty:
none) and after how many failed tests in a row an alert goes out. health_runs holds one row
per day whose nightly run was started (the unique day is the claim, so workers racing for it
start it once); health_notices the in-app notices about failing and recovered services.

Revision ID: d4e8f1a2b3c6
Revises: b7e1a9c4d2f0
Create Date: 2026-12-04 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e8f1a2b3c6'
down_revision = 'b7e1a9c4d2f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('chain', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_check_time', sa.String(length=5), nullable=False,
                                      server_default='02:00'))
        batch_op.add_column(sa.Column('health_alert_after', sa.Integer(), nullable=False,
                                      server_default='3'))
    op.create_table(
        'health_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('tests', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_health_runs')),
        sa.UniqueConstraint('day', name=op.f('uq_health_runs_day')),
    )
    op.create_table(
        'health_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('service_name', sa.String(length=120), nullable=False),
        sa.Column('interface_key', sa.String(length=64), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=True),
        sa.Column('streak_id', sa.Integer(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('failing', 'recovered')",
                           name=op.f('ck_health_notices_kind')),
        sa.ForeignKeyConstraint(['branch_id'], ['branches.id'],
                                name=op.f('fk_health_notices_branch_id_branches'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'],
                                name=op.f('fk_health_notices_service_id_interface_services'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_health_notices')),
        sa.UniqueConstraint('service_id', 'streak_id', 'kind',
                            name=op.f('uq_health_notices_service_id')),
        sqlite_autoincrement=True,
    )
    op.create_index('ix_health_notices_branch', 'health_notices', ['branch_id', 'id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_health_notices_branch', table_name='health_notices')
    op.drop_table('health_notices')
    op.drop_table('health_runs')
    with op.batch_alter_table('chain', schema=None) as batch_op:
        batch_op.drop_column('health_alert_after')
        batch_op.drop_column('health_check_time')
