"""Audoora's registration in Chromium (German UI), end to end: an administrator opens the
chain's Audoora service, clicks "Jetzt registrieren", sees what will be sent with counts,
sends it, and sees the branches the sandbox portal listed back; a user added afterwards makes
the editor ask for a refresh and name the user, and the refresh sends it — run by a real
`flask worker` against the sandbox over HTTP, shown live without a reload; the partner list
fetched after the registration appears beside its own action.

And ordering through it, as stock management's staff do: "Neue Bestellung" for a partner
company, "Bestellen", the cart with what the portal could not place (an unknown article, a
missing customer number), "Entfernen", "Bestellen" in the cart, and the order turning
"Bestellt" with the portal's number while the page stays open."""
import re

import pytest
import requests
from playwright.sync_api import expect

from tests.factories import PASSWORD, fresh, make_config, received, wait_for
from tests.translated import de
from webapp.audoora import registration
from webapp.audoora.partners import partner_list_of
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db
from webapp.ordering import services as ordering
from webapp.ordering.models import Order
from webapp.users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_an_admin_registers_the_chain_and_refreshes_after_a_new_user(
        page, live_server, world, make_service, sandbox, worker, log_in, tmp_path):
    world.admin.set_password(PASSWORD)
    make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    db.session.commit()
    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    page.goto(f"{live_server.url}/interfaces/")
    page.get_by_role("link", name="Audoora").first.click()
    editor = page.locator("#service-form")
    expect(editor.get_by_role("heading", name="Audoora")).to_be_visible()
    page.evaluate("window.__noReload = true")  # gone if anything below reloads the page
    status = page.locator("#action-register-status")
    expect(status).to_contain_text("noch nicht bei Audoora registriert")

    editor.get_by_role("button", name="Jetzt registrieren").click()
    expect(status).to_contain_text("Das wird an Audoora gesendet")
    expect(status).to_contain_text("Filialen (2)")
    expect(status).to_contain_text("Benutzer (4)")
    expect(status).to_contain_text("Kundennummern bei Partnerfirmen (1)")
    page.screenshot(path=str(tmp_path / "audoora-preview.png"), full_page=True)
    assert requests.get(f"{sandbox}/_sandbox/received?partner=audoora",
                        timeout=5).json()["received"] == []

    status.get_by_role("button", name="An Audoora senden").click()
    expect(status).to_contain_text("Registriert: AUDR-000001, 2 Filialen", timeout=30_000)
    expect(status).to_contain_text("Registriert seit")
    expect(status.locator(".audoora-branches li")).to_have_count(2)
    expect(status).to_contain_text("AUDF-0002")
    # The partner list fetched after the registration shows up beside its own action.
    partner_check = page.locator("#action-load_partners-status")
    expect(partner_check).to_contain_text("5 Partnerfirmen abgerufen", timeout=30_000)
    expect(partner_check).to_contain_text("Keine Firma dieses Namens")
    page.screenshot(path=str(tmp_path / "audoora-registered.png"), full_page=True)
    assert page.evaluate("window.__noReload") is True

    db.session.add(User(username="nina", name="Nina Neu", role="staff",
                        email="nina@example.org", branches=[world.st]))
    db.session.commit()
    page.reload()
    refresh = page.locator("#action-refresh_registration-status")
    expect(refresh).to_contain_text("Aktualisierung fällig")
    expect(refresh).to_contain_text("Benutzer Nina Neu: hinzugefügt")
    page.get_by_role("button", name="Registrierung aktualisieren").click()
    expect(refresh).to_contain_text("Benutzer (5)")
    refresh.get_by_role("button", name="An Audoora senden").click()
    expect(refresh).to_contain_text("Registrierung aktualisiert: AUDR-000001", timeout=30_000)
    expect(refresh).to_contain_text("seit der letzten Registrierung hat sich nichts geändert")
    # The registration's own region, which does not poll, was brought up to date as well.
    expect(status).to_contain_text("Stand 2")
    expect(status).not_to_contain_text("Aktualisierung fällig")
    page.screenshot(path=str(tmp_path / "audoora-refreshed.png"), full_page=True)
    sent = [e for e in requests.get(f"{sandbox}/_sandbox/received?partner=audoora",
                                    timeout=5).json()["received"]
            if e["path"].endswith("/registration")]  # not the partner list fetched after
    assert [(e["method"], e["status"]) for e in sent] == [("POST", 201), ("PUT", 200)]
    assert "Nina Neu" in [u["name"] for u in sent[1]["body"]["users"]]


# --- ordering through Audoora ------------------------------------------------------------

API = "/audoora/api/v1"


