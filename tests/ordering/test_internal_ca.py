"""A partner whose certificate an internal CA signed (the partner sandbox over HTTPS with the
test kit's certificate): with the CA in OUTBOUND_CA_FILE "Verbindung testen" passes and the
order is placed, both through the worker; without it both fail at the certificate, the order
with a German message on its page; a CA file that became unreadable after the start fails
both with a message naming the setting, and nothing is sent."""
import pytest
import requests

from sandbox import create_sandbox_app
from tests.factories import (
    connection_test_run, ear_mould_raw, fresh, make_config, order_one, serving,
)
from tests.mailserver import certificates  # noqa: F401  (fixture)
from tests.translated import de
from webapp.interfaces import actions
from webapp.ordering.models import ERROR, ORDERED, Order
from webapp.outbound.models import DONE, FAILED, PENDING
from webapp.probes import CERTIFICATE, INVALID, OK, TLS

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):  # noqa: F811
    """German, as installed; the test kit's CA is the operator's internal one."""
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_CA_FILE=str(certificates.ca_file),
                       ORDER_RETRY_BASE_SECONDS=0.05, ORDER_RETRY_CAP_SECONDS=0.2,
                       ORDER_LEASE_MARGIN_SECONDS=1)


@pytest.fixture
def https_sandbox(certificates):  # noqa: F811
    """The partner sandbox over HTTPS, its certificate signed by the test kit's CA."""
    with serving(create_sandbox_app(), certificates.server_context()) as url:
        yield url


@pytest.fixture
def dreve(world, make_service, https_sandbox):
    """Stuttgart's Dreve SmartOrder service at the HTTPS sandbox."""
    return make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{https_sandbox}/dreve"),
        name="Dreve ST", branch_id=world.st.id)


def connection_test(client, auth, csrf, world, work, service):
    """"Verbindung testen" from the service's editor by the admin, run by the worker."""
    auth.login(world.admin)
    return connection_test_run(client, csrf, work, service)


def tls_step(row):
    (step,) = [step for step in row.progress["steps"] if step["step"] == TLS]
    return step["state"], step["reason"]


def sandbox_orders(https_sandbox, certificates):  # noqa: F811
    return requests.get(f"{https_sandbox}/_sandbox/orders", timeout=5,
                        verify=str(certificates.ca_file)).json()["orders"]


def test_the_test_passes_and_the_order_is_placed_with_the_operators_ca(
        world, dreve, client, auth, csrf, work, https_sandbox, certificates):  # noqa: F811
    """The same trust for the test and the send: both reach the partner of the internal CA."""
    row = connection_test(client, auth, csrf, world, work, dreve)
    assert row.state == DONE and actions.passed(row)
    assert tls_step(row) == (OK, "")
    order = order_one(world, world.dreve)
    work()
    order = fresh(Order, order.id)
    assert (order.status, order.error_message) == (ORDERED, "")
    assert order.external_number.startswith("DRV-")
    [placed] = sandbox_orders(https_sandbox, certificates)
    assert placed["idempotency_key"] == order.outbound.idempotency_key


def test_without_the_ca_the_test_and_the_order_fail_at_the_certificate(
        app, world, dreve, client, auth, csrf, work, https_sandbox, certificates,  # noqa: F811
        monkeypatch):
    """No OUTBOUND_CA_FILE: the test fails at Verschlüsselung (TLS), and the order waits for
    its retry saying in German that the certificate is not trusted; nothing was ordered."""
    monkeypatch.setitem(app.config, "OUTBOUND_CA_FILE", None)
    row = connection_test(client, auth, csrf, world, work, dreve)
    assert row.state == FAILED and tls_step(row) == ("failed", CERTIFICATE)
    order = order_one(world, world.dreve)
    work()
    outbound = fresh(Order, order.id).outbound
    german = de("%(host)s (%(action)s): %(cause)s.", host="127.0.0.1",
                action=de("sending the order"), cause=de("the server's certificate is not trusted"))
    assert german == ("127.0.0.1 (Senden der Bestellung): das Zertifikat des Servers ist nicht "
                      "vertrauenswürdig.")
    assert outbound.state == PENDING and outbound.last_error == german
    assert [attempt.message for attempt in outbound.attempt_log] == [german]
    auth.login(world.staff)
    assert german in client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert sandbox_orders(https_sandbox, certificates) == []


def test_a_ca_file_unreadable_after_the_start_fails_with_a_message_naming_it(
        app, world, dreve, client, auth, csrf, work, https_sandbox, certificates,  # noqa: F811
        monkeypatch, tmp_path):
    """The CA file is gone after the start: the test fails at TLS as settings that cannot
    work, and the order ends Fehler saying the CA file cannot be read and nothing was sent —
    no crash, no traceback in the attempt."""
    monkeypatch.setitem(app.config, "OUTBOUND_CA_FILE", str(tmp_path / "gone.pem"))
    row = connection_test(client, auth, csrf, world, work, dreve)
    assert row.state == FAILED and tls_step(row) == ("failed", INVALID)
    order = order_one(world, world.dreve)
    work()
    order = fresh(Order, order.id)
    german = de("Not connected to %(where)s: %(reason)s Nothing was sent.", where="127.0.0.1",
                reason=de("The operator's CA file (OUTBOUND_CA_FILE) cannot be read, so no "
                          "certificate can be checked."))
    assert german == ("Keine Verbindung zu 127.0.0.1 aufgebaut: Die CA-Datei des Betreibers "
                      "(OUTBOUND_CA_FILE) kann nicht gelesen werden, daher kann kein Zertifikat "
                      "geprüft werden. Es wurde nichts gesendet.")
    assert (order.status, order.error_message) == (ERROR, german)
    assert [attempt.message for attempt in order.outbound.attempt_log] == [german]
    assert sandbox_orders(https_sandbox, certificates) == []
