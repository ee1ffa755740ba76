"""Login through the staff directory (LDAP) and an identity provider (OpenID Connect): the
local copies of the people who log in, and switching both logins off from the command line.

The settings live in interface services (Schnittstellen → LDAP / System) and are read by
`settings`; this module takes the setup the login found and never reads settings itself."""
import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..changelog import services as changelog
from ..extensions import db
from ..interfaces.models import InterfaceService
from ..interfaces.services import ENTITY as SERVICE_ENTITY
from ..org.models import Branch
from ..permissions import STAFF
from ..users.models import User
from ..users.services import find_user, save_user
from . import mapping
from .ldap import DirectoryUser, LdapAuthenticator, UnknownUser
from .settings import LDAP as LDAP_SERVICE
from .settings import OIDC as OIDC_SERVICE

log = logging.getLogger(__name__)

LDAP, OIDC = "ldap", "oidc"  # the auth sources of the local copies


class NoAccess(Exception):
    """The person proved who they are but may not use the application; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


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



# --- recovery -------------------------------------------------------------------------------

def disable_login_services(actor_name):
    """Switch every LDAP and OpenID Connect service off (the command line's way out of a
    directory setting that locks everybody out). Bypasses the lock-out rule on purpose;
    each change is in the change log by `actor_name`. Returns the services switched off;
    the caller commits."""
    actor = SystemActor(actor_name)
    found = db.session.scalars(
        db.select(InterfaceService)
        .where(InterfaceService.interface_key.in_((LDAP_SERVICE, OIDC_SERVICE)),
               InterfaceService.enabled.is_(True))
        .order_by(InterfaceService.id)).all()
    for service in found:
        service.enabled = False
        service.version += 1
        service.updated_by = actor.name
        changelog.record(actor, "update", SERVICE_ENTITY, service,
                         changelog.diff({"enabled": True}, {"enabled": False}))
    db.session.flush()
    return found
