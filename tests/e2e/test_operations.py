"""Verwaltung → Betrieb in Chromium at 1366×768 (German UI): a real `flask worker` listed
alive, an order the sandbox refused shown in Fehlgeschlagen with its reason and sent again
with Erneut senden (htmx, the row replaced in place), and the orders chart with its table."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, ear_mould_raw, fresh, make_config, order_one, wait_for
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.ordering.models import CREATED, ERROR, Order

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_operations_view_reads_well_at_laptop_width(page, live_server, world, make_service,
                                                    sandbox, worker, log_in):
    """The admin opens Verwaltung → Betrieb: the worker lives, the refused order is in
    Fehlgeschlagen with the lab's answer and a link; Erneut senden replaces the row."""
    world.admin.set_password(PASSWORD)
    make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve", password="falsch"),
        name="Dreve ST", branch_id=world.st.id)
    order = order_one(world, world.dreve)
    for days_ago, company in ((0, world.dreve), (1, world.dreve), (1, world.egger),
                              (4, world.hoerluchs), (9, world.egger), (15, world.dreve)):
        db.session.add(Order(branch_id=world.st.id, supplier_id=company.id,
                             company_id=company.id, interface_key="x", service_name="x",
                             status=CREATED, number=f"B-E2E-{days_ago}-{company.id}",
                             updated_by="t", created_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()
    wait_for(lambda: fresh(Order, order.id).status == ERROR, timeout=30,
             what="the refused order to be Fehler")

    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    navigation.locator("summary").click()
    navigation.get_by_role("link", name="Betrieb").click()
    expect(page.get_by_role("heading", name="Betrieb", level=1)).to_be_visible()
    expect(navigation.locator("summary")).to_have_attribute("aria-current", "true")

    workers = page.get_by_role("table", name="Worker")
    expect(workers.get_by_text("lebt")).to_have_count(1)
    expect(page.get_by_role("table", name="Warteschlangen")).to_contain_text("default")

    failed = page.locator("#group-failed")
    row = failed.locator("tr", has_text=order.number)
    expect(row).to_contain_text("HTTP 401")
    expect(row.get_by_role("link", name=f"Bestellung {order.number}")).to_have_attribute(
        "href", f"/orders/{order.id}")
    chart = page.get_by_role("img", name="Bestellungen der letzten 30 Tage")
    expect(chart).to_be_visible()
    page.screenshot(path="/tmp/ops.png", full_page=True)
    # Nothing sideways on a laptop: wide tables scroll inside their own area.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]

    row.get_by_role("button", name="Erneut senden").click()
    replaced = page.locator(f"#outbound-{fresh(Order, order.id).outbound.id}")
    expect(replaced.get_by_role("status")).to_have_text("Erneut gesendet.")
    expect(replaced.get_by_role("button", name="Erneut senden")).to_have_count(0)
    page.get_by_text("Dasselbe als Tabelle").click()
    expect(page.get_by_role("table", name="Bestellungen je Tag und Labor")).to_be_visible()
    page.screenshot(path="/tmp/ops-after.png", full_page=True)
