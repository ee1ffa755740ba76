"""What the partner protocols over HTTPS (webapp/ordering/adapters/https.py) say went wrong
is stored in the language of whoever wrote it — the worker writes the installation's default,
German, unlike the English app of the other ordering tests — and the German order page shows
it in German: a real closed port, the partner refusing a field (our field's name in German,
the partner's words as they came), the sandbox holding or dropping its answer, a refused
login, an HTML error page, an address the operator's policy refuses; English where English is
chosen."""
import socket

import pytest
import requests
from flask import Flask
from flask_babel import force_locale

from tests.factories import control, ear_mould_raw, fresh, make_config, order_one, serving
from tests.translated import de
from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import AMBIGUOUS, NOT_FOUND, PERMANENT, TRANSIENT
from webapp.ordering.models import ERROR, Order
from webapp.outbound.models import PENDING
from webapp.outbound_policy import Policy

pytestmark = pytest.mark.redis

DREVE = get_adapter("dreve_smartorder")


@pytest.fixture
def app_config(tmp_path, redis_url):
    """German, the installation's default (the ordering conftest's app is English)."""
    return make_config(tmp_path, REDIS_URL=redis_url, ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1)


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _order_page(client, auth, world, order):
    auth.login(world.staff)
    return client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_no_connection_reads_german_on_the_order_page(world, make_service, client, auth, work):
    """Nothing listens at the lab's port: the attempt and the row waiting for its retry say
    "keine Verbindung möglich", naming the call in German, and so does the order page."""
    make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"http://127.0.0.1:{closed_port()}/dreve"),
        name="Dreve ST", branch_id=world.st.id)
    order = order_one(world, world.dreve)
    work()
    outbound = fresh(Order, order.id).outbound
    german = de("%(host)s (%(action)s): %(cause)s.", host="127.0.0.1",
                action=de("sending the order"), cause=de("could not connect"))
    assert german == "127.0.0.1 (Senden der Bestellung): keine Verbindung möglich."
    assert outbound.state == PENDING and outbound.last_error == german
    assert [attempt.message for attempt in outbound.attempt_log] == [german]
    page = _order_page(client, auth, world, order)
    assert german in page and "could not connect" not in page


def test_a_refused_field_is_named_in_german_on_the_order_page(world, make_service, sandbox,
                                                               client, auth, work):
    """The sandbox requires an impression reference: Fehler with the partner's words, the
    field named as the position form names it."""
    make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve"),
        name="Dreve ST", branch_id=world.st.id)
    order = order_one(world, world.dreve, impression_ref="")
    work()
    order = fresh(Order, order.id)
    assert order.status == ERROR
    assert order.error_message == ("HTTP 422 validation_failed: The order has invalid fields. "
                                   "Abdruck-/Scan-Nr. (otoplastic.impressionScanId): required")
    assert order.error_message in _order_page(client, auth, world, order)


def test_faults_refusals_and_settings_in_either_language(app, partner_request, sandbox):
    """Against the sandbox holding or dropping its answer, a login it refuses, a web server's
    own HTML page and the default policy — German by default (as a worker writes them),
    English where English is chosen."""
    with app.app_context():
        control(requests, sandbox, "faults", partner="dreve", timeout_rate=1, timeout_ms=3000)
        late = DREVE.submit(partner_request("dreve_smartorder", read_timeout=0.5))
        assert (late.kind, late.message) == (AMBIGUOUS, de(
            "%(host)s: %(cause)s after the order was sent; it may have arrived.",
            host="127.0.0.1", cause="keine Antwort in der vorgegebenen Zeit"))
        assert late.message.endswith(", nachdem die Bestellung gesendet wurde; sie ist "
                                     "möglicherweise angekommen.")
        control(requests, sandbox, "faults", partner="dreve", drop_rate=1)
        dropped = DREVE.lookup(partner_request("dreve_smartorder"))
        assert (dropped.kind, dropped.message) == (
            TRANSIENT, "127.0.0.1 (Nachfrage anhand des Schlüssels): die Verbindung wurde "
                       "ohne Antwort geschlossen.")
        control(requests, sandbox, "faults", partner="dreve")

        unknown = DREVE.lookup(partner_request("dreve_smartorder"))
        assert (unknown.kind, unknown.message) == (
            NOT_FOUND, "Der Partner hat keine Bestellung unter diesem Idempotenzschlüssel.")
        wrong = get_adapter("egger_order_system").submit(partner_request(
            "egger_order_system", secrets={"password": "Falsch-123"}))
        assert (wrong.kind, wrong.message) == (
            PERMANENT, "Anmeldung bei 127.0.0.1 abgelehnt (HTTP 401): Benutzername oder "
                       "Passwort stimmen nicht.")
        no_password = get_adapter("egger_order_system").submit(partner_request(
            "egger_order_system", secrets={}))
        assert no_password.message == "Der Service hat kein Passwort."

        with serving(Flask("bare")) as bare:  # a web server's own HTML 404 page
            missing = DREVE.submit(partner_request("dreve_smartorder", base_url=bare))
        assert (missing.kind, missing.message) == (
            PERMANENT, "Der Partner antwortete mit HTTP 404 ohne lesbare Fehlermeldung.")

        url = f"{sandbox}/dreve"
        refused = DREVE.submit(partner_request("dreve_smartorder", base_url=url,
                                               request_values=dict(outbound=Policy())))
        assert refused.message == de(
            "Not connected to %(where)s: %(reason)s Nothing was sent.", where=url,
            reason=de("Use an https address. Plain http is allowed only for the hosts the "
                      "operator lists in OUTBOUND_HTTP_HOSTS."))
        assert refused.message.startswith(f"Keine Verbindung zu {url} aufgebaut: ")

        with force_locale("en"):
            assert DREVE.lookup(partner_request("dreve_smartorder")).message == \
                "The partner has no order under this idempotency key."
            assert get_adapter("egger_order_system").submit(partner_request(
                "egger_order_system", secrets={"password": "Falsch-123"})).message == \
                "Login at 127.0.0.1 refused (HTTP 401): the customer login or password is wrong."
