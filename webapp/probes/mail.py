"""Connection tests for mail servers: SMTP (sending) and IMAP (reading a mailbox).

Both go resolve → connect → TLS → login → one harmless request and never change anything:
SMTP asks NOOP and sends no mail, IMAP opens the folder read-only (EXAMINE). `encryption` is
the catalogue's MAIL_ENCRYPTION: "starttls", "tls" (TLS from the first byte) or "none".

The probe opens the TCP connection itself, through the operator's outbound policy, and hands
the socket to smtplib or imaplib, so that connecting, the TLS handshake and the greeting are
separate steps: with "tls" the greeting comes over the encrypted channel and belongs to TLS.
`timeout` bounds the whole test: every step gets what is left of it. A step that passes says
what it found (the addresses, the TLS version, the NOOP answer, the folder's message count).

Certificates are checked against the system's trust store plus `ca_file` when one is given
(the operator's private CA). The password goes to the server and nowhere else: every detail
is scrubbed of it, and nothing here logs.
"""
import base64
import imaplib
import smtplib
from contextlib import contextmanager, suppress

from .. import outbound_policy
from ..outbound_policy import Refused
from . import (
    AUTH, AUTH_FAILED, BAD_ANSWER, CONNECT, INVALID, NO_CREDENTIALS, NO_TLS, REQUEST, RESOLVE,
    SERVER_ERROR, TIMEOUT, TLS, Deadline, Probe, StepFailed, classify, peer, scrub, tls_context,
    tls_detail,
)

ENCRYPTIONS = ("starttls", "tls", "none")
# Failures after which the server is still talking sense, so QUIT / LOGOUT is worth saying;
# after any other one (a timeout, a broken handshake) the connection is just closed.
POLITE_AFTER = frozenset((AUTH_FAILED, NO_CREDENTIALS, NO_TLS, SERVER_ERROR))
GOODBYE_SECONDS = 2.0

__all__ = ["ENCRYPTIONS", "imap", "smtp"]


def smtp(host, port, encryption, username, password, policy, timeout=10, report=None,
         ca_file=None):
    """Test an SMTP server as the mail sender would use it: greeting 220, STARTTLS or TLS,
    login when `username` is set, then NOOP (250). Sends no mail. Returns the Result."""
    host = _clean(host)
    deadline = Deadline(timeout)
    client = _SMTP(host)

    def steps(probe):
        with probe.step(RESOLVE) as step, _errors(password):
            port_number = _check_settings(host, port, encryption, deadline)
            step.detail = _addresses(policy.resolve(host, port_number))
        with probe.step(CONNECT) as step, _errors(password):
            client.sock = policy.connect(host, port_number, deadline.left())
            step.detail = peer(client.sock)
            if encryption != "tls":
                client.greet()
        if encryption == "none":
            probe.skip(TLS, "no encryption configured")
        else:
            with probe.step(TLS) as step, _errors(password):
                client.sock.settimeout(deadline.left())
                context = tls_context(ca_file)
                if encryption == "tls":
                    client.sock = context.wrap_socket(client.sock, server_hostname=host)
                    client.greet()
                else:
                    client.ehlo_or_helo_if_needed()
                    if not client.has_extn("starttls"):
                        raise StepFailed(NO_TLS, "the server does not offer STARTTLS")
                    client.starttls(context=context)
                    client.ehlo_or_helo_if_needed()  # what it offers once encrypted
                step.detail = tls_detail(client.sock)
        if not username:
            probe.skip(AUTH, "no user name set")
        else:
            with probe.step(AUTH) as step, _errors(password):
                client.sock.settimeout(deadline.left())
                if not password:
                    raise StepFailed(NO_CREDENTIALS, "a user name is set but no password")
                client.ehlo_or_helo_if_needed()
                if not client.has_extn("auth"):
                    # Servers commonly offer AUTH only once the connection is encrypted.
                    raise StepFailed(NO_TLS if encryption == "none" else BAD_ANSWER,
                                     "the server offers no login (AUTH)"
                                     + (" without encryption" if encryption == "none" else ""))
                client.login(username, password)
                step.detail = f"logged in as {username}"
        with probe.step(REQUEST) as step, _errors(password):
            client.sock.settimeout(deadline.left())
            client.ehlo_or_helo_if_needed()
            code, reply = client.noop()
            if code != 250:
                raise StepFailed(SERVER_ERROR, f"NOOP answered {_reply(code, reply)}")
            step.detail = f"NOOP answered {_reply(code, reply)}"

    result = Probe(report).run(steps)
    client.goodbye(polite=_polite(result))
    return result


