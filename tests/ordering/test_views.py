"""The ordering screens: the 'Bestellservice' step (preview, refusals beside their field,
403 for other branches), the process's orders, the live status, the order list and the order
page with its actions."""
import re

import pytest

from tests.factories import HX, ear_mould_raw, new_process
from tests.translated import de, de_html
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.ordering import routing, services
from webapp.ordering.models import (
    CANCELLED, CONFIRMED, CREATED, DONE, ERROR, FAILED, IN_FLIGHT, ORDERED, Order,
    OutboundAttempt,
)

ORDER_LINK = re.compile(r'href="/orders/\d+"')


@pytest.fixture(autouse=True)
def english(world):
    """English messages, as the rest of the ordering tests read them; one test switches a
    user back to German (the default) to see what German users see."""
    for user in (world.admin, world.manager, world.staff, world.ul_staff):
        user.preferred_language = "en"
    db.session.commit()


@pytest.fixture
def dreve(world, make_service):
    """Dreve SmartOrder of branch Stuttgart, naming Dreve as supplier."""
    return make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                        name="Dreve ST", branch_id=world.st.id)


@pytest.fixture
def hoerluchs(world, make_service):
    """Hörluchs' partner system of the chain, naming no supplier."""
    return make_service("hoerluchs_partner_order", ear_mould_raw(world.hoerluchs),
                        name="Hörluchs Kette")


def step_url(world, **args):
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"/processes/{world.process.id}/order-step" + (f"?{query}" if query else "")


def order(client, world, token, **data):
    """'Bestellen' as htmx posts it."""
    form = {"company_id": "", "supplier_id": "", "note": "", **data}
    return client.post(f"/processes/{world.process.id}/order", data=form,
                       headers={**HX, "X-CSRFToken": token})


def field_error(body, field):
    """The message beside a field of the step panel (None when there is none)."""
    found = re.search(rf'<p class="error" id="order-{field}-error">([^<]*)</p>', body)
    return found[1] if found else None


def fragment(client, url):
    """What htmx gets for a GET of `url`."""
    return client.get(url, headers=HX).get_data(as_text=True)


def orders_in_db():
    return db.session.scalars(db.select(Order).order_by(Order.id)).all()


# --- the 'Bestellservice' step -----------------------------------------------------------

def test_process_page_shows_the_step_with_the_branch_lab_and_its_route(client, auth, world,
                                                                       dreve):
    """The process page includes the step panel: the branch's predefined lab is preselected
    and the route says which service (with type and branch) and supplier, and why."""
    world.st.ear_mould_lab_id = world.dreve.id
    db.session.commit()
    auth.login(world.staff)
    body = client.get(f"/processes/{world.process.id}").get_data(as_text=True)
    assert 'id="order-step"' in body and 'id="process-orders"' in body
    assert f'<option selected value="{world.dreve.id}">Dreve</option>' in body
    assert "Dreve ST" in body and "(Dreve SmartOrder)" in body and "Branch Stuttgart" in body
    assert "Dreve is in the company assignment of the service “Dreve ST”" in body
    assert "The service names the supplier Dreve: the order is for it." in body
    assert body.count('<li>Left: Vollschale') == 1 and "One order per position." in body
    assert '<button type="submit" class="primary">Place order</button>' in body


def test_preview_is_a_fragment_for_htmx_and_the_page_otherwise(client, auth, world, dreve,
                                                                hoerluchs):
    """Changing the company asks for the panel alone (nothing saved); a browser without htmx
    is sent to the process page. A company of a chain service without supplier shows the
    supplier select."""
    auth.login(world.staff)
    preview = client.get(step_url(world, company_id=world.hoerluchs.id), headers=HX)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<html" not in body
    assert '<div id="order-step"' in body
    assert "Hörluchs Kette" in body and "of the chain" in body
    assert '<span class="badge scope-chain">Chain</span>' in body
    assert 'id="order-supplier"' in body and "The service names no supplier" in body
    assert world.process.order_step.company_id is None  # a preview saves nothing
    plain = client.get(step_url(world, company_id=world.dreve.id))
    assert plain.status_code == 302
    assert plain.location.endswith(f"/processes/{world.process.id}#order-step")
    assert "Vary" in preview.headers and "HX-Request" in preview.headers["Vary"]


