"""Sending one e-mail by SMTP through the operator's outbound policy, for every kind of
outbound work that mails (an order form, an alert about a failing interface). No domain: the
caller gives the SMTP service's values, its password, the addresses and a built message.

What the answers mean for the engine (handlers.py): a 4xx reply and no connection are
TRANSIENT (the server took nothing); a 5xx reply is PERMANENT; no answer after the message
was handed over (DATA) is AMBIGUOUS, since a mail server cannot be asked what it received.
A mail server the policy refuses (its name is resolved and checked when connecting) is
PERMANENT, and nothing is sent. Messages never contain the password: they are built from
replies and exception types, and the caller's password is scrubbed from them once more.
They are worded through gettext, as outbound/http.py's are: a worker writes the installation's
default language (German), a mail sent during a request its user's.
"""
import email.policy
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from flask_babel import gettext as _

from ..outbound_policy import Refused
from .handlers import ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT, Outcome
from .http import not_connected

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
# The steps at which smtplib raises SMTPNotSupportedError when the server lacks the extension.
STARTTLS, LOGIN = "starttls", "login"


def address(value):
    """The bare address if `value` is one we can send to, else ""."""
    found = parseaddr(value or "")[1]
    local, _, domain = found.rpartition("@")
    return found if local and "." in domain and found.isascii() else ""


@dataclass(frozen=True)
class Mail:
    """One e-mail ready to go, as a handler's prepared request: the SMTP service's values and
    password, the envelope, the message, and where the server may connect and whose
    certificates it trusts (the policy). The call (`send`) needs no database."""

    smtp: dict            # the SMTP service's values (host, port, encryption, username, timeout)
    password: str | None
    sender: str
    recipient: str
    message: EmailMessage
    policy: object        # the operator's outbound Policy

    def __repr__(self):  # never print the password
        return f"Mail(to={self.recipient!r})"

    @property
    def timeout(self):
        return float(self.smtp.get("timeout") or 30)

    def send(self):
        return send(self.smtp, self.password, self.sender, [self.recipient], self.message,
                    self.policy)


class GuardedSMTP(smtplib.SMTP):
    """smtplib's client, connecting only to an address `policy` allows (set before connect)."""

    policy = None

    def _get_socket(self, host, port, timeout):
        return self.policy.connect(host, port, timeout, source_address=self.source_address)


class GuardedSMTPSSL(smtplib.SMTP_SSL, GuardedSMTP):
    """The same with TLS from the start: SMTP_SSL wraps what GuardedSMTP connected."""


def connect(policy, encryption, host, port, timeout, context):
    """An SMTP client connected to `host` and greeted, as smtplib.SMTP(host, port) would be."""
    client = (GuardedSMTPSSL(timeout=timeout, context=context) if encryption == "tls"
              else GuardedSMTP(timeout=timeout))
    client.policy = policy
    # The name TLS checks the certificate against (STARTTLS and SMTP_SSL read it); smtplib
    # sets it only when the host is given to the constructor, which would connect at once.
    client._host = host
    try:
        code, reply = client.connect(host, port)
    except BaseException:
        client.close()
        raise
    if code != 220:
        client.close()
        raise smtplib.SMTPConnectError(code, reply)
    return client


class _Refused(Exception):
    """An SMTP reply that ends the attempt: 4xx transient, 5xx permanent."""

    def __init__(self, code, text):
        super().__init__(code)
        self.code, self.text = code, text


