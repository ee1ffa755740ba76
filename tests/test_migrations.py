"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import datetime
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import make_url

from tests.factories import PG_URL, make_config
from webapp import create_app
from webapp.extensions import db


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of its own: a file on SQLite; on PostgreSQL a temporary database on the
    TEST_DATABASE_URL server, so the suite's session-wide schema is not touched."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    import psycopg

    server = make_url(PG_URL)
    name = f"migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql", database="postgres") \
        .render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def migration_app(tmp_path, empty_database_url):
    app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=empty_database_url))
    yield app
    with app.app_context():
        db.engine.dispose()


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_to_head_matches_the_models(migration_app):
    """After `flask db upgrade` the database has every table, column, index and constraint
    of the models: autogenerate finds nothing to add (a model change needs a migration)."""
    with migration_app.app_context():
        upgrade()
        assert _differences() == []
        tables = set(inspect(db.engine).get_table_names())
        assert tables == set(db.metadata.tables) | {"alembic_version"}


def test_named_check_constraints_exist(migration_app):
    """CHECK constraints carry the names of our naming convention on every database."""
    with migration_app.app_context():
        upgrade()
        checks = {c["name"] for c in inspect(db.engine).get_check_constraints("users")}
        assert {"ck_users_role", "ck_users_auth_source"} <= checks


def test_downgrade_to_base_removes_everything(migration_app):
    """Downgrading to base leaves only Alembic's bookkeeping table."""
    with migration_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _differences() == []


# --- ids are never reused (issue 16) -----------------------------------------------------------

IDS_NEVER_REUSED = "142204e29e5f"  # the migration that makes SQLite tables AUTOINCREMENT


def _revision_before(revision):
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return script.get_revision(revision).down_revision


def _insert(connection, table_name, **values):
    """A row in the table as the database has it now; NOT NULL columns not in `values` get a
    plain value of their type. Returns the new id."""
    table = Table(table_name, MetaData(), autoload_with=connection)
    plain = ((Boolean, False), (Integer, 0), (DateTime, datetime.datetime(2026, 1, 5, 9)),
             (Date, datetime.date(2026, 1, 5)), (JSON, {}))
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next((value for kind, value in plain
                                    if isinstance(column.type, kind)), "")
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def _all_rows():
    with db.engine.connect() as connection:
        return {name: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{name}"'))),
                             key=repr)
                for name in inspect(connection).get_table_names() if name != "alembic_version"}


def test_upgrade_keeps_the_data_and_ids_are_not_reused_after(migration_app):
    """`flask db upgrade` on a database with data keeps every row and its id (a service's
    secret too: rebuilding with foreign keys on would have deleted it, ON DELETE CASCADE);
    afterwards the id of the newest, deleted record is not given to the next one."""
    with migration_app.app_context():
        upgrade(revision=_revision_before(IDS_NEVER_REUSED))
        with db.engine.begin() as connection:
            _insert(connection, "branches", name="Stuttgart", short_code="ST")
            ulm = _insert(connection, "branches", name="Ulm", short_code="UL")
            _insert(connection, "workstations", name="UL-KASSE", branch_id=ulm)
            _insert(connection, "customers", branch_id=ulm, last_name="Muster")
            service = _insert(connection, "interface_services", interface_key="smtp",
                              group_key="communication", name="Ulm SMTP", branch_id=ulm,
                              usage_server=True)
            connection.execute(text("INSERT INTO interface_service_secrets "
                                    "(service_id, field_key, value, updated_at) "
                                    "VALUES (:id, 'password', 'x', '2026-01-05 09:00:00')"),
                               {"id": service})
        before = _all_rows()
        upgrade()
        after = _all_rows()
        # Tables that later migrations add start empty.
        assert {name: rows for name, rows in after.items() if name in before} == before
        assert [name for name, rows in after.items() if name not in before and rows] == []
        with db.engine.begin() as connection:
            if connection.dialect.name == "sqlite":  # env.py turned them on again
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            connection.execute(text("DELETE FROM interface_services WHERE id = :id"),
                               {"id": service})
            assert connection.execute(text("SELECT count(*) FROM interface_service_secrets")) \
                .scalar() == 0  # the secret went with its service: foreign keys hold
            connection.execute(text("DELETE FROM workstations"))
            assert _insert(connection, "interface_services", interface_key="smtp",
                           group_key="communication", name="Neu", usage_server=True) > service
            assert _insert(connection, "workstations", name="NEU", branch_id=ulm) > 1


def test_sqlite_tables_are_autoincrement_where_the_models_say(migration_app):
    """After `flask db upgrade` every table whose model asks for AUTOINCREMENT on SQLite has
    it (autogenerate does not compare this option, so `flask db check` would not notice)."""
    with migration_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: PostgreSQL's sequences never reuse an id")
        upgrade()
        wanted = {table.name for table in db.metadata.sorted_tables
                  if table.dialect_options["sqlite"]["autoincrement"]}
        with db.engine.connect() as connection:
            sql = dict(connection.execute(text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        assert wanted and {name for name in wanted if "AUTOINCREMENT" not in sql[name]} == set()
        downgrade(revision=_revision_before(IDS_NEVER_REUSED))
        with db.engine.connect() as connection:
            assert "AUTOINCREMENT" not in connection.execute(text(
                "SELECT sql FROM sqlite_master WHERE name = 'branches'")).scalar()
