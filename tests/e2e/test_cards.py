"""Customer cards in Chromium (German UI), end to end (issue 13): staff open the customer's
process, choose the template GOLD at the step "Kundenkarte", see the customer's address the
card goes to, press "Karte bestellen" and see the order waiting for its weekly batch; the
scheduled job's work (batching.collect with a clock just past the week boundary) starts the
batch, a real `flask worker` sends it to the sandbox provider over HTTP, and the customer's
tab "Kundenkarten" shows the card Bestellt with the number the provider returned.

And the employee card: an administrator opens Verwaltung → Benutzer → the user, orders a
card with a roller-clip template in the section "Mitarbeiterkarte" below the editor, and sees
its number once the monthly batch went out; the card service's editor says when
"Informationen anfordern" went. Both take screenshots at laptop size."""
import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from tests.factories import PASSWORD, fresh, make_config, wait_for
from tests.translated import de
from webapp.cards import batching
from webapp.cards.models import ORDERED, CardOrder
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.processes.models import CUSTOMER_CARD, ProcessStep

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}

TEMPLATES = [
    {"name": "GOLD", "ship_to": "customer", "shipping_interval": "weekly",
     "card_template": "Karte GOLD", "cover_letter": "Anschreiben Karte",
     "card_type": "nfc_rfid", "card_kind": "customer_card", "gift_box": True,
     "comment": "Bitte mit Geschenkbox"},
    {"name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "daily",
     "card_template": "Karte BASIS", "card_type": "chip", "card_kind": "customer_card",
     "validity_required": True},
    {"name": "TEAM", "ship_to": "ordering_branch", "shipping_interval": "monthly",
     "card_template": "Karte Team", "card_type": "chip", "card_kind": "employee_card",
     "roller_clip": True},
]


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def cards(world, make_service, sandbox, worker):
    """The chain's card service "Kundenkarten" at the sandbox provider with a GOLD, a BASIS
    (validity required) and an employee template TEAM with a roller clip; the addresses of
    Stuttgart and of Erika Muster, whose Otoplastik process has a step Kundenkarte; Sam and
    Anna Admin with passwords."""
    for name, kind in (("Karte GOLD", "card_layout"), ("Karte BASIS", "card_layout"),
                       ("Karte Team", "card_layout"), ("Anschreiben Karte", "cover_letter")):
        db.session.add(DocumentTemplate(name=name, kind=kind, content="{{ name }}"))
    world.st.street, world.st.postal_code, world.st.city = "Königstr. 1", "70173", "Stuttgart"
    world.customer.street, world.customer.postal_code = "Olgastr. 3", "70182"
    world.process.steps.append(ProcessStep(position=len(world.process.steps) + 1,
                                           name="Kundenkarte", kind=CUSTOMER_CARD))
    world.staff.set_password(PASSWORD)
    world.admin.set_password(PASSWORD)
    world.admin.email = "anna@example.org"
    db.session.commit()
    make_service("smtp", name="SMTP")
    world.cards = make_service("card_order", {
        "base_url": f"{sandbox}/cards", "contract_number": "10001",
        "contract_key": "sandbox-key", "templates": TEMPLATES}, name="Kundenkarten",
        usage_client=True)
    return world


def _send_due_batches(order_id):
    """The scheduled job's tick, with its clock a minute after the boundary the order waits
    for; the real worker sends the batch. Returns the order once the provider answered."""
    order = fresh(CardOrder, order_id)
    due = batching.next_boundary(order.ordered_at, order.shipping_interval,
                                 batching.chain_zone())
    assert len(batching.collect(now=due + timedelta(minutes=1))) == 1

    def ordered():
        order = fresh(CardOrder, order_id)
        return order if order.status == ORDERED else None
    return wait_for(ordered, 30, every=0.2, what="the batch to be sent")


def _provider_card_numbers(sandbox):
    return [card["card_number"] for batch in
            requests.get(f"{sandbox}/_sandbox/cards", timeout=5).json()["batches"]
            for card in batch["cards"]]


