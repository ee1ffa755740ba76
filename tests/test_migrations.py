"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import datetime
import uuid
import warnings

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, MetaData, Table, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SAWarning

from tests.factories import PG_URL, make_config
from webapp import create_app
from webapp.extensions import db
from webapp.interfaces import catalogue


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


# SQLite's reflection cannot see expression indexes (SQLAlchemy warns and skips them, so
# autogenerate cannot compare them); _expression_indexes() checks that they exist instead.
EXPRESSION_INDEXES = {"ix_customers_sort", "ix_interface_services_list"}


def _differences():
    with db.engine.connect() as connection, warnings.catch_warnings():
        if connection.dialect.name == "sqlite":
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based",
                                    SAWarning)
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified "
                                    "expression-based index", UserWarning)
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
        return differences + [("missing expression index", name)
                              for name in EXPRESSION_INDEXES - _index_names(connection)]


def _index_names(connection):
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    return set(connection.execute(text(query)).scalars())


def test_upgrade_to_head_matches_the_models(migration_app):
    """After `flask db upgrade` the database has every table, column, index and constraint
    of the models: autogenerate finds nothing to add (a model change needs a migration)."""
    with migration_app.app_context():
        upgrade()
        assert _differences() == []
        tables = set(inspect(db.engine).get_table_names())
        assert tables == set(db.metadata.tables) | {"alembic_version"}


def _key_columns(connection, index):
    """How many key columns (expressions included) the database's index has."""
    if connection.dialect.name == "sqlite":
        return len(connection.execute(text(f"PRAGMA index_info({index})")).all())
    return connection.execute(text("SELECT indnkeyatts FROM pg_index JOIN pg_class "
                                   "ON pg_class.oid = pg_index.indexrelid "
                                   "WHERE relname = :index"), {"index": index}).scalar_one()


def test_expression_indexes_have_the_models_columns(migration_app):
    """The expression indexes, which autogenerate cannot compare, have as many columns after
    the migrations as the models give them."""
    with migration_app.app_context():
        upgrade()
        model = {index.name: len(index.expressions) for table in db.metadata.tables.values()
                 for index in table.indexes if index.name in EXPRESSION_INDEXES}
        assert set(model) == EXPRESSION_INDEXES
        with db.engine.connect() as connection:
            assert {name: _key_columns(connection, name) for name in model} == model


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
    with warnings.catch_warnings():  # its expression indexes do not matter here
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based",
                                SAWarning)
        table = Table(table_name, MetaData(), autoload_with=connection)
    plain = ((Boolean, False), (Integer, 0), (DateTime, datetime.datetime(2026, 1, 5, 9)),
             (Date, datetime.date(2026, 1, 5)), (JSON, {}))
    for column in table.columns:
        if column.name in values or column.nullable or column.primary_key:
            continue
        values[column.name] = next((value for kind, value in plain
                                    if isinstance(column.type, kind)), "")
    return connection.execute(table.insert().values(**values)).inserted_primary_key[0]


def _all_rows(columns=None):
    """{table: its rows, sorted}; with `columns` ({table: column names} from _columns() before
    an upgrade) only those columns of the tables named there: a later migration may add one."""
    with db.engine.connect() as connection:
        rows = {}
        for name, names in _columns(connection).items():
            kept = [c for c in names if c in (columns or {}).get(name, names)]
            listed = ", ".join(f'"{c}"' for c in kept)
            rows[name] = sorted(map(tuple, connection.execute(
                text(f'SELECT {listed} FROM "{name}"'))), key=repr)
        return rows


