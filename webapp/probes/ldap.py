"""Connection test of an LDAP directory (the login directory's server URL, bind account and
base DN), step by step: RESOLVE → CONNECT (TCP) → TLS (ldaps:// from the first byte, or
StartTLS when asked; skipped for plain ldap://, which the policy allows only for the hosts the
operator lists) → AUTH (a simple bind as the bind DN; skipped for an anonymous setup) →
REQUEST (the base DN's entry read with scope base, or the root DSE when no base DN is set).
Then unbind. Changes nothing.

The probe opens the TCP connection itself, through the operator's outbound policy, and does
the TLS handshake itself with Python's ssl (the system's trust store plus `ca_file`; the
host name checked by ssl, as everywhere else). ldap3 only speaks the protocol on that socket:
its strategy's `_open_socket` is replaced for this one connection, so ldap3 never resolves a
name or connects anywhere, and no address reaches it that the policy did not check (the
directory client in webapp/directory/ldap.py lets ldap3 connect and checks the peer after;
here there is nothing to check after). `timeout` bounds the whole test: every step gets what
is left of it.

The password goes to the server in the bind and nowhere else: an empty one is never sent
(some servers take a bind with a DN and no password as an anonymous bind that "succeeds"),
and every detail is scrubbed of it.
"""
import socket
import ssl
from contextlib import contextmanager, suppress
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import (
    LDAPException, LDAPInvalidDnError, LDAPSessionTerminatedByServerError,
    LDAPSocketReceiveError,
)

from .. import outbound_policy
from ..outbound_policy import MESSAGES, Refused
from . import (
    AUTH, AUTH_FAILED, BAD_ANSWER, CONNECT, INVALID, NOT_ALLOWED, NO_CREDENTIALS, NO_TLS,
    REQUEST, RESOLVE, SERVER_ERROR, TIMEOUT, TLS, TLS_FAILED, Deadline, Probe, StepFailed,
    classify, scrub, tls_context, tls_detail,
)

DEFAULT_PORTS = dict(ldap=389, ldaps=636)
START_TLS = "1.3.6.1.4.1.1466.20037"  # RFC 4511 4.14
# LDAP result codes (RFC 4511 appendix A) the steps name.
INVALID_CREDENTIALS, NO_SUCH_OBJECT, INVALID_DN_SYNTAX = 49, 32, 34
CONFIDENTIALITY_REQUIRED, STRONGER_AUTH_REQUIRED = 13, 8
# Failures after which the server is still talking sense, so an unbind is worth sending;
# after any other one (a timeout, a broken handshake) the socket is just closed.
POLITE_AFTER = frozenset((AUTH_FAILED, NO_CREDENTIALS, NO_TLS, SERVER_ERROR))
GOODBYE_SECONDS = 2.0

__all__ = ["ldap"]


def ldap(url, policy, timeout=10, report=None, ca_file=None, start_tls=False, bind_dn="",
         password="", base_dn=""):
    """Test an LDAP server as the directory login would use it: `url` ldap:// or ldaps://
    (port 389 / 636 unless given), StartTLS on ldap:// when `start_tls`, a simple bind as
    `bind_dn` (anonymous when empty), then the entry `base_dn` read with scope base (the root
    DSE when empty). Returns the Result."""
    deadline = Deadline(timeout)
    session = _Session()

    def steps(probe):
        with probe.step(RESOLVE) as step, _errors(password):
            scheme, host, port = _parse(url, deadline)
            step.detail = _resolve(policy, url, host, port)
        with probe.step(CONNECT) as step, _errors(password):
            session.sock = policy.connect(host, port, deadline.left())
            step.detail = "{} port {}".format(*session.sock.getpeername()[:2])
            if scheme != "ldaps":  # with ldaps, LDAP starts once the handshake is done
                session.adopt()
        if scheme == "ldaps":
            with probe.step(TLS) as step, _errors(password):
                session.sock.settimeout(deadline.left())
                session.sock = _handshake(session.sock, host, ca_file)
                session.adopt()
                step.detail = tls_detail(session.sock) + (
                    " (ldaps: StartTLS not needed)" if start_tls else "")
        elif start_tls:
            with probe.step(TLS) as step, _errors(password):
                session.sock.settimeout(deadline.left())
                session.start_tls(host, ca_file)
                step.detail = "StartTLS: " + tls_detail(session.sock)
        else:
            probe.skip(TLS, "plain ldap without StartTLS, allowed for this host by the operator")
        if not bind_dn:
            probe.skip(AUTH, "anonymous: no bind DN set")
        else:
            with probe.step(AUTH) as step, _errors(password):
                session.sock.settimeout(deadline.left())
                step.detail = session.bind(bind_dn, password)
        with probe.step(REQUEST) as step, _errors(password):
            session.sock.settimeout(deadline.left())
            step.detail = session.read(base_dn, deadline)

    result = Probe(report).run(steps)
    session.goodbye(polite=_polite(result))
    return result