def test_staff_order_a_gold_card_for_the_customer_and_see_its_number(
        page, live_server, cards, sandbox, log_in, tmp_path):
    """Sam at the step Kundenkarte: BASIS without a validity date is refused beside the date
    (focus goes there); GOLD shows Erika Muster's address and "Karte bestellen" queues the
    card for the weekly batch, with when it goes out; after the batch the tab Kundenkarten
    shows it Bestellt with the provider's card number."""
    page.set_viewport_size(VIEWPORT)
    log_in("sam")
    page.get_by_role("navigation", name=de("Main navigation")).get_by_role(
        "link", name=de("Customers")).click()
    page.get_by_role("link", name="Muster, Erika").click()
    page.get_by_role("link", name=re.compile(de("Processes"))).click()
    page.get_by_role("link", name="Otoplastik").click()
    expect(page).to_have_url(f"{live_server.url}/processes/{cards.process.id}")
    page.evaluate("window.__noReload = true")  # gone if anything below reloads the page
    step = page.get_by_role("region", name="Kundenkarte")
    template = step.get_by_label(de("Template"))
    expect(template).to_be_visible()
    expect(step).to_contain_text(de("No card ordered yet."))
    step.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "card-step-empty.png"), full_page=True)

    # BASIS asks for a validity date: refused beside the date, and the keyboard goes there.
    template.select_option(label="BASIS")
    expect(template).to_be_focused()  # the preview replaced the panel, not the focus
    expect(step).to_contain_text(de("Ordering branch"))
    step.get_by_role("button", name=de("Order card")).click()
    valid = step.get_by_label(de("Valid until"))
    expect(valid).to_have_attribute("aria-invalid", "true")
    expect(valid).to_be_focused()
    page.screenshot(path=str(tmp_path / "card-step-refused.png"), full_page=True)

    # GOLD goes to the customer: her address appears before anything is ordered.
    template.select_option(label="GOLD")
    recipient = step.get_by_role("group", name=de("Recipient"))
    expect(recipient).to_contain_text("Erika Muster")
    expect(recipient).to_contain_text("Olgastr. 3")
    expect(recipient).to_contain_text("70182 Stuttgart")
    expect(recipient).to_contain_text(de("weekly"))
    expect(step.get_by_label(de("Valid until"))).not_to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(tmp_path / "card-step-recipient.png"), full_page=True)
    assert db.session.scalar(db.select(CardOrder)) is None  # the preview saves nothing

    step.get_by_role("button", name=de("Order card")).click()
    row = step.get_by_role("row").filter(has_text="GOLD")
    expect(row).to_contain_text(de("Queued"))
    order = db.session.scalar(db.select(CardOrder))
    due = batching.next_boundary(order.ordered_at, "weekly", batching.chain_zone())
    when = f"{due.astimezone(batching.chain_zone()):%d.%m.%y, %H:%M}"
    expect(row).to_contain_text(de("goes out on %(when)s", when=when))
    notice = step.get_by_role("status").first
    expect(notice).to_have_text(de("Card %(number)s queued. It goes out on %(when)s "
                                   "(%(interval)s).", number=order.number, when=when,
                                   interval=de("weekly")))
    expect(notice).to_be_focused()  # the keyboard goes on at what happened
    expect(template).to_have_value("")  # the form is empty for the next card
    page.screenshot(path=str(tmp_path / "card-step-ordered.png"), full_page=True)
    assert page.evaluate("window.__noReload") is True

    order = _send_due_batches(order.id)
    (number,) = _provider_card_numbers(sandbox)
    assert order.card_number == number and number.startswith("9276")

    page.get_by_role("link", name=de("Customers"), exact=True).first.click()
    page.get_by_role("link", name="Muster, Erika").click()
    page.get_by_role("navigation", name=de("Customer")).get_by_role(
        "link", name=re.compile(de("Customer cards"))).click()
    expect(page).to_have_url(f"{live_server.url}/customers/{cards.customer.id}/cards")
    row = page.get_by_role("table", name=de("Card orders")).get_by_role("row").filter(
        has_text=order.number)
    expect(row).to_contain_text("GOLD")
    expect(row).to_contain_text(de("Ordered"))
    expect(row).to_contain_text(number)
    page.screenshot(path=str(tmp_path / "customer-cards.png"), full_page=True)


def test_an_admin_orders_an_employee_card_with_a_roller_clip(
        page, live_server, cards, sandbox, log_in, tmp_path):
    """Anna Admin: Verwaltung → Benutzer → maria; below the editor, "Mitarbeiterkarte" with
    TEAM goes to the ordering branch Stuttgart; the card is queued for the monthly batch and,
    once that went, shows the provider's card number. The card service's editor offers
    "Informationen anfordern" and says when it went."""
    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    navigation = page.get_by_role("navigation", name=de("Main navigation"))
    navigation.get_by_text(de("Administration"), exact=True).click()
    navigation.get_by_role("link", name=de("Users")).click()
    page.get_by_role("link", name="maria", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/users/{cards.manager.id}")
    section = page.get_by_role("region", name=de("Employee card"))
    expect(section).to_contain_text(de("No card ordered yet."))
    # The card's form and the user's have ids of their own (their CSRF fields too).
    assert page.evaluate("""() => [...document.querySelectorAll('[id]')].map(e => e.id)
                              .filter((id, i, ids) => ids.indexOf(id) !== i)""") == []
    template = section.get_by_label(de("Template"))
    template.select_option(label="TEAM")
    expect(template).to_be_focused()
    recipient = section.get_by_role("group", name=de("Recipient"))
    expect(recipient).to_contain_text("Königstr. 1")
    expect(recipient).to_contain_text(de("monthly"))
    section.get_by_role("button", name=de("Order card")).click()
    row = section.get_by_role("row").filter(has_text="TEAM")
    expect(row).to_contain_text(de("Queued"))
    page.screenshot(path=str(tmp_path / "employee-card-queued.png"), full_page=True)

    order = db.session.scalar(db.select(CardOrder))
    order = _send_due_batches(order.id)
    (sent,) = requests.get(f"{sandbox}/_sandbox/cards", timeout=5).json()["batches"]
    assert sent["body"]["cards"][0]["template"]["roller_clip"] is True
    assert order.card_number.startswith("9277")
    page.reload()
    row = page.get_by_role("region", name=de("Employee card")).get_by_role("row").filter(
        has_text="TEAM")
    expect(row).to_contain_text(de("Ordered"))
    expect(row).to_contain_text(order.card_number)
    page.get_by_role("region", name=de("Employee card")).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "employee-card-ordered.png"), full_page=True)

    # The card service's editor: "Informationen anfordern" and when it went.
    page.goto(f"{live_server.url}/interfaces/{cards.cards.id}")
    page.get_by_role("heading", name=de("Actions")).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "card-service-info-before.png"))
    page.get_by_role("button", name="Informationen anfordern").click()
    state = page.locator("#action-request_info-status")
    expect(state).to_contain_text("Angefordert am", timeout=30_000)
    page.get_by_role("heading", name=de("Actions")).scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "card-service-info.png"))
