"""initial schema

Tables: chain, branches, workstations, users, companies, login attempts, change log,
LDAP and OIDC settings.
Generated from the models, then reviewed: named constraints (pk_/uq_/fk_/ck_) come from the
naming convention in webapp/extensions.py, so SQLite and PostgreSQL get the same names; the
app's column types (UTC, EncryptedText) are written as the plain types they store
(DateTime(timezone=True), Text), so this file does not import application code.

Revision ID: 826e397798b6
Revises:
Create Date: 2026-11-20 23:42:22.398700

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '826e397798b6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('branches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('short_code', sa.String(length=10), nullable=False),
    sa.Column('street', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('office_street', sa.String(length=120), nullable=False),
    sa.Column('office_postal_code', sa.String(length=10), nullable=False),
    sa.Column('office_city', sa.String(length=80), nullable=False),
    sa.Column('office_email', sa.String(length=254), nullable=False),
    sa.Column('office_phone', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_branches')),
    sa.UniqueConstraint('name', name=op.f('uq_branches_name')),
    sa.UniqueConstraint('short_code', name=op.f('uq_branches_short_code'))
    )
    op.create_table('chain',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('admins_may_view_secrets', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain'))
    )
    op.create_table('change_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=120), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('entity_label', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('branch_name', sa.String(length=120), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_log'))
    )
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.create_index('ix_change_log_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_log_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_change_log_entity', ['entity_type', 'entity_id'], unique=False)

    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_supplier', sa.Boolean(), nullable=False),
    sa.Column('is_manufacturer', sa.Boolean(), nullable=False),
    sa.Column('is_lab', sa.Boolean(), nullable=False),
    sa.Column('street', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ordering_active', sa.Boolean(), nullable=False),
    sa.Column('order_form', sa.String(length=12), nullable=False),
    sa.Column('order_email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("order_form IN ('document', 'phone', 'interface')", name=op.f('ck_companies_order_form')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('name', name=op.f('uq_companies_name'))
    )
    op.create_table('ldap_settings',
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
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ldap_settings'))
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=45), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_address_at', ['address', 'at'], unique=False)
        batch_op.create_index('ix_login_attempts_username_at', ['username', 'at'], unique=False)

    op.create_table('oidc_settings',
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
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('preferred_language', sa.String(length=5), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('auth_source', sa.String(length=10), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('notify_order_errors', sa.Boolean(), nullable=False),
    sa.Column('notify_order_delivered', sa.Boolean(), nullable=False),
    sa.Column('notify_chat_messages', sa.Boolean(), nullable=False),
    sa.Column('notify_interface_failures', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_token', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("auth_source IN ('local', 'ldap', 'oidc')", name=op.f('ck_users_auth_source')),
    sa.CheckConstraint("role IN ('admin', 'branch_manager', 'staff')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('customer_numbers',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_customer_numbers_branch_id_branches')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_customer_numbers_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('company_id', 'branch_id', name=op.f('pk_customer_numbers'))
    )
    with op.batch_alter_table('customer_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_numbers_branch_id'), ['branch_id'], unique=False)

    op.create_table('user_branches',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_user_branches_branch_id_branches')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_branches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'branch_id', name=op.f('pk_user_branches'))
    )
    with op.batch_alter_table('user_branches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_branches_branch_id'), ['branch_id'], unique=False)

    op.create_table('workstations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['branches.id'], name=op.f('fk_workstations_branch_id_branches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workstations')),
    sa.UniqueConstraint('name', name=op.f('uq_workstations_name'))
    )
    with op.batch_alter_table('workstations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workstations_branch_id'), ['branch_id'], unique=False)



def downgrade():
    with op.batch_alter_table('workstations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workstations_branch_id'))

    op.drop_table('workstations')
    with op.batch_alter_table('user_branches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_branches_branch_id'))

    op.drop_table('user_branches')
    with op.batch_alter_table('customer_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_numbers_branch_id'))

    op.drop_table('customer_numbers')
    op.drop_table('users')
    op.drop_table('oidc_settings')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_username_at')
        batch_op.drop_index('ix_login_attempts_address_at')

    op.drop_table('login_attempts')
    op.drop_table('ldap_settings')
    op.drop_table('companies')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_index('ix_change_log_entity')
        batch_op.drop_index(batch_op.f('ix_change_log_branch_id'))
        batch_op.drop_index('ix_change_log_at')

    op.drop_table('change_log')
    op.drop_table('chain')
    op.drop_table('branches')
