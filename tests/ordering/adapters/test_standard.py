"""The standard process against a real SMTP server (aiosmtpd): the order form by e-mail, SMTP
refusals and silences mapped to outcomes, print/fax and phone as hand-offs."""
import dataclasses
import email
import email.policy
import time

import pytest

from tests.mailserver import start_smtp
from tests.probes.tls import make_certificates
from webapp.devrun import free_port
from webapp.ordering.adapters import get_adapter, order_document
from webapp.ordering.adapters.base import (
    ACCEPTED, AMBIGUOUS, HANDOFF, ORDERED, PERMANENT, TRANSIENT,
)
from webapp.ordering.adapters.standard import message_id

from .conftest import TEST_POLICY, order_request, position, smtp_config

ADAPTER = get_adapter("ear_mould_standard_order")
SERVICE = dict(delivery="email", order_template="1", recipient="", subject="Otoplastikbestellung")


def mail_request(port=None, smtp=None, smtp_password=None, **service):
    config = dict(SERVICE, **service)
    return order_request("ear_mould_standard_order", config, secrets={},
                         smtp_config=smtp if smtp is not None else smtp_config(port),
                         smtp_secret={"password": smtp_password}.get)


def received_mail(server):
    [envelope] = server.handler.messages
    return envelope, email.message_from_bytes(envelope.content, policy=email.policy.default)


def test_the_order_form_is_mailed_to_the_companys_order_address(smtp_server):
    """ACCEPTED as ordered, "E-mail sent to …" (this app is English); subject with customer and order number,
    German text body and the same form attached as HTML; sender, reply-to, Message-ID."""
    request = mail_request(smtp_server.port)
    outcome = ADAPTER.submit(request)
    assert (outcome.kind, outcome.status, outcome.external_number) == (ACCEPTED, ORDERED, "")
    assert outcome.external_status == "E-mail sent to bestellung@dreve.example.org"
    envelope, mail = received_mail(smtp_server)
    assert envelope.mail_from == "bestellung@kette.example.org"
    assert envelope.rcpt_tos == ["bestellung@dreve.example.org"]
    assert mail["Subject"] == ("Otoplastikbestellung – Kundennummer 10001 – Bestellung "
                               "B-2026-000042")
    assert mail["From"] == "Hörakustik Kette <bestellung@kette.example.org>"
    assert mail["Reply-To"] == "einkauf@kette.example.org"
    assert mail["Message-ID"] == message_id(request.idempotency_key, "bestellung@kette.example.org")
    body = mail.get_body(("plain",)).get_content()
    assert "Seite: links" in body and "Belüftung: 1,0 mm" in body and "Kunde" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_filename() == "Bestellschein-B-2026-000042.html"
    assert "<th>Bauform</th><td>Vollschale</td>" in attachment.get_content()


def test_a_resend_carries_the_same_message_id(smtp_server):
    """The Message-ID comes from the idempotency key: a receiver can drop the duplicate."""
    request = mail_request(smtp_server.port, recipient="labor@example.org")
    ADAPTER.submit(request)
    ADAPTER.submit(request)
    first, second = (email.message_from_bytes(e.content) for e in smtp_server.handler.messages)
    assert first["Message-ID"] == second["Message-ID"]
    assert smtp_server.handler.messages[0].rcpt_tos == ["labor@example.org"]


@pytest.mark.parametrize("where, reply, kind", [
    ("data_reply", "451 4.3.0 Mailbox busy, try later", TRANSIENT),
    ("data_reply", "550 5.7.1 Message rejected", PERMANENT),
    ("rcpt_reply", "550 5.1.1 No such user", PERMANENT),
    ("rcpt_reply", "452 4.2.2 Mailbox full", TRANSIENT),
])
def test_smtp_refusals_map_by_their_code(where, reply, kind, smtp_server):
    """4xx → TRANSIENT, 5xx → PERMANENT, with the server's words."""
    setattr(smtp_server.handler, where, reply)
    outcome = ADAPTER.submit(mail_request(smtp_server.port))
    assert outcome.kind == kind
    assert outcome.message == f"The mail server 127.0.0.1 answered: {reply}"


def test_no_answer_after_data_is_ambiguous(smtp_server):
    """The server holds its answer to DATA past the timeout: it may have the message."""
    smtp_server.handler.data_delay = 5
    started = time.monotonic()
    outcome = ADAPTER.submit(mail_request(smtp=smtp_config(smtp_server.port, timeout=1)))
    assert outcome.kind == AMBIGUOUS and "may have been delivered" in outcome.message
    assert time.monotonic() - started < 4


def test_no_connection_is_transient():
    """Nothing listens: TRANSIENT, the order form was not sent."""
    outcome = ADAPTER.submit(mail_request(free_port()))
    assert outcome.kind == TRANSIENT and "could not connect" in outcome.message


