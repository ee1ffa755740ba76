"""Drop the directory settings tables

ldap_settings and oidc_settings held what the /directory/ screen saved; the migration
e7a3c5d9f1b2 moved it into the chain's LDAP and OpenID Connect interface
services, which the login reads. Their change-log entries stay (entity types ldap_settings /
oidc_settings, shown with the old screen's labels by directory/history.py).

Downgrade recreates both tables empty, as the downgrade of e7a3c5d9f1b2 expects them (it
moves the services' values back into them).

Revision ID: f3b8d2e6a4c1
Revises: a9c4e1f7d2b3
Create Date: 2026-12-05 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f3b8d2e6a4c1'
down_revision = 'a9c4e1f7d2b3'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_table('ldap_settings')
    op.drop_table('oidc_settings')


def _tracked():
    return (sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
            sa.Column('updated_by', sa.String(length=120), nullable=True),
            sa.Column('version', sa.Integer(), nullable=False))


def downgrade():
    op.create_table(
        'ldap_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('url', sa.String(length=255), nullable=False),
        sa.Column('start_tls', sa.Boolean(), nullable=False),
        sa.Column('ca_cert', sa.Text(), nullable=False),
        sa.Column('bind_dn', sa.String(length=255), nullable=False),
        sa.Column('bind_password', sa.Text(), nullable=True),
        sa.Column('user_base', sa.String(length=255), nullable=False),
        sa.Column('user_filter', sa.String(length=255), nullable=False),
        sa.Column('group_base', sa.String(length=255), nullable=False),
        sa.Column('group_filter', sa.String(length=255), nullable=False),
        sa.Column('attr_name', sa.String(length=64), nullable=False),
        sa.Column('attr_email', sa.String(length=64), nullable=False),
        sa.Column('attr_phone', sa.String(length=64), nullable=False),
        sa.Column('role_map', sa.JSON(), nullable=False),
        sa.Column('branch_group_prefix', sa.String(length=64), nullable=False),
        sa.Column('branch_attribute', sa.String(length=64), nullable=False),
        sa.Column('branch_map', sa.JSON(), nullable=False),
        sa.Column('connect_timeout', sa.Integer(), nullable=False),
        sa.Column('read_timeout', sa.Integer(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ldap_settings')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'oidc_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('provider_name', sa.String(length=60), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('client_secret', sa.Text(), nullable=True),
        sa.Column('scopes', sa.String(length=255), nullable=False),
        sa.Column('username_claim', sa.String(length=64), nullable=False),
        sa.Column('role_claim', sa.String(length=64), nullable=False),
        sa.Column('role_map', sa.JSON(), nullable=False),
        sa.Column('branch_claim', sa.String(length=64), nullable=False),
        sa.Column('branch_prefix', sa.String(length=64), nullable=False),
        sa.Column('branch_map', sa.JSON(), nullable=False),
        sa.Column('create_unknown_users', sa.Boolean(), nullable=False),
        sa.Column('timeout', sa.Integer(), nullable=False),
        *_tracked(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_settings')),
        sqlite_autoincrement=True,
    )
