"""Where directory login (LDAP) and single sign-on (OpenID Connect) read their settings: the
chain's interface service of type `ldap_directory` (Schnittstellen → LDAP) or
`openid_connect` (Schnittstellen → System), through the resolver every job uses, and, while
no service of the type exists, the bootstrap values of the instance configuration
(LDAP_URL, OIDC_ISSUER, …; docs/auth-directory.md).

- An active service (enabled, start date reached) is what the login uses.
- A service that is disabled or not yet started switches that login off. Once a service of
  the type exists, the services decide: the bootstrap values are for a fresh installation,
  not something an administrator's "off" falls back to.
- No service of the type: the bootstrap values.

The values are read by the catalogue's field keys whatever their source, so the login, the
connection test ("Verbindung testen") and the save checks build the same configuration
from them (`ldap_setup`, `oidc_setup`)."""
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app

from .. import outbound_policy
from ..errors import DomainError
from ..extensions import db
from ..interfaces import catalogue, resolver
from ..interfaces.models import InterfaceService
from . import oidc
from .ldap import DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, LdapConfig

log = logging.getLogger(__name__)

LDAP, OIDC = "ldap_directory", "openid_connect"  # the catalogue's interface keys
# A catalogue keyword only these two types have: the interfaces list searched for it shows
# the login services (where /directory/ sends old bookmarks).
KEYWORD = "Mitarbeiteranmeldung"
# Where the settings in force come from.
SERVICE, CONFIGURATION, OFF = "service", "configuration", "off"

# Bootstrap: catalogue field key → (config key, type). Tables are {name: value} maps there.
LDAP_BOOTSTRAP = {
    "server_url": ("LDAP_URL", str),
    "start_tls": ("LDAP_START_TLS", bool),
    "ca_certificate_pem": ("LDAP_CA_CERT", str),
    "bind_dn": ("LDAP_BIND_DN", str),
    "base_dn": ("LDAP_USER_BASE", str),
    "user_filter": ("LDAP_USER_FILTER", str),
    "group_base_dn": ("LDAP_GROUP_BASE", str),
    "group_filter": ("LDAP_GROUP_FILTER", str),
    "name_attribute": ("LDAP_ATTR_NAME", str),
    "email_attribute": ("LDAP_ATTR_EMAIL", str),
    "phone_attribute": ("LDAP_ATTR_PHONE", str),
    "role_map": ("LDAP_GROUP_ROLE_MAP", dict),
    "branch_group_prefix": ("LDAP_BRANCH_GROUP_PREFIX", str),
    "branch_attribute": ("LDAP_BRANCH_ATTRIBUTE", str),
    "branch_map": ("LDAP_BRANCH_MAP", dict),
    "connect_timeout": ("LDAP_CONNECT_TIMEOUT", int),
    "timeout": ("LDAP_READ_TIMEOUT", int),
}
OIDC_BOOTSTRAP = {
    "provider_name": ("OIDC_PROVIDER_NAME", str),
    "issuer": ("OIDC_ISSUER", str),
    "client_id": ("OIDC_CLIENT_ID", str),
    "scopes": ("OIDC_SCOPES", str),
    "username_claim": ("OIDC_USERNAME_CLAIM", str),
    "role_claim": ("OIDC_ROLE_CLAIM", str),
    "role_map": ("OIDC_ROLE_MAP", dict),
    "branch_claim": ("OIDC_BRANCH_CLAIM", str),
    "branch_prefix": ("OIDC_BRANCH_PREFIX", str),
    "branch_map": ("OIDC_BRANCH_MAP", dict),
    "create_unknown_users": ("OIDC_CREATE_UNKNOWN_USERS", bool),
    "timeout": ("OIDC_TIMEOUT", int),
}
BOOTSTRAP = {LDAP: (LDAP_BOOTSTRAP, "LDAP_ENABLED", "server_url", "LDAP_BIND_PASSWORD"),
             OIDC: (OIDC_BOOTSTRAP, "OIDC_ENABLED", "issuer", "OIDC_CLIENT_SECRET")}