# --- the connection ------------------------------------------------------------------------

class _Session:
    """The socket the probe connected and, once adopted, the ldap3 connection speaking LDAP
    on it: closed by goodbye() whatever happened."""

    def __init__(self):
        self.sock = None
        self.connection = None

    def adopt(self):
        """An ldap3 connection on self.sock: ldap3's own connect is replaced by taking this
        socket, so ldap3 resolves and connects nothing itself (see the module docstring)."""
        address, port = self.sock.getpeername()[:2]
        # The checked address, not the name: ldap3 looks its host up again when it opens.
        server = ldap3.Server(address, port=port, use_ssl=False, get_info=ldap3.NONE)
        connection = ldap3.Connection(server, auto_bind=ldap3.AUTO_BIND_NONE,
                                      authentication=ldap3.ANONYMOUS, auto_referrals=False,
                                      read_only=True, raise_exceptions=False)

        def take_socket(_address, use_ssl=False, unix_socket=False):
            connection.socket = self.sock
            connection.closed = False  # what ldap3's own _open_socket sets once connected

        connection.strategy._open_socket = take_socket
        connection.open(read_server_info=False)
        self.connection = connection

    def start_tls(self, host, ca_file):
        """The StartTLS extended operation, then the handshake on the same socket."""
        context = tls_context(ca_file)  # an unusable CA file fails before anything is sent
        connection = self.connection
        connection.extended(START_TLS)
        result = connection.result or {}
        if result.get("result") != 0:
            raise StepFailed(NO_TLS, f"StartTLS refused: {_said(result)}")
        self.sock = connection.socket = _wrap(context, connection.socket, host)
        connection.tls_started = True

    def bind(self, bind_dn, password):
        if not password:
            raise StepFailed(NO_CREDENTIALS, "a bind DN is set but no password")
        connection = self.connection
        connection.user, connection.password = bind_dn, password
        connection.authentication = ldap3.SIMPLE
        try:
            if connection.bind():
                return f"bound as {bind_dn}"
        except LDAPInvalidDnError:
            raise StepFailed(INVALID, f"the bind DN {bind_dn} is not a valid DN") from None
        result = connection.result or {}
        code = result.get("result")
        if code == INVALID_CREDENTIALS:
            raise StepFailed(AUTH_FAILED, f"the server refused the bind as {bind_dn}: "
                                          f"{_said(result)}")
        if code == INVALID_DN_SYNTAX:
            raise StepFailed(INVALID, f"the bind DN is not a valid DN: {_said(result)}")
        if code in (CONFIDENTIALITY_REQUIRED, STRONGER_AUTH_REQUIRED):
            raise StepFailed(NO_TLS, f"the server allows no bind without encryption: "
                                     f"{_said(result)}")
        raise StepFailed(SERVER_ERROR, f"bind as {bind_dn}: {_said(result)}")

    def read(self, base_dn, deadline):
        """The entry base_dn with scope base (no attributes), or the root DSE."""
        connection = self.connection
        seconds = max(1, int(deadline.left()))
        if base_dn:
            try:
                connection.search(base_dn, "(objectClass=*)", search_scope=ldap3.BASE,
                                  attributes=[ldap3.NO_ATTRIBUTES], time_limit=seconds)
            except LDAPInvalidDnError:
                raise StepFailed(INVALID, f"the base DN {base_dn} is not a valid DN") from None
        else:
            connection.search("", "(objectClass=*)", search_scope=ldap3.BASE,
                              attributes=["namingContexts"], time_limit=seconds)
        result = connection.result or {}
        code = result.get("result")
        if code == NO_SUCH_OBJECT:
            raise StepFailed(SERVER_ERROR, f"the base DN {base_dn} does not exist or this "
                                           f"account may not see it: {_said(result)}")
        if code == INVALID_DN_SYNTAX:
            raise StepFailed(INVALID, f"the base DN {base_dn} is not a valid DN: "
                                      f"{_said(result)}")
        if code != 0:
            raise StepFailed(SERVER_ERROR, f"reading {base_dn or 'the root DSE'}: "
                                           f"{_said(result)}")
        entries = [entry for entry in connection.response or ()
                   if entry.get("type") == "searchResEntry"]
        if not entries:
            raise StepFailed(BAD_ANSWER, f"the server returned no entry for "
                                         f"{base_dn or 'the root DSE'}")
        if base_dn:
            return f"read {entries[0].get('dn') or base_dn}"
        contexts = (entries[0].get("attributes") or {}).get("namingContexts") or []
        return "read the root DSE; naming contexts: " + (", ".join(map(str, contexts)) or "none")

    def goodbye(self, polite):
        connection = self.connection
        try:
            if connection is not None and polite and not connection.closed:
                self.sock.settimeout(GOODBYE_SECONDS)
                connection.unbind()
        except (LDAPException, OSError):
            pass
        finally:
            if self.sock is not None:
                with suppress(OSError):
                    self.sock.close()


