"""Ordering through Audoora (issue 12 part 5) against the sandbox portal over real HTTP,
through the real Redis and an in-process worker: "Bestellen" on an article order finds
Audoora by itself; a complete order goes straight out, anything missing opens the cart
(customer number, an article the catalogue does not know or knows several of); the cart is
completed, an article removed, and the order goes out with exactly what is left; the cart
ends after 6 hours; a company-specific interface takes precedence."""
from datetime import timedelta

import pytest
import requests

from tests.factories import (
    HX, control, ear_mould_raw, fresh, make_config, received, wait_for,
)
from tests.factories import kill_worker
from tests.translated import de
from webapp.audoora import carts, orders, registration
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.ordering import services as ordering
from webapp.ordering.models import CREATED, ORDERED, Order
from webapp.outbound import engine
from webapp.outbound.models import DONE, IN_FLIGHT, INTERRUPTED, PENDING, Outbound

pytestmark = pytest.mark.redis

API = "/audoora/api/v1"


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=4)


@pytest.fixture
def portal(world, make_service, sandbox, work, auth):
    """The chain registered with the sandbox portal, its partner list fetched; Signia GmbH
    (order form Schnittstelle, customer number for Stuttgart) and Dreve Otoplastik GmbH (no
    customer number) as suppliers; Sam of Stuttgart logged in."""
    signia = Company(name="Signia GmbH", is_supplier=True, order_form="interface",
                     ordering_active=True)
    dreve = Company(name="Dreve Otoplastik GmbH", is_supplier=True, is_lab=True,
                    order_form="interface", ordering_active=True)
    db.session.add_all([signia, dreve])
    db.session.flush()
    db.session.add(CustomerNumber(company_id=signia.id, branch_id=world.st.id,
                                  number="SIG-ST-7"))
    db.session.commit()
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    sent = registration.body(service)
    registration.start(world.admin, service, registration.REGISTER,
                       {"fingerprint": registration.fingerprint(sent)})
    db.session.commit()
    assert work()
    assert registration.registration_of(service) is not None
    world.before = len(received(requests, sandbox, partner="audoora"))
    auth.login(world.staff)
    world.signia, world.portal_dreve, world.audoora = signia, dreve, service
    return world


def _order(world, supplier, *lines):
    order = ordering.create_article_order(world.staff, world.st.id, supplier.id, lines)
    db.session.commit()
    return order


def _place(client, csrf, order):
    return client.post(f"/orders/{order.id}/audoora", data={"csrf_token": csrf()}, headers=HX)


def _cart(client, csrf, order, **data):
    return client.post(f"/orders/{order.id}/cart", data={"csrf_token": csrf(), **data},
                       headers=HX)


def _received(sandbox, portal):
    """What reached the portal since the registration."""
    return received(requests, sandbox, partner="audoora")[portal.before:]


def _writes(sandbox, portal):
    return [(e["method"], e["path"], e["status"]) for e in _received(sandbox, portal)
            if e["method"] != "GET"]


def _portal_orders(sandbox):
    return requests.get(f"{sandbox}/_sandbox/audoora/orders", timeout=5).json()


def test_a_complete_order_goes_straight_out_and_reaches_ordered(portal, client, csrf,
                                                                sandbox, work):
    """Every article is identified and the customer number is known: one POST /orders with
    the run's key, no cart; the order is Bestellt with the portal's number."""
    order = _order(portal, portal.signia, ("SIG-312", "Batterien 312", 3),
                   ("SIG-PURE-7X", "", 1))
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Über Audoora (Schnittstelle „Audoora“) an die Partnerfirma Signia GmbH" in page
    response = _place(client, csrf, order)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED, order.error_message
    assert order.external_number == "AUDO-000001"
    assert [line.article_id for line in order.lines] == ["SIG-A-0312", "SIG-A-7PX"]
    assert _writes(sandbox, portal) == [("POST", f"{API}/orders", 201)]
    (placed,) = _portal_orders(sandbox)["orders"]
    assert placed["customer_number"] == "SIG-ST-7" and placed["reference"] == order.number
    assert placed["positions"] == [{"article_id": "SIG-A-0312", "quantity": 3},
                                   {"article_id": "SIG-A-7PX", "quantity": 1}]
    entry = [e for e in _received(sandbox, portal)
             if e["method"] == "POST"][0]
    assert entry["idempotency_key"] == order.outbound.idempotency_key
    assert entry["headers"]["Authorization"] == "***"
    assert _portal_orders(sandbox)["carts"] == []