SECRET = {LDAP: "bind_password", OIDC: "client_secret"}
# The tables' columns: the name (group, claim value) and what it gives.
TABLE_COLUMNS = {"role_map": ("group", "role"), "branch_map": ("name", "branch")}


class SettingsUnusable(Exception):
    """The settings in force cannot be read (e.g. a secret no longer decrypts)."""


@dataclass(frozen=True)
class Source:
    """The settings of one kind as found: `value(key)` by catalogue field key (catalogue
    defaults for what is empty), `secret(key)` decrypts on demand (SettingsUnusable), and
    where they come from (SERVICE, CONFIGURATION or OFF)."""

    kind: str
    source: str
    enabled: bool
    values: dict = field(default_factory=dict, repr=False)
    secrets: object = field(default=None, repr=False)  # key → plaintext or None
    service: InterfaceService | None = None

    def value(self, key):
        return with_defaults(self.kind, self.values.get)(key)

    def secret(self, key):
        return self.secrets(key) if self.secrets is not None else None


@dataclass(frozen=True)
class LdapSetup:
    """Everything the LDAP login needs, wherever it came from."""

    enabled: bool
    source: str
    config: LdapConfig
    role_map: dict = field(default_factory=dict)
    branch_group_prefix: str = ""
    branch_map: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OidcSetup:
    enabled: bool
    source: str
    config: oidc.OidcConfig
    provider_name: str = ""
    username_claim: str = "preferred_username"
    role_claim: str = ""
    role_map: dict = field(default_factory=dict)
    branch_claim: str = ""
    branch_prefix: str = ""
    branch_map: dict = field(default_factory=dict)
    create_unknown_users: bool = False


# --- finding the settings in force --------------------------------------------------------

def read(kind):
    """The Source of `kind` (LDAP or OIDC) in force now. Reads no secret."""
    resolution = resolver.resolve(kind)
    if resolution is not None:
        def secret(key):
            try:
                return resolver.secret_for(resolution, key)
            except DomainError as error:  # the stored secret does not decrypt
                raise SettingsUnusable(str(error.message)) from error
        return Source(kind, SERVICE, True, dict(resolution.values), secret, resolution.service)
    if service_exists(kind):
        return Source(kind, OFF, False)
    return bootstrap(kind)


def service_exists(kind, excluding=None):
    """Whether a service of `kind` exists, in whatever state (`excluding` one of them)."""
    query = db.select(InterfaceService.id).where(InterfaceService.interface_key == kind)
    if excluding is not None:
        query = query.where(InterfaceService.id != excluding.id)
    return db.session.scalar(query.limit(1)) is not None


def bootstrap(kind, config=None):
    """The Source the instance configuration gives (instance/config.py, SCHNITTSTELLEN_*;
    `config`: another mapping of the same keys)."""
    spec, enabled_key, main, secret_key = BOOTSTRAP[kind]
    config = current_app.config if config is None else config
    values = {}
    for key, (config_key, type_) in spec.items():
        value = _coerce(type_, config.get(config_key))
        if type_ is dict:
            name, target = TABLE_COLUMNS[key]
            value = [{name: k, target: v} for k, v in (value or {}).items()]
        values[key] = value
    enabled = _coerce(bool, config.get(enabled_key))
    if enabled is None:
        enabled = bool(values[main])
    password = _coerce(str, config.get(secret_key)) or None
    return Source(kind, CONFIGURATION, bool(enabled), values, lambda _key: password)


def _coerce(type_, value):
    """Config values arrive typed (instance/config.py) or as JSON-decoded environment values
    (SCHNITTSTELLEN_LDAP_BIND_PASSWORD=123 is the int 123): bring them to the field's type;
    None when not given (the catalogue default applies)."""
    if value is None or value == "":
        return None
    if type_ is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if type_ is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if type_ is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                log.error("Ignoring a bootstrap mapping that is not JSON")
                return None
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None
    return str(value)