def test_no_company_means_no_order_and_the_step_says_why(client, auth, csrf, world, dreve):
    """Rule 1: without a company the preview says no order is created; "Bestellen" is refused
    with 422 and the reason beside the company field."""
    auth.login(world.staff)
    preview = fragment(client, step_url(world, company_id=""))
    assert "No company is chosen, so no order is created." in preview
    refused = order(client, world, csrf())
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert field_error(body, "company").startswith("No company is chosen, so no order is created.")
    assert 'aria-invalid="true"' in body and 'class="problem"' not in body  # said once, at the field
    assert orders_in_db() == []


def test_a_company_no_service_covers_is_refused_beside_the_field(client, auth, csrf, world,
                                                                 dreve):
    """A lab without an ordering service: 422, and the message says where to set one up."""
    auth.login(world.staff)
    body = order(client, world, csrf(), company_id=world.egger.id).get_data(as_text=True)
    assert "No active ear-mould ordering service of branch Stuttgart or of the chain has Egger" \
        in field_error(body, "company")
    assert orders_in_db() == []


def test_a_service_without_supplier_asks_for_one_then_orders(client, auth, csrf, world,
                                                             hoerluchs):
    """Rule 4: no supplier chosen → 422 beside the supplier field; a company that is no
    supplier → 422 naming it; with a supplier the orders are made for it, the panel says so,
    and the page is told to reload the process's orders."""
    auth.login(world.staff)
    token = csrf()
    missing = order(client, world, token, company_id=world.hoerluchs.id)
    assert missing.status_code == 422
    assert field_error(missing.get_data(as_text=True), "supplier") == \
        "Choose the supplier this order is for."
    wrong = order(client, world, token, company_id=world.hoerluchs.id, supplier_id=world.hoerluchs.id)
    assert wrong.status_code == 422
    assert field_error(wrong.get_data(as_text=True), "supplier") == "Hörluchs is not a supplier."
    assert orders_in_db() == []

    done = order(client, world, token, company_id=world.hoerluchs.id,
                 supplier_id=world.wholesaler.id, note="Bitte eilig")
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "orders-changed" in done.headers["HX-Trigger"]
    made = orders_in_db()
    assert [o.supplier_id for o in made] == [world.wholesaler.id] * 2
    assert made[0].note == "Bitte eilig"
    assert f"Ordered: {made[0].number}, {made[1].number}." in body
    assert "No ear-mould position is left to order." in body and "Place order" not in body


def test_positions_reload_after_bestellen_and_show_ordered(client, auth, csrf, world, dreve):
    """The page's positions reload on the event "Bestellen" answers with (orders-changed),
    from their own fragment: then every position says "ordered" and has no Edit or Delete."""
    auth.login(world.staff)
    page = client.get(f"/processes/{world.process.id}").get_data(as_text=True)
    rows = re.search(r'<div id="position-rows" ([^>]*)>', page)[1]
    url = re.search(r'hx-get="([^"]+)"', rows)[1]
    assert url == f"/processes/{world.process.id}/positions"
    assert 'hx-trigger="orders-changed from:body"' in rows and 'hx-select="#position-rows"' in rows
    before = fragment(client, url)
    assert '<div id="position-rows"' in before and ">ordered<" not in before
    assert before.count(">Delete</a>") == len(world.process.positions) == 2

    done = order(client, world, csrf(), company_id=world.dreve.id)
    assert "orders-changed" in done.headers["HX-Trigger"]
    after = fragment(client, url)
    assert after.count(">ordered</span>") == 2 and ">Delete</a>" not in after


