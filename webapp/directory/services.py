"""Login through the staff directory (LDAP) and an identity provider (OpenID Connect):
their settings, the connection tests, and the local copies of the people who log in.

Settings: once an admin saved them in /directory, the database row is authoritative; until
then the bootstrap values from instance config / environment apply (LDAP_URL, OIDC_ISSUER, …;
see docs/auth-directory.md). `ldap_settings()` and `oidc_settings()` are the only ways to read
them, so moving the LDAP settings into the interface administration stays local."""
import hashlib
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from .. import outbound_policy
from ..permissions import admin_only, require_admin
from ..changelog import services as changelog
from ..crypto import SecretUnreadable
from ..errors import Conflict, DomainError
from ..extensions import db
from ..i18n import role_label
from ..org.models import Branch
from ..records import check_version
from ..permissions import STAFF
from ..users.models import User
from ..users.services import find_user, save_user
from . import mapping, oidc
from .ldap import (DEFAULT_GROUP_FILTER, DEFAULT_USER_FILTER, DirectoryUser, LdapAuthenticator,
                   LdapConfig, Step, UnknownUser)
from .models import LdapSettings, OidcSettings

log = logging.getLogger(__name__)

LDAP, OIDC = "ldap", "oidc"

# field: (config key, kind, default). Secrets are handled apart from the other fields.
LDAP_BOOTSTRAP = {
    "enabled": ("LDAP_ENABLED", bool, None),
    "url": ("LDAP_URL", str, ""),
    "start_tls": ("LDAP_START_TLS", bool, False),
    "ca_cert": ("LDAP_CA_CERT", str, ""),
    "bind_dn": ("LDAP_BIND_DN", str, ""),
    "user_base": ("LDAP_USER_BASE", str, ""),
    "user_filter": ("LDAP_USER_FILTER", str, DEFAULT_USER_FILTER),
    "group_base": ("LDAP_GROUP_BASE", str, ""),
    "group_filter": ("LDAP_GROUP_FILTER", str, DEFAULT_GROUP_FILTER),
    "attr_name": ("LDAP_ATTR_NAME", str, "cn"),
    "attr_email": ("LDAP_ATTR_EMAIL", str, "mail"),
    "attr_phone": ("LDAP_ATTR_PHONE", str, "telephoneNumber"),
    "role_map": ("LDAP_GROUP_ROLE_MAP", dict, {}),
    "branch_group_prefix": ("LDAP_BRANCH_GROUP_PREFIX", str, ""),
    "branch_attribute": ("LDAP_BRANCH_ATTRIBUTE", str, ""),
    "branch_map": ("LDAP_BRANCH_MAP", dict, {}),
    "connect_timeout": ("LDAP_CONNECT_TIMEOUT", int, 5),
    "read_timeout": ("LDAP_READ_TIMEOUT", int, 10),
}
OIDC_BOOTSTRAP = {
    "enabled": ("OIDC_ENABLED", bool, None),
    "provider_name": ("OIDC_PROVIDER_NAME", str, ""),
    "issuer": ("OIDC_ISSUER", str, ""),
    "client_id": ("OIDC_CLIENT_ID", str, ""),
    "scopes": ("OIDC_SCOPES", str, "openid email profile"),
    "username_claim": ("OIDC_USERNAME_CLAIM", str, "preferred_username"),
    "role_claim": ("OIDC_ROLE_CLAIM", str, ""),
    "role_map": ("OIDC_ROLE_MAP", dict, {}),
    "branch_claim": ("OIDC_BRANCH_CLAIM", str, ""),
    "branch_prefix": ("OIDC_BRANCH_PREFIX", str, ""),
    "branch_map": ("OIDC_BRANCH_MAP", dict, {}),
    "create_unknown_users": ("OIDC_CREATE_UNKNOWN_USERS", bool, False),
    "timeout": ("OIDC_TIMEOUT", int, 10),
}
SECRETS = {LDAP: ("bind_password", "LDAP_BIND_PASSWORD"), OIDC: ("client_secret", "OIDC_CLIENT_SECRET")}
KINDS = {LDAP: (LdapSettings, LDAP_BOOTSTRAP, "ldap_settings"),
         OIDC: (OidcSettings, OIDC_BOOTSTRAP, "oidc_settings")}


@dataclass(frozen=True)
class LdapSetup:
    """Everything the LDAP login needs, wherever it came from."""

    enabled: bool
    source: str  # "database" or "configuration"
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