def with_defaults(kind, get):
    """value(key): get(key), or the catalogue's default for the field when that is empty."""
    interface = catalogue.get_interface(kind)
    defaults = {spec.key: spec.default for spec in interface.fields}

    def value(key):
        found = get(key)
        return defaults.get(key) if found in (None, "") else found
    return value


def table(rows, key):
    """A role_map / branch_map table's rows as {name: value}."""
    name, target = TABLE_COLUMNS[key]
    return {str(row.get(name) or "").strip(): str(row.get(target) or "").strip()
            for row in rows or () if row.get(name) and row.get(target)}


# --- the setups the logins use --------------------------------------------------------------

def ldap_config(value, secret, ca_file_fallback=""):
    """The LdapConfig for values by catalogue key (value(key), secret(key))."""
    ca_pem = value("ca_certificate_pem") or ""
    ca_file = _coerce(str, current_app.config.get("LDAP_CA_CERT_FILE")) or ca_file_fallback
    return LdapConfig(
        url=value("server_url") or "", start_tls=bool(value("start_tls")),
        ca_cert=ca_pem, ca_cert_file="" if ca_pem else (ca_file or ""),
        bind_dn=value("bind_dn") or "", bind_password=secret("bind_password") or "",
        outbound=outbound_policy.from_config(current_app.config),
        user_base=value("base_dn") or "", user_filter=value("user_filter") or DEFAULT_USER_FILTER,
        group_base=value("group_base_dn") or "",
        group_filter=value("group_filter") or DEFAULT_GROUP_FILTER,
        attr_name=value("name_attribute") or "cn", attr_email=value("email_attribute") or "",
        attr_phone=value("phone_attribute") or "",
        branch_attribute=value("branch_attribute") or "",
        connect_timeout=int(value("connect_timeout") or 5),
        read_timeout=int(value("timeout") or 10),
    )


def ldap_setup(source):
    """The LdapSetup of a Source. Decrypts the bind password (SettingsUnusable)."""
    value = source.value
    config = ldap_config(value, source.secret) if source.source != OFF else LdapConfig(url="")
    return LdapSetup(enabled=bool(source.enabled and config.url), source=source.source,
                     config=config, role_map=table(value("role_map"), "role_map"),
                     branch_group_prefix=value("branch_group_prefix") or "",
                     branch_map=table(value("branch_map"), "branch_map"))


def ldap_settings():
    """The LDAP login settings in force. Raises SettingsUnusable."""
    return ldap_setup(read(LDAP))


def oidc_config(value, secret):
    return oidc.OidcConfig(issuer=value("issuer") or "", client_id=value("client_id") or "",
                           client_secret=secret("client_secret") or "",
                           scopes=value("scopes") or "openid email profile",
                           timeout=int(value("timeout") or 10),
                           outbound=outbound_policy.from_config(current_app.config))


def provider_name(value):
    return (value("provider_name") or urlsplit(value("issuer") or "").hostname
            or "OpenID Connect")


def oidc_enabled(source):
    return bool(source.enabled and source.value("issuer") and source.value("client_id"))


def oidc_setup(source):
    """The OidcSetup of a Source. Decrypts the client secret (SettingsUnusable)."""
    value = source.value
    config = (oidc_config(value, source.secret) if source.source != OFF
              else oidc.OidcConfig(issuer="", client_id=""))
    return OidcSetup(
        enabled=oidc_enabled(source), source=source.source, config=config,
        provider_name=provider_name(value),
        username_claim=value("username_claim") or "preferred_username",
        role_claim=value("role_claim") or "", role_map=table(value("role_map"), "role_map"),
        branch_claim=value("branch_claim") or "", branch_prefix=value("branch_prefix") or "",
        branch_map=table(value("branch_map"), "branch_map"),
        create_unknown_users=bool(value("create_unknown_users")),
    )


def oidc_settings():
    """The OpenID Connect settings in force. Raises SettingsUnusable."""
    return oidc_setup(read(OIDC))


def oidc_button():
    """The provider name for the login page's button, or None when OIDC login is off.
    Never decrypts anything, so a lost key cannot break the login page."""
    source = read(OIDC)
    return provider_name(source.value) if oidc_enabled(source) else None
