"""Where the server may connect: the operator's outbound policy, checked when an address is
saved and again when it is used (docs/partners/README.md, "Outbound addresses").

- A URL must use https; plain http only for the hosts in OUTBOUND_HTTP_HOSTS.
- Loopback, link-local, private and other non-public addresses are refused unless they lie
  in OUTBOUND_ALLOWED_NETWORKS (CIDRs). At connect time a name is resolved, every address it
  resolves to is checked, and the connection goes to a checked address, so a name that
  points at 127.0.0.1 (or is made to, between save and use) reaches nothing.
- Certificates are checked against the system's trust store plus OUTBOUND_CA_FILE (an
  internal CA), in every session this policy builds: a connection test and the send it
  stands for trust the same CAs.

Kernel: it imports no domain. Adapters get a Policy in their request and never read Flask.
"""
import functools
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from flask_babel import lazy_gettext as _l
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

HOSTNAME = re.compile(r"(?=.{1,253}\Z)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?",
                      re.IGNORECASE)
SCHEME, ADDRESS, RESOLVED, INVALID = "scheme", "address", "resolved", "invalid"
CA_FILE = "ca_file"
# URL schemes the catalogue's address fields use: the encrypted ones, and their plain twins,
# which OUTBOUND_HTTP_HOSTS allows for named hosts only (the demo's sandbox, a test server).
ENCRYPTED = frozenset(("https", "ldaps"))
PLAIN = frozenset(("http", "ldap"))
# English, for adapter messages and logs; the screens word the reason themselves.
MESSAGES = {
    SCHEME: "{target}: only https is allowed (plain http only for the hosts the operator lists "
            "in OUTBOUND_HTTP_HOSTS)",
    ADDRESS: "{target} is a loopback, link-local or private address, which the operator has "
             "not allowed (OUTBOUND_ALLOWED_NETWORKS)",
    RESOLVED: "{target} resolves to a loopback, link-local or private address, which the "
              "operator has not allowed (OUTBOUND_ALLOWED_NETWORKS)",
    INVALID: "{target} is not a valid host name or address",
    CA_FILE: "{target}: the operator's CA file (OUTBOUND_CA_FILE) cannot be read, so no "
             "certificate can be checked",
}
# The same for people, in their language: beside a field, or after "Not connected to …".
REASONS = {
    SCHEME: _l("Use an https address. Plain http is allowed only for the hosts the operator "
               "lists in OUTBOUND_HTTP_HOSTS."),
    ADDRESS: _l("Loopback, link-local and private addresses are refused unless the operator "
                "allows them in OUTBOUND_ALLOWED_NETWORKS."),
    RESOLVED: _l("The name resolves to a loopback, link-local or private address, which the "
                 "operator has not allowed (OUTBOUND_ALLOWED_NETWORKS)."),
    INVALID: _l("Enter a host name or IP address, without scheme, port or path."),
    CA_FILE: _l("The operator's CA file (OUTBOUND_CA_FILE) cannot be read, so no certificate "
                "can be checked."),
}


class Refused(Exception):
    """The policy does not allow this address. `reason` is one of SCHEME, ADDRESS, RESOLVED,
    INVALID, or CA_FILE (its certificate cannot be checked: the operator's CA file cannot be
    read); str() says it in English. Deliberately not an OSError: nothing retries it."""

    def __init__(self, reason, target):
        self.reason, self.target = reason, target
        super().__init__(MESSAGES[reason].format(target=target))