def imap(host, port, encryption, username, password, policy, timeout=10, report=None,
         ca_file=None, folder="INBOX"):
    """Test an IMAP mailbox as a job would read it: greeting OK, STARTTLS or TLS, LOGIN, then
    the folder opened read-only (EXAMINE). Changes nothing. Returns the Result."""
    host, folder = _clean(host), folder or "INBOX"
    deadline = Deadline(timeout)
    connection = _IMAPConnection()

    def steps(probe):
        with probe.step(RESOLVE) as step, _errors(password):
            port_number = _check_settings(host, port, encryption, deadline)
            step.detail = _addresses(policy.resolve(host, port_number))
        with probe.step(CONNECT) as step, _errors(password):
            connection.sock = policy.connect(host, port_number, deadline.left())
            step.detail = peer(connection.sock)
            if encryption != "tls":
                connection.client = _IMAP(connection.sock, host, port_number)
        if encryption == "none":
            probe.skip(TLS, "no encryption configured")
        else:
            with probe.step(TLS) as step, _errors(password):
                connection.sock.settimeout(deadline.left())
                context = tls_context(ca_file)
                if encryption == "tls":
                    connection.sock = context.wrap_socket(connection.sock, server_hostname=host)
                    connection.client = _IMAP(connection.sock, host, port_number)
                else:
                    if "STARTTLS" not in connection.client.capabilities:
                        raise StepFailed(NO_TLS, "the server does not offer STARTTLS")
                    connection.client.starttls(ssl_context=context)
                step.detail = tls_detail(connection.client.sock)
        client = connection.client
        if client.state == "AUTH":
            probe.skip(AUTH, "the server logged the connection in by itself (PREAUTH)")
        else:
            with probe.step(AUTH) as step, _errors(password, AUTH_FAILED):
                client.sock.settimeout(deadline.left())
                if not username or not password:
                    raise StepFailed(NO_CREDENTIALS,
                                     "IMAP needs a user name and a password to open a folder")
                if "LOGINDISABLED" in client.capabilities:
                    raise StepFailed(NO_TLS, "the server allows no login"
                                     + (" without encryption" if encryption == "none" else ""))
                client.login(_quoted(username), password)  # imaplib quotes the password only
                step.detail = f"logged in as {username}"
        with probe.step(REQUEST) as step, _errors(password):
            client.sock.settimeout(deadline.left())
            kind, data = client.select(_mailbox_name(folder), readonly=True)
            if kind != "OK":
                raise StepFailed(SERVER_ERROR, f"EXAMINE answered {kind} {_said(data)}")
            step.detail = f"{folder} opened read-only: {_said(data)} messages"

    result = Probe(report).run(steps)
    connection.goodbye(polite=_polite(result))
    return result


# --- the clients ---------------------------------------------------------------------------

class _SMTP(smtplib.SMTP):
    """smtplib's client on a socket the probe connects itself, through the policy (see the
    module docstring); `greet()` reads the greeting smtplib.SMTP.connect would."""

    def __init__(self, host):
        super().__init__()  # no host: smtplib connects nothing by itself
        self._host = host   # what starttls() checks the certificate against

    def _get_socket(self, host, port, timeout):
        raise RuntimeError("the probe connects through the outbound policy only")

    def greet(self):
        code, reply = self.getreply()
        if code != 220:
            raise StepFailed(SERVER_ERROR, f"the server greeted with {_reply(code, reply)}")

    def goodbye(self, polite):
        if self.sock is None:
            return
        try:
            if polite:
                self.sock.settimeout(GOODBYE_SECONDS)
                self.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.close()


class _IMAP(imaplib.IMAP4):
    """imaplib's client on a socket the probe connected through the policy (and, for "tls",
    wrapped itself); creating it reads the greeting and the capabilities."""

    def __init__(self, sock, host, port):
        self._connected = sock
        super().__init__(host, port)

    def _create_socket(self, timeout):
        return self._connected