class SettingsUnusable(Exception):
    """The stored settings cannot be read (e.g. a secret no longer decrypts)."""


class NoAccess(Exception):
    """The person proved who they are but may not use the application; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- reading settings --------------------------------------------------------------------

def _coerce(kind, value, default):
    """Config values arrive typed (instance/config.py) or as JSON-decoded environment values
    (SCHNITTSTELLEN_LDAP_BIND_PASSWORD=123 is the int 123): bring them to the field's type."""
    if value is None:
        return default
    if kind is bool:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return bool(value)
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            return default
    if kind is dict:
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError:
                log.error("Ignoring a bootstrap mapping that is not JSON")
                return default
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else default
    return str(value)


def settings_actions(actor):
    """Directory and single sign-on settings are the administrators'."""
    return admin_only(actor)


def _bootstrap(kind):
    spec = KINDS[kind][1]
    config = current_app.config
    values = {name: _coerce(type_, config.get(key), default) for name, (key, type_, default) in spec.items()}
    main = "url" if kind == LDAP else "issuer"
    if values["enabled"] is None:
        values["enabled"] = bool(values[main])
    secret_name, secret_key = SECRETS[kind]
    values[secret_name] = _coerce(str, config.get(secret_key), "")
    return values


def _row(kind):
    return db.session.get(KINDS[kind][0], 1)


def _values(kind):
    """(values, source): the saved row's values, or the bootstrap values."""
    row = _row(kind)
    if row is None:
        return _bootstrap(kind), "configuration"
    spec = KINDS[kind][1]
    values = {name: getattr(row, name) for name in spec}
    secret_name = SECRETS[kind][0]
    try:
        values[secret_name] = getattr(row, secret_name) or ""
    except SecretUnreadable as error:
        raise SettingsUnusable(str(error)) from error
    return values, "database"


def _ldap_setup(values, source):
    ca_file = _coerce(str, current_app.config.get("LDAP_CA_CERT_FILE"), "")
    config = LdapConfig(
        url=values["url"], start_tls=values["start_tls"], ca_cert=values["ca_cert"] or "",
        ca_cert_file="" if values["ca_cert"] else ca_file,
        bind_dn=values["bind_dn"], bind_password=values["bind_password"],
        outbound=outbound_policy.from_config(current_app.config),
        user_base=values["user_base"], user_filter=values["user_filter"] or DEFAULT_USER_FILTER,
        group_base=values["group_base"], group_filter=values["group_filter"] or DEFAULT_GROUP_FILTER,
        attr_name=values["attr_name"], attr_email=values["attr_email"], attr_phone=values["attr_phone"],
        branch_attribute=values["branch_attribute"],
        connect_timeout=values["connect_timeout"], read_timeout=values["read_timeout"],
    )
    return LdapSetup(enabled=bool(values["enabled"] and values["url"]), source=source, config=config,
                     role_map=dict(values["role_map"] or {}),
                     branch_group_prefix=values["branch_group_prefix"],
                     branch_map=dict(values["branch_map"] or {}))


def ldap_settings():
    """The LDAP login settings in force. Raises SettingsUnusable."""
    return _ldap_setup(*_values(LDAP))


def _oidc_setup(values, source):
    config = oidc.OidcConfig(issuer=values["issuer"], client_id=values["client_id"],
                        client_secret=values["client_secret"], scopes=values["scopes"],
                        timeout=values["timeout"],
                        outbound=outbound_policy.from_config(current_app.config))
    return OidcSetup(
        enabled=bool(values["enabled"] and values["issuer"] and values["client_id"]),
        source=source, config=config,
        provider_name=values["provider_name"] or urlsplit(values["issuer"]).hostname or "OpenID Connect",
        username_claim=values["username_claim"] or "preferred_username",
        role_claim=values["role_claim"], role_map=dict(values["role_map"] or {}),
        branch_claim=values["branch_claim"], branch_prefix=values["branch_prefix"],
        branch_map=dict(values["branch_map"] or {}),
        create_unknown_users=bool(values["create_unknown_users"]),
    )


def oidc_settings():
    """The OpenID Connect settings in force. Raises SettingsUnusable."""
    return _oidc_setup(*_values(OIDC))


