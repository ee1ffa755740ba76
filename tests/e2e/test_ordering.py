"""Ordering an ear mould in Chromium (German UI), end to end: staff open the customer's
Otoplastik process, pick the lab at 'Bestellservice', see where the order goes and why, press
Bestellen, and watch the order reach Bestellt with the lab's number — sent by a real RQ worker
process through the partner sandbox over HTTP, shown live without a reload."""
import json
import os
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.factories import LOOPBACK, PASSWORD, ear_mould_raw, make_config
from tests.translated import de
from webapp.devrun import ROOT
from webapp.extensions import db

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def staff(world):
    """Sam, staff of Stuttgart, with a password to log in with."""
    world.staff.set_password(PASSWORD)
    db.session.commit()
    return world.staff


def open_process(page, live_server, world, log_in):
    """Kunden → Erika Muster → Vorgänge → Otoplastik, as a user clicks there."""
    page.set_viewport_size(VIEWPORT)
    log_in("sam")
    page.get_by_role("navigation", name=de("Main navigation")).get_by_role(
        "link", name=de("Customers")).click()
    page.get_by_role("link", name="Muster, Erika").click()
    page.get_by_role("link", name=re.compile(de("Processes"))).click()
    page.get_by_role("link", name="Otoplastik").click()
    expect(page).to_have_url(f"{live_server.url}/processes/{world.process.id}")
    page.evaluate("window.__noReload = true")
    return page.locator("#order-step")


def test_order_reaches_bestellt_live(page, live_server, world, staff, make_service, sandbox,
                                     worker, tmp_path, log_in):
    """Without a company the step says no order is created and why, and Bestellen is refused
    beside the field. With Dreve chosen it shows service, type, branch and supplier with the
    reasons; Bestellen makes one order per position, and each turns Bestellt with the lab's
    DRV- number while the page stays open. The order list and the order page show it too."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve,
                                                   base_url=f"{sandbox}/dreve"),
                 name="Dreve Stuttgart", branch_id=world.st.id)
    step = open_process(page, live_server, world, log_in)
    no_company = de("No company is chosen, so no order is created. Choose the lab at the step "
                    "'Bestellservice'.")
    expect(step.locator("#order-route")).to_contain_text(no_company)
    step.get_by_role("button", name=de("Place order")).click()
    expect(step.locator("#order-company-error")).to_have_text(no_company)
    expect(step.get_by_label(de("Company (lab)"))).to_have_attribute("aria-invalid", "true")
    expect(step.get_by_label(de("Company (lab)"))).to_be_focused()
    step.screenshot(path=str(tmp_path / "order-step-refused.png"))

    step.get_by_label(de("Company (lab)")).select_option(label="Dreve")
    route = step.locator("#order-route")
    expect(route).to_contain_text("Dreve Stuttgart")
    expect(route).to_contain_text("(Dreve SmartOrder)")
    expect(route).to_contain_text(de("Branch %(branch)s", branch="Stuttgart"))
    expect(route).to_contain_text(de("The service names the supplier %(supplier)s: the order "
                                     "is for it.", supplier="Dreve"))
    expect(step.locator("#order-company-error")).to_have_count(0)
    step.get_by_label(de("Note for the lab")).fill("Bitte bis Freitag")
    step.screenshot(path=str(tmp_path / "order-step.png"))
    page.screenshot(path=str(tmp_path / "process.png"))

    step.get_by_role("button", name=de("Place order")).click()
    expect(step.locator(".notice")).to_contain_text(re.compile(r"B-\d{4}-\d{6}, B-\d{4}-\d{6}"))
    rows = page.locator("#process-orders tbody tr")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator(".badge")).to_have_text(de("Ordered"), timeout=30_000)
        expect(row.get_by_role("status")).to_contain_text(re.compile(r"DRV-\d+"))
    expect(page.locator("#process-orders")).to_contain_text(re.compile(r"DRV-\d+.*DRV-\d+", re.S))
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "process-ordered.png"), full_page=True)

    page.get_by_role("link", name=de("Orders"), exact=True).first.click()
    expect(page.locator("#order-list tbody tr")).to_have_count(2)
    expect(page.locator("#order-list")).to_contain_text("Muster, Erika")
    page.screenshot(path=str(tmp_path / "orders.png"))
    page.locator("#order-list tbody tr").first.get_by_role("link").first.click()
    detail = page.locator("#order-detail")
    expect(detail).to_contain_text("Bitte bis Freitag")
    expect(detail.locator("table.attempts tbody tr")).to_have_count(1)
    expect(detail.locator("table.attempts")).to_contain_text("201")
    expect(detail).not_to_contain_text("sandbox-key")
    page.screenshot(path=str(tmp_path / "order.png"), full_page=True)


def test_a_service_without_supplier_asks_for_one(page, live_server, world, staff, make_service,
                                                 sandbox, tmp_path, log_in):
    """The chain's Hörluchs service names no supplier: choosing Hörluchs brings up the
    supplier select; Bestellen without one is refused beside it; with one the orders are
    made for that supplier."""
    make_service("hoerluchs_partner_order", ear_mould_raw(world.hoerluchs,
                                                          base_url=f"{sandbox}/hoerluchs"),
                 name="Hörluchs Kette")
    step = open_process(page, live_server, world, log_in)
    expect(step.get_by_label(de("Supplier"))).to_have_count(0)
    step.get_by_label(de("Company (lab)")).select_option(label="Hörluchs")
    supplier = step.get_by_label(de("Supplier"))
    expect(supplier).to_be_visible()
    expect(step.locator("#order-route")).to_contain_text(
        de("The service names no supplier: choose one before ordering."))
    step.get_by_role("button", name=de("Place order")).click()
    expect(step.locator("#order-supplier-error")).to_have_text(
        de("Choose the supplier this order is for."))
    expect(step.get_by_label(de("Supplier"))).to_be_focused()
    step.get_by_label(de("Supplier")).select_option(label="Hörgeräte Nord")
    expect(step.locator("#order-route")).to_contain_text(
        de("Chosen supplier: %(supplier)s.", supplier="Hörgeräte Nord"))
    step.screenshot(path=str(tmp_path / "order-step-supplier.png"))
    step.get_by_role("button", name=de("Place order")).click()
    rows = page.locator("#process-orders tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Hörgeräte Nord")
    expect(rows.first.get_by_role("status")).to_contain_text(de("being sent"))
    assert page.evaluate("window.__noReload") is True