def test_staff_of_another_branch_get_403_and_no_button(client, auth, csrf, world, dreve):
    """Ordering is for the process's branch: no button for staff of Ulm, and the server
    refuses their post with 403 (into the message area)."""
    auth.login(world.ul_staff)
    panel = fragment(client, step_url(world, company_id=world.dreve.id))
    assert "Dreve ST" in panel and "Place order" not in panel
    refused = order(client, world, csrf(), company_id=world.dreve.id)
    assert refused.status_code == 403 and refused.headers["HX-Retarget"] == "#messages"
    assert "You may only order for your own branches." in refused.get_data(as_text=True)
    assert orders_in_db() == []


def test_posts_need_a_login_and_the_csrf_token(client, auth, world, dreve):
    """Without a login "Bestellen" goes to the login page; without the token it is refused."""
    url = f"/processes/{world.process.id}/order"
    anonymous = client.post(url, data={"company_id": world.dreve.id, "csrf_token": auth.csrf_token()})
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    auth.login(world.staff)
    refused = client.post(url, data={"company_id": world.dreve.id}, headers=HX)
    assert refused.status_code == 403 and refused.headers["HX-Refresh"] == "true"
    assert orders_in_db() == []


def test_plain_browser_order_redirects_and_refusal_renders_the_page(client, auth, csrf, world,
                                                                    dreve):
    """Without htmx: a refusal is the whole process page with 422, success a redirect to the
    process's orders."""
    auth.login(world.staff)
    token = csrf()
    url = f"/processes/{world.process.id}/order"
    refused = client.post(url, data={"csrf_token": token, "company_id": ""})
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert field_error(refused.get_data(as_text=True), "company") is not None
    done = client.post(url, data={"csrf_token": token, "company_id": world.dreve.id})
    assert done.status_code == 303 and done.location.endswith(f"/processes/{world.process.id}#orders")
    assert len(orders_in_db()) == 2


@pytest.fixture
def routings(monkeypatch):
    """Counts the calls of the routing rules (each call still runs the real rules)."""
    calls = []
    real = routing.route

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(routing, "route", counted)
    return calls


def test_routing_runs_once_per_request(client, auth, csrf, world, dreve, hoerluchs, routings):
    """"Bestellen" routes once, and the panel it answers with shows that same route: on
    success, on a refusal beside the field, and for a browser without htmx. The page and the
    preview route once too."""
    auth.login(world.staff)
    token = csrf()
    assert order(client, world, token, company_id=world.hoerluchs.id).status_code == 422
    assert len(routings) == 1
    routings.clear()
    refused = client.post(f"/processes/{world.process.id}/order",
                          data={"csrf_token": token, "company_id": world.hoerluchs.id})
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert len(routings) == 1
    routings.clear()
    done = order(client, world, token, company_id=world.dreve.id)
    assert done.status_code == 200 and len(orders_in_db()) == 2
    assert len(routings) == 1
    for url in (f"/processes/{world.process.id}", step_url(world, company_id=world.dreve.id)):
        routings.clear()
        assert client.get(url, headers=HX if "order-step" in url else {}).status_code == 200
        assert len(routings) == 1, url


# --- the process's orders and the live status --------------------------------------------

def test_process_orders_and_a_status_that_polls_only_while_sending(client, auth, world, dreve):
    """The process's orders show number, side, supplier, service and their statuses, which
    one poll for the list keeps up to date (test_status_poll.py); an order page's status asks
    for itself every second while being sent; at rest it stops, shows the external number
    and tells the page (order-finished)."""
    first, second = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    auth.login(world.staff)
    listing = fragment(client, f"/processes/{world.process.id}/orders")
    assert first.number in listing and second.number in listing and "Dreve ST" in listing
    assert listing.count('hx-trigger="every 1s"') == 1 and "being sent" in listing
    assert client.get(f"/processes/{world.process.id}/orders").status_code == 302

    sending = client.get(f"/orders/{first.id}/status", headers=HX)
    assert 'hx-trigger="every 1s"' in sending.get_data(as_text=True)
    assert "HX-Trigger" not in sending.headers

    first.outbound.state, first.outbound.attempts = IN_FLIGHT, 1
    db.session.commit()
    assert "being sent, attempt 1" in fragment(client, f"/orders/{first.id}/status")

    first.outbound.state, first.status, first.external_number = DONE, ORDERED, "DRV-000042"
    db.session.commit()
    done = client.get(f"/orders/{first.id}/status", headers=HX)
    body = done.get_data(as_text=True)
    assert "every 1s" not in body and "hx-get" not in body
    assert "Ordered" in body and "DRV-000042" in body and 'role="status"' in body
    assert "order-finished" in done.headers["HX-Trigger"]