@pytest.fixture
def portal(world, make_service, sandbox, worker):
    """The chain registered with the sandbox portal by the real worker and its partner list
    fetched; Signia GmbH (order form Schnittstelle, customer number for Stuttgart) and Dreve
    Otoplastik GmbH (order form Schnittstelle, no customer number) as suppliers; Sam of
    Stuttgart with a password."""
    signia = Company(name="Signia GmbH", is_supplier=True, order_form="interface",
                     ordering_active=True)
    dreve = Company(name="Dreve Otoplastik GmbH", is_supplier=True, is_lab=True,
                    order_form="interface", ordering_active=True)
    db.session.add_all([signia, dreve])
    db.session.flush()
    db.session.add(CustomerNumber(company_id=signia.id, branch_id=world.st.id,
                                  number="SIG-ST-7"))
    world.staff.set_password(PASSWORD)
    db.session.commit()
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    registration.start(world.admin, service, registration.REGISTER,
                       {"fingerprint": registration.fingerprint(registration.body(service))})
    db.session.commit()
    wait_for(lambda: db.session.expire_all() or partner_list_of(service.id) is not None, 30,
             every=0.2, what="the registration and the partner list")
    world.before = len(received(requests, sandbox, partner="audoora"))
    world.signia, world.portal_dreve = signia, dreve
    return world


def _writes(sandbox, portal):
    """The writes that reached the portal since the registration: (method, path, status)."""
    return [(e["method"], e["path"], e["status"])
            for e in received(requests, sandbox, partner="audoora")[portal.before:]
            if e["method"] != "GET"]


def _cart_row(cart, text):
    return cart.get_by_role("row").filter(has_text=text)


def test_staff_order_articles_and_remove_an_unknown_one_in_the_audoora_cart(
        page, live_server, portal, sandbox, log_in, tmp_path):
    """Sam writes an article order for Signia GmbH under Bestellungen → Neue Bestellung (saving
    it without an article is refused beside the first line); the order page says it goes
    through Audoora; "Bestellen" opens the cart, live, with the unknown XX-999 and SIG-312
    recognised; "Entfernen" takes XX-999 out and "Bestellen" in the cart orders the rest: the
    order turns Bestellt with the portal's AUDO- number without a reload, and the portal got
    exactly one cart and its order, with SIG-312 alone."""
    page.set_viewport_size(VIEWPORT)
    log_in("sam")
    page.get_by_role("navigation", name=de("Main navigation")).get_by_role(
        "link", name=de("Orders"), exact=True).click()
    page.get_by_role("link", name=de("New order")).click()
    expect(page).to_have_url(f"{live_server.url}/orders/new")
    form = page.locator("#new-order")
    expect(form.get_by_label(de("Ordering branch"))).to_have_value(str(portal.st.id))
    page.screenshot(path=str(tmp_path / "new-order.png"), full_page=True)

    def article_field(field, line):
        return page.locator("#new-order").get_by_label(
            de("%(field)s, line %(line)s", field=de(field), line=line), exact=True)

    # "Weitere Zeile" adds a row and the keyboard goes on in it.
    form.get_by_role("button", name=de("Another line")).click()
    expect(article_field("Article no.", 4)).to_be_focused()
    form.get_by_label(de("Supplier"), exact=True).select_option(label="Signia GmbH")
    form.get_by_role("button", name=de("Save order")).click()
    expect(article_field("Article no.", 1)).to_have_attribute("aria-invalid", "true")
    expect(article_field("Article no.", 1)).to_be_focused()
    expect(page.locator("#new-order")).to_contain_text(de("Enter at least one article."))
    page.screenshot(path=str(tmp_path / "new-order-refused.png"), full_page=True)

    form = page.locator("#new-order")
    for line, (number, name, quantity) in enumerate((("SIG-312", "", "3"),
                                                     ("XX-999", "Zauberstab", "1")), start=1):
        for field, value in (("Article no.", number), ("Article", name),
                             ("Quantity", quantity)):
            article_field(field, line).fill(value)
    form.get_by_label(de("Note for the supplier")).fill("Bitte mit DHL")
    form.get_by_role("button", name=de("Save order")).click()
    expect(page).to_have_url(re.compile(rf"{live_server.url}/orders/\d+$"))
    order_id = int(page.url.rsplit("/", 1)[1])
    route = page.get_by_role("region", name=de("How it is ordered"))
    expect(route).to_contain_text("Audoora")
    expect(route).to_contain_text("Signia GmbH")
    page.screenshot(path=str(tmp_path / "order-route.png"), full_page=True)
    assert _writes(sandbox, portal) == []  # saving sends nothing
    page.evaluate("window.__noReload = true")  # gone if anything below reloads the page

    route.get_by_role("button", name=de("Place order")).click()
    cart = page.get_by_role("region", name=re.compile(de("Audoora cart")))
    expect(cart).to_be_visible(timeout=30_000)
    expect(cart.get_by_role("heading")).to_be_focused()  # the keyboard goes on there
    expect(_cart_row(cart, "XX-999")).to_contain_text(de("Not found in the catalogue."))
    expect(_cart_row(cart, "SIG-312")).to_contain_text(de("identified"))
    expect(cart).not_to_contain_text(de("Customer number at %(company)s",
                                        company="Signia GmbH"))
    assert _writes(sandbox, portal) == [("POST", f"{API}/carts", 201)]

    _cart_row(cart, "XX-999").get_by_role("button", name=re.compile(de("Remove"))).click()
    expect(_cart_row(cart, "XX-999")).to_have_count(0)
    expect(cart.get_by_role("heading")).to_be_focused()
    expect(page.locator("table.order-lines tr.removed")).to_contain_text("XX-999")
    # The last article left cannot be removed: that would be cancelling the order.
    expect(cart.get_by_role("button", name=re.compile(de("Remove")))).to_have_count(0)
    cart.get_by_role("button", name=de("Place order")).click()
    status = page.locator(f"#order-status-{order_id}")
    expect(status).to_contain_text(de("Ordered"), timeout=30_000)
    detail = page.locator("#order-detail")
    expect(detail).to_contain_text(re.compile(r"AUDO-\d{6}"))
    expect(cart).to_have_count(0)
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "order-ordered.png"), full_page=True)

    assert _writes(sandbox, portal) == [("POST", f"{API}/carts", 201),
                                        ("POST", f"{API}/carts/AUDC-000001/order", 201)]
    (placed,) = requests.get(f"{sandbox}/_sandbox/audoora/orders",
                             timeout=5).json()["orders"]
    assert placed["customer_number"] == "SIG-ST-7"
    assert placed["positions"] == [{"article_id": "SIG-A-0312", "quantity": 3}]
    assert fresh(Order, order_id).external_number == placed["order_id"]

    page.get_by_role("link", name=de("Orders"), exact=True).first.click()
    row = page.locator("#order-list tbody tr").filter(has_text="Signia GmbH")
    expect(row).to_contain_text(de("Ordered"))
    expect(row).to_contain_text(placed["order_id"])
    page.screenshot(path=str(tmp_path / "orders.png"), full_page=True)


