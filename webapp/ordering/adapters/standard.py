"""Standard Bestellprozess: the order form by e-mail through the chain's SMTP service, or marked
for printing/faxing or a phone call (docs/partners/standard-order.md).

SMTP answers: 4xx and no connection → TRANSIENT (the server took nothing); 5xx → PERMANENT; no
answer after the message was handed over (DATA) → AMBIGUOUS, which the job turns into Fehler
for a person to check, since a mail server cannot be asked what it received. A mail server
the operator's outbound policy refuses (request.outbound; its name is resolved and checked
when connecting) → PERMANENT, and nothing is sent.

Messages are worded through gettext (as outbound/mail.py's): the worker writes them in the
installation's default language, and the order shows them as stored.
"""
import hashlib
import logging
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask_babel import gettext as _

from ...outbound import mail
from ...outbound.mail import address as _address
from .base import ACCEPTED, HANDOFF, ORDERED, PERMANENT, Adapter, OrderRequest, Outcome
from .document import order_document

log = logging.getLogger(__name__)

MARGIN_SECONDS = 5.0

__all__ = ["StandardOrderAdapter", "message_id", "order_document"]


def message_id(idempotency_key: str, sender_address: str) -> str:
    """The same Message-ID for every send of one order, so a receiver can drop a resend."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    domain = sender_address.rpartition("@")[2] or "schnittstellen.invalid"
    return f"<order.{digest}@{domain}>"


class StandardOrderAdapter(Adapter):
    interface_keys = ("ear_mould_standard_order",)
    can_lookup = False
    sends_mail = True

    def max_duration(self, request: OrderRequest) -> float:
        """The SMTP timeout is a deadline for the whole conversation."""
        return float((request.smtp_config or {}).get("timeout") or 30) + MARGIN_SECONDS

    def submit(self, request: OrderRequest) -> Outcome:
        text, html = order_document(request)
        supplier = (request.supplier.name if request.supplier is not None else
                    _("the supplier"))
        if request.supplier_order_form == "phone":
            phone = request.supplier.phone if request.supplier is not None else ""
            return Outcome(HANDOFF, message=(
                _("Order by phone with %(supplier)s (%(phone)s).", supplier=supplier,
                  phone=phone) if phone else
                _("Order by phone with %(supplier)s.", supplier=supplier)),
                details={"handoff": "phone", "document_html": html})
        if request.config.get("delivery") == "print_fax":
            return Outcome(HANDOFF, message=_(
                "Marked for printing or faxing: send the order form to %(supplier)s.",
                supplier=supplier), details={"handoff": "print_fax", "document_html": html})
        return self._mail(request, text, html)

    # --- e-mail ---------------------------------------------------------------------------

    def _mail(self, request, text, html):
        smtp = request.smtp_config
        if smtp is None:
            return Outcome(PERMANENT, message=_(
                "The chain has no SMTP outgoing server service to send the order form with."))
        recipient = _address(request.config.get("recipient") or request.supplier_order_email)
        if not recipient:
            return Outcome(PERMANENT, message=_(
                "No order e-mail address: neither the service nor the company has one."))
        sender = _address(smtp.get("sender_address"))
        if not sender:
            return Outcome(PERMANENT, message=_(
                "The SMTP service has no valid sender address."))
        try:
            message = self._message(request, smtp, sender, recipient, text, html)
        except ValueError as error:  # a header with a line break
            return Outcome(PERMANENT, message=_(
                "The e-mail cannot be built: %(error)s.", error=error))
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

    @staticmethod
    def _send(smtp, password, sender, recipient, message, policy):
        """One SMTP conversation (outbound/mail.py), as an order's outcome."""
        outcome = mail.send(smtp, password, sender, [recipient], message, policy)
        if outcome.kind != ACCEPTED:
            return Outcome(outcome.kind, message=outcome.message)
        return Outcome(ACCEPTED, status=ORDERED, external_status=_(
            "E-mail sent to %(recipient)s", recipient=recipient))
