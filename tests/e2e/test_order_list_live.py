"""The order list's live statuses in Chromium (issue 17, item 9): four orders being sent poll
through one request for the whole list, and each turns Bestellt with the lab's number while
the page stays open, sent by a real RQ worker process through the partner sandbox."""
import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ear_mould_raw, make_config, new_process
from tests.translated import de
from webapp.extensions import db
from webapp.ordering import services

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_sent_orders_turn_bestellt_in_the_list_through_one_poll(request, page, live_server,
                                                                world, make_service, sandbox,
                                                                log_in):
    """Before any worker runs, the list shows four orders 'wird gesendet' and one polling
    element, none per row; once a worker sends them, every row says Bestellt with its DRV-
    number without a reload, only the list's poll asked, and polling has stopped."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve,
                                                   base_url=f"{sandbox}/dreve"),
                 name="Dreve Stuttgart", branch_id=world.st.id)
    world.staff.set_password(PASSWORD)
    for _ in range(2):
        process = new_process(world.customer, world.template, world.st)
        db.session.commit()
        services.place_order(world.staff, process, world.dreve.id)
        db.session.commit()  # the request's unit of work: the jobs wait in Redis
    polls = []
    page.on("request", lambda sent: polls.append(sent.url) if "/orders/" in sent.url
            and "/status" in sent.url else None)

    log_in("sam")
    page.goto(f"{live_server.url}/orders/")
    rows = page.locator("#order-list tbody tr")
    expect(rows).to_have_count(4)
    for index in range(4):
        expect(rows.nth(index).get_by_role("status")).to_contain_text(de("being sent"))
    expect(page.locator(".order-status-poll[hx-get]")).to_have_count(1)
    expect(page.locator(".order-status[hx-get]")).to_have_count(0)
    page.evaluate("window.__noReload = true")

    request.getfixturevalue("worker")  # now the orders go out
    for index in range(4):
        status = rows.nth(index).get_by_role("status")
        expect(status.locator(".badge")).to_have_text(de("Ordered"), timeout=30_000)
        expect(status).to_contain_text(re.compile(r"DRV-\d+"))
    expect(page.locator(".order-status-poll[hx-get]")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True
    assert polls and all("/orders/statuses?" in url for url in polls), polls
