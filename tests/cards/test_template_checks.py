"""The templates of a customer-card service (Vorlagen zur Kartenbestellung) keep their rules on
every save: document templates that exist, names unique within the service, rows that open
card orders use neither removed nor renamed, and a roller clip only on employee cards."""
from datetime import datetime, timezone

import pytest
from flask_babel import force_locale

from tests.factories import HX, add_documents, card_order_raw
from webapp.cards.models import CardOrder
from webapp.errors import InUse
from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.values import InvalidValues

GOLD = {"name": "GOLD", "ship_to": "customer", "cover_letter": "Anschreiben Kunde"}
BASIS = {"name": "BASIS", "card_template": "Karte BASIS"}


@pytest.fixture
def documents(world):
    """Layouts "Karte GOLD" and "Karte BASIS", the cover letter "Anschreiben Kunde"."""
    add_documents("Karte GOLD", "Karte BASIS")
    add_documents("Anschreiben Kunde", kind="cover_letter")


@pytest.fixture
def card_service(world, documents, make_service):
    """"Karten Kette" with the templates GOLD (to the customer) and BASIS."""
    return make_service("card_order", card_order_raw(GOLD, BASIS), name="Karten Kette")


def save(world, service, *rows):
    """Save the service with these template rows as the administrator (committed)."""
    saved = services.update_service(world.admin, service, {}, card_order_raw(*rows),
                                    service.version)
    db.session.commit()
    return saved


def refusal(world, service, *rows):
    """{input name: message in English} of a refused save; nothing of it stays."""
    with pytest.raises(InvalidValues) as refused:
        save(world, service, *rows)
    db.session.rollback()
    with force_locale("en"):
        return {name: str(message) for name, message in refused.value.errors.items()}


def order(world, service, template_name="GOLD", status="queued", number="KA-2026-000007"):
    """A card order of `service` for Erika Muster from template `template_name`."""
    card = CardOrder(service_id=service.id, template_name=template_name,
                     shipping_interval="weekly", customer_id=world.customer.id,
                     branch_id=world.st.id, holder_name="Erika Muster",
                     ordered_at=datetime.now(timezone.utc), status=status, number=number,
                     template={"card_template": "Karte GOLD"})
    db.session.add(card)
    db.session.commit()
    return card


# --- document templates ------------------------------------------------------------------

def test_document_templates_must_exist(world, card_service):
    """A layout or a cover letter no template is named: refused beside that cell, with the
    name that differs only in case offered."""
    errors = refusal(world, card_service, {**GOLD, "cover_letter": "Anschreiben"},
                     {**BASIS, "card_template": "karte basis"})
    assert errors == {
        "templates-0-cover_letter": "No document template is named “Anschreiben”. Choose "
                                    "one with Search …, or create it under Document "
                                    "templates.",
        "templates-1-card_template": "No document template is named “karte basis”. Did you "
                                     "mean “Karte BASIS”?",
    }


def test_cover_letter_only_checked_where_the_card_goes_to_the_customer(world, card_service):
    """Sent to a branch, the card has no cover letter: whatever was typed is not kept, and
    not checked."""
    assert save(world, card_service, {**GOLD, "ship_to": "ordering_branch",
                                      "cover_letter": "gibt es nicht"}, BASIS)
    assert services.service_values(card_service)["templates"][0]["cover_letter"] is None


def test_a_new_service_is_checked_too(world, documents):
    """Creating a service with a layout that does not exist is refused the same way."""
    with pytest.raises(InvalidValues) as refused:
        services.create_service(world.admin, "card_order", {"name": "Karten"},
                                card_order_raw({"name": "GOLD", "card_template": "Fehlt"}))
    assert list(refused.value.errors) == ["templates-0-card_template"]


# --- names ---------------------------------------------------------------------------------

def test_template_names_are_unique_ignoring_case(world, card_service):
    """A second template named like the first (case ignored) is refused beside its name."""
    errors = refusal(world, card_service, GOLD, {**BASIS, "name": "gold"})
    assert errors == {"templates-1-name": "Another template is named “GOLD”: each needs its "
                                          "own name (case is ignored)."}


# --- open card orders ------------------------------------------------------------------------

def test_a_row_open_orders_use_cannot_be_removed(world, card_service):
    """Removing GOLD while an order of it waits: refused above the table, naming the order;
    BASIS, which no order uses, goes."""
    order(world, card_service)
    errors = refusal(world, card_service, BASIS)
    assert errors == {"templates": "Open card orders use the template “GOLD” "
                                   "(KA-2026-000007): it can be neither removed nor renamed "
                                   "until they are ordered or cancelled."}
    assert save(world, card_service, GOLD)
    assert [row["name"] for row in services.service_values(card_service)["templates"]] == [
        "GOLD"]


def test_a_row_open_orders_use_cannot_be_renamed(world, card_service):
    """Renaming GOLD in place (even its case) is refused beside its name; other cells of the
    row change."""
    order(world, card_service, status="error")
    for name in ("PLATIN", "Gold"):
        errors = refusal(world, card_service, {**GOLD, "name": name}, BASIS)
        assert list(errors) == ["templates-0-name"]
        assert "“GOLD” (KA-2026-000007)" in errors["templates-0-name"]
    assert save(world, card_service, {**GOLD, "comment": "Mit Geschenkbox"}, BASIS)


def test_ordered_and_cancelled_orders_hold_nothing(world, card_service):
    """Once the orders are ordered or cancelled, GOLD may go."""
    order(world, card_service, status="ordered", number="KA-2026-000001")
    order(world, card_service, status="cancelled", number="KA-2026-000002")
    assert save(world, card_service, BASIS)


def test_the_service_cannot_be_deleted_while_orders_are_open(world, card_service):
    """Deleting the service with an open order is refused, naming the order."""
    order(world, card_service, status="sending")
    with pytest.raises(InUse, match="KA-2026-000007"):
        services.delete_service(world.admin, card_service)
    db.session.rollback()
    assert db.session.get(type(card_service), card_service.id) is not None


# --- roller clip -------------------------------------------------------------------------------

def test_roller_clip_only_on_employee_cards(world, card_service):
    """A roller clip posted for a customer card is stored off; an employee card keeps it."""
    assert save(world, card_service, {**GOLD, "roller_clip": "y"},
                {**BASIS, "card_kind": "employee_card", "roller_clip": "y"})
    rows = services.service_values(card_service)["templates"]
    assert [row["roller_clip"] for row in rows] == [False, True]


# --- in the editor ---------------------------------------------------------------------------

def test_the_message_stands_beside_the_cell_the_form_posted(client, auth, csrf, world,
                                                            card_service):
    """With a row removed in the form (rows 0 and 2 posted), the message for the second row
    stands beside row 2's input, and the editor answers 422."""
    world.admin.preferred_language = "en"
    db.session.commit()
    auth.login(world.admin)
    raw = card_order_raw(GOLD, BASIS, {**BASIS, "name": "PLATIN", "card_template": "Fehlt"})
    posted = {key: value for key, value in raw.items() if not key.startswith("templates-1-")}
    response = client.post(f"/interfaces/{card_service.id}", headers=HX, data={
        **posted, "name": "Karten Kette", "usage_client": "y", "enabled": "y",
        "version": str(card_service.version), "csrf_token": csrf()})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="f-templates-2-card_template-error"' in body
    assert "No document template is named “Fehlt”." in body
    assert 'id="f-templates-2-card_template" name="templates-2-card_template"' in body
