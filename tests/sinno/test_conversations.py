"""SiNNO-Chat's list of conversations comes a page at a time, newest first, with the app's
pager (a full page on a plain request, the list alone for htmx), only the conversations of
the customers the reader reads, and a fixed number of statements however many there are."""
import re

from tests.factories import HX
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.org.models import Chain
from webapp.sinno.models import FROM_CUSTOMER, FROM_SHOP, SinnoMessage

from tests.sinno.conftest import APP_RAW


def _conversations(account, branch, first, count):
    """`count` customers of `branch` who wrote in the app, each a message, an answer and one
    more unread message; the numbers of their customer records, oldest conversation first."""
    numbers = []
    for n in range(first, first + count):
        customer = Customer(number=f"K-8{n:05d}", last_name=f"Kunde {n:03d}",
                            first_name="Chat", branch_id=branch.id)
        db.session.add(customer)
        db.session.flush()
        for index, (direction, read) in enumerate(((FROM_CUSTOMER, True), (FROM_SHOP, True),
                                                   (FROM_CUSTOMER, False))):
            db.session.add(SinnoMessage(
                account_id=account.id, customer_id=customer.id, customer_ref=str(customer.id),
                partner_id=f"m{n}-{index}", direction=direction, text=f"Nachricht {n}/{index}",
                read_at=utcnow() if read else None))
            db.session.flush()
        numbers.append(customer.number)
    db.session.commit()
    return numbers


def _listed(page):
    """The customer numbers of the conversations a page lists, in order."""
    return re.findall(r'<span class="meta">(K-8\d{5})</span>', page)


def _get(client, url, count_queries, **kwargs):
    with count_queries() as counter:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True), counter.count


def test_many_conversations_come_a_page_at_a_time(
        app, world, make_service, client, auth, count_queries):
    """Thirty-three conversations: the first page lists the newest page-size (25) with a
    link to the next, the second the eight oldest with one back; htmx paging gets the list
    alone; each page reads as many statements as a list of two."""
    account = make_service("sinno_app", {"server": "https://sinno.example.org/v1", **APP_RAW},
                           name="SiNNO-App")
    auth.login(world.admin)
    few = _conversations(account, world.st, 0, 2)
    client.get("/sinno/chats")  # the first request after the login also touches its session
    small_page, small = _get(client, "/sinno/chats", count_queries)
    assert _listed(small_page) == few[::-1] and 'rel="next"' not in small_page

    everyone = few + _conversations(account, world.st, 2, 31)
    per_page = app.config["PAGE_SIZE"]
    assert per_page == 25
    first, first_count = _get(client, "/sinno/chats", count_queries)
    assert _listed(first) == everyone[::-1][:per_page]
    assert '<nav class="pager" aria-label="Seiten">' in first and "Seite 1 von 2" in first
    assert 'href="/sinno/chats?page=2"' in first and 'rel="next">Weiter</a>' in first
    assert 'rel="prev"' not in first
    assert first.count('<span class="badge status-warning">1</span>') == per_page

    second, second_count = _get(client, "/sinno/chats?page=2", count_queries, headers=HX)
    assert "<html" not in second  # the list alone, for the pager's hx-target
    assert _listed(second) == everyone[::-1][per_page:]
    assert "Seite 2 von 2" in second and 'href="/sinno/chats?page=1"' in second
    assert 'rel="next"' not in second
    full_second, _count = _get(client, "/sinno/chats?page=2", count_queries)
    assert "<html" in full_second and 'id="conversation-list"' in full_second
    assert _listed(full_second) == _listed(second)
    assert first_count == second_count == small


def test_the_pages_hold_only_the_conversations_the_reader_reads(
        world, make_service, client, auth):
    """In a chain that keeps customers to their branches, staff of Ulm page through Ulm's
    customers only: three, one page, no pager; a page past the end lists nothing and says
    so."""
    db.session.get(Chain, 1).customers_by_branch = True
    account = make_service("sinno_app", {"server": "https://sinno.example.org/v1", **APP_RAW},
                           name="SiNNO-App")
    _conversations(account, world.st, 0, 30)
    ulm = _conversations(account, world.ul, 30, 3)
    auth.login(world.ul_staff)
    page = client.get("/sinno/chats").get_data(as_text=True)
    assert _listed(page) == ulm[::-1] and 'class="pager"' not in page
    beyond = client.get("/sinno/chats?page=7").get_data(as_text=True)
    assert _listed(beyond) == [] and "Noch keine Unterhaltungen." in beyond
