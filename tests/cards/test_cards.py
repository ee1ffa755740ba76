"""Customer cards (issue 13) against the sandbox provider over real HTTP, with the real Redis
and an in-process worker: ordering from the process step "Kundenkarte" and for an employee,
where the card goes, the batches per interval in the chain's time zone (an injected clock),
sent once — also when the provider fails or a worker dies — and the card numbers back."""
import re
import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.factories import HX, control, fresh, make_config, received, wait_for
from tests.factories import kill_worker
from webapp.cards import batching, services
from webapp.cards.models import ERROR, ORDERED, QUEUED, SENDING, CardBatch, CardOrder
from webapp.changelog.models import ChangeLogEntry
from webapp.documents.models import DocumentTemplate
from webapp import submissions
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.forms import new_submission_token
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.models import DONE, IN_FLIGHT, INTERRUPTED, Outbound
from webapp.org.models import Branch
from webapp.processes.models import CUSTOMER_CARD, ProcessStep
from webapp.users.models import User

pytestmark = pytest.mark.redis

BERLIN = ZoneInfo("Europe/Berlin")
KEY = "sandbox-key"


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=4)


def local(*args):
    """An aware UTC moment from a Berlin wall-clock time."""
    return datetime(*args, tzinfo=BERLIN).astimezone(timezone.utc)


TEMPLATES = [
    {"name": "GOLD", "ship_to": "customer", "shipping_interval": "weekly",
     "card_template": "Karte GOLD", "cover_letter": "Anschreiben Karte",
     "card_type": "nfc_rfid", "card_kind": "customer_card", "gift_box": True,
     "comment": "Bitte mit Geschenkbox"},
    {"name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "daily",
     "card_template": "Karte BASIS", "card_type": "chip", "card_kind": "customer_card",
     "validity_required": True},
    {"name": "FILIALE", "ship_to": "customer_branch", "shipping_interval": "monthly",
     "card_template": "Karte BASIS", "card_type": "chip", "card_kind": "customer_card"},
    {"name": "TEAM", "ship_to": "ordering_branch", "shipping_interval": "monthly",
     "card_template": "Karte Team", "card_type": "chip", "card_kind": "employee_card",
     "roller_clip": True},
]


@pytest.fixture
def shop(world, make_service, sandbox, auth):
    """The chain's card service at the sandbox provider with four templates; Stuttgart with
    its address; Erika Muster's process has a step Kundenkarte; Sam (Stuttgart) logged in."""
    for name, kind in (("Karte GOLD", "card_layout"), ("Karte BASIS", "card_layout"),
                       ("Karte Team", "card_layout"), ("Anschreiben Karte", "cover_letter")):
        db.session.add(DocumentTemplate(name=name, kind=kind, content="{{ name }}"))
    world.st.street, world.st.postal_code, world.st.city = "Königstr. 1", "70173", "Stuttgart"
    world.customer.street, world.customer.postal_code = "Olgastr. 3", "70182"
    world.process.steps.append(_card_step(world.process))
    db.session.commit()
    make_service("smtp", name="SMTP")
    world.cards = make_service("card_order", {
        "base_url": f"{sandbox}/cards", "contract_number": "10001", "contract_key": KEY,
        "templates": TEMPLATES}, name="Kundenkarten", usage_client=True)
    auth.login(world.staff)
    return world


def _card_step(process):
    return ProcessStep(position=len(process.steps) + 1, name="Kundenkarte",
                       kind=CUSTOMER_CARD)


def _order(client, csrf, world, template, valid="", submission=None):
    return client.post(f"/processes/{world.process.id}/card-order", headers=HX, data={
        "csrf_token": csrf(), "template": template, "valid_until": valid,
        "submission": submission or new_submission_token()})


def _batches(sandbox):
    return requests.get(f"{sandbox}/_sandbox/cards", timeout=5).json()["batches"]