@dataclass(frozen=True)
class Policy:
    """The operator's outbound settings. The default allows https to public addresses only,
    trusting the system's CAs."""

    http_hosts: frozenset = frozenset()
    networks: tuple = ()
    ca_file: str | None = None  # OUTBOUND_CA_FILE: CAs trusted besides the system's

    @classmethod
    def from_config(cls, config):
        """The policy of a Flask config (OUTBOUND_HTTP_HOSTS, OUTBOUND_ALLOWED_NETWORKS,
        OUTBOUND_CA_FILE); ValueError naming the setting when one is malformed."""
        hosts = config.get("OUTBOUND_HTTP_HOSTS") or ()
        networks = config.get("OUTBOUND_ALLOWED_NETWORKS") or ()
        if isinstance(hosts, str) or isinstance(networks, str):
            raise ValueError("OUTBOUND_HTTP_HOSTS and OUTBOUND_ALLOWED_NETWORKS are lists "
                             "(JSON lists in environment variables)")
        try:
            parsed = tuple(ipaddress.ip_network(str(cidr), strict=False) for cidr in networks)
        except ValueError as error:
            raise ValueError(f"OUTBOUND_ALLOWED_NETWORKS: {error}") from None
        ca_file = config.get("OUTBOUND_CA_FILE") or None
        return cls(frozenset(str(host).strip().lower().strip("[]") for host in hosts), parsed,
                   str(ca_file) if ca_file else None)

    # --- checks ----------------------------------------------------------------------------

    def allows_address(self, address):
        """Whether the server may connect to this IP address."""
        address = ipaddress.ip_address(address)
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address.version == net.version and address in net for net in self.networks):
            return True
        return address.is_global and not address.is_multicast

    def check_host(self, host):
        """Refused unless `host` is a well-formed name or an allowed IP address (a name's
        addresses are checked when it is used: see connect)."""
        host = (host or "").strip().strip("[]")
        address = _ip(host)
        if address is not None:
            if not self.allows_address(address):
                raise Refused(ADDRESS, host)
            return
        if not HOSTNAME.fullmatch(host):
            raise Refused(INVALID, host)

    def check_url(self, url):
        """Refused unless `url` is encrypted (https, or ldaps for a directory) — plain http or
        ldap only to an OUTBOUND_HTTP_HOSTS host — and names an acceptable host."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise Refused(INVALID, url) from None
        host = (parts.hostname or "").lower()
        if not host:
            raise Refused(INVALID, url)
        scheme = parts.scheme.lower()
        if scheme not in ENCRYPTED and not (scheme in PLAIN and host in self.http_hosts):
            raise Refused(SCHEME, url)
        self.check_host(host)

    def resolve(self, host, port):
        """getaddrinfo's TCP answers for `host`, each checked: Refused when any one of them is
        not allowed (a name must not mix public and internal addresses)."""
        host = (host or "").strip().strip("[]").rstrip(".")
        self.check_host(host)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_kind, sockaddr in found:
            if not self.allows_address(sockaddr[0].split("%")[0]):
                raise Refused(ADDRESS if _ip(host) is not None else RESOLVED, host)
        return found

    def connect(self, host, port, timeout=None, source_address=None, socket_options=()):
        """A TCP socket connected to a checked address of `host`, like
        socket.create_connection. Refused, socket.gaierror or OSError."""
        error = None
        for family, kind, proto, _name, sockaddr in self.resolve(host, port):
            sock = socket.socket(family, kind, proto)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                if timeout is None or isinstance(timeout, (int, float)):
                    sock.settimeout(timeout)  # others are "the default" sentinels
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as problem:
                error = problem
                sock.close()
        raise error or OSError(f"{host} has no address")

    # --- TLS --------------------------------------------------------------------------------

    def tls_context(self, target):
        """tls_context(ca_file) of this policy. Refused(CA_FILE, target) when the file cannot
        be read: nothing is sent to `target` whose certificate could not be checked as the
        operator asked."""
        try:
            return tls_context(self.ca_file)
        except (OSError, ssl.SSLError, ValueError):
            raise Refused(CA_FILE, target) from None

    # --- HTTP -------------------------------------------------------------------------------

    def session(self):
        """A requests session whose every request (redirects included) is checked, whose
        connections go only to checked addresses and whose certificates are checked against
        the system's CAs plus the operator's CA file. Environment proxies are not used:
        through a proxy the addresses could not be checked."""
        session = requests.Session()
        self.mount(session)
        return session

    def mount(self, session):
        """Guard an existing requests session (e.g. an OAuth client's) in place."""
        adapter = _GuardedAdapter(self)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


def from_config(config):
    """The Policy of a Flask config (see Policy.from_config)."""
    return Policy.from_config(config)


def init_app(app):
    """Stop the start with a clear message when the settings are malformed or the CA file
    cannot be read."""
    policy = Policy.from_config(app.config)
    try:
        if policy.ca_file:
            tls_context(policy.ca_file)
    except (OSError, ssl.SSLError, ValueError) as error:
        raise ValueError(f"OUTBOUND_CA_FILE {policy.ca_file} cannot be read as PEM "
                         f"certificates: {error}") from None


def tls_context(ca_file=None):
    """A client context that checks the certificate and the host name against the system's
    trust store plus, when given, the CAs in `ca_file` (the operator's OUTBOUND_CA_FILE: an
    internal CA is added, never substituted). OSError, ssl.SSLError or ValueError when
    ca_file cannot be read or holds no certificate."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    return context


def _ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, policy, **kwargs):
        self.policy = policy
        self._context = None
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pools(self.policy)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        """With an operator's CA file, https connections use the policy's TLS context: the
        system's trust store plus that file. requests still loads its own bundle (certifi,
        or a verify=<file>) into that context, so whatever it trusted before stays trusted —
        unlike session.verify=<CA file>, which would trust that file alone. Built on the
        first https request, not with the session, so that an unreadable file refuses that
        request (Refused, which every caller already words) and plain http needs none."""
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        if self.policy.ca_file and verify is not False and host["scheme"] == "https":
            if self._context is None:
                self._context = self.policy.tls_context(host["host"])
            pool["ssl_context"] = self._context
        return host, pool

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.policy.check_url(request.url)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                            proxies=None)


@functools.lru_cache(maxsize=32)
def _pools(policy):
    """Connection pool classes whose connections open through policy.connect (TLS still
    checks the certificate against the host name, not the address)."""
    def new_conn(self):
        try:
            return policy.connect(self._dns_host, self.port, self.timeout,
                                  source_address=self.source_address,
                                  socket_options=self.socket_options)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out. "
                                            f"(connect timeout={self.timeout})") from error
        except OSError as error:
            raise NewConnectionError(self, f"Failed to establish a new connection: {error}") \
                from error

    connection = type("GuardedHTTPConnection", (HTTPConnection,), {"_new_conn": new_conn})
    tls_connection = type("GuardedHTTPSConnection", (HTTPSConnection,), {"_new_conn": new_conn})
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,),
                     {"ConnectionCls": connection}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,),
                      {"ConnectionCls": tls_connection}),
    }