@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
def test_the_smtp_login_uses_the_services_password(smtp_server):
    """username + the SMTP service's password secret → AUTH, then the message is sent."""
    smtp = smtp_config(smtp_server.port, username="mailer")
    assert ADAPTER.submit(mail_request(smtp=smtp, smtp_password="Mail-Pw-1")).kind == ACCEPTED
    assert len(smtp_server.handler.messages) == 1


def test_a_refused_smtp_login_is_permanent_without_the_password(smtp_server):
    """535 → PERMANENT; the password is not in the message."""
    smtp = smtp_config(smtp_server.port, username="mailer")
    outcome = ADAPTER.submit(mail_request(smtp=smtp, smtp_password="Falsch-123"))
    assert outcome.kind == PERMANENT and "refused the login: 535" in outcome.message
    assert "Falsch-123" not in outcome.message and smtp_server.handler.messages == []


def test_starttls_that_the_server_does_not_offer_is_permanent(smtp_server):
    """encryption starttls against a server without it → PERMANENT (configuration)."""
    outcome = ADAPTER.submit(mail_request(smtp=smtp_config(smtp_server.port,
                                                           encryption="starttls")))
    assert outcome.kind == PERMANENT and "STARTTLS" in outcome.message


def test_starttls_to_a_mail_server_of_the_operators_ca(tmp_path):
    """A mail server whose certificate an internal CA signed takes the order form over
    STARTTLS when the policy trusts that CA (OUTBOUND_CA_FILE), as the test e-mail does;
    without it the certificate is not trusted and nothing is sent."""
    certificates = make_certificates(tmp_path)
    server = start_smtp(certificates, "mailer", "Mail-Pw-1")
    try:
        def submit(policy):
            return ADAPTER.submit(order_request(
                "ear_mould_standard_order", SERVICE, secrets={}, outbound=policy,
                smtp_config=smtp_config(server.port, encryption="starttls", username="mailer"),
                smtp_secret={"password": "Mail-Pw-1"}.get))

        trusting = dataclasses.replace(TEST_POLICY, ca_file=str(certificates.ca_file))
        assert submit(trusting).kind == ACCEPTED
        assert len(server.handler.messages) == 1
        untrusted = submit(TEST_POLICY)
        assert (untrusted.kind, untrusted.message) == (
            TRANSIENT, "The mail server 127.0.0.1: the server's certificate is not trusted.")
        assert len(server.handler.messages) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("request_values, smtp, words", [
    (dict(supplier_order_email=""), "yes", "No order e-mail address"),
    ({}, None, "no SMTP outgoing server"),
    ({}, dict(sender_address=""), "no valid sender address"),
])
def test_missing_addresses_or_smtp_service_are_permanent(request_values, smtp, words):
    """No recipient, no SMTP service, no sender → PERMANENT with a clear message."""
    config = None if smtp is None else smtp_config(25, **(smtp if isinstance(smtp, dict) else {}))
    request = dataclasses.replace(mail_request(smtp=config or {}), **request_values)
    if smtp is None:
        request = dataclasses.replace(request, smtp_config=None)
    outcome = ADAPTER.submit(request)
    assert outcome.kind == PERMANENT and words in outcome.message


def test_print_fax_and_phone_are_handoffs_with_the_order_form():
    """delivery print_fax, or a company that takes orders by phone → HANDOFF, the form's HTML
    in the details for printing."""
    printed = ADAPTER.submit(mail_request(smtp={}, delivery="print_fax"))
    assert printed.kind == HANDOFF and printed.details["handoff"] == "print_fax"
    assert printed.message.startswith("Marked for printing or faxing")
    assert "Otoplastikbestellung B-2026-000042" in printed.details["document_html"]
    phoned = ADAPTER.submit(dataclasses.replace(mail_request(smtp={}),
                                                supplier_order_form="phone"))
    assert phoned.kind == HANDOFF and phoned.details["handoff"] == "phone"
    assert phoned.message == "Order by phone with Dreve Otoplastik (02303 8807-0)."


def test_the_order_document_escapes_html_and_leaves_out_empty_values():
    """order_document → (text, html): values escaped in HTML, empty fields not listed."""
    request = order_request("ear_mould_standard_order", {}, position=position(
        notes="<script>alert(1)</script>", colour="", venting=None), note="Bitte bis Freitag")
    text, html = order_document(request)
    assert "  Bemerkung: <script>alert(1)</script>" in text
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "Farbe" not in text and "Belüftung" not in text
    assert "Hinweis\n  Hinweis: Bitte bis Freitag" in text
    assert "Bestellt am: 20.11.2026 09:15" in text


def test_max_duration_is_the_smtp_timeout_plus_a_margin():
    """The SMTP timeout bounds the whole conversation."""
    assert ADAPTER.max_duration(mail_request(smtp=smtp_config(25, timeout=30))) == 35
    assert not ADAPTER.can_lookup
