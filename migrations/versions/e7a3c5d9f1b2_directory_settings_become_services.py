"""Directory settings become interface services

The LDAP and OpenID Connect settings saved at /directory/ (one row each in ldap_settings and
oidc_settings) move into the chain's interface services of type ldap_directory (group LDAP)
and openid_connect (group System), which the login reads from now on. Secrets move as they
are: both tables hold the same Fernet tokens (crypto.EncryptedText, no associated data), so
the ciphertext is copied and nothing is decrypted here; key rotation covers the services'
secrets table. Empty settings become empty fields (the catalogue's defaults apply to them).

A chain that already had an ldap_directory service (nothing read it before) keeps it: the
saved directory settings, which the login used, replace its values; without saved settings
its old keys are brought to the new ones (admin_group_dn becomes a row of the role table,
username_attribute is what the user filter says already, a CA file path is no PEM and is
dropped). Each service gets a change-log entry by "Migration"; the old entries of
ldap_settings / oidc_settings stay as they are and are shown with the old screen's labels
(directory/history.py). The old tables stay until the next migration drops them.

Downgrade moves the services' values back into the settings rows (tables kept) and removes
the services this migration created.

Revision ID: e7a3c5d9f1b2
Revises: d4e8f1a2b3c6
Create Date: 2026-12-05 10:00:00

"""
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = 'e7a3c5d9f1b2'
down_revision = 'd4e8f1a2b3c6'
branch_labels = None
depends_on = None

ACTOR = "Migration"
NOTE = "/directory/"  # the change log's "copied from" of a moved service

_meta = sa.MetaData()
SERVICES = sa.Table(
    "interface_services", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("interface_key", sa.String(64)), sa.Column("group_key", sa.String(64)),
    sa.Column("name", sa.String(120)), sa.Column("branch_id", sa.Integer),
    sa.Column("workstation_id", sa.Integer), sa.Column("usage_server", sa.Boolean),
    sa.Column("usage_client", sa.Boolean), sa.Column("start_date", sa.Date),
    sa.Column("protected", sa.Boolean), sa.Column("enabled", sa.Boolean),
    sa.Column("field_values", sa.JSON), sa.Column("unique_slot", sa.String(255)),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
    sa.Column("updated_by", sa.String(120)), sa.Column("version", sa.Integer),
)
SECRETS = sa.Table(
    "interface_service_secrets", _meta,
    sa.Column("service_id", sa.Integer, primary_key=True),
    sa.Column("field_key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text), sa.Column("updated_at", sa.DateTime(timezone=True)),
)
CHANGE_LOG = sa.Table(
    "change_log", _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True)), sa.Column("user_id", sa.Integer),
    sa.Column("user_name", sa.String(120)), sa.Column("entity_type", sa.String(40)),
    sa.Column("entity_id", sa.Integer), sa.Column("entity_label", sa.String(200)),
    sa.Column("action", sa.String(10)), sa.Column("branch_id", sa.Integer),
    sa.Column("branch_name", sa.String(120)), sa.Column("changes", sa.JSON),
)
LDAP_SETTINGS = sa.Table(
    "ldap_settings", _meta, sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in (
        "url", "ca_cert", "bind_dn", "bind_password", "user_base", "user_filter", "group_base",
        "group_filter", "attr_name", "attr_email", "attr_phone", "branch_group_prefix",
        "branch_attribute", "updated_by")),
    sa.Column("enabled", sa.Boolean), sa.Column("start_tls", sa.Boolean),
    sa.Column("role_map", sa.JSON), sa.Column("branch_map", sa.JSON),
    sa.Column("connect_timeout", sa.Integer), sa.Column("read_timeout", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("version", sa.Integer),
)
OIDC_SETTINGS = sa.Table(
    "oidc_settings", _meta, sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(name, sa.String) for name in (
        "provider_name", "issuer", "client_id", "client_secret", "scopes", "username_claim",
        "role_claim", "branch_claim", "branch_prefix", "updated_by")),
    sa.Column("enabled", sa.Boolean), sa.Column("create_unknown_users", sa.Boolean),
    sa.Column("role_map", sa.JSON), sa.Column("branch_map", sa.JSON),
    sa.Column("timeout", sa.Integer),
    sa.Column("created_at", sa.DateTime(timezone=True)),
    sa.Column("updated_at", sa.DateTime(timezone=True)), sa.Column("version", sa.Integer),
)

