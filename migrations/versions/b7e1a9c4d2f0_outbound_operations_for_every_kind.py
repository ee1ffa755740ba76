"""outbound operations for every kind: a subject instead of an order

The outbound engine (webapp/outbound/) runs orders, connection tests and the other catalogue
actions alike, so a row names its subject by type and id instead of a required order_id.
Existing rows become subject ("order", order_id) and hold the exclusive key "order:<id>",
which keeps one delivery row per order as the unique order_id did. New columns: the action
(a catalogue action key), who asked, live progress, sealed one-run inputs and the first
claim's time (started_at, filled from each row's first attempt).

Revision ID: b7e1a9c4d2f0
Revises: 142204e29e5f
Create Date: 2026-12-03 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1a9c4d2f0'
down_revision = '142204e29e5f'
branch_labels = None
depends_on = None

TABLE_KWARGS = {"sqlite_autoincrement": True}


def upgrade():
    with op.batch_alter_table('outbound_operations', table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('action', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('exclusive_key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('requested_by', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('progress', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('kind', existing_type=sa.String(length=20),
                              type_=sa.String(length=40), existing_nullable=False)
    op.execute("UPDATE outbound_operations SET subject_type = 'order', subject_id = order_id, "
               "action = '', exclusive_key = 'order:' || CAST(order_id AS VARCHAR(20)), "
               "requested_by = COALESCE((SELECT ordered_by FROM orders "
               "WHERE orders.id = outbound_operations.order_id), ''), progress = '{}', "
               "started_at = (SELECT MIN(started_at) FROM outbound_attempts "
               "WHERE outbound_attempts.outbound_id = outbound_operations.id)")
    with op.batch_alter_table('outbound_operations', table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.alter_column('subject_type', existing_type=sa.String(length=20), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('action', existing_type=sa.String(length=40), nullable=False)
        batch_op.alter_column('requested_by', existing_type=sa.String(length=120),
                              nullable=False)
        batch_op.alter_column('progress', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_constraint('uq_outbound_operations_order_id', type_='unique')
        batch_op.drop_constraint('fk_outbound_operations_order_id_orders', type_='foreignkey')
        batch_op.drop_column('order_id')
        batch_op.create_unique_constraint('uq_outbound_operations_exclusive_key',
                                          ['exclusive_key'])
        batch_op.create_index('ix_outbound_subject',
                              ['subject_type', 'subject_id', 'action', 'id'], unique=False)


def downgrade():
    # Rows of other kinds have no order: they go, with their attempts.
    op.execute("DELETE FROM outbound_attempts WHERE outbound_id IN (SELECT id FROM "
               "outbound_operations WHERE subject_type <> 'order')")
    op.execute("DELETE FROM outbound_operations WHERE subject_type <> 'order'")
    with op.batch_alter_table('outbound_operations', table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
    op.execute("UPDATE outbound_operations SET order_id = subject_id")
    with op.batch_alter_table('outbound_operations', table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.alter_column('order_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_outbound_operations_order_id_orders', 'orders',
                                    ['order_id'], ['id'])
        batch_op.create_unique_constraint('uq_outbound_operations_order_id', ['order_id'])
        batch_op.drop_index('ix_outbound_subject')
        batch_op.drop_constraint('uq_outbound_operations_exclusive_key', type_='unique')
        for column in ('started_at', 'sealed', 'progress', 'requested_by', 'exclusive_key',
                       'action', 'subject_id', 'subject_type'):
            batch_op.drop_column(column)
        batch_op.alter_column('kind', existing_type=sa.String(length=40),
                              type_=sa.String(length=20), existing_nullable=False)
