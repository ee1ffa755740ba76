"""Login sessions, and login locks an administrator lifts

Revision ID: 5e55b0a1c0de
Revises: c7a1d2e3f4b5
Create Date: 2026-12-03 08:49:14.791182

Each login gets a row (the cookie carries its token, the table its hash), so that logout, a
new password and an administrator end it for real; the per-user session token it replaces
goes. A failed login attempt can be cleared: by a login of the same username from the same
address, or by an administrator lifting the lock (docs/security.md). Existing sessions end
with the upgrade: everybody logs in once more.
"""
from alembic import op
import sqlalchemy as sa


revision = '5e55b0a1c0de'
down_revision = 'c7a1d2e3f4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_login_sessions_token_hash'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_last_seen_at'), ['last_seen_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cleared', sa.Boolean(), server_default=sa.false(), nullable=False))

    # Not in a batch: on SQLite that copies the table and drops the old one, which with
    # foreign keys on would delete every user's branches (user_branches cascades). SQLite
    # drops a plain column in place since 3.35.
    op.drop_column('users', 'session_token')


def downgrade():
    op.add_column('users', sa.Column('session_token', sa.String(length=32), nullable=False,
                                     server_default=''))

    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_column('cleared')

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
        batch_op.drop_index(batch_op.f('ix_login_sessions_last_seen_at'))

    op.drop_table('login_sessions')
