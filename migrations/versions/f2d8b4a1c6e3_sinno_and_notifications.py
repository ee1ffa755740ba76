"""SiNNO and the notification area (issue 14)

notifications: per user, what happened for them, gathered per topic while unread.
sinno_logins: the login of each SiNNO-App service, its token encrypted (EncryptedText).
sinno_messages: the chat, one row per message: (account, SiNNO's message id) is unique, so a
message fetched twice is stored once.
sinno_activations: customers' app access; the mobile number and e-mail address of activated
customers sit in unique columns (NULL when off), so no two activated customers share one.

Revision ID: f2d8b4a1c6e3
Revises: e1c7a3f9b2d4
Create Date: 2026-12-03 14:48:04.005029

"""
from alembic import op
import sqlalchemy as sa


revision = 'f2d8b4a1c6e3'
down_revision = 'e1c7a3f9b2d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('topic', sa.String(length=120), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_topic', ['user_id', 'topic'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'read_at', 'id'], unique=False)

    op.create_table('sinno_activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('mobile', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('held_mobile', sa.String(length=40), nullable=True),
    sa.Column('held_email', sa.String(length=254), nullable=True),
    sa.Column('partner_id', sa.String(length=40), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['interface_services.id'], name=op.f('fk_sinno_activations_account_id_interface_services'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sinno_activations_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sinno_activations')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_sinno_activations_customer_id')),
    sa.UniqueConstraint('held_email', name=op.f('uq_sinno_activations_held_email')),
    sa.UniqueConstraint('held_mobile', name=op.f('uq_sinno_activations_held_mobile')),
    sqlite_autoincrement=True
    )
    op.create_table('sinno_logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('token', sa.Text(), nullable=True),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('company_name', sa.String(length=120), nullable=False),
    sa.Column('company_number', sa.String(length=40), nullable=False),
    sa.Column('logged_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('logged_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chat_cursor', sa.Integer(), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['interface_services.id'], name=op.f('fk_sinno_logins_service_id_interface_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sinno_logins')),
    sa.UniqueConstraint('service_id', name=op.f('uq_sinno_logins_service_id'))
    )
    op.create_table('sinno_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('customer_ref', sa.String(length=40), nullable=False),
    sa.Column('partner_id', sa.String(length=40), nullable=True),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['interface_services.id'], name=op.f('fk_sinno_messages_account_id_interface_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_sinno_messages_customer_id_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sinno_messages')),
    sa.UniqueConstraint('account_id', 'partner_id', name='uq_sinno_message'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('sinno_messages', schema=None) as batch_op:
        batch_op.create_index('ix_sinno_messages_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_sinno_messages_unread', ['account_id', 'direction', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('sinno_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sinno_messages_unread')
        batch_op.drop_index('ix_sinno_messages_customer')

    op.drop_table('sinno_messages')
    op.drop_table('sinno_logins')
    op.drop_table('sinno_activations')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_unread')
        batch_op.drop_index('ix_notifications_user_topic')

    op.drop_table('notifications')
