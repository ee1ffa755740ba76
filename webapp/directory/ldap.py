"""Password checks against the staff directory (OpenLDAP, Active Directory) with ldap3.

Kept behind a small interface (`authenticate(username, password) -> DirectoryUser`) so that
ldap3, unmaintained since 2021, can be swapped for python-ldap without touching the login.
Flow: service bind → search exactly one user (the username escaped) → bind as that user →
read the user's groups. Nothing here logs or keeps a password."""
import contextlib
import ssl
from dataclasses import dataclass, field
from typing import Protocol

import ldap3
from ldap3.core.exceptions import LDAPException, LDAPInvalidDnError, LDAPInvalidFilterError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn
from flask_babel import lazy_gettext as _l

from ..outbound_policy import ADDRESS, REASONS, RESOLVED, Policy, Refused

DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(uid={username}))"
DEFAULT_GROUP_FILTER = ("(|(&(objectClass=groupOfNames)(member={dn}))"
                        "(&(objectClass=groupOfUniqueNames)(uniqueMember={dn}))"
                        "(&(objectClass=posixGroup)(memberUid={username})))")


@dataclass(frozen=True)
class LdapConfig:
    url: str
    start_tls: bool = False
    ca_cert: str = ""          # PEM text
    ca_cert_file: str = ""     # or a file with it (bootstrap configuration)
    bind_dn: str = ""
    bind_password: str = field(default="", repr=False)
    user_base: str = ""
    user_filter: str = DEFAULT_USER_FILTER
    group_base: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER
    attr_name: str = "cn"
    attr_email: str = "mail"
    attr_phone: str = "telephoneNumber"
    branch_attribute: str = ""
    connect_timeout: int = 5
    read_timeout: int = 10
    # The operator's outbound policy: the server's addresses are checked before connecting
    # and the address connected to after.
    outbound: Policy = field(default_factory=Policy)


@dataclass
class DirectoryUser:
    dn: str
    name: str = ""
    email: str = ""
    phone: str = ""
    # Every name a group can be mapped by: its DN and its cn, in lower case.
    groups: set[str] = field(default_factory=set)
    # Display names of the groups, for the connection test.
    group_labels: list[str] = field(default_factory=list)
    branch_values: list[str] = field(default_factory=list)


class DirectoryError(Exception):
    """The directory could not answer. The message is safe for logs (never a password)."""


class DirectoryUnavailable(DirectoryError):
    """Network, timeout or TLS trouble: the server is down or unreachable."""


class DirectoryMisconfigured(DirectoryError):
    """The server answered, but our settings are wrong (service account, base, filter)."""


class InvalidCredentials(Exception):
    """Wrong password, or no such user: the login form says the same for both."""


class UnknownUser(InvalidCredentials):
    """No directory entry for the username (e.g. removed from the directory)."""


class Authenticator(Protocol):
    def authenticate(self, username: str, password: str) -> DirectoryUser: ...


def normalise_dn(dn):
    """A comparable form of a DN: lower case, no blanks around separators."""
    try:
        return ",".join(f"{attr.lower()}={value.lower()}" for attr, value, _sep in parse_dn(dn, strip=True))
    except (LDAPInvalidDnError, LDAPException):
        return dn.strip().lower()


def _first(entry, name):
    values = entry.get(name.lower()) if name else None
    if not values:
        return ""
    value = values[0] if isinstance(values, list) else values
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _all(entry, name):
    values = entry.get(name.lower()) if name else None
    if not values:
        return []
    if not isinstance(values, list):
        values = [values]
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