def test_status_words_for_retry_error_and_cancel(client, auth, world, dreve):
    """A failed attempt waiting for its retry says when the next one comes and why; Fehler
    shows the partner's message; Storniert is said as such."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    auth.login(world.staff)
    order.outbound.attempts, order.outbound.last_error = 2, "HTTP 503: busy"
    db.session.commit()
    body = fragment(client, f"/orders/{order.id}/status")
    assert re.search(r"next attempt at \d{1,2}:\d\d:\d\d\s[AP]M "
                     r"\(attempt 2 failed: HTTP 503: busy\)", body)
    order.outbound.state, order.status, order.error_message = FAILED, ERROR, "422: side missing"
    db.session.commit()
    body = fragment(client, f"/orders/{order.id}/status")
    assert "Error" in body and "422: side missing" in body and "every 1s" not in body
    order.status = CANCELLED
    db.session.commit()
    assert "Cancelled" in fragment(client, f"/orders/{order.id}/status")


def test_screens_speak_german(client, auth, csrf, world, dreve):
    """German users see the manual's words: the refusal, the route, Bestellen, Erstellt and
    'wird gesendet', Bestellungen in the navigation."""
    world.staff.preferred_language = "de"
    db.session.commit()
    auth.login(world.staff)
    refused = order(client, world, csrf())
    assert field_error(refused.get_data(as_text=True), "company") == de(
        "No company is chosen, so no order is created. Choose the lab at the step "
        "'Bestellservice'.").replace("'", "&#39;")
    preview = client.get(step_url(world, company_id=world.dreve.id), headers=HX).data
    assert de_html("The service names the supplier %(supplier)s: the order is for it.",
                   supplier="Dreve") in preview
    assert de_html("Place order") in preview and "Bestellen".encode() in preview
    order(client, world, csrf(), company_id=world.dreve.id)
    listing = client.get("/orders/").get_data(as_text=True)
    assert ">Bestellungen</a>" in listing and "Erstellt" in listing and "wird gesendet" in listing
    assert de("Order no.") in listing and de("Supplier") in listing


# --- stock management: the order list ----------------------------------------------------

def test_order_list_searches_and_filters(client, auth, world, dreve, hoerluchs):
    """The list finds by order number, customer and supplier, filters by status and branch,
    and answers htmx with the list alone."""
    first, second = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    second.status, second.external_number = ORDERED, "DRV-777"
    db.session.commit()
    auth.login(world.manager)
    page = client.get("/orders/")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    assert first.number.encode() in page.data and b'aria-current="page">Orders</a>' in page.data
    found = fragment(client, f"/orders/?q={first.number}")
    assert "<html" not in found and first.number in found and second.number not in found
    for q, numbers in (("muster", 2), ("DRV-777", 1), ("dreve", 2), ("nord", 0)):
        body = fragment(client, f"/orders/?q={q}")
        assert len(ORDER_LINK.findall(body)) == numbers, q
    ordered = fragment(client, f"/orders/?status={ORDERED}")
    assert second.number in ordered and first.number not in ordered
    assert "No orders found." in fragment(client, f"/orders/?branch={world.ul.id}")
    filtered = client.get(f"/orders/?status={CONFIRMED}&branch={world.st.id}").get_data(as_text=True)
    assert f'<option value="{CONFIRMED}" selected>' in filtered
    assert f'<option value="{world.st.id}" selected>' in filtered


def test_order_list_queries_do_not_grow_with_orders(client, auth, world, dreve, count_queries):
    """No query per listed order (customer, supplier, branch, status all loaded together)."""
    services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    auth.login(world.staff)
    client.get("/orders/")
    db.session.expire_all()  # the requests share the test's session: start from the same state
    with count_queries() as few:
        client.get("/orders/")
    for n in range(6):
        process = new_process(world.customer, world.template, world.st)
        db.session.commit()
        services.place_order(world.staff, process, world.dreve.id)
        db.session.commit()  # the request's unit of work
    db.session.expire_all()
    with count_queries() as many:
        body = client.get("/orders/").get_data(as_text=True)
    assert len(ORDER_LINK.findall(body)) == 14
    assert many.count == few.count


# --- the order page ----------------------------------------------------------------------

def test_order_page_shows_everything_and_the_attempts_without_secrets(client, auth, world,
                                                                      dreve):
    """All fields of the order, customer and process links, position data and each attempt
    (time, action, outcome, HTTP status, message); no secret of the service anywhere."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id, note="eilig")
    db.session.commit()  # the request's unit of work
    order.outbound.state, order.status, order.error_message = FAILED, ERROR, "HTTP 422: side"
    db.session.add(OutboundAttempt(outbound_id=order.outbound.id, action="submit",
                                   outcome="permanent", http_status=422, finished_at=utcnow(),
                                   message="side is missing"))
    db.session.commit()
    auth.login(world.staff)
    body = client.get(f"/orders/{order.id}").get_data(as_text=True)
    for text in (order.number, "Ear mould", "Stuttgart", "Dreve ST", "(Dreve SmartOrder)",
                 "Error", "HTTP 422: side", "eilig", "Muster, Erika", "K-000001", "Otoplastik",
                 "Vollschale", "Silikon 40 Shore", "ABD-L-1", "Send", "refused", "422",
                 "side is missing", "Send again", "Cancel order"):
        assert text in body, text
    assert f'href="/processes/{world.process.id}"' in body
    for secret in ("sandbox-key", ">sandbox<", "10001"):
        assert secret not in body
    assert "Mark as ordered" not in body and "Query status" not in body
    assert "Continue in the portal" not in body and "Print order form" not in body


