"""The interface list's search compares a stored folded name (issue 15)

interface_services.search_name: the service's name as the search compares it
(records.fold_text: lower case, ß as ss), kept by the model with every change of the name.
The search filtered every chain and branch service by folding its name in SQL per request
(a CASE with translate() on PostgreSQL, a call into Python for some names on SQLite); now a
plain LIKE over the stored value. Existing rows are folded here, in Python, as the model
folds them.

Revision ID: b5d7f9a1c3e5
Revises: a4c6e8f0b2d3
Create Date: 2026-12-04 02:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b5d7f9a1c3e5'
down_revision = 'a4c6e8f0b2d3'
branch_labels = None
depends_on = None

BATCH = 1000


def fold(text):
    """records.fold_text as of this revision."""
    return None if text is None else text.lower().replace("ß", "ss")


def upgrade():
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=240), server_default='',
                                      nullable=False))
    services = sa.table('interface_services', sa.column('id', sa.Integer),
                        sa.column('name', sa.String), sa.column('search_name', sa.String))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(services.c.id, services.c.name)
                                  .where(services.c.id > last).order_by(services.c.id)
                                  .limit(BATCH)).all()
        if not rows:
            break
        connection.execute(services.update().where(services.c.id == sa.bindparam('row_id'))
                           .values(search_name=sa.bindparam('folded')),
                           [{'row_id': row.id, 'folded': fold(row.name)} for row in rows])
        last = rows[-1].id


def downgrade():
    # SQLite drops a column by copying the table, which cannot carry an index over an
    # expression: the list's index is made again afterwards.
    op.drop_index('ix_interface_services_list', table_name='interface_services')
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    op.create_index('ix_interface_services_list', 'interface_services',
                    ['workstation_id', 'group_position', sa.text('lower(name)'), 'id'])
