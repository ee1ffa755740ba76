"""The live statuses of order lists (issue 17, item 9): the order list and a process's orders
poll once for the whole list, not once per row; the poll answers with the cells that changed
(out of band) and stops once no order is being sent; its queries do not grow with the orders."""
import re

import pytest

from tests.factories import HX, ear_mould_raw, new_process
from webapp.extensions import db
from webapp.ordering import services
from webapp.ordering.models import DONE, ERROR, FAILED, IN_FLIGHT, ORDERED

POLL = re.compile(r'<div class="order-status-poll" hx-get="([^"]+)" hx-trigger="every 1s"')


@pytest.fixture
def dreve(world, make_service):
    """Dreve SmartOrder of branch Stuttgart, naming Dreve as supplier."""
    return make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                        name="Dreve ST", branch_id=world.st.id)


def place(world, count):
    """`count` processes of Erika's in Stuttgart, each ordered (two orders each, being sent)."""
    orders = []
    for _ in range(count):
        process = new_process(world.customer, world.template, world.st)
        db.session.commit()
        orders += services.place_order(world.staff, process, world.dreve.id)
        db.session.commit()  # the request's unit of work
    return orders


def fragment(client, url):
    return client.get(url, headers=HX).get_data(as_text=True)


def poll_url(body):
    """The one poll of a list (None when nothing polls), as htmx would request it."""
    found = POLL.findall(body)
    assert len(found) <= 1, "more than one poll"
    return found[0].replace("&amp;", "&") if found else None


def swapped(body):
    """{order id: cell text} of the cells a poll's answer swaps in out of band."""
    cells = re.findall(r'<span id="order-status-(\d+)" class="order-status"[^>]*'
                       r'hx-swap-oob="innerHTML"[^>]*>(.*?)</span>\n', body, re.S)
    return {int(order_id): " ".join(re.sub(r"<[^>]+>", " ", text).split())
            for order_id, text in cells}


def test_the_order_list_has_one_poll_for_every_order_being_sent(client, auth, world, dreve):
    """Six orders being sent: their cells say so and none polls itself; one element polls,
    naming each of them, and the poll answers with all of their statuses when the page's are
    out of date."""
    orders = place(world, 3)
    auth.login(world.staff)
    body = client.get("/orders/").get_data(as_text=True)
    assert body.count(">being sent<") == 6
    assert body.count('hx-trigger="every 1s"') == 1 and '/status"' not in body
    url = poll_url(body)
    assert sorted(int(o) for o in re.findall(r"o=(\d+)\.[0-9a-f]{8}", url)) == sorted(
        order.id for order in orders)
    assert poll_url(fragment(client, "/orders/?q=muster")) is not None  # the list's fragment too

    stale = "/orders/statuses?" + "&".join(f"o={order.id}" for order in orders)
    answer = fragment(client, stale)
    assert swapped(answer) == {order.id: "Created being sent" for order in orders}
    assert poll_url(answer) == url


def test_the_poll_swaps_only_what_changed_and_stops_when_all_rest(client, auth, world, dreve):
    """Nothing changed: no cell, the same poll. One order sent, one failed, one in flight:
    exactly those cells; the poll goes on for the orders still being sent and ends (no
    trigger) once none is."""
    first, second, third, fourth = place(world, 2)
    auth.login(world.staff)
    url = poll_url(client.get("/orders/").get_data(as_text=True))
    answer = fragment(client, url)
    assert swapped(answer) == {} and poll_url(answer) == url

    first.outbound.state, first.status, first.external_number = DONE, ORDERED, "DRV-000042"
    second.outbound.state, second.status, second.error_message = FAILED, ERROR, "422: side?"
    third.outbound.state, third.outbound.attempts = IN_FLIGHT, 1
    db.session.commit()
    answer = fragment(client, url)
    assert swapped(answer) == {first.id: "Ordered DRV-000042", second.id: "Error 422: side?",
                               third.id: "Created being sent, attempt 1"}
    url = poll_url(answer)
    assert sorted(int(o) for o in re.findall(r"o=(\d+)\.", url)) == sorted([third.id, fourth.id])
    assert swapped(fragment(client, url)) == {}

    for order in (third, fourth):
        order.outbound.state, order.status = DONE, ORDERED
    db.session.commit()
    answer = fragment(client, url)
    assert set(swapped(answer)) == {third.id, fourth.id}
    assert poll_url(answer) is None and "hx-get" not in answer.split("<span")[0]
    listing = client.get("/orders/").get_data(as_text=True)
    assert poll_url(listing) is None and "every 1s" not in listing


def test_a_process_polls_once_for_its_orders(client, auth, world, dreve):
    """The process's orders section: one poll for its two orders being sent, none per row."""
    first, second = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()
    auth.login(world.staff)
    listing = fragment(client, f"/processes/{world.process.id}/orders")
    assert listing.count('hx-trigger="every 1s"') == 1 and '/status"' not in listing
    url = poll_url(listing)
    assert f"o={first.id}." in url and f"o={second.id}." in url


def test_the_poll_leaves_out_orders_not_read_and_bad_input(client, auth, world, dreve,
                                                          make_service):
    """Ids of another branch's orders, unknown ids and malformed values are left out (no
    cell, no poll), never a 500; without htmx the poll's URL leads to the order list."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 name="Dreve UL", branch_id=world.ul.id)
    ulm = new_process(world.customer, world.template, world.ul)
    db.session.commit()
    foreign = services.place_order(world.ul_staff, ulm, world.dreve.id)
    db.session.commit()
    auth.login(world.staff)
    for query in (f"o={foreign[0].id}", "o=999999", "o=x.y", "o=99999999999.1", "o=", ""):
        response = client.get(f"/orders/statuses?{query}", headers=HX)
        assert response.status_code == 200, query
        assert swapped(response.get_data(as_text=True)) == {}, query
        assert poll_url(response.get_data(as_text=True)) is None, query
    assert client.get("/orders/statuses?o=1").headers["Location"].endswith("/orders/")


def test_the_poll_queries_do_not_grow_with_the_orders(client, auth, world, dreve,
                                                      count_queries):
    """The poll for two orders and for fourteen, every cell changed: the same queries."""
    ids = [order.id for order in place(world, 1)]
    auth.login(world.staff)
    fragment(client, "/orders/")
    db.session.expire_all()  # the requests share the test's session: start from the same state
    with count_queries() as few:
        answer = fragment(client, "/orders/statuses?" + "&".join(f"o={i}" for i in ids))
    assert len(swapped(answer)) == 2
    ids += [order.id for order in place(world, 6)]
    db.session.expire_all()
    with count_queries() as many:
        answer = fragment(client, "/orders/statuses?" + "&".join(f"o={i}" for i in ids))
    assert len(swapped(answer)) == 14
    assert many.count == few.count