# --- where the card goes ----------------------------------------------------------------------

def test_the_recipient_follows_send_card_to(shop):
    branch, customer = shop.st, shop.customer
    rows = {row["name"]: row for row in TEMPLATES}
    assert services.recipient(rows["GOLD"], branch, customer=customer) == (
        {"name": "Erika Muster", "street": "Olgastr. 3", "postal_code": "70182",
         "city": "Stuttgart"}, None)
    assert services.recipient(rows["BASIS"], shop.ul, customer=customer)[0]["name"] == "Ulm"
    # The customer's own branch, whichever branch orders.
    assert services.recipient(rows["FILIALE"], shop.ul, customer=customer) == (
        {"name": "Stuttgart", "street": "Königstr. 1", "postal_code": "70173",
         "city": "Stuttgart"}, None)
    address, problem = services.recipient(rows["BASIS"], shop.ul, customer=customer)
    assert "Ulm" in str(problem) and "Straße" in str(problem)
    customer.street = ""
    assert "Erika Muster" in str(services.recipient(rows["GOLD"], branch, customer=customer)[1])
    assert services.recipient(rows["TEAM"], shop.ul, user=shop.manager)[0]["name"] == "Ulm"


def test_the_step_shows_the_address_and_refuses_an_incomplete_one_beside_the_field(
        shop, client, csrf):
    page = client.get(f"/processes/{shop.process.id}").get_data(as_text=True)
    assert "Kundenkarte" in page and "Karte bestellen" in page
    preview = client.get(f"/processes/{shop.process.id}/card-step?template=GOLD",
                         headers=HX).get_data(as_text=True)
    assert "Olgastr. 3" in preview and "wöchentlich" in preview
    shop.customer.postal_code = ""
    db.session.commit()
    refused = _order(client, csrf, shop, "GOLD")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="card-step-template-error"' in body
    assert "Postleitzahl" in body and db.session.scalar(db.select(CardOrder)) is None


def test_validity_is_required_where_the_template_says_so_and_must_lie_ahead(shop, client, csrf):
    refused = _order(client, csrf, shop, "BASIS")
    assert refused.status_code == 422 and 'id="card-step-valid-error"' in refused.get_data(
        as_text=True)
    past = _order(client, csrf, shop, "BASIS", "2020-01-01")
    assert past.status_code == 422 and "Zukunft" in past.get_data(as_text=True)
    assert _order(client, csrf, shop, "BASIS", "2030-12-31").status_code == 200
    (order,) = db.session.scalars(db.select(CardOrder))
    assert (order.status, order.valid_until, order.recipient["name"]) == (
        QUEUED, date(2030, 12, 31), "Stuttgart")


def test_no_template_or_no_service_is_refused_with_a_link(shop, client, csrf, auth):
    shop.cards.values = {**shop.cards.values, "templates": [TEMPLATES[3]]}  # employee only
    db.session.commit()
    auth.login(shop.admin)
    page = client.get(f"/processes/{shop.process.id}").get_data(as_text=True)
    assert "keine Vorlage für Kundenkarten" in page
    assert f'/interfaces/{shop.cards.id}#table-templates' in page
    assert _order(client, csrf, shop, "GOLD").status_code == 422
    shop.cards.enabled = False
    db.session.commit()
    assert "Kundenkartenbestellung" in client.get(
        f"/processes/{shop.process.id}").get_data(as_text=True)


# --- batches -------------------------------------------------------------------------------