def test_resend_and_cancel_from_the_order_page(client, auth, csrf, world, dreve):
    """'Erneut senden' puts an order in Fehler back to sending; 'Stornieren' cancels an order
    the lab does not have and is refused (409, with the reason) once it has a number."""
    first, second = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    first.outbound.state, first.status = FAILED, ERROR
    second.status, second.external_number, second.outbound.state = ORDERED, "DRV-1", DONE
    db.session.commit()
    auth.login(world.staff)
    token = csrf()
    headers = {**HX, "X-CSRFToken": token}
    resent = client.post(f"/orders/{first.id}/resend", headers=headers)
    body = resent.get_data(as_text=True)
    assert resent.status_code == 200 and "The order is being sent again." in body
    assert 'hx-trigger="every 1s"' in body and db.session.get(Order, first.id).status == CREATED
    cancelled = client.post(f"/orders/{first.id}/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert "The order is cancelled." in cancelled.get_data(as_text=True)
    assert db.session.get(Order, first.id).status == CANCELLED
    refused = client.post(f"/orders/{second.id}/cancel", headers=headers)
    assert refused.status_code == 409
    assert "The lab has this order (external number DRV-1)" in refused.get_data(as_text=True)
    confirm = client.get(f"/orders/{second.id}/cancel").get_data(as_text=True)
    assert "Really cancel the order" in confirm and 'name="csrf_token"' in confirm
    plain = client.post(f"/orders/{second.id}/cancel", data={"csrf_token": token})
    assert plain.status_code == 303 and plain.location.endswith(f"/orders/{second.id}")


def test_order_actions_need_the_branch(client, auth, csrf, world, dreve):
    """Staff of another branch do not read the order (404: it is not theirs to know of,
    docs/permissions.md), nor find it in the list, and get 404 on each action; the
    administrator reads it."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    order.outbound.state, order.status = FAILED, ERROR
    db.session.commit()
    auth.login(world.ul_staff)
    assert client.get(f"/orders/{order.id}").status_code == 404
    listed = client.get("/orders/").get_data(as_text=True)
    assert order.number not in listed and "the orders of your branches" in listed
    # The process itself is chain-wide; its orders section says why it lists none.
    process_page = client.get(f"/processes/{world.process.id}").get_data(as_text=True)
    assert order.number not in process_page
    assert "shown to the people of its branch" in process_page
    headers = {**HX, "X-CSRFToken": csrf()}
    for action in ("resend", "cancel", "mark-ordered", "status-query"):
        assert client.post(f"/orders/{order.id}/{action}", headers=headers).status_code == 404, action
    assert db.session.get(Order, order.id).status == ERROR
    auth.login(world.admin)
    body = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert order.number in body and "Send again" in body


def test_handed_off_order_is_marked_ordered_and_printable(client, auth, csrf, world,
                                                          make_service):
    """A standard-process order for print/fax: 'Als bestellt markieren' and the printable
    order form, built without secrets, on a page of its own."""
    make_service("ear_mould_standard_order", {
        "companies": [str(world.egger.id)], "supplier": str(world.egger.id),
        "delivery": "print_fax", "order_template": "Bestellschein Otoplastik",
        "subject": "Otoplastikbestellung"}, name="Standard ST", branch_id=world.st.id)
    order, _ = services.place_order(world.staff, world.process, world.egger.id, note="eilig")
    db.session.commit()  # the request's unit of work
    order.outbound.state, order.handoff = DONE, "print_fax"
    db.session.commit()
    auth.login(world.staff)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "to print or fax" in page and "Mark as ordered" in page and "Print order form" in page
    document = client.get(f"/orders/{order.id}/document")
    text = document.get_data(as_text=True)
    assert document.status_code == 200 and f"Otoplastikbestellung {order.number}" in text
    assert "Egger" in text and "eilig" in text and "Vollschale" in text
    assert "script-src" not in document.headers["Content-Security-Policy"]
    assert "default-src 'none'" in document.headers["Content-Security-Policy"]
    marked = client.post(f"/orders/{order.id}/mark-ordered", headers={**HX, "X-CSRFToken": csrf()})
    assert marked.status_code == 200
    assert "The order is marked as ordered." in marked.get_data(as_text=True)
    assert db.session.get(Order, order.id).status == ORDERED


def test_partner_orders_have_no_order_form(client, auth, world, dreve):
    """Only the standard process prints an order form."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    auth.login(world.staff)
    assert client.get(f"/orders/{order.id}/document").status_code == 404


def test_portal_link_and_status_query(app, client, auth, csrf, world, dreve, redis_url):
    """An order with a portal link offers "Im Portal fortsetzen"; 'Status abfragen' queues
    one status job for an order the lab has."""
    from rq import Queue

    from webapp.queue import connect

    app.config["REDIS_URL"] = redis_url
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    order.outbound.state, order.status, order.external_number = DONE, ORDERED, "AWP-1"
    order.details = {"portal_url": "https://portal.example.org/cart/AWP-1"}
    db.session.commit()
    auth.login(world.staff)
    body = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'href="https://portal.example.org/cart/AWP-1"' in body and "Continue in the portal" in body
    queried = client.post(f"/orders/{order.id}/status-query", headers={**HX, "X-CSRFToken": csrf()})
    assert queried.status_code == 200
    assert "The lab is being asked for the status." in queried.get_data(as_text=True)
    queue = Queue(app.config["RQ_QUEUES"][0], connection=connect(redis_url))
    jobs = [job for job in queue.jobs if job.func_name == "jobs.orders.refresh_status"]
    assert [job.args for job in jobs] == [(order.id,)]
    queue.connection.close()


def test_a_portal_link_that_is_no_web_address_is_not_shown(client, auth, world, dreve):
    """Only http(s) links from a partner become a link."""
    order, _ = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    order.details = {"portal_url": "javascript:alert(1)"}
    db.session.commit()
    auth.login(world.staff)
    assert "Continue in the portal" not in client.get(f"/orders/{order.id}").get_data(as_text=True)