def test_the_answer_to_bestellen_shows_the_order_being_sent(portal, client, csrf):
    """The order "Bestellen" answers with is being sent: its status polls, so the cart or
    Bestellt shows up by itself, and "Bestellen" is not offered a second time."""
    order = _order(portal, portal.signia, ("SIG-312", "", 1))
    page = _place(client, csrf, order).get_data(as_text=True)
    assert f'hx-get="/orders/{order.id}/status" hx-trigger="every 1s"' in page
    assert f'action="/orders/{order.id}/audoora"' not in page
    assert de("being sent") in page


def test_an_unknown_article_opens_the_cart_is_removed_and_the_order_goes_out_without_it(
        portal, client, csrf, sandbox, work):
    order = _order(portal, portal.signia, ("SIG-312", "", 2), ("XX-999", "Zauberstab", 1))
    _place(client, csrf, order)
    assert work()
    order = fresh(Order, order.id)
    assert order.status == CREATED and order.outbound.state == DONE
    cart = carts.cart_of(order.id)
    assert cart.state == carts.OPEN and cart.cart_id == "AUDC-000001"
    assert cart.missing == [{"what": "article", "line": 2, "reason": "not_found",
                             "candidates": []}]
    assert _writes(sandbox, portal) == [("POST", f"{API}/carts", 201)]
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Audoora-Warenkorb" in page and "Nicht im Katalog gefunden" in page
    assert "noch 5 Std. 59 Min." in page or "noch 6 Std. 0 Min." in page

    # Ordering as it stands is refused beside the article: it must be chosen or removed.
    refused = _cart(client, csrf, order)
    assert refused.status_code == 422
    assert 'id="line-2-error"' in refused.get_data(as_text=True)
    removed = client.post(f"/orders/{order.id}/cart/lines/2/remove",
                          data={"csrf_token": csrf()}, headers=HX)
    assert removed.status_code == 200
    assert _cart(client, csrf, order).status_code == 200
    assert work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED and order.external_number == "AUDO-000001"
    assert [line.removed for line in order.lines] == [False, True]
    assert carts.cart_of(order.id).state == carts.ORDERED
    assert _writes(sandbox, portal) == [("POST", f"{API}/carts", 201),
                                ("POST", f"{API}/carts/AUDC-000001/order", 201)]
    (placed,) = _portal_orders(sandbox)["orders"]
    assert placed["positions"] == [{"article_id": "SIG-A-0312", "quantity": 2}]
    # The two runs had keys of their own.
    keys = [e["idempotency_key"] for e in _received(sandbox, portal)
            if e["method"] == "POST"]
    assert len(set(keys)) == 2 and keys[1] == order.outbound.idempotency_key


def test_a_missing_customer_number_opens_the_cart_and_is_entered_there(
        portal, client, csrf, sandbox, work):
    order = _order(portal, portal.portal_dreve, ("DRV-1001", "", 4))
    _place(client, csrf, order)
    assert work()
    cart = carts.cart_of(order.id)
    assert cart.missing == [{"what": "customer_number"}]
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Kundennummer bei Dreve Otoplastik GmbH" in page

    refused = _cart(client, csrf, order, customer_number="  ")
    assert refused.status_code == 422
    assert 'id="cart-customer-number-error"' in refused.get_data(as_text=True)
    assert _cart(client, csrf, order, customer_number="DRV-9").status_code == 200
    assert work()
    assert fresh(Order, order.id).status == ORDERED
    (placed,) = _portal_orders(sandbox)["orders"]
    assert placed["customer_number"] == "DRV-9"
    assert placed["positions"] == [{"article_id": "DRV-A-1001", "quantity": 4}]