@pytest.mark.parametrize("interval, now, expected", [
    # Daily, across the DST changes: the local midnight, 22:00 or 23:00 UTC.
    ("daily", local(2026, 10, 25, 12), local(2026, 10, 25, 0)),
    ("daily", local(2027, 3, 28, 12), local(2027, 3, 28, 0)),
    # Weekly: Monday's midnight.
    ("weekly", local(2026, 12, 6, 23, 59), local(2026, 11, 30, 0)),
    ("weekly", local(2026, 12, 7, 0, 0), local(2026, 12, 7, 0)),
    # Monthly: the 1st, after February and after a month of 31 days.
    ("monthly", local(2027, 2, 28, 23, 59), local(2027, 2, 1, 0)),
    ("monthly", local(2027, 3, 1, 0, 0), local(2027, 3, 1, 0)),
    ("monthly", local(2027, 1, 1, 0, 0), local(2027, 1, 1, 0)),
])
def test_boundaries_in_the_chain_s_time_zone(interval, now, expected):
    assert batching.boundary(now, interval, BERLIN)[1] == expected


@pytest.mark.parametrize("interval, ordered, expected", [
    ("daily", local(2026, 10, 24, 23, 30), local(2026, 10, 25, 0)),      # 23 h day ahead
    ("daily", local(2026, 10, 25, 1, 30), local(2026, 10, 26, 0)),       # a 25 h day
    ("daily", local(2027, 3, 28, 3, 30), local(2027, 3, 29, 0)),         # a 23 h day
    ("weekly", local(2026, 12, 2, 10), local(2026, 12, 7, 0)),
    ("weekly", local(2026, 12, 7, 0, 0), local(2026, 12, 14, 0)),
    ("monthly", local(2027, 2, 10), local(2027, 3, 1, 0)),
    ("monthly", local(2026, 12, 31, 23, 59), local(2027, 1, 1, 0)),
    ("monthly", local(2027, 1, 31, 12), local(2027, 2, 1, 0)),
])
def test_an_order_goes_out_at_the_first_boundary_after_it(interval, ordered, expected):
    assert batching.next_boundary(ordered, interval, BERLIN) == expected
    # A minute before the boundary still goes out at it; at the boundary, the next one.
    assert batching.next_boundary(expected - timedelta(minutes=1), interval, BERLIN) == expected
    assert batching.next_boundary(expected, interval, BERLIN) > expected


def _place(world, template, at, **kw):
    order = services.place(world.staff, template, kw.pop("valid", None), world.st,
                           customer=world.customer, process=world.process, now=at, **kw)
    db.session.commit()
    return order


def test_the_weekly_batch_goes_out_once_at_the_week_boundary(shop, sandbox, work):
    wednesday = local(2026, 12, 2, 10)
    first = _place(shop, "GOLD", wednesday)
    second = _place(shop, "GOLD", local(2026, 12, 6, 23, 59))
    later = _place(shop, "GOLD", local(2026, 12, 7, 0, 0, 1))
    assert batching.collect(now=local(2026, 12, 6, 23, 59, 59)) == []
    (batch,) = batching.collect(now=local(2026, 12, 7, 0, 0))
    assert batching.collect(now=local(2026, 12, 7, 0, 5)) == []  # a second tick: nothing
    assert (batch.boundary, batch.shipping_interval) == (date(2026, 12, 7), "weekly")
    assert work()
    (sent,) = _batches(sandbox)
    assert [card["ref"] for card in sent["body"]["cards"]] == [first.number, second.number]
    assert sent["body"]["template"] == {"name": "GOLD"}
    assert sent["body"]["cards"][0]["template"] == {
        "card_type": "nfc_rfid", "card_kind": "customer_card",
        "gift_box": True, "roller_clip": False, "comment": "Bitte mit Geschenkbox",
        "document_template": "Karte GOLD", "cover_letter": "Anschreiben Karte"}
    assert sent["body"]["cards"][0]["ship_to"]["street"] == "Olgastr. 3"
    for order in (first, second):
        order = fresh(CardOrder, order.id)
        assert order.status == ORDERED and order.card_number.startswith("9276")
    assert fresh(CardOrder, later.id).status == QUEUED  # the next week's
    (entry,) = [e for e in received(requests, sandbox, partner="cards") if e["method"] == "POST"]
    assert entry["headers"]["X-Card-Key"] == "***"
    (batch_row,) = db.session.scalars(db.select(Outbound).where(Outbound.kind == "card_batch"))
    assert entry["idempotency_key"] == batch_row.idempotency_key


