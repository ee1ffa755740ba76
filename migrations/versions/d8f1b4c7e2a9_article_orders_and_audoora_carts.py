"""Article orders and the Audoora cart

Stock management's orders get a second kind besides ear moulds: articles (order_lines, one
row per article with quantity and, once the partner's catalogue identified it, the
partner's article id). audoora_carts mirrors the Audoora cart of an order that the portal
could not place at once: what is missing, the customer number entered, and when its 6
hours end.

Revision ID: d8f1b4c7e2a9
Revises: c5e2a8f4b1d7
Create Date: 2026-12-05 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd8f1b4c7e2a9'
down_revision = 'c5e2a8f4b1d7'
branch_labels = None
depends_on = None

# The rebuilt orders table keeps AUTOINCREMENT on SQLite (142204e29e5f).
ORDERS = {"sqlite_autoincrement": True}


def upgrade():
    with op.batch_alter_table('orders', table_kwargs=ORDERS) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_order_type'), type_='check')
        batch_op.create_check_constraint(op.f('ck_orders_order_type'),
                                         "order_type IN ('ear_mould', 'articles')")
    op.create_table(
        'order_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('line_no', sa.Integer(), nullable=False),
        sa.Column('article_number', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.Column('article_id', sa.String(length=60), nullable=False),
        sa.Column('removed', sa.Boolean(), nullable=False),
        sa.CheckConstraint('quantity >= 1 AND quantity <= 9999',
                           name=op.f('ck_order_lines_quantity')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines')),
    )
    op.create_index(op.f('ix_order_lines_order_id'), 'order_lines', ['order_id'])
    op.create_table(
        'audoora_carts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('cart_id', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('customer_number', sa.String(length=40), nullable=False),
        sa.Column('missing', sa.JSON(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'ordering', 'ordered', 'expired')",
                           name=op.f('ck_audoora_carts_state')),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'],
                                name=op.f('fk_audoora_carts_order_id_orders'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audoora_carts')),
        sa.UniqueConstraint('order_id', name=op.f('uq_audoora_carts_order_id')),
    )
    op.create_index(op.f('ix_audoora_carts_expires_at'), 'audoora_carts', ['expires_at'])


def downgrade():
    op.drop_index(op.f('ix_audoora_carts_expires_at'), table_name='audoora_carts')
    op.drop_table('audoora_carts')
    op.drop_index(op.f('ix_order_lines_order_id'), table_name='order_lines')
    op.drop_table('order_lines')
    # Article orders have no place in the old schema: they go with their lines.
    op.execute("DELETE FROM outbound_attempts WHERE outbound_id IN (SELECT id FROM "
               "outbound_operations WHERE subject_type = 'order' AND subject_id IN "
               "(SELECT id FROM orders WHERE order_type <> 'ear_mould'))")
    op.execute("DELETE FROM outbound_operations WHERE subject_type = 'order' AND subject_id "
               "IN (SELECT id FROM orders WHERE order_type <> 'ear_mould')")
    op.execute("DELETE FROM orders WHERE order_type <> 'ear_mould'")
    with op.batch_alter_table('orders', table_kwargs=ORDERS) as batch_op:
        batch_op.drop_constraint(op.f('ck_orders_order_type'), type_='check')
        batch_op.create_check_constraint(op.f('ck_orders_order_type'),
                                         "order_type = 'ear_mould'")