# --- helpers -------------------------------------------------------------------------------


def _parse(url, deadline):
    """(scheme, host, port) of an ldap:// or ldaps:// URL; StepFailed(INVALID) otherwise."""
    if deadline.seconds is None:
        raise StepFailed(INVALID, "no valid timeout")
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        raise StepFailed(INVALID, "the URL's port is not valid") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise StepFailed(INVALID, "not an ldap:// or ldaps:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise StepFailed(INVALID, "credentials belong in the bind fields, not in the URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise StepFailed(INVALID, "the URL names the server only; the base DN has its own field")
    return scheme, parts.hostname, port or DEFAULT_PORTS[scheme]


def _resolve(policy, url, host, port):
    """The checked addresses of host, for RESOLVE's detail."""
    try:
        policy.check_url(url.strip())
        found = policy.resolve(host, port)
    except Refused as error:
        reason = INVALID if error.reason == outbound_policy.INVALID else NOT_ALLOWED
        raise StepFailed(reason, MESSAGES[error.reason].format(target=host)) from None
    return ", ".join(dict.fromkeys(sockaddr[0] for *_kind, sockaddr in found))


def _handshake(sock, host, ca_file):
    return _wrap(tls_context(ca_file), sock, host)


def _wrap(context, sock, host):
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError:
        raise
    except (ssl.SSLEOFError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
        # A plain LDAP server reads the ClientHello as a broken request and hangs up.
        raise StepFailed(TLS_FAILED, "the server closed the connection during the TLS "
                                     "handshake (is this port plain ldap?)") from None


def _said(result):
    """An LDAP result as text: its name, code and the server's diagnostic message."""
    text = f"{result.get('description') or 'result'} ({result.get('result')})"
    message = (result.get("message") or "").strip()
    return f"{text}: {message}" if message else text


def _polite(result):
    failed = result.failed
    return failed is None or failed.reason in POLITE_AFTER


@contextmanager
def _errors(secret):
    """Within one step: turn what ldap3, ssl and the policy raise into StepFailed with an
    English detail that cannot contain the password."""
    try:
        yield
    except StepFailed as error:
        raise StepFailed(error.reason, scrub(error.detail, secret)) from None
    except Exception as error:  # noqa: BLE001 - the probe runner fails the step with it
        reason, detail = _classify(error)
        raise StepFailed(reason, scrub(detail, secret)) from None


def _classify(error):
    # ldap3's socket errors are subclasses of the socket error beneath them as well, so a
    # timeout or a refused connection is classified by the kernel as such.
    if isinstance(error, (socket.timeout, TimeoutError)):
        return TIMEOUT, "timed out"
    if isinstance(error, (LDAPSessionTerminatedByServerError, LDAPSocketReceiveError)) \
            and not isinstance(error, OSError):
        return BAD_ANSWER, "the server closed the connection"
    if isinstance(error, LDAPInvalidDnError):
        return INVALID, f"not a valid DN: {error}"
    if isinstance(error, LDAPException) and not isinstance(error, OSError):
        return BAD_ANSWER, f"{type(error).__name__}: {error}"
    if isinstance(error, UnicodeError):
        return INVALID, "the bind DN, password or base DN has characters LDAP cannot send"
    return classify(error)
