"""The interface list's order as a stored column and an index (issue 15)

interface_services.group_position: the position of the service's group in the catalogue's
order (catalogue.group_position), which the list sorts by first. It was a CASE over the 47
group keys, evaluated for every chain and branch service of every list page; stored, the
index ix_interface_services_list (workstation_id, group_position, lower(name), id) serves the
list's default order, so its first page reads 25 index entries.

Existing services are numbered by the catalogue's order as of this revision (GROUP_ORDER);
new ones by the model's default. tests/interfaces/test_group_position.py fails when the
catalogue's order no longer equals the latest numbering: then a new migration renumbers.

Revision ID: f3b5d7e9a1c4
Revises: e2a4c6e8f0d1
Create Date: 2026-12-03 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f3b5d7e9a1c4'
down_revision = 'e2a4c6e8f0d1'
branch_labels = None
depends_on = None

GROUP_ORDER = (
    "billing_export", "alternative_payments", "article_sync", "back_office", "barcode_reader",
    "notification", "credit_check", "bonus_program", "accounting", "accounting_import",
    "supplier_data_exchange", "invoice_data_exchange", "amiro_migration", "digital_receipt",
    "document_scanner", "document_management", "electronic_cash", "email", "finanzonline",
    "fiscal_printer", "geo_services", "glass_ordering", "card_reader", "cash_register",
    "cash_drawer", "kassensichv", "contact_lens_subscription", "contact_lens_ordering",
    "customer_cards", "appointment_reminders", "ldap", "market_research", "measurement", "ocr",
    "ear_mould_ordering", "pos_display", "sms", "other_ordering", "assortment_programs",
    "support_providers", "system", "telephone", "tracer", "signature_pad", "delivery_help",
    "currency_converter", "test_interfaces",
)


def upgrade():
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_position', sa.Integer(), server_default='0',
                                      nullable=False))
    services = sa.table('interface_services', sa.column('group_key', sa.String),
                        sa.column('group_position', sa.Integer))
    position = sa.case({key: number for number, key in enumerate(GROUP_ORDER)},
                       value=services.c.group_key, else_=len(GROUP_ORDER))
    op.execute(services.update().values(group_position=position))
    op.create_index('ix_interface_services_list', 'interface_services',
                    ['workstation_id', 'group_position', sa.text('lower(name)'), 'id'])


def downgrade():
    op.drop_index('ix_interface_services_list', table_name='interface_services')
    with op.batch_alter_table('interface_services', schema=None) as batch_op:
        batch_op.drop_column('group_position')