def _columns(connection):
    inspector = inspect(connection)
    return {name: [column["name"] for column in inspector.get_columns(name)]
            for name in inspector.get_table_names() if name != "alembic_version"}


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
            _insert(connection, "interface_services", interface_key="phone_dial_url",
                    group_key="telephone", name="Telefon Weiß", usage_server=True)
            connection.execute(text("INSERT INTO interface_service_secrets "
                                    "(service_id, field_key, value, updated_at) "
                                    "VALUES (:id, 'password', 'x', '2026-01-05 09:00:00')"),
                               {"id": service})
        before = _all_rows()
        with db.engine.connect() as connection:
            columns = _columns(connection)
        upgrade()
        after = _all_rows(columns)
        # Tables that later migrations add start empty; those they drop (the directory
        # settings, moved into interface services) held nothing here.
        assert {name: rows for name, rows in after.items() if name in before} == \
            {name: rows for name, rows in before.items() if name in after}
        assert [name for name, rows in before.items() if name not in after and rows] == []
        assert [name for name, rows in after.items() if name not in before and rows] == []
        with db.engine.connect() as connection:  # numbered in the catalogue's order of groups
            assert dict(connection.execute(text(
                "SELECT name, group_position FROM interface_services")).all()) == {
                "Ulm SMTP": len(catalogue.load()),  # no such group (any more)
                "Telefon Weiß": catalogue.group_position("telephone")}
            # and their names folded for the search, as the model folds them
            assert dict(connection.execute(text(
                "SELECT name, search_name FROM interface_services")).all()) == {
                "Ulm SMTP": "ulm smtp", "Telefon Weiß": "telefon weiss"}
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


# --- directory settings become interface services (issue 11) ---------------------------------

DIRECTORY_SERVICES = "e7a3c5d9f1b2"  # moves ldap_settings / oidc_settings into services


def _directory_settings(connection):
    """The rows the old /directory/ screen saved, secrets encrypted as it stored them, and
    a change-log entry of each."""
    from webapp.crypto import encrypt

    _insert(connection, "ldap_settings", id=1, enabled=True, url="ldaps://dc1.example.org:636",
            start_tls=False, ca_cert="", bind_dn="cn=readonly,dc=example,dc=org",
            bind_password=encrypt("dienstkonto-pw"), user_base="ou=people,dc=example,dc=org",
            user_filter="", group_base="ou=groups,dc=example,dc=org", group_filter="",
            attr_name="cn", attr_email="mail", attr_phone="", role_map={"app-admins": "admin"},
            branch_group_prefix="filiale-", branch_attribute="", branch_map={"team-nord": "HH"},
            connect_timeout=4, read_timeout=8, version=3)
    _insert(connection, "oidc_settings", id=1, enabled=False, provider_name="Firmen-SSO",
            issuer="https://login.example.org/realms/kette", client_id="schnittstellen",
            client_secret=encrypt("client-pw"), scopes="openid email", username_claim="upn",
            role_claim="groups", role_map={}, branch_claim="", branch_prefix="",
            branch_map={}, create_unknown_users=True, timeout=7, version=1)
    _insert(connection, "change_log", user_name="Anna Admin", entity_type="ldap_settings",
            entity_id=1, entity_label="LDAP", action="update",
            changes=[{"field": "url", "old": "ldap://dc1", "new": "ldaps://dc1.example.org:636"},
                     {"field": "bind_password", "secret": True}])


