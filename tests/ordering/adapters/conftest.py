"""Fixtures for the adapters: OrderRequests built directly (no app, no database), the partner
sandbox of tests/conftest.py, a plain-HTML server for answers that are not JSON, and
a real SMTP server (aiosmtpd) per test."""
import asyncio
import time
import uuid

import pytest
from aiosmtpd.controller import Controller
from werkzeug.wrappers import Response

from sandbox import PARTNERS
from tests.factories import LOOPBACK, serving
from webapp.devrun import free_port
from webapp.outbound_policy import Policy
from webapp.ordering.adapters import https
from webapp.ordering.adapters.base import OrderRequest, Party, Position

# Interface type → the sandbox's partner name.
PARTNER_NAMES = {
    "audia_easy_order": "audia", "audia_easy_order_portal": "audia-portal",
    "dreve_smartorder": "dreve", "egger_order_system": "egger", "egger_erp_order": "egger-erp",
    "hoerluchs_partner_order": "hoerluchs", "otofaktur_otoport": "otofaktur"}
SECRETS = {"password": "sandbox", "api_key": "sandbox-key"}
# What the job would pass with the tests' configuration: the servers here are on loopback.
TEST_POLICY = Policy.from_config(LOOPBACK)


@pytest.fixture(autouse=True)
def _no_remembered_logins():
    """Every test logs in afresh: tokens from an earlier test died with its sandbox reset."""
    https.forget_logins()
    yield
    https.forget_logins()


def position(**values):
    fields = dict(side="left", style="Vollschale", material="Silikon 40 Shore",
                  impression_ref="ABD-4711", venting=1.0, colour="transparent",
                  notes="Bitte eilig")
    fields.update(values)
    return Position(**fields)


def order_request(interface_key, config=None, secrets=None, **values):
    """An OrderRequest as the job builds it, with test defaults."""
    fields = dict(
        reference="B-2026-000042", idempotency_key=f"key-{uuid.uuid4().hex}",
        interface_key=interface_key, config=dict(config or {}),
        secret=dict(SECRETS if secrets is None else secrets).get, position=position(),
        customer_number="10001",
        supplier=Party(name="Dreve Otoplastik", street="Max-Planck-Str. 31",
                       postal_code="59423", city="Unna", email="info@dreve.example.org",
                       phone="02303 8807-0"),
        supplier_order_email="bestellung@dreve.example.org", supplier_order_form="document",
        branch=Party(name="Stuttgart", street="Königstraße 1", postal_code="70173",
                     city="Stuttgart", email="st@kette.example.org", phone="0711 123"),
        customer=Party(name="Erika Muster", city="Stuttgart"), process_type="ear_mould",
        note="", ordered_at="2026-11-20T09:15:02+00:00", outbound=TEST_POLICY)
    fields.update(values)
    return OrderRequest(**fields)


def wait_until(predicate, seconds=5.0, what="the condition"):
    """Poll (bounded) for something another thread or process does."""
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture
def partner_request(sandbox):
    """partner_request(interface_key, **config) → an OrderRequest against the sandbox."""
    def make(interface_key, secrets=None, request_values=None, **config):
        url = sandbox + PARTNERS[PARTNER_NAMES[interface_key]]["prefix"]
        field = "portal_url" if interface_key == "audia_easy_order_portal" else "base_url"
        values = {field: url, "username": "10001", "connect_timeout": 2, "read_timeout": 5}
        values.update(config)
        return order_request(interface_key, values, secrets, **(request_values or {}))
    return make


@pytest.fixture(scope="session")
def html_server():
    """A server that answers every path below /<status>/ with that status and an HTML body:
    what a proxy in front of a partner might say."""
    def app(environ, start_response):
        status = int(environ["PATH_INFO"].split("/")[1])
        return Response("<html><body>Proxy says no</body></html>", status,
                        mimetype="text/html")(environ, start_response)

    with serving(app) as url:
        yield url


class MailHandler:
    """Stores what it accepts; `rcpt_reply` / `data_reply` make it refuse, `data_delay` makes
    it answer DATA late."""

    def __init__(self):
        self.messages = []
        self.rcpt_reply = None
        self.data_reply = "250 OK"
        self.data_delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply.startswith("250"):
            self.messages.append(envelope)
        return self.data_reply


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult

    ok = (auth_data.login, auth_data.password) == (b"mailer", b"Mail-Pw-1")
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port: .port, .handler (its messages)."""
    handler = MailHandler()
    for _attempt in range(5):  # the free port may be taken between the check and the bind
        controller = Controller(handler, hostname="127.0.0.1", port=free_port(),
                                authenticator=_authenticator, auth_require_tls=False)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            continue
    yield controller
    controller.stop()


def smtp_config(port, **values):
    config = dict(host="127.0.0.1", port=port, encryption="none", timeout=5,
                  sender_address="bestellung@kette.example.org", sender_name="Hörakustik Kette",
                  reply_to="einkauf@kette.example.org")
    config.update(values)
    return config