def oidc_button():
    """The provider name for the login page's button, or None when OIDC login is off.
    Never decrypts anything, so a lost key cannot break the login page."""
    row = db.session.execute(db.select(OidcSettings.enabled, OidcSettings.provider_name,
                                       OidcSettings.issuer, OidcSettings.client_id)
                             .where(OidcSettings.id == 1)).first()
    values = dict(row._mapping) if row else _bootstrap(OIDC)
    if not (values["enabled"] and values["issuer"] and values["client_id"]):
        return None
    return values["provider_name"] or urlsplit(values["issuer"]).hostname or "OpenID Connect"


# --- the admin screen --------------------------------------------------------------------

def form_values(kind):
    """Values for the admin form (secrets only as 'set or not'), and where they come from."""
    row = _row(kind)
    spec = KINDS[kind][1]
    secret_name = SECRETS[kind][0]
    if row is None:
        values = _bootstrap(kind)
        secret_set = bool(values.pop(secret_name))
        values.update(source="configuration", version="")
    else:
        values = {name: getattr(row, name) for name in spec}
        model = KINDS[kind][0]
        secret_set = db.session.scalar(db.select(getattr(model, secret_name).is_not(None))
                                       .where(model.id == 1))
        values.update(source="database", version=row.version)
    values["secret_set"] = bool(secret_set)
    values["role_lists"] = mapping.roles_to_lists(values.get("role_map"))
    return values


def _fingerprint(value):
    # Lets the change log tell "changed" from "unchanged" without keeping the value.
    return hashlib.sha256(value.encode()).hexdigest() if value else None


def _snapshot(kind, row):
    spec = KINDS[kind][1]
    values = {}
    for name in spec:
        value = getattr(row, name)
        if isinstance(value, dict):
            value = [f"{k} = {v}" for k, v in sorted(value.items())]
        values[name] = value
    secret_name = SECRETS[kind][0]
    try:
        values[secret_name] = _fingerprint(getattr(row, secret_name))
    except SecretUnreadable:
        values[secret_name] = "unreadable"
    return values


def _resolve_secret(kind, data, current):
    """The secret after a save or for a test: cleared, replaced, or kept."""
    name = SECRETS[kind][0]
    if data.get(f"clear_{name}"):
        return ""
    if data.get(name):
        return data[name]
    return current


def _current_secret(kind):
    try:
        values, _source = _values(kind)
    except SettingsUnusable:
        return None
    return values[SECRETS[kind][0]]


def _check_branch_codes(branch_map, field_name):
    codes = {code.upper() for code in db.session.scalars(db.select(Branch.short_code))}
    unknown = sorted({str(v).upper() for v in (branch_map or {}).values()} - codes)
    if unknown:
        raise DomainError(_l("No branch has the short code %(codes)s.", codes=", ".join(unknown)),
                          field=field_name)


def _check_outbound(check, value, field_name):
    """The operator's outbound policy on the server's address (checked again when used)."""
    try:
        check(value)
    except outbound_policy.Refused as refused:
        raise DomainError(outbound_policy.REASONS[refused.reason], field=field_name) from None


def _validate(kind, data, secret):
    policy = outbound_policy.from_config(current_app.config)
    if kind == LDAP:
        if data["url"]:
            try:
                host = urlsplit(data["url"]).hostname or ""
            except ValueError:
                host = ""
            _check_outbound(policy.check_host, host, "url")
        if data["start_tls"] and data["url"].lower().startswith("ldaps://"):
            raise DomainError(_l("StartTLS is for ldap:// URLs; ldaps:// is encrypted already."),
                              field="start_tls")
        if data["enabled"]:
            for name in ("url", "user_base"):
                if not data[name]:
                    raise DomainError(_l("Needed to switch LDAP login on."), field=name)
        if data["bind_dn"] and not secret:
            raise DomainError(_l("The service account needs a password."), field="bind_password")
        _check_branch_codes(data["branch_map"], "branch_map")
    else:
        if data["issuer"]:
            _check_outbound(policy.check_url, data["issuer"], "issuer")
        if data["enabled"]:
            for name in ("issuer", "client_id"):
                if not data[name]:
                    raise DomainError(_l("Needed to switch OpenID Connect login on."), field=name)
        if data["role_map"] and not data["role_claim"]:
            raise DomainError(_l("Name the claim that carries the groups or roles."), field="role_claim")
        _check_branch_codes(data["branch_map"], "branch_map")


