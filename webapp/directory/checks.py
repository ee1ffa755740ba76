"""What a save of the LDAP or OpenID Connect service must not do, checked inside the save
(interfaces.services.register_check, wired by the factory): the rules between fields that
the catalogue's per-field checks cannot see, and the lock-out rule.

**Lock-out.** A save (create, change, delete, switching off) is refused when it takes away
the last way in: before it an administrator could log in, and as it leaves things none
could. (A chain in which no administrator could log in before is not made worse by the
save, and refusing would only block its repair.) An administrator *could log in* when one
of these holds:

1. an active local account with the administrator role has a password (local accounts never
   depend on the directory or the provider);
2. LDAP login is on (an active service with a server URL, or the bootstrap configuration
   while no service exists), its role table maps at least one group to Administrator, and an
   active account that came from the directory (auth source LDAP) is an administrator;
3. OpenID Connect login is on, its role table is empty (roles are managed here) or maps at
   least one value to Administrator, and an active administrator account can come through
   the provider (auth source OpenID Connect or LDAP, or local without a password).

The check cannot ask the directory whether its admin group still has members; it keeps
the paths open. Recovering from a directory setting that locks everybody out anyway is a
command-line job (README: `flask disable-directory-login`, `flask create-admin`)."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_

from ..errors import DomainError
from ..extensions import db
from ..interfaces.services import chain_today
from ..org.models import Branch
from ..permissions import ADMIN
from ..users.models import User
from . import settings
from .settings import LDAP, OIDC

LOCKED_OUT = _l("This would lock every administrator out: no active local administrator has "
                "a password, and afterwards neither the directory (LDAP) nor single sign-on "
                "would give anybody the administrator role. Create a local administrator "
                "with a password first (Administration → Users), or keep a group mapped to "
                "Administrator.")


def check_service(actor, service, action, before):
    """interfaces.services.register_check: refuse a save of an LDAP or OIDC service that
    breaks a rule (DomainError beside the field) or takes away the administrators' last way
    in. `before`: the service's values before an update (None otherwise)."""
    if action != "delete":
        _check_fields(service)
    kind, other = service.interface_key, (OIDC if service.interface_key == LDAP else LDAP)
    unchanged = settings.read(other)
    if action == "delete":
        now, then = settings.read(kind), _without(kind, service)
    elif action == "update":
        now, then = _as_it_was(kind, before), settings.read(kind)
    else:  # create, copy: what applied before the service existed
        now, then = _without(kind, service), settings.read(kind)
    if not admins_could_log_in(*_ordered(kind, then, unchanged)) and \
            admins_could_log_in(*_ordered(kind, now, unchanged)):
        raise DomainError(LOCKED_OUT)


def _ordered(kind, source, other):
    return (source, other) if kind == LDAP else (other, source)


def _without(kind, service):
    """What applies when `service` is not there: another service's state (one per chain, so
    none in practice) or the bootstrap values."""
    if settings.service_exists(kind, excluding=service):
        return settings.Source(kind, settings.OFF, False)
    return settings.bootstrap(kind)


def _as_it_was(kind, before):
    """The Source of a service from its values before the update (services._log_values):
    in force when it was enabled and its start date had come."""
    start = before.get("start_date")
    started = start is None or date.fromisoformat(start) <= chain_today()
    active = bool(before.get("enabled")) and started
    return settings.Source(kind, settings.SERVICE if active else settings.OFF, active,
                           dict(before) if active else {})


def admins_could_log_in(ldap_source, oidc_source):
    """Whether an administrator could log in with these LDAP and OIDC settings (see the
    module's docstring). Reads no secret."""
    admins = db.select(User.id).where(User.active.is_(True), User.role == ADMIN).limit(1)
    if db.session.scalar(admins.where(User.auth_source == "local",
                                      User.password_hash.is_not(None))) is not None:
        return True
    value = ldap_source.value
    ldap_on = ldap_source.enabled and bool(value("server_url"))
    if ldap_on and ADMIN in settings.table(value("role_map"), "role_map").values():
        if db.session.scalar(admins.where(User.auth_source == "ldap")) is not None:
            return True
    if settings.oidc_enabled(oidc_source):
        roles = settings.table(oidc_source.value("role_map"), "role_map")
        if not roles or ADMIN in roles.values():
            through_provider = or_(User.auth_source.in_(("oidc", "ldap")),
                                   (User.auth_source == "local") & User.password_hash.is_(None))
            if db.session.scalar(admins.where(through_provider)) is not None:
                return True
    return False


def _check_fields(service):
    source = settings.Source(service.interface_key, settings.SERVICE, service.enabled,
                             dict(service.values or {}))
    value = source.value
    if service.interface_key == LDAP:
        url = (value("server_url") or "").lower()
        if value("start_tls") and url.startswith("ldaps://"):
            raise DomainError(_l("StartTLS is for ldap:// URLs; ldaps:// is encrypted "
                                 "already."), field="start_tls")
        if value("bind_dn") and "bind_password" not in service.secret_keys:
            raise DomainError(_l("The service account needs a password."),
                              field="bind_password")
    elif value("role_map") and not value("role_claim"):
        raise DomainError(_l("Name the claim that carries the groups or roles."),
                          field="role_claim")
    _check_branch_codes(settings.table(value("branch_map"), "branch_map"))


def _check_branch_codes(branch_map):
    """Every short code the branch table names belongs to a branch."""
    wanted = {code.upper() for code in branch_map.values()}
    if not wanted:
        return
    known = set(db.session.scalars(db.select(func.upper(Branch.short_code))
                                   .where(func.upper(Branch.short_code).in_(wanted))))
    unknown = sorted(wanted - known)
    if unknown:
        raise DomainError(_l("No branch has the short code %(codes)s.",
                             codes=", ".join(unknown)), field="branch_map")
