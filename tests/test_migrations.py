"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect
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