def test_an_article_the_catalogue_knows_several_of_is_chosen_in_the_cart(
        portal, client, csrf, sandbox, work):
    order = _order(portal, portal.signia, ("", "Batterien", 5))
    _place(client, csrf, order)
    assert work()
    (entry,) = carts.cart_of(order.id).missing
    assert entry["reason"] == "ambiguous"
    assert {c["article_id"] for c in entry["candidates"]} == {"SIG-A-0312", "SIG-A-0013"}
    # A made-up choice is not one of the catalogue's hits.
    assert _cart(client, csrf, order, **{"choice-1": "SIG-A-7PX"}).status_code == 422
    assert _cart(client, csrf, order, **{"choice-1": "SIG-A-0013"}).status_code == 200
    assert work()
    assert fresh(Order, order.id).status == ORDERED
    (placed,) = _portal_orders(sandbox)["orders"]
    assert placed["positions"] == [{"article_id": "SIG-A-0013", "quantity": 5}]


def test_another_article_number_that_is_not_found_either_keeps_the_cart_open(
        portal, client, csrf, sandbox, work):
    order = _order(portal, portal.signia, ("XX-1", "", 1))
    _place(client, csrf, order)
    assert work()
    assert _cart(client, csrf, order, **{"number-1": "XX-2"}).status_code == 200
    assert work()
    order = fresh(Order, order.id)
    cart = carts.cart_of(order.id)
    assert order.status == CREATED and cart.state == carts.OPEN
    assert cart.missing[0]["line"] == 1 and order.lines[0].article_number == "XX-2"
    assert _writes(sandbox, portal) == [("POST", f"{API}/carts", 201)]  # nothing more was sent
    # The run that found it still incomplete says so in the attempt the worker stored, in
    # the installation's language.
    row = fresh(Outbound, order.outbound.id)
    assert row.attempt_log[-1].message == de(
        "The order waits in the Audoora cart: complete it there.") == \
        "Die Bestellung wartet im Audoora-Warenkorb: Ergänzen Sie sie dort."
    assert _cart(client, csrf, order, **{"number-1": "SIG-13"}).status_code == 200
    assert work()
    assert fresh(Order, order.id).status == ORDERED


def test_the_cart_ends_after_6_hours(portal, client, csrf, sandbox, work):
    """Tested with an injected clock: a second before the 6 hours it is open, at 6 hours
    the scheduled expiry ends it (once), and it can no longer be ordered; "Bestellen" on
    the order then opens a new cart."""
    order = _order(portal, portal.signia, ("XX-1", "", 1))
    _place(client, csrf, order)
    assert work()
    cart = carts.cart_of(order.id)
    created = cart.created_at
    assert cart.expires_at == created + timedelta(hours=6)
    assert carts.expire(now=created + timedelta(hours=6, seconds=-1)) == 0
    assert carts.expire(now=created + timedelta(hours=6)) == 1
    assert carts.expire(now=created + timedelta(hours=7)) == 0
    db.session.commit()
    assert fresh(carts.AudooraCart, cart.id).state == carts.EXPIRED
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Audoora-Warenkorb" not in page and "Bestellen" in page
    gone = _cart(client, csrf, order, **{"number-1": "SIG-13"})
    assert gone.status_code == 409 and "abgelaufen" in gone.get_data(as_text=True)
    assert _place(client, csrf, order).status_code == 200
    assert work()
    cart = fresh(carts.AudooraCart, cart.id)
    assert cart.state == carts.OPEN and cart.cart_id == "AUDC-000002"


def test_an_open_cart_past_its_time_cannot_be_ordered_before_the_job_ran(
        portal, client, csrf, sandbox, work):
    order = _order(portal, portal.signia, ("XX-1", "", 1))
    _place(client, csrf, order)
    assert work()
    cart = carts.cart_of(order.id)
    cart.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _cart(client, csrf, order, **{"number-1": "SIG-13"}).status_code == 409
    assert carts.cart_of(order.id).state == carts.OPEN  # the job ends it, not a refusal


def test_a_company_specific_interface_takes_precedence(portal, client, csrf, sandbox, work,
                                                      make_service):
    """While an active ear-mould service has Dreve Otoplastik in its company assignment,
    its orders keep going there: "Bestellen" through Audoora is refused, saying so."""
    specific = make_service("dreve_smartorder", ear_mould_raw(portal.portal_dreve),
                            name="Dreve SmartOrder")
    order = _order(portal, portal.portal_dreve, ("DRV-1001", "", 1))
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Dreve SmartOrder" in page and "deaktiviert oder gelöscht" in page
    refused = _place(client, csrf, order)
    assert refused.status_code == 409 and "Vorrang" in refused.get_data(as_text=True)
    assert fresh(Order, order.id).outbound is None
    assert _received(sandbox, portal) == []
    # Deactivated, it no longer stands in the way.
    specific.enabled = False
    db.session.commit()
    assert _place(client, csrf, order).status_code == 200