def test_directory_settings_move_into_services_with_their_secrets(migration_app):
    """`flask db upgrade` on a database whose /directory/ screen was saved: the chain gets an
    LDAP and an OpenID Connect service with the same values, the secrets (ciphertext moved,
    never decrypted) still decrypt, the login reads them, each service's history says where
    it came from, the old tables are gone and their entries stay readable; downgrading
    brings the tables back and moves the settings into them."""
    from webapp.changelog.display import readable
    from webapp.changelog.models import ChangeLogEntry
    from webapp.directory import settings
    from webapp.interfaces import services as interface_services
    from webapp.interfaces.models import InterfaceService

    with migration_app.app_context():
        upgrade(revision=_revision_before(DIRECTORY_SERVICES))
        with db.engine.begin() as connection:
            _directory_settings(connection)
        upgrade()
        assert {"ldap_settings", "oidc_settings"}.isdisjoint(inspect(db.engine).get_table_names())
        found = {s.interface_key: s for s in db.session.scalars(db.select(InterfaceService))}
        ldap, oidc = found["ldap_directory"], found["openid_connect"]
        assert (ldap.group_key, ldap.branch_id, ldap.enabled, ldap.unique_slot) == (
            "ldap", None, True, "ldap_directory|chain")
        values = interface_services.service_values(ldap)
        assert values["server_url"] == "ldaps://dc1.example.org:636"
        assert values["role_map"] == [{"group": "app-admins", "role": "admin"}]
        assert values["branch_map"] == [{"name": "team-nord", "branch": "HH"}]
        assert (values["user_filter"], values["phone_attribute"]) == (None, None)
        assert interface_services.stored_secret(ldap, "bind_password") == "dienstkonto-pw"
        assert interface_services.stored_secret(oidc, "client_secret") == "client-pw"
        assert oidc.enabled is False

        with migration_app.test_request_context():
            setup = settings.ldap_settings()
            assert (setup.source, setup.enabled, setup.config.url) == (
                "service", True, "ldaps://dc1.example.org:636")
            assert setup.config.bind_password == "dienstkonto-pw"
            assert (setup.config.connect_timeout, setup.config.read_timeout) == (4, 8)
            assert setup.config.user_filter == "(&(objectClass=inetOrgPerson)(uid={username}))"
            assert setup.role_map == {"app-admins": "admin"}
            assert settings.oidc_settings().enabled is False  # it was switched off
            entries = db.session.scalars(db.select(ChangeLogEntry)
                                         .order_by(ChangeLogEntry.id)).all()
            rows = readable(entries)
        old, *moved = rows
        assert old.type_label == "Verzeichnis (LDAP)"
        assert [c.label for c in old.changes] == ["Server-URL", "Passwort des Dienstkontos"]
        assert {(row.entry.entity_id, row.entry.action, row.entry.user_name) for row in moved} == {
            (ldap.id, "create", "Migration"), (oidc.id, "create", "Migration")}
        assert {"field": "bind_password", "secret": True} in moved[0].entry.changes
        assert "dienstkonto-pw" not in repr([row.entry.changes for row in rows])

        db.session.remove()  # SQLite: the migration's writes wait for no open read
        downgrade(revision=_revision_before(DIRECTORY_SERVICES))
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM interface_services")).scalar() == 0
            row = connection.execute(text("SELECT url, role_map, read_timeout FROM ldap_settings")).one()
            assert (row[0], row[2]) == ("ldaps://dc1.example.org:636", 8)


def test_an_ldap_service_of_the_old_shape_is_brought_up_to_date(migration_app):
    """An LDAP service someone set up in Schnittstellen before the login read it (and no saved
    directory settings): its administrators' group becomes a row of the role table."""
    from webapp.interfaces import services as interface_services
    from webapp.interfaces.models import InterfaceService

    with migration_app.app_context():
        upgrade(revision=_revision_before(DIRECTORY_SERVICES))
        with db.engine.begin() as connection:
            _insert(connection, "interface_services", interface_key="ldap_directory",
                    group_key="ldap", name="Verzeichnis", usage_server=True, enabled=True,
                    unique_slot="ldap_directory|chain", version=1,
                    field_values={"server_url": "ldaps://dc1.example.org", "base_dn": "dc=x",
                                  "username_attribute": "uid",
                                  "admin_group_dn": "cn=admins,dc=x", "timeout": 10})
        upgrade()
        service = db.session.scalar(db.select(InterfaceService))
        assert "admin_group_dn" not in service.values and "username_attribute" not in service.values
        assert interface_services.service_values(service)["role_map"] == [
            {"group": "cn=admins,dc=x", "role": "admin"}]
        assert service.version == 2
