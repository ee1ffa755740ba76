"""ids are never reused: AUTOINCREMENT on SQLite

SQLite gives a new row the highest id in use plus one, so the record created after the
newest one was deleted got its id, and with it the deleted record's change log (and whatever
an order or a queued job still said about that id). An AUTOINCREMENT table never hands out
an id twice. SQLite cannot change a table's primary key in place: batch mode rebuilds each
table (copy, drop, rename; env.py turns foreign keys off around it), the rows keep their ids,
and sqlite_sequence continues above the highest. PostgreSQL's sequences never reuse an id:
nothing to do there, and the models' sqlite_autoincrement means nothing to it.

Revision ID: 142204e29e5f
Revises: 5e55b0a1c0de
Create Date: 2026-12-03 09:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '142204e29e5f'
down_revision = '5e55b0a1c0de'
branch_labels = None
depends_on = None

# The tables whose ids the change log, orders or queued jobs keep (models_base.IDS_NEVER_REUSED).
TABLES = ("chain", "branches", "workstations", "companies", "users", "customers",
          "ldap_settings", "oidc_settings", "interface_services", "process_templates",
          "processes", "ear_mould_positions", "orders", "outbound_operations")


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)


def _rebuild(autoincrement):
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