def test_each_card_goes_out_with_the_template_its_order_kept(shop, sandbox, work):
    """A template edited between two orders of one interval: the batch sent the first
    order's copy for both cards; each card now carries the template as its order kept it."""
    first = _place(shop, "GOLD", local(2026, 12, 2, 10))
    edited = dict(TEMPLATES[0], card_type="chip", gift_box=False, comment="Ohne Geschenkbox")
    shop.cards.values = {**shop.cards.values, "templates": [edited, *TEMPLATES[1:]]}
    db.session.commit()
    second = _place(shop, "GOLD", local(2026, 12, 3, 10))
    assert first.template["gift_box"] is True and second.template["gift_box"] is False
    batching.collect(now=local(2026, 12, 7, 0, 1))
    assert work()
    (sent,) = _batches(sandbox)
    assert sent["body"]["template"] == {"name": "GOLD"}
    templates = {card["ref"]: card["template"] for card in sent["body"]["cards"]}
    assert templates == {
        first.number: {"card_type": "nfc_rfid", "card_kind": "customer_card",
                       "gift_box": True, "roller_clip": False,
                       "comment": "Bitte mit Geschenkbox", "document_template": "Karte GOLD",
                       "cover_letter": "Anschreiben Karte"},
        second.number: {"card_type": "chip", "card_kind": "customer_card", "gift_box": False,
                        "roller_clip": False, "comment": "Ohne Geschenkbox",
                        "document_template": "Karte GOLD",
                        "cover_letter": "Anschreiben Karte"}}
    assert {fresh(CardOrder, o.id).status for o in (first, second)} == {ORDERED}


def test_the_customer_and_the_employee_show_their_card_numbers(shop, sandbox, work, client,
                                                               csrf, auth):
    order = _place(shop, "GOLD", local(2026, 12, 2, 10))
    auth.login(shop.admin)
    response = client.post(f"/users/{shop.manager.id}/card-order", headers=HX, data={
        "csrf_token": csrf(), "template": "TEAM", "valid_until": "",
        "submission": new_submission_token()})
    assert response.status_code == 200, response.get_data(as_text=True)
    employee = db.session.scalar(db.select(CardOrder).where(CardOrder.user_id.is_not(None)))
    employee.ordered_at = local(2026, 11, 20)  # last month, as if ordered then
    db.session.commit()
    batching.collect(now=local(2026, 12, 7, 0, 1))
    assert work()
    team = next(b for b in _batches(sandbox) if b["body"]["template"]["name"] == "TEAM")
    assert team["body"]["cards"][0]["template"]["roller_clip"] is True
    assert team["body"]["cards"][0]["ship_to"]["name"] == "Stuttgart"
    numbers = [fresh(CardOrder, o.id).card_number for o in (order, employee)]
    tab = client.get(f"/customers/{shop.customer.id}/cards").get_data(as_text=True)
    assert numbers[0] in tab and "Bestellt" in tab
    editor = client.get(f"/users/{shop.manager.id}").get_data(as_text=True)
    assert "Mitarbeiterkarte" in editor and numbers[1] in editor and numbers[1].startswith("9277")