def update_settings(actor, kind, data, version):
    """Save the LDAP or OIDC settings from the admin form. The first save copies the
    bootstrap values (including a configured secret) into the database; from then on the
    database wins. Returns True when something changed."""
    require_admin(actor)
    model, spec, entity_type = KINDS[kind]
    secret_name = SECRETS[kind][0]
    row = _row(kind)
    creating = row is None
    if creating:
        current = _bootstrap(kind)
        current_secret = current.pop(secret_name)
        current["enabled"] = bool(current["enabled"])
        row = model(id=1, **current)
        before = {}
    else:
        check_version(row, version)
        before = _snapshot(kind, row)
        try:
            current_secret = getattr(row, secret_name) or ""
        except SecretUnreadable:
            current_secret = ""
    secret = _resolve_secret(kind, data, current_secret)
    _validate(kind, data, secret)
    for name in spec:
        if name in data:
            setattr(row, name, data[name])
    if creating or _fingerprint(secret) != _fingerprint(current_secret):
        setattr(row, secret_name, secret or None)
    after = _snapshot(kind, row)
    changes = changelog.diff(before, after, secret_fields={secret_name})
    if not creating and not changes:
        return False
    if creating:
        db.session.add(row)
    else:
        row.version += 1
    row.updated_by = actor.name
    try:
        db.session.flush()
    except IntegrityError as error:  # two first saves at once
        db.session.rollback()
        raise Conflict(_l("Someone else saved these settings just now. Reload to see them.")) from error
    changelog.record(actor, "create" if creating else "update", entity_type, row, changes)
    current_app.extensions.pop("schnittstellen.oidc_clients", None)
    return True


def _form_setup(kind, data):
    """A setup built from the (unsaved) form, for the connection test."""
    values = dict(data)
    secret_name = SECRETS[kind][0]
    current = _current_secret(kind)
    values[secret_name] = _resolve_secret(kind, data, current or "")
    return (_ldap_setup if kind == LDAP else _oidc_setup)(values, "form")


def check_ldap(actor, data, username=""):
    """Run the real connect / bind / search with the form's values; each step's result in
    plain words. With a username, also its groups and the role and branches they give."""
    require_admin(actor)
    if _current_secret(LDAP) is None and not data.get("bind_password"):
        return [Step(False, _l("The stored service account password cannot be decrypted with "
                               "the configured ENCRYPTION_KEYS. Enter it again."))]
    setup = _form_setup(LDAP, data)
    steps, user = LdapAuthenticator(setup.config).check(username.strip())
    if user is not None:
        steps.append(_mapping_step(user.groups, user.branch_values, setup.role_map,
                                   setup.branch_group_prefix, setup.branch_map))
    return steps


def _mapping_step(groups, values, role_map, prefix, branch_map):
    role = mapping.role_for(groups, role_map)
    if role is None:
        return Step(False, _l("In none of the groups mapped to a role: this person could not log in."))
    branches = _branches(mapping.branch_codes(groups, values, prefix, branch_map))
    return Step(True, _l("Would log in as %(role)s; branches: %(branches)s.", role=role_label(role),
                         branches=", ".join(f"{b.name} ({b.short_code})" for b in branches) or "—"))


def check_oidc(actor, data):
    """Fetch the provider's discovery document and keys with the form's values."""
    require_admin(actor)
    return oidc.check(_form_setup(OIDC, data).config)


# --- local copies of directory and provider users ----------------------------------------

@dataclass
class SystemActor:
    """Who the change log names for changes made by a login, not by a person."""

    name: str
    id: int | None = None


def _branches(codes):
    if not codes:
        return []
    return db.session.scalars(db.select(Branch).where(func.upper(Branch.short_code).in_(codes))
                              .order_by(Branch.name)).all()


USER_FIELDS = ("username", "name", "email", "phone", "role", "active", "auth_source", "external_id")


def _profile(user, name, email, phone, fallback):
    """Name, e-mail and phone as the directory or provider has them. What it does not say
    keeps its value here; a new account is at least named by its username."""
    values = {key: str(value).strip()[:size] for key, value, size in
              (("name", name, 120), ("email", email, 254), ("phone", phone, 40)) if value}
    if user is None or not user.name:
        values.setdefault("name", fallback[:120])
    return values


def deactivate(user, actor, reason):
    """Directory or provider says this person has no access any more: the local copy stops
    working, and its open sessions end."""
    if not user.active:
        return
    log.warning("Deactivating %s (%s): %s", user.username, user.auth_source, reason)
    save_user(actor, user, {"active": False}, fields=USER_FIELDS)


