"""Standard Bestellprozess: the order form by e-mail through the chain's SMTP service, or marked
for printing/faxing or a phone call (docs/partners/standard-order.md).

SMTP answers: 4xx and no connection → TRANSIENT (the server took nothing); 5xx → PERMANENT; no
answer after the message was handed over (DATA) → AMBIGUOUS, which the job turns into Fehler
for a person to check, since a mail server cannot be asked what it received. A mail server
the operator's outbound policy refuses (request.outbound; its name is resolved and checked
when connecting) → PERMANENT, and nothing is sent.
"""
import email.policy
import hashlib
import logging
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr

from ...outbound_policy import Refused
from .base import (
    ACCEPTED, AMBIGUOUS, HANDOFF, ORDERED, PERMANENT, TRANSIENT, Adapter, OrderRequest, Outcome,
)
from .document import order_document

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"tls": 465, "starttls": 587, "none": 25}
MARGIN_SECONDS = 5.0

__all__ = ["StandardOrderAdapter", "message_id", "order_document"]


def message_id(idempotency_key: str, sender_address: str) -> str:
    """The same Message-ID for every send of one order, so a receiver can drop a resend."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender_address.rpartition("@")[2] or "schnittstellen.invalid"
    return f"<order.{digest}@{domain}>"


def _address(value):
    """The bare address if `value` is one we can send to, else ""."""
    address = parseaddr(value or "")[1]
    local, _, domain = address.rpartition("@")
    return address if local and "." in domain and address.isascii() else ""


class _GuardedSMTP(smtplib.SMTP):
    """smtplib's client, connecting only to an address `policy` allows (set before connect)."""

    policy = None

    def _get_socket(self, host, port, timeout):
        return self.policy.connect(host, port, timeout, source_address=self.source_address)


class _GuardedSMTPSSL(smtplib.SMTP_SSL, _GuardedSMTP):
    """The same with TLS from the start: SMTP_SSL wraps what _GuardedSMTP connected."""


def _connect(policy, encryption, host, port, timeout, context):
    """An SMTP client connected to `host` and greeted, as smtplib.SMTP(host, port) would be."""
    client = (_GuardedSMTPSSL(timeout=timeout, context=context) if encryption == "tls"
              else _GuardedSMTP(timeout=timeout))
    client.policy = policy
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