def test_a_missing_customer_number_is_entered_in_the_cart(page, live_server, portal, sandbox,
                                                         log_in, tmp_path):
    """Dreve Otoplastik GmbH has no customer number for Stuttgart: "Bestellen" opens the cart
    asking for it, beside the unknown XX-999; ordering without it is refused beside the field,
    which gets the focus; with it entered and XX-999 removed the order goes out with the
    number and DRV-1001 alone."""
    order = ordering.create_article_order(portal.staff, portal.st.id, portal.portal_dreve.id,
                                          [("DRV-1001", "", 4), ("XX-999", "", 1)])
    db.session.commit()
    page.set_viewport_size(VIEWPORT)
    log_in("sam")
    page.goto(f"{live_server.url}/orders/{order.id}")
    page.get_by_role("region", name=de("How it is ordered")).get_by_role(
        "button", name=de("Place order")).click()
    cart = page.get_by_role("region", name=re.compile(de("Audoora cart")))
    number = cart.get_by_label(de("Customer number at %(company)s",
                                  company="Dreve Otoplastik GmbH"))
    expect(number).to_be_visible(timeout=30_000)
    expect(_cart_row(cart, "XX-999")).to_contain_text(de("Not found in the catalogue."))
    page.screenshot(path=str(tmp_path / "order-cart.png"), full_page=True)

    _cart_row(cart, "XX-999").get_by_role("button", name=re.compile(de("Remove"))).click()
    expect(_cart_row(cart, "XX-999")).to_have_count(0)
    cart.get_by_role("button", name=de("Place order")).click()
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(number).to_be_focused()
    expect(page.locator("#cart-customer-number-error")).to_be_visible()
    page.screenshot(path=str(tmp_path / "order-cart-refused.png"), full_page=True)
    number.fill("DRV-9")
    cart.get_by_role("button", name=de("Place order")).click()
    expect(page.locator(f"#order-status-{order.id}")).to_contain_text(de("Ordered"),
                                                                      timeout=30_000)
    (placed,) = requests.get(f"{sandbox}/_sandbox/audoora/orders",
                             timeout=5).json()["orders"]
    assert placed["customer_number"] == "DRV-9"
    assert placed["positions"] == [{"article_id": "DRV-A-1001", "quantity": 4}]