def test_a_failing_provider_is_retried_and_the_batch_sent_once(shop, sandbox, work, client,
                                                               csrf):
    order = _place(shop, "BASIS", local(2026, 12, 2, 10), valid=date(2030, 1, 1))
    control(requests, sandbox, "faults", partner="cards", error_rate=1)
    batching.collect(now=local(2026, 12, 3, 0, 1))
    wait_for(lambda: (work(), fresh(CardOrder, order.id).status == ERROR)[1], 20, every=0.3,
             what="the batch to give up")
    order = fresh(CardOrder, order.id)
    assert order.status == ERROR and "503" in order.error_message
    control(requests, sandbox, "faults", partner="cards")
    response = client.post(f"/card-orders/{order.id}/resend", headers=HX,
                           data={"csrf_token": csrf()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert work()
    assert fresh(CardOrder, order.id).status == ORDERED
    assert len(_batches(sandbox)) == 1


def test_a_batch_looked_up_then_sent_says_so_in_german(shop, sandbox, work):
    """A batch whose last attempt got no answer is looked up first: it never arrived, so it
    is sent, once; the attempt says so in the installation's language (the worker's)."""
    order = _place(shop, "BASIS", local(2026, 12, 2, 10), valid=date(2030, 1, 1))
    batching.collect(now=local(2026, 12, 3, 0, 1))
    row = db.session.scalar(db.select(Outbound).where(Outbound.kind == "card_batch"))
    row.needs_lookup = True
    db.session.commit()
    assert work()
    row = fresh(Outbound, row.id)
    assert [(a.action, a.outcome, a.message) for a in row.attempt_log][0] == (
        "lookup", "not_found", "Nicht angekommen; wird jetzt gesendet.")
    assert fresh(CardOrder, order.id).status == ORDERED and len(_batches(sandbox)) == 1


def test_a_worker_killed_mid_batch_sends_it_once(shop, sandbox, flask_worker):
    order = _place(shop, "BASIS", local(2026, 12, 2, 10), valid=date(2030, 1, 1))
    control(requests, sandbox, "faults", partner="cards", timeout_rate=1, timeout_ms=60000)
    batching.collect(now=local(2026, 12, 3, 0, 1))
    first = flask_worker()
    wait_for(lambda: [e["outcome"] for e in received(requests, sandbox, partner="cards")]
             == ["timeout"], 30, what="the provider to hold the batch's answer")
    kill_worker(first)
    control(requests, sandbox, "faults", partner="cards")
    row = db.session.scalar(db.select(Outbound).where(Outbound.kind == "card_batch"))
    row = fresh(Outbound, row.id)
    assert row.state == IN_FLIGHT and fresh(CardOrder, order.id).status == SENDING
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    flask_worker()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    wait_for(lambda: fresh(CardOrder, order.id).status == ORDERED, 30, every=0.1,
             what="the card order to be ordered")
    row = fresh(Outbound, row.id)
    assert [(a.action, a.outcome) for a in row.attempt_log] == [
        ("submit", INTERRUPTED), ("lookup", "accepted")]
    assert len(_batches(sandbox)) == 1 and row.state == DONE


def test_a_queued_order_can_be_cancelled_and_is_left_out(shop, sandbox, client, csrf):
    order = _place(shop, "GOLD", local(2026, 12, 2, 10))
    response = client.post(f"/card-orders/{order.id}/cancel", headers=HX,
                           data={"csrf_token": csrf()})
    assert response.status_code == 200 and "Storniert" in response.get_data(as_text=True)
    assert batching.collect(now=local(2026, 12, 7, 0, 1)) == []
    assert db.session.scalar(db.select(CardBatch)) is None


def test_cancelling_twice_names_the_status_in_words(shop, sandbox, client, csrf):
    """The refusal said "diese ist cancelled" (the stored code): it names the status as the
    list shows it."""
    order = _place(shop, "GOLD", local(2026, 12, 2, 10))
    for expected in (200, 409):
        response = client.post(f"/card-orders/{order.id}/cancel", headers=HX,
                               data={"csrf_token": csrf()})
        assert response.status_code == expected
    body = response.get_data(as_text=True)
    assert "ihr Status ist „Storniert“" in body and "ist cancelled" not in body


# --- the key and "Informationen anfordern" ---------------------------------------------------

def test_the_key_never_shows(shop, client, auth, caplog, sandbox, work):
    auth.login(shop.admin)
    _place(shop, "GOLD", local(2026, 12, 2, 10))
    batching.collect(now=local(2026, 12, 7, 0, 1))
    work()
    for url in (f"/interfaces/{shop.cards.id}", f"/customers/{shop.customer.id}/cards",
                f"/processes/{shop.process.id}", "/changelog/"):
        assert KEY not in client.get(url).get_data(as_text=True), url
    assert KEY not in caplog.text
    assert all(KEY not in str(entry.changes) for entry in db.session.scalars(
        db.select(ChangeLogEntry)))


def test_request_information_sends_the_chain_s_details_and_shows_when(shop, client, csrf,
                                                                      auth, sandbox, work):
    shop.admin.email = "anna@example.org"
    db.session.commit()
    auth.login(shop.admin)
    response = client.post(f"/interfaces/{shop.cards.id}/actions/request_info", headers=HX,
                           data={"csrf_token": csrf()})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert work()
    (sent,) = requests.get(f"{sandbox}/_sandbox/cards", timeout=5).json()["requests"]
    assert sent["body"]["contact"] == {"name": "Anna Admin", "email": "anna@example.org"}
    assert [b["name"] for b in sent["body"]["branches"]] == ["Stuttgart", "Ulm"]
    editor = client.get(f"/interfaces/{shop.cards.id}").get_data(as_text=True)
    assert "Angefordert am" in editor and sent["request_id"] in editor


# --- one card per form (a double click, a resent post) ----------------------------------------

def test_the_same_form_posted_twice_orders_one_card_and_says_so(shop, client, csrf):
    token = new_submission_token()
    first = _order(client, csrf, shop, "GOLD", submission=token)
    assert first.status_code == 200
    assert "schon gesendet" not in first.get_data(as_text=True)
    again = _order(client, csrf, shop, "GOLD", submission=token)
    (order,) = db.session.scalars(db.select(CardOrder))
    body = again.get_data(as_text=True)
    assert again.status_code == 200
    assert f"Dieses Formular wurde schon gesendet: Karte {order.number}" in body
    # The panel shows a fresh form: its token is a new one.
    assert token not in body and 'name="submission"' in body
    assert _order(client, csrf, shop, "GOLD").status_code == 200  # another form: another card
    assert db.session.scalar(db.select(db.func.count(CardOrder.id))) == 2


def test_a_card_order_without_its_token_is_refused(shop, client, csrf):
    response = client.post(f"/processes/{shop.process.id}/card-order", headers=HX, data={
        "csrf_token": csrf(), "template": "GOLD", "valid_until": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Das Formular ist beschädigt" in body
    assert db.session.scalar(db.select(CardOrder)) is None
    # The form shown again carries a token that works.
    token = re.search(r'name="submission" type="hidden" value="([^"]+)"', body).group(1)
    assert _order(client, csrf, shop, "GOLD", submission=token).status_code == 200


def test_two_concurrent_posts_of_one_form_order_one_card(app, shop, client, csrf):
    token, results = new_submission_token(), []
    url, data = f"/processes/{shop.process.id}/card-order", {
        "csrf_token": csrf(), "template": "GOLD", "valid_until": "", "submission": token}
    post = threading.Thread(target=lambda: results.append(
        client.post(url, headers=HX, data=data)))
    with app.app_context():  # another request's transaction, not committed yet
        staff, branch = db.session.get(User, shop.staff.id), db.session.get(Branch, shop.st.id)
        _, first = submissions.once(token, CardOrder, lambda: services.place(
            staff, "GOLD", None, branch, customer=db.session.get(Customer, shop.customer.id)))
        assert first
        post.start()
        post.join(1)
        assert post.is_alive()  # it waits for the token's row
        db.session.commit()
    post.join(15)
    (response,) = results
    assert response.status_code == 200
    assert "Dieses Formular wurde schon gesendet" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(CardOrder.id))) == 1
