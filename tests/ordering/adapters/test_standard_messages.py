"""What the Standard Bestellprozess (webapp/ordering/adapters/standard.py) says is stored in
the language of whoever wrote it — the worker writes the installation's default, German,
unlike the English app of the other ordering tests — and the German order page shows it in
German: the order form mailed through the chain's SMTP service to a real SMTP server, the
test mail server refusing mail without STARTTLS, a supplier without an order e-mail address,
no SMTP service, print/fax and phone hand-offs; English where English is chosen."""
import dataclasses

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from markupsafe import escape

from tests.factories import SMTP_RAW, fresh, make_config, order_one
from tests.mailserver import (  # noqa: F401  (fixtures)
    Recorder, certificates, smtp_server,
)
from tests.translated import de
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import HANDOFF, PERMANENT
from webapp.ordering.models import ERROR, ORDERED, Order

from .conftest import order_request

pytestmark = pytest.mark.redis

ADAPTER = get_adapter("ear_mould_standard_order")
SERVICE = {"delivery": "email", "order_template": "Bestellschein Otoplastik",
           "subject": "Otoplastikbestellung"}


@pytest.fixture
def app_config(tmp_path, redis_url):
    """German, the installation's default (the ordering conftest's app is English)."""
    return make_config(tmp_path, REDIS_URL=redis_url, ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1)


@pytest.fixture
def plain_server():
    """A real SMTP server on loopback without TLS (the test mail server's Recorder)."""
    controller = Controller(Recorder(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def standard_service(world, make_service):
    """make(port, **smtp): Stuttgart's Standard Bestellprozess by e-mail for Hörluchs, to
    Egger, through the chain's SMTP service at 127.0.0.1:`port`, unencrypted."""
    def make(port, **smtp):
        make_service("smtp", {**SMTP_RAW, "host": "127.0.0.1", "port": str(port),
                              "encryption": "none",
                              "sender_address": "bestellung@hoerwelt.example.org", **smtp},
                     name="Postausgang")
        return make_service("ear_mould_standard_order", {
            **SERVICE, "companies": [str(world.hoerluchs.id)],
            "supplier": str(world.egger.id)}, name="Standard ST", branch_id=world.st.id)
    return make


def _order_page(client, auth, world, order):
    auth.login(world.staff)
    return client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_the_mailed_order_reads_german_on_the_order_page(world, standard_service, plain_server,
                                                         client, auth, work):
    """The real server takes the order form: Bestellt, "E-Mail versandt an …" (as the German
    page has always said), on the order page."""
    standard_service(plain_server.port)
    order = order_one(world, world.hoerluchs)
    work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED and len(plain_server.handler.messages) == 1
    german = de("E-mail sent to %(recipient)s", recipient=world.egger.order_email)
    assert order.external_status == german == "E-Mail versandt an bestellung@egger.example.org"
    assert german in _order_page(client, auth, world, order)


def test_no_order_address_reads_german_on_the_order_page(world, standard_service, plain_server,
                                                         client, auth, work):
    """Egger has no order e-mail address and the service names none: Fehler, nothing sent,
    and the order page says so in German."""
    standard_service(plain_server.port)
    world.egger.order_email = ""
    db.session.commit()
    order = order_one(world, world.hoerluchs)
    work()
    order = fresh(Order, order.id)
    german = de("No order e-mail address: neither the service nor the company has one.")
    assert german == "Keine Bestell-E-Mail-Adresse: Weder der Service noch die Firma hat eine."
    assert (order.status, order.error_message) == (ERROR, german)
    assert plain_server.handler.messages == []
    assert [attempt.message for attempt in order.outbound.attempt_log] == [german]
    assert str(escape(german)) in _order_page(client, auth, world, order)


def test_the_mail_servers_refusal_reads_german_on_the_order_page(world, standard_service,
                                                                 smtp_server, client, auth,
                                                                 work):
    """The test mail server takes mail only after STARTTLS; the service sends unencrypted,
    without a login: its 530 is Fehler, worded by mail sending in German, on the order page."""
    standard_service(smtp_server.port)
    order = order_one(world, world.hoerluchs)
    work()
    order = fresh(Order, order.id)
    assert order.status == ERROR and smtp_server.handler.messages == []
    reply = order.error_message.partition(": 530 ")[2]
    assert reply and order.error_message == de(
        "The mail server %(host)s answered: %(code)s %(reply)s", host="127.0.0.1", code=530,
        reply=reply)
    assert order.error_message.startswith("Der Mailserver 127.0.0.1 ")
    assert str(escape(order.error_message)) in _order_page(client, auth, world, order)


def test_missing_smtp_service_and_handoffs_in_either_language(app):
    """No SMTP service, print/fax and phone: German by default (as a worker writes them),
    English where English is chosen."""
    no_smtp = order_request("ear_mould_standard_order", SERVICE, secrets={}, smtp_config=None)
    printed = order_request("ear_mould_standard_order", dict(SERVICE, delivery="print_fax"))
    phoned = dataclasses.replace(printed, supplier_order_form="phone")
    with app.app_context():
        assert (ADAPTER.submit(no_smtp).kind, ADAPTER.submit(no_smtp).message) == (
            PERMANENT, "Die Filialkette hat keinen Service „SMTP-Postausgangsserver“, über den "
                       "der Bestellschein versandt werden kann.")
        handed = ADAPTER.submit(printed)
        assert (handed.kind, handed.message) == (
            HANDOFF, "Zum Drucken oder Faxen vorgemerkt: den Bestellschein an Dreve Otoplastik "
                     "senden.")
        assert ADAPTER.submit(phoned).message == ("Telefonisch bestellen bei Dreve Otoplastik "
                                                  "(02303 8807-0).")
        with force_locale("en"):
            assert ADAPTER.submit(no_smtp).message == (
                "The chain has no SMTP outgoing server service to send the order form with.")
            assert ADAPTER.submit(phoned).message == (
                "Order by phone with Dreve Otoplastik (02303 8807-0).")