class LdapAuthenticator:
    def __init__(self, config: LdapConfig):
        self.config = config

    # --- connections ---------------------------------------------------------------------

    def _server(self):
        config = self.config
        url = config.url.strip()
        if not url.lower().startswith(("ldap://", "ldaps://")):
            raise DirectoryMisconfigured(_l("The server URL must start with ldap:// or ldaps://."))
        tls = None
        if url.lower().startswith("ldaps://") or config.start_tls:
            try:
                # Without a CA of our own, the system's trusted CAs apply. ldap3 checks
                # the host name against the certificate itself.
                tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=config.ca_cert_file or None,
                                ca_certs_data=config.ca_cert or None)
            except LDAPException as error:
                raise DirectoryMisconfigured(_l("The CA certificate cannot be used: %(error)s",
                                                 error=error)) from error
        return ldap3.Server(url, use_ssl=url.lower().startswith("ldaps://"), tls=tls,
                            get_info=ldap3.NONE, connect_timeout=config.connect_timeout)

    def _connect(self, user=None, password=None):
        """An open (and, with StartTLS, encrypted) connection; bound as `user` when given,
        else as the service account (anonymous when no bind DN is configured)."""
        config = self.config
        server = self._server()
        as_service = user is None
        if as_service:
            user, password = (config.bind_dn or None), (config.bind_password or None)
        connection = ldap3.Connection(server, user=user, password=password,
                                      receive_timeout=config.read_timeout, auto_referrals=False,
                                      read_only=True, raise_exceptions=False)
        where = f"{server.host}:{server.port}"
        try:
            config.outbound.resolve(server.host, server.port)
        except Refused as refused:
            raise _not_allowed(where, refused) from None
        except OSError:
            pass  # no such name: ldap3 says so below
        try:
            connection.open()
            _check_peer(connection, config.outbound)
        except Refused as refused:
            _close_socket(connection)
            raise _not_allowed(where, refused) from None
        except LDAPException as error:
            _close_socket(connection)
            reason = _reason(error)
            # An untrusted certificate is our settings' problem, not the server being down.
            problem = DirectoryMisconfigured if "certificate" in reason else DirectoryUnavailable
            raise problem(_l("Cannot connect to %(where)s: %(reason)s.", where=where,
                             reason=reason)) from error
        if config.start_tls and not server.ssl:
            try:
                if not connection.start_tls():
                    raise DirectoryUnavailable(_l("StartTLS was refused by %(where)s: %(reason)s.",
                                                  where=where,
                                                  reason=connection.result.get("description")))
            except LDAPException as error:
                connection.unbind()
                raise DirectoryUnavailable(_l("StartTLS with %(where)s failed: %(reason)s.", where=where,
                                               reason=_reason(error))) from error
        try:
            bound = connection.bind()
        except LDAPException as error:
            connection.unbind()
            if as_service:
                raise DirectoryUnavailable(_l("Bind at %(where)s failed: %(reason)s.", where=where,
                                               reason=_reason(error))) from error
            raise InvalidCredentials() from error
        if not bound:
            description = connection.result.get("description", "")
            connection.unbind()
            if not as_service:
                raise InvalidCredentials()
            if config.bind_dn:
                raise DirectoryMisconfigured(_l(
                    "The server refused the service account %(dn)s (%(reason)s). Check the bind DN "
                    "and password.", dn=config.bind_dn, reason=description))
            raise DirectoryMisconfigured(_l("The server refused an anonymous bind (%(reason)s); "
                                            "configure a service account.", reason=description))
        return connection

    # --- search ----------------------------------------------------------------------------

    def _attributes(self):
        config = self.config
        names = {config.attr_name, config.attr_email, config.attr_phone, config.branch_attribute,
                 "memberOf"}
        return sorted(name for name in names if name)

    def _search(self, connection, base, search_filter, attributes, size_limit=0, what=""):
        try:
            connection.search(base, search_filter, search_scope=ldap3.SUBTREE,
                              attributes=attributes, size_limit=size_limit)
        except LDAPInvalidFilterError as error:
            raise DirectoryMisconfigured(_l("The %(what)s filter is not valid: %(error)s", what=what,
                                            error=error)) from error
        except LDAPException as error:
            raise DirectoryUnavailable(_l("The %(what)s failed: %(reason)s.", what=what,
                                           reason=_reason(error))) from error
        result = connection.result or {}
        code = result.get("result", 0)
        # 4 = sizeLimitExceeded: more entries than asked for, which we check below.
        if code not in (0, 4):
            if code == 32:
                raise DirectoryMisconfigured(_l("The %(what)s base %(base)s does not exist.",
                                                what=what, base=base))
            raise DirectoryMisconfigured(_l("The %(what)s under %(base)s failed: %(reason)s",
                                            what=what, base=base,
                                            reason=f"{result.get('description')} "
                                                   f"{result.get('message', '')}".strip()))
        return [entry for entry in connection.response or () if entry.get("type") == "searchResEntry"]

    def _find(self, connection, username):
        config = self.config
        if "{username}" not in config.user_filter:
            raise DirectoryMisconfigured(_l("The user filter must contain {username}."))
        search_filter = config.user_filter.replace("{username}", escape_filter_chars(username))
        entries = self._search(connection, config.user_base, search_filter, self._attributes(),
                               size_limit=2, what=_l("user search"))
        if not entries:
            raise UnknownUser()
        if len(entries) > 1:
            raise AmbiguousUser(_l("More than one directory entry matches the username "
                                   "“%(username)s”; the user filter must find exactly one.",
                                   username=username))
        return entries[0]

    def _groups(self, connection, username, entry):
        config = self.config
        attributes = {k.lower(): v for k, v in (entry.get("attributes") or {}).items()}
        dns = list(_all(attributes, "memberOf"))
        labels = {}
        if config.group_base and config.group_filter:
            search_filter = (config.group_filter
                             .replace("{dn}", escape_filter_chars(entry["dn"]))
                             .replace("{username}", escape_filter_chars(username)))
            for group in self._search(connection, config.group_base, search_filter, ["cn"],
                                      what=_l("group search")):
                dns.append(group["dn"])
                cns = _all({k.lower(): v for k, v in (group.get("attributes") or {}).items()}, "cn")
                labels[normalise_dn(group["dn"])] = cns
        names, display = set(), []
        for dn in dns:
            key = normalise_dn(dn)
            names.add(key)
            cns = labels.get(key)
            if cns is None:
                try:
                    first = parse_dn(dn, strip=True)[0]
                    cns = [first[1]] if first[0].lower() == "cn" else []
                except (LDAPInvalidDnError, LDAPException, IndexError):
                    cns = []
            names.update(cn.lower() for cn in cns)
            display.append(cns[0] if cns else dn)
        return names, sorted(set(display), key=str.lower)

    def _user(self, connection, username, entry):
        config = self.config
        attributes = {k.lower(): v for k, v in (entry.get("attributes") or {}).items()}
        groups, labels = self._groups(connection, username, entry)
        return DirectoryUser(
            dn=entry["dn"],
            name=_first(attributes, config.attr_name),
            email=_first(attributes, config.attr_email),
            phone=_first(attributes, config.attr_phone),
            groups=groups,
            group_labels=labels,
            branch_values=_all(attributes, config.branch_attribute),
        )

    # --- the interface -------------------------------------------------------------------

    def authenticate(self, username, password):
        """The directory's entry for `username` if `password` is theirs. Raises
        InvalidCredentials (UnknownUser when there is no entry) or DirectoryError."""
        # OpenLDAP refuses empty passwords, but some servers treat them as an anonymous bind
        # that "succeeds": never send one.
        if not username or not password:
            raise InvalidCredentials()
        service = self._connect()
        try:
            entry = self._find(service, username)
            user_connection = self._connect(entry["dn"], password)
            user_connection.unbind()
            return self._user(service, username, entry)
        finally:
            service.unbind()


class AmbiguousUser(DirectoryMisconfigured):
    """The user filter matched several entries: nobody may log in with that username."""


def _not_allowed(where, refused):
    return DirectoryMisconfigured(_l("Not connected to %(where)s: %(reason)s", where=where,
                                     reason=REASONS[refused.reason]))


def _check_peer(connection, policy):
    """The address ldap3 connected to is one the policy allows (the name may resolve to
    another address now than when it was checked)."""
    address = connection.socket.getpeername()[0]
    if not policy.allows_address(address.split("%")[0]):
        raise Refused(ADDRESS if address == connection.server.host else RESOLVED,
                      connection.server.host)


def _close_socket(connection):
    # ldap3 leaves the socket of a failed connect or TLS handshake open.
    sock = getattr(connection, "socket", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()


def _reason(error):
    text = str(error) or type(error).__name__
    if "certificate verify failed" in text or "CERTIFICATE_VERIFY_FAILED" in text:
        return "the server certificate is not trusted (check the CA certificate and the host name)"
    if "doesn't match any name" in text:
        return "the server certificate is issued for another host name"
    if "timed out" in text or "timeout" in text.lower():
        return "no answer in time"
    if "refused" in text:
        return "connection refused"
    return text