def ldap_login(setup, username, password, user=None):
    """Check `password` against the directory and bring the local copy (`user`, if there is
    one) up to date. Returns the user, uncommitted. Raises InvalidCredentials,
    DirectoryError or NoAccess; a local copy the directory no longer lets in is deactivated
    first, for the caller to commit with the refusal."""
    actor = SystemActor("LDAP")
    try:
        entry = LdapAuthenticator(setup.config).authenticate(username, password)
    except UnknownUser:
        if user is not None and user.auth_source == LDAP:
            deactivate(user, actor, "no longer in the directory")
        raise
    return _sync_ldap_user(username, user, entry, setup, actor)


def _sync_ldap_user(username, user, entry: DirectoryUser, setup, actor):
    role = mapping.role_for(entry.groups, setup.role_map)
    if role is None:
        if user is not None:
            deactivate(user, actor, "in none of the mapped groups")
        raise NoAccess(_l("Your directory account may not use this application: it is in none "
                          "of the groups that give access. Please ask your administrator."))
    codes = mapping.branch_codes(entry.groups, entry.branch_values, setup.branch_group_prefix,
                                 setup.branch_map)
    values = {"role": role, "external_id": entry.dn[:255],
              **_profile(user, entry.name, entry.email, entry.phone, username)}
    if user is None:
        user = User(username=username.lower()[:64], auth_source=LDAP, active=True)
    save_user(actor, user, values, _branches(codes), fields=USER_FIELDS)
    return user


def _claim_values(claims, name):
    value = claims.get(name) if name else None
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return [str(value)]


def oidc_login(setup, claims):
    """The local user for a verified set of ID token claims, created or updated. Matches,
    in this order: an account already linked to the provider's subject; an account an admin
    created for external login (auth source OIDC, or local without a password) or the
    directory created, with the same username. Accounts with a local password are never
    taken over. Raises NoAccess; an account the provider no longer gives a mapped role is
    deactivated first, for the caller to commit with the refusal."""
    actor = SystemActor(setup.provider_name[:120])
    sub = str(claims["sub"])[:255]
    username = " ".join(_claim_values(claims, setup.username_claim)).strip()
    not_known = NoAccess(_l("Your account at %(provider)s is not known here. Please ask your "
                            "administrator to create it.", provider=setup.provider_name))
    user = db.session.scalar(db.select(User).where(User.auth_source == OIDC, User.external_id == sub))
    link = {}
    if user is None and username:
        candidate = find_user(username)
        if candidate is None:
            pass
        elif candidate.auth_source == OIDC and not candidate.external_id:
            user, link = candidate, {"external_id": sub}
        elif candidate.auth_source == "local" and not candidate.password_hash:
            user, link = candidate, {"auth_source": OIDC, "external_id": sub}
        elif candidate.auth_source == LDAP:
            user = candidate
        else:
            log.warning("OIDC subject %s matches the username of an account it may not take over", sub)
            raise not_known
    if user is not None and not user.active:
        raise NoAccess(_l("Your account here is disabled. Please ask your administrator."))
    groups = {v.lower() for v in _claim_values(claims, setup.role_claim)}
    role = None
    if setup.role_map:
        role = mapping.role_for(groups, setup.role_map)
        if role is None:
            if user is not None and user.auth_source == OIDC:
                deactivate(user, actor, "no mapped role claim")
            raise NoAccess(_l("Your account at %(provider)s may not use this application. Please "
                              "ask your administrator.", provider=setup.provider_name))
    branches = None
    if setup.branch_claim:
        values = _claim_values(claims, setup.branch_claim)
        if setup.branch_claim == setup.role_claim:
            # One "groups" claim for both: only the branch groups count, not the role groups.
            codes = mapping.branch_codes(groups=[v.lower() for v in values], prefix=setup.branch_prefix,
                                         branch_map=setup.branch_map)
        else:
            codes = mapping.branch_codes(values=values, prefix=setup.branch_prefix,
                                         branch_map=setup.branch_map)
        branches = _branches(codes)
    profile = _profile(user, claims.get("name"), claims.get("email"), claims.get("phone_number"),
                       username or sub)
    if user is None:
        if not setup.create_unknown_users or not username:
            raise not_known
        if find_user(username) is not None:
            raise not_known
        user = User(username=username.lower()[:64], auth_source=OIDC, external_id=sub, active=True,
                    role=role or STAFF)
        save_user(actor, user, profile, branches or [], fields=USER_FIELDS)
        return user
    values = {**profile, **link}
    if role is not None:
        values["role"] = role
    save_user(actor, user, values, branches, fields=USER_FIELDS)
    return user