# interface key: (group, service name, settings table, secret column → field key,
#                 {field key: settings column} of the plain values)
KINDS = {
    "ldap_directory": ("ldap", "LDAP-Verzeichnis (Anmeldung)", LDAP_SETTINGS,
                       ("bind_password", "bind_password"), {
                           "server_url": "url", "start_tls": "start_tls",
                           "ca_certificate_pem": "ca_cert",
                           "connect_timeout": "connect_timeout", "timeout": "read_timeout",
                           "bind_dn": "bind_dn", "base_dn": "user_base",
                           "user_filter": "user_filter", "group_base_dn": "group_base",
                           "group_filter": "group_filter", "name_attribute": "attr_name",
                           "email_attribute": "attr_email", "phone_attribute": "attr_phone",
                           "branch_group_prefix": "branch_group_prefix",
                           "branch_attribute": "branch_attribute"}),
    "openid_connect": ("system", "OpenID Connect (Anmeldung)", OIDC_SETTINGS,
                       ("client_secret", "client_secret"), {
                           "provider_name": "provider_name", "issuer": "issuer",
                           "timeout": "timeout", "client_id": "client_id", "scopes": "scopes",
                           "username_claim": "username_claim", "role_claim": "role_claim",
                           "branch_claim": "branch_claim", "branch_prefix": "branch_prefix",
                           "create_unknown_users": "create_unknown_users"}),
}
TABLES = {"role_map": ("group", "role"), "branch_map": ("name", "branch")}
# Keys the LDAP type had before it was the login's (read by nothing).
OLD_LDAP_KEYS = ("username_attribute", "admin_group_dn", "ca_certificate")


def upgrade():
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    for key, (group, name, settings, (secret_column, secret_key), columns) in KINDS.items():
        row = connection.execute(sa.select(settings).where(settings.c.id == 1)).mappings().first()
        service = connection.execute(sa.select(SERVICES).where(
            SERVICES.c.interface_key == key).order_by(SERVICES.c.id)).mappings().first()
        if row is None:
            if service is not None and key == "ldap_directory":
                _bring_old_ldap_keys_up_to_date(connection, service, now)
            continue
        values = _values(row, columns)
        if service is None:
            service_id = connection.execute(SERVICES.insert().values(
                interface_key=key, group_key=group, name=name, branch_id=None,
                workstation_id=None, usage_server=True, usage_client=False, start_date=None,
                protected=False, enabled=bool(row["enabled"]), field_values=values,
                unique_slot=f"{key}|chain", created_at=now, updated_at=now,
                updated_by=ACTOR, version=1)).inserted_primary_key[0]
            changes = [{"field": "copied_from", "old": None, "new": NOTE}]
            changes += _diff({}, {"name": name, "usage_server": True, "usage_client": False,
                                  "protected": False, "enabled": bool(row["enabled"]), **values})
            action, label = "create", name
        else:
            service_id, label = service["id"], service["name"]
            before = {"enabled": service["enabled"], **_stored(service["field_values"])}
            connection.execute(SERVICES.update().where(SERVICES.c.id == service_id).values(
                enabled=bool(row["enabled"]), field_values=values, updated_at=now,
                updated_by=ACTOR, version=service["version"] + 1))
            changes = _diff(before, {"enabled": bool(row["enabled"]), **values})
            connection.execute(SECRETS.delete().where(SECRETS.c.service_id == service_id,
                                                      SECRETS.c.field_key == secret_key))
            action = "update"
        if row[secret_column]:
            connection.execute(SECRETS.insert().values(
                service_id=service_id, field_key=secret_key, value=row[secret_column],
                updated_at=now))
            changes.append({"field": secret_key, "secret": True})
        _log(connection, now, service_id, label, action, changes)