def send(smtp, password, sender, recipients, message, policy):
    """One SMTP conversation within the service's timeout as a whole, with a server `policy`
    allows, whose certificate the policy's TLS context trusts (the system's CAs plus the
    operator's CA file). `smtp`: the SMTP service's values (host, port, encryption, username,
    timeout); `recipients`: the envelope's addresses. Returns an Outcome (ACCEPTED when the
    server took the message)."""
    timeout = float(smtp.get("timeout") or 30)
    deadline = time.monotonic() + timeout
    encryption = smtp.get("encryption") or "starttls"
    host, port = smtp.get("host") or "", int(smtp.get("port") or DEFAULT_PORTS.get(
        encryption, 587))
    data_sent = False
    client = None
    step = None  # STARTTLS or LOGIN while smtplib may find the server does not offer it
    try:
        context = policy.tls_context(host) if encryption != "none" else None
        client = connect(policy, encryption, host, port, timeout, context)
        _step(client, deadline, client.ehlo)
        if encryption == "starttls":
            step = STARTTLS
            _step(client, deadline, client.starttls, context=context)
            _step(client, deadline, client.ehlo)
        if smtp.get("username"):
            step = LOGIN
            _step(client, deadline, client.login, smtp["username"], password or "")
        step = None
        code, reply = _step(client, deadline, client.mail, sender)
        if code != 250:
            raise _Refused(code, reply)
        for recipient in recipients:
            code, reply = _step(client, deadline, client.rcpt, recipient)
            if code not in (250, 251):
                raise _Refused(code, reply)
        data_sent = True  # from here on the server may have taken the message
        # smtplib leaves bytes as they are: the lines must end in CRLF already.
        code, reply = _step(client, deadline, client.data,
                            message.as_bytes(policy=email.policy.SMTP))
        if code != 250:
            raise _Refused(code, reply)
    except (_Refused, smtplib.SMTPResponseException) as error:
        code, reply = ((error.code, error.text) if isinstance(error, _Refused)
                       else (error.smtp_code, error.smtp_error))
        reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        kind = TRANSIENT if 400 <= code < 500 else PERMANENT
        if isinstance(error, smtplib.SMTPAuthenticationError):
            message = _("The mail server %(host)s refused the login: %(code)s %(reply)s",
                        host=host, code=code, reply=reply)
        else:
            message = _("The mail server %(host)s answered: %(code)s %(reply)s",
                        host=host, code=code, reply=reply)
        return _scrubbed(Outcome(kind, message=message), password)
    except Refused as refused:
        return Outcome(PERMANENT, message=not_connected(refused))
    except smtplib.SMTPNotSupportedError as error:
        return Outcome(PERMANENT, message=_unsupported(step, host, error))
    except (smtplib.SMTPServerDisconnected, OSError) as error:
        # smtplib reports a reply that did not come in time as a closed connection.
        timed_out = isinstance(error, TimeoutError) or isinstance(error.__context__,
                                                                   TimeoutError)
        if timed_out:
            cause = _("no answer in time")
        elif isinstance(error, smtplib.SMTPServerDisconnected):
            cause = _("the connection was closed")
        elif isinstance(error, ssl.SSLCertVerificationError):
            cause = _("the server's certificate is not trusted")
        else:
            cause = _("could not connect (%(error)s)", error=type(error).__name__)
        if data_sent:
            return Outcome(AMBIGUOUS, message=_(
                "The mail server %(host)s: %(cause)s after the message was sent; it may have "
                "been delivered.", host=host, cause=cause))
        return Outcome(TRANSIENT, message=_("The mail server %(host)s: %(cause)s.", host=host,
                                            cause=cause))
    except smtplib.SMTPException as error:
        return _scrubbed(Outcome(PERMANENT, message=_("The mail server %(host)s: %(error)s",
                                                      host=host, error=error)), password)
    finally:
        if client is not None:
            _close(client)
    return Outcome(ACCEPTED, message=_("Sent to %(recipients)s.",
                                       recipients=", ".join(recipients)))


def _unsupported(step, host, error):
    """smtplib found the server does not offer what `step` needs (its own words otherwise)."""
    if step == STARTTLS:
        return _("The mail server %(host)s does not offer STARTTLS. Choose an Encryption it "
                 "offers.", host=host)
    if step == LOGIN:
        return _("The mail server %(host)s does not offer a login (SMTP AUTH). Leave User "
                 "empty if it takes mail without one.", host=host)
    return _("The mail server %(host)s: %(error)s", host=host, error=error)


def _scrubbed(outcome, password):
    if password:
        outcome.message = outcome.message.replace(password, "***")
    return outcome


def _step(client, deadline, command, *args, **kwargs):
    """Run one SMTP command with what is left of the deadline as its socket timeout."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("SMTP deadline passed")
    if client.sock is not None:
        client.sock.settimeout(left)
    return command(*args, **kwargs)


def _close(client):
    try:
        if client.sock is not None:
            client.sock.settimeout(2)  # saying goodbye must not stretch the deadline
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