class StandardOrderAdapter(Adapter):
    interface_keys = ("ear_mould_standard_order",)
    can_lookup = False
    sends_mail = True

    def max_duration(self, request: OrderRequest) -> float:
        """The SMTP timeout is a deadline for the whole conversation."""
        return float((request.smtp_config or {}).get("timeout") or 30) + MARGIN_SECONDS

    def submit(self, request: OrderRequest) -> Outcome:
        text, html = order_document(request)
        supplier = request.supplier.name if request.supplier is not None else "the supplier"
        if request.supplier_order_form == "phone":
            phone = request.supplier.phone if request.supplier is not None else ""
            return Outcome(HANDOFF, message=(
                f"Order by phone with {supplier}{f' ({phone})' if phone else ''}."),
                details={"handoff": "phone", "document_html": html})
        if request.config.get("delivery") == "print_fax":
            return Outcome(HANDOFF, message=(
                f"Marked for printing or faxing: send the order form to {supplier}."),
                details={"handoff": "print_fax", "document_html": html})
        return self._mail(request, text, html)

    # --- e-mail ---------------------------------------------------------------------------

    def _mail(self, request, text, html):
        smtp = request.smtp_config
        if smtp is None:
            return Outcome(PERMANENT, message=(
                "The chain has no SMTP outgoing server service to send the order form with."))
        recipient = _address(request.config.get("recipient") or request.supplier_order_email)
        if not recipient:
            return Outcome(PERMANENT, message=(
                "No order e-mail address: neither the service nor the company has one."))
        sender = _address(smtp.get("sender_address"))
        if not sender:
            return Outcome(PERMANENT, message="The SMTP service has no valid sender address.")
        try:
            message = self._message(request, smtp, sender, recipient, text, html)
        except ValueError as error:  # a header with a line break
            return Outcome(PERMANENT, message=f"The e-mail cannot be built: {error}.")
        password = request.smtp_secret("password") if request.smtp_secret else None
        outcome = self._send(smtp, password, sender, recipient, message, request.outbound)
        if password:
            outcome.message = outcome.message.replace(password, "***")
        if outcome.kind == ACCEPTED:
            outcome.details = {"message_id": message["Message-ID"], "recipient": recipient}
        log.info("%s: e-mail for %s: %s", request.interface_key, request.reference, outcome.kind)
        return outcome

    @staticmethod
    def _message(request, smtp, sender, recipient, text, html):
        subject = request.config.get("subject") or "Otoplastikbestellung"
        if request.customer_number:
            subject += f" – Kundennummer {request.customer_number}"
        message = EmailMessage()
        message["Subject"] = f"{subject} – Bestellung {request.reference}"
        message["From"] = formataddr((smtp.get("sender_name") or "", sender))
        message["To"] = recipient
        if _address(smtp.get("reply_to")):
            message["Reply-To"] = _address(smtp.get("reply_to"))
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id(request.idempotency_key, sender)
        message.set_content(text, cte="quoted-printable")
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.reference)
        message.add_attachment(html, subtype="html", cte="quoted-printable",
                               filename=f"Bestellschein-{name}.html")
        return message

    def _send(self, smtp, password, sender, recipient, message, policy):
        """One SMTP conversation within the service's timeout as a whole, with a server
        `policy` allows."""
        timeout = float(smtp.get("timeout") or 30)
        deadline = time.monotonic() + timeout
        encryption = smtp.get("encryption") or "starttls"
        host, port = smtp.get("host") or "", int(smtp.get("port") or DEFAULT_PORTS.get(
            encryption, 587))
        context = ssl.create_default_context()
        data_sent = False
        client = None
        try:
            client = _connect(policy, encryption, host, port, timeout, context)
            self._step(client, deadline, client.ehlo)
            if encryption == "starttls":
                self._step(client, deadline, client.starttls, context=context)
                self._step(client, deadline, client.ehlo)
            if smtp.get("username"):
                self._step(client, deadline, client.login, smtp["username"], password or "")
            for command, argument, good in ((client.mail, sender, (250,)),
                                            (client.rcpt, recipient, (250, 251))):
                code, reply = self._step(client, deadline, command, argument)
                if code not in good:
                    raise _Refused(code, reply)
            data_sent = True  # from here on the server may have taken the message
            # smtplib leaves bytes as they are: the lines must end in CRLF already.
            code, reply = self._step(client, deadline, client.data,
                                     message.as_bytes(policy=email.policy.SMTP))
            if code != 250:
                raise _Refused(code, reply)
        except (_Refused, smtplib.SMTPResponseException) as error:
            code, reply = ((error.code, error.text) if isinstance(error, _Refused)
                           else (error.smtp_code, error.smtp_error))
            reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            kind = TRANSIENT if 400 <= code < 500 else PERMANENT
            what = ("refused the login" if isinstance(error, smtplib.SMTPAuthenticationError)
                    else "answered")
            return Outcome(kind, message=f"The mail server {host} {what}: {code} {reply}")
        except Refused as refused:
            return Outcome(PERMANENT, message=f"Not connected: {refused}. Nothing was sent.")
        except smtplib.SMTPNotSupportedError as error:
            return Outcome(PERMANENT, message=f"The mail server {host} does not support: {error}")
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            cause = "no answer in time" if isinstance(error, TimeoutError) else (
                "the connection was closed" if isinstance(error, smtplib.SMTPServerDisconnected)
                else f"could not connect ({type(error).__name__})")
            if data_sent:
                return Outcome(AMBIGUOUS, message=(
                    f"The mail server {host}: {cause} after the message was sent; it may have "
                    "been delivered."))
            return Outcome(TRANSIENT, message=f"The mail server {host}: {cause}.")
        except smtplib.SMTPException as error:
            return Outcome(PERMANENT, message=f"The mail server {host}: {error}")
        finally:
            if client is not None:
                self._close(client)
        return Outcome(ACCEPTED, status=ORDERED, external_status=f"E-Mail versandt an {recipient}")

    @staticmethod
    def _step(client, deadline, command, *args, **kwargs):
        """Run one SMTP command with what is left of the deadline as its socket timeout."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("SMTP deadline passed")
        if client.sock is not None:
            client.sock.settimeout(left)
        return command(*args, **kwargs)

    @staticmethod
    def _close(client):
        try:
            if client.sock is not None:
                client.sock.settimeout(2)  # saying goodbye must not stretch the deadline
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()