def _values(row, columns):
    """The service's stored values (values.to_storage) from a settings row."""
    values = {}
    for field_key, column in columns.items():
        value = row[column]
        if isinstance(value, str):
            value = value.strip() or None
        values[field_key] = value
    for table, (name, target) in TABLES.items():
        mapping = _stored(row[table]) or {}
        values[table] = [{name: str(k), target: str(v)} for k, v in sorted(mapping.items())]
    return values


def _stored(value):
    """A JSON column's value (some drivers hand back the text)."""
    return json.loads(value) if isinstance(value, str) else value


def _bring_old_ldap_keys_up_to_date(connection, service, now):
    values = dict(_stored(service["field_values"]) or {})
    if not any(key in values for key in OLD_LDAP_KEYS):
        return
    before = dict(values)
    admin_group = values.pop("admin_group_dn", None)
    values.pop("username_attribute", None)
    values.pop("ca_certificate", None)
    if admin_group and not values.get("role_map"):
        values["role_map"] = [{"group": admin_group, "role": "admin"}]
    connection.execute(SERVICES.update().where(SERVICES.c.id == service["id"]).values(
        field_values=values, updated_at=now, updated_by=ACTOR, version=service["version"] + 1))
    _log(connection, now, service["id"], service["name"], "update", _diff(before, values))


def _diff(before, after):
    return [{"field": key, "old": before.get(key), "new": after.get(key)}
            for key in sorted(set(before) | set(after))
            if before.get(key) != after.get(key)]


def _log(connection, now, service_id, label, action, changes):
    connection.execute(CHANGE_LOG.insert().values(
        at=now, user_id=None, user_name=ACTOR, entity_type="interface_service",
        entity_id=service_id, entity_label=label[:200], action=action, branch_id=None,
        branch_name="", changes=changes))


def downgrade():
    """The services' values back into the settings rows; the services this migration
    created (their first change-log entry is its own) are removed."""
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    for key, (_group, _name, settings, (secret_column, secret_key), columns) in KINDS.items():
        service = connection.execute(sa.select(SERVICES).where(
            SERVICES.c.interface_key == key).order_by(SERVICES.c.id)).mappings().first()
        if service is None:
            continue
        values = _stored(service["field_values"]) or {}
        row = {column: values.get(field_key) for field_key, column in columns.items()}
        for table, (name, target) in TABLES.items():
            row[table] = {r[name]: r[target] for r in values.get(table) or ()
                          if r.get(name) and r.get(target)}
        row = {column: ("" if value is None and column not in _NUMBERS else value)
               for column, value in row.items()}
        row.update({column: row.get(column) or default for column, default in _NUMBERS.items()
                    if column in settings.c})
        row[secret_column] = connection.execute(sa.select(SECRETS.c.value).where(
            SECRETS.c.service_id == service["id"],
            SECRETS.c.field_key == secret_key)).scalar()
        connection.execute(settings.delete())
        connection.execute(settings.insert().values(
            id=1, enabled=bool(service["enabled"]), created_at=now, updated_at=now,
            updated_by=ACTOR, version=1,
            **{column: value for column, value in row.items() if column in settings.c}))
        created_here = connection.execute(sa.select(CHANGE_LOG.c.id).where(
            CHANGE_LOG.c.entity_type == "interface_service",
            CHANGE_LOG.c.entity_id == service["id"], CHANGE_LOG.c.action == "create",
            CHANGE_LOG.c.user_name == ACTOR)).first()
        if created_here is not None:
            connection.execute(SECRETS.delete().where(SECRETS.c.service_id == service["id"]))
            connection.execute(SERVICES.delete().where(SERVICES.c.id == service["id"]))


# Settings columns that must not be empty strings, with the old screen's defaults.
_NUMBERS = {"connect_timeout": 5, "read_timeout": 10, "timeout": 10,
            "start_tls": False, "create_unknown_users": False}