def test_a_supplier_that_is_no_partner_or_a_branch_without_audoora_is_refused(
        portal, client, csrf, sandbox):
    order = _order(portal, portal.wholesaler, ("X", "", 1))
    refused = _place(client, csrf, order)
    assert refused.status_code == 409
    assert "nicht in der Liste der Partnerfirmen" in refused.get_data(as_text=True)


def test_a_partner_without_order_form_interface_is_refused_with_a_link_to_fix_it(
        portal, client, csrf, sandbox):
    portal.signia.order_form = "document"
    db.session.commit()
    order = _order(portal, portal.signia, ("SIG-312", "", 1))
    refused = _place(client, csrf, order)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Bestellform „Externe Schnittstelle“" in page
    assert f'href="/companies/{portal.signia.id}"' in client.get(
        f"/orders/{order.id}").get_data(as_text=True)
    assert _received(sandbox, portal) == []


def test_the_portal_down_is_retried_and_the_order_is_placed_once(portal, client, csrf,
                                                                 sandbox, work):
    """A 503 (with Retry-After) is retried by the engine with the same key; the order page
    says when; once the portal is back the order is placed, once."""
    order = _order(portal, portal.signia, ("SIG-312", "", 1))
    control(requests, sandbox, "faults", partner="audoora", error_rate=1)
    _place(client, csrf, order)
    work()
    row = fresh(Outbound, fresh(Order, order.id).outbound.id)
    assert row.state == PENDING and "503" in row.last_error
    assert fresh(Order, order.id).status == CREATED
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "nächster Versuch" in page
    control(requests, sandbox, "faults", partner="audoora")
    wait_for(lambda: work() and fresh(Order, order.id).status == ORDERED, 15, every=0.3,
             what="the retry to place the order")
    assert len(_portal_orders(sandbox)["orders"]) == 1
    assert _writes(sandbox, portal)[-1] == ("POST", f"{API}/orders", 201)


def test_a_worker_killed_while_the_portal_holds_the_answer_orders_the_cart_once(
        portal, client, csrf, sandbox, work, flask_worker):
    """The cart is ordered; the portal places the order and holds its answer back; the real
    worker is killed. The next worker asks by the run's key and takes the portal's order
    instead of ordering again."""
    order = _order(portal, portal.signia, ("", "Batterien", 5))
    _place(client, csrf, order)
    assert work()
    control(requests, sandbox, "faults", partner="audoora", timeout_rate=1, timeout_ms=60000)
    assert _cart(client, csrf, order, **{"choice-1": "SIG-A-0013"}).status_code == 200
    first = flask_worker()
    wait_for(lambda: [e["outcome"] for e in _received(sandbox, portal)
                      if e["method"] == "POST"][1:] == ["timeout"], 30,
             what="the portal to hold the cart order's answer")
    kill_worker(first)
    control(requests, sandbox, "faults", partner="audoora")
    row = fresh(Outbound, fresh(Order, order.id).outbound.id)
    assert row.state == IN_FLIGHT and row.action == orders.CART_ORDER
    row.lease_until = utcnow() - timedelta(seconds=1)  # the dead worker's lease runs out
    db.session.commit()
    flask_worker()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    wait_for(lambda: fresh(Order, order.id).status == ORDERED, 30, every=0.1,
             what="the order to be placed")
    row = fresh(Outbound, row.id)
    assert [(a.action, a.outcome) for a in row.attempt_log][-2:] == [
        ("submit", INTERRUPTED), ("lookup", "accepted")]
    assert len(_portal_orders(sandbox)["orders"]) == 1
    assert fresh(Order, order.id).external_number == "AUDO-000001"


def test_others_may_not_order_and_posts_need_the_token(portal, client, csrf, auth, sandbox):
    order = _order(portal, portal.signia, ("SIG-312", "", 1))
    auth.login(portal.ul_staff)
    assert _place(client, csrf, order).status_code == 404  # not a branch they read
    auth.login(portal.staff)
    assert client.post(f"/orders/{order.id}/audoora", headers=HX).status_code == 403
    assert fresh(Order, order.id).outbound is None