class _IMAPConnection:
    """The socket, and the client once there is one: closed by goodbye() whatever happened."""

    def __init__(self):
        self.sock = None
        self.client = None

    def goodbye(self, polite):
        client = self.client
        try:
            if client is not None and polite:
                client.sock.settimeout(GOODBYE_SECONDS)
                client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        finally:
            if client is not None:
                with suppress(OSError):  # after logout() it is shut down already
                    client.shutdown()
            if self.sock is not None:
                self.sock.close()


# --- helpers -------------------------------------------------------------------------------


def _clean(host):
    return (host or "").strip().strip("[]").rstrip(".")


def _check_settings(host, port, encryption, deadline):
    """The port as a number; StepFailed(INVALID) for settings that cannot work."""
    if deadline.seconds is None:
        raise StepFailed(INVALID, "no valid timeout")
    if not host:
        raise StepFailed(INVALID, "no host name")
    if encryption not in ENCRYPTIONS:
        raise StepFailed(INVALID, f"unknown encryption {encryption!r}")
    try:
        number = int(port)
    except (TypeError, ValueError):
        number = 0
    if isinstance(port, bool) or not 0 < number < 65536:
        raise StepFailed(INVALID, f"no valid port: {port!r}")
    return number


def _addresses(found):
    """The checked addresses getaddrinfo found, for RESOLVE's detail."""
    return ", ".join(dict.fromkeys(sockaddr[0] for *_kind, sockaddr in found))


def _polite(result):
    failed = result.failed
    return failed is None or failed.reason in POLITE_AFTER


def _said(value):
    """A server's words as text: bytes decoded, a list of lines joined."""
    if isinstance(value, (list, tuple)):
        return " ".join(_said(item) for item in value if item is not None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _reply(code, text):
    return f"{code} {_said(text)}".strip()


def _mailbox_name(folder):
    """`folder` as IMAP wants it on the wire: modified UTF-7 (RFC 3501 5.1.3) for anything
    beyond printable ASCII, then quoted, since imaplib sends arguments as they are."""
    encoded, pending = [], []

    def flush():
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            encoded.append("&" + base64.b64encode(utf16).decode().rstrip("=")
                           .replace("/", ",") + "-")
            pending.clear()

    for char in folder:
        if 0x20 <= ord(char) <= 0x7e:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return _quoted("".join(encoded))


def _quoted(text):
    """An IMAP quoted string (imaplib sends most arguments as they are)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def _errors(secret, protocol_reason=SERVER_ERROR):
    """Within one step: turn what smtplib, imaplib, ssl and the policy raise into StepFailed
    with an English detail that cannot contain the password. A protocol error the server
    answered (IMAP NO/BAD) fails with `protocol_reason`."""
    try:
        yield
    except StepFailed as error:
        raise StepFailed(error.reason, scrub(error.detail, secret)) from None
    except Exception as error:  # noqa: BLE001 - the probe runner fails the step with it
        reason, detail = _classify(error, protocol_reason)
        raise StepFailed(reason, scrub(detail, secret)) from None


def _classify(error, protocol_reason):
    if isinstance(error, Refused) and error.reason == outbound_policy.INVALID:
        return INVALID, str(error)
    # smtplib's errors are OSErrors, so they come before the kernel's network classes.
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return AUTH_FAILED, f"login refused: {_reply(error.smtp_code, error.smtp_error)}"
    if isinstance(error, smtplib.SMTPResponseException):
        return SERVER_ERROR, _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib reports a read that timed out as a lost connection.
        if isinstance(error.__context__, TimeoutError):
            return TIMEOUT, "timed out"
        return BAD_ANSWER, "the server closed the connection"
    if isinstance(error, smtplib.SMTPException):
        return BAD_ANSWER, str(error)
    if isinstance(error, imaplib.IMAP4.abort):
        return BAD_ANSWER, _said(error.args[0] if error.args else "connection lost")
    if isinstance(error, imaplib.IMAP4.error):
        return protocol_reason, _said(error.args[0] if error.args else type(error).__name__)
    if isinstance(error, UnicodeEncodeError):
        return INVALID, ("the user name, password or folder has characters the protocol "
                         "cannot send here")
    return classify(error)
