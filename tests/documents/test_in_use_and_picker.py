"""Document templates in use: deleting or renaming one that an interface service or an open
card order names is refused with the reason; the search dialog ("Suchen …") beside every
document-template input of the interface editor; who may read and change templates."""
import re
from datetime import datetime, timezone

import pytest

from tests.factories import HX, card_order_raw, count
from webapp.cards.models import CardOrder
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db


@pytest.fixture
def card_service(world, make_document, make_service):
    """Layout "Karte GOLD" and cover letter "Anschreiben Kunde", named by the template GOLD
    (sent to the customer) of the card service "Karten Kette"."""
    make_document("Karte GOLD")
    make_document("Anschreiben Kunde", "cover_letter")
    return make_service("card_order", card_order_raw(
        {"name": "GOLD", "ship_to": "customer", "cover_letter": "Anschreiben Kunde"}),
        name="Karten Kette")


@pytest.fixture
def chain_admin(world, auth):
    """The world's administrator, reading English, logged in."""
    world.admin.preferred_language = "en"
    db.session.commit()
    auth.login(world.admin)
    return world.admin


def document_id(app, name):
    with app.app_context():
        return db.session.scalar(db.select(DocumentTemplate.id)
                                 .where(DocumentTemplate.name == name))


def test_delete_refused_while_a_service_names_it(client, chain_admin, csrf, app, card_service):
    """A layout and a cover letter named in a service's template rows stay, and the refusal
    names the service; once the row names another, the old one can go."""
    for name in ("Karte GOLD", "Anschreiben Kunde"):
        response = client.post(f"/document-templates/{document_id(app, name)}/delete",
                               headers=HX, data={"csrf_token": csrf()})
        assert response.status_code == 409
        assert "still in use (interface services: Karten Kette)" in response.get_data(
            as_text=True)
    plain = client.post(f"/document-templates/{document_id(app, 'Karte GOLD')}/delete",
                        data={"csrf_token": csrf()})
    assert plain.status_code == 303
    assert count(app, DocumentTemplate) == 2


def test_rename_refused_beside_the_name_while_named(client, chain_admin, csrf, app, card_service):
    """Renaming a template a service names: 422 beside Name with the service; other changes
    (its content) save."""
    target = document_id(app, "Karte GOLD")
    data = {"name": "Karte Gold 2026", "kind": "card_layout", "content": "Neu",
            "version": "1", "csrf_token": csrf()}
    response = client.post(f"/document-templates/{target}", headers=HX, data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    error = body[body.index('id="name-error"'):]
    assert "The name cannot change while it is in use (interface services: Karten Kette)" \
        in error[:error.index("</p>")]
    saved = client.post(f"/document-templates/{target}", headers=HX,
                        data={**data, "name": "Karte GOLD"})
    assert saved.status_code == 200
    with app.app_context():
        assert db.session.get(DocumentTemplate, target).content == "Neu"


def test_delete_refused_while_an_open_card_order_names_it(client, chain_admin, csrf, app, world,
                                                          card_service):
    """An open card order keeps its template's layout, named in the refusal by its number,
    even after the service no longer names it; an ordered one does not."""
    with app.app_context():
        order = CardOrder(service_id=card_service.id, template_name="GOLD",
                          shipping_interval="weekly", customer_id=world.customer.id,
                          branch_id=world.st.id, holder_name="Erika Muster",
                          ordered_at=datetime.now(timezone.utc), status="queued",
                          number="KA-2026-000042",
                          template={"card_template": "Karte GOLD", "ship_to": "customer",
                                    "cover_letter": "Anschreiben Kunde"})
        db.session.add(order)
        db.session.commit()
        order_id = order.id
    letter = document_id(app, "Anschreiben Kunde")
    response = client.post(f"/document-templates/{letter}/delete", headers=HX,
                           data={"csrf_token": csrf()})
    assert response.status_code == 409
    assert "open card orders: KA-2026-000042" in response.get_data(as_text=True)
    with app.app_context():
        db.session.get(CardOrder, order_id).status = "ordered"
        db.session.commit()
    response = client.post(f"/document-templates/{letter}/delete", headers=HX,
                           data={"csrf_token": csrf()})
    assert "open card orders" not in response.get_data(as_text=True)


# --- the search dialog -------------------------------------------------------------------

def test_picker_lists_templates_of_the_kind_and_searches(client, admin, make_document):
    """The dialog for one input shows the templates of its kind with a labelled search; the
    search narrows by name, "all kinds" widens; every choice carries its name."""
    make_document("Karte GOLD")
    make_document("Karte BASIS")
    make_document("Anschreiben Kunde", "cover_letter")
    dialog = client.get("/document-templates/picker?target=f-templates-0-card_template"
                        "&kind=card_layout&label=Dokumentvorlage", headers=HX)
    assert dialog.status_code == 200
    body = dialog.get_data(as_text=True)
    assert '<dialog class="modal document-picker" data-open-modal' in body
    assert 'data-fill="f-templates-0-card_template"' in body
    assert 'data-return-focus="f-templates-0-card_template"' in body
    assert '<label for="picker-q">Search</label>' in body and "Dokumentvorlage" in body
    assert re.findall(r'data-pick-document="([^"]+)"', body) == ["Karte BASIS", "Karte GOLD"]
    found = client.get("/document-templates/picker/results?target=f-x&kind=card_layout"
                       "&q=gold", headers=HX).get_data(as_text=True)
    assert re.findall(r'data-pick-document="([^"]+)"', found) == ["Karte GOLD"]
    every = client.get("/document-templates/picker/results?target=f-x&kind=", headers=HX)
    assert len(re.findall(r"data-pick-document", every.get_data(as_text=True))) == 3
    none = client.get("/document-templates/picker/results?kind=cover_letter&q=gold",
                      headers=HX)
    assert b"No document template matches the search." in none.data


def test_picker_refuses_a_strange_target_and_is_a_list_without_htmx(client, admin):
    """A target that is no element id fills nothing; without htmx the list has the search."""
    body = client.get('/document-templates/picker?target="><script>', headers=HX).get_data(
        as_text=True)
    assert 'data-fill=""' in body and "<script>" not in body
    plain = client.get("/document-templates/picker?kind=cover_letter")
    assert plain.status_code == 303
    assert plain.headers["Location"] == "/document-templates/?kind=cover_letter"


def test_editor_offers_the_search_beside_every_document_input(client, chain_admin, app,
                                                              card_service):
    """The card service's editor has a "Search …" button beside the layout and the cover
    letter of each row, each naming its own input; so has a row added later."""
    body = client.get(f"/interfaces/{card_service.id}", headers=HX).get_data(as_text=True)
    targets = re.findall(r'hx-get="/document-templates/picker\?target=([^&"]+)', body)
    assert targets == ["f-templates-0-card_template", "f-templates-0-cover_letter"]
    assert "kind=card_layout" in body and "kind=cover_letter" in body
    assert 'hx-target="#dialog-slot"' in body
    row = client.get("/interfaces/rows/card_order/templates?row=3", headers=HX)
    assert re.findall(r'picker\?target=([^&"]+)', row.get_data(as_text=True)) == [
        "f-templates-3-card_template", "f-templates-3-cover_letter"]


# --- permissions -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_staff_and_branch_managers_read_but_never_change(client, login_as, auth, app,
                                                         make_document, role, make_branch):
    """They read the list, a template, its file and the dialog; the editor shows no Save,
    New or Delete; every change is refused (403) and changes nothing."""
    target = make_document("Karte GOLD", content="", file=("gold.pdf", b"%PDF-1.4\n"))
    login_as("till", role, [make_branch("Stuttgart", "ST")])
    listing = client.get("/document-templates/").get_data(as_text=True)
    assert "Karte GOLD" in listing and "/document-templates/new" not in listing
    editor = client.get(f"/document-templates/{target}").get_data(as_text=True)
    assert "Save" not in editor and "/delete" not in editor and "<fieldset disabled>" in editor
    assert client.get(f"/document-templates/{target}/file").data == b"%PDF-1.4\n"
    assert client.get("/document-templates/picker?target=f-x", headers=HX).status_code == 200
    token = auth.csrf_token()
    data = {"name": "Karte PLATIN", "kind": "card_layout", "content": "x", "version": "1",
            "csrf_token": token}
    assert client.post("/document-templates/new", data=data).status_code == 403
    assert client.post(f"/document-templates/{target}", data=data).status_code == 403
    assert client.post(f"/document-templates/{target}/delete",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/document-templates/{target}/delete").status_code == 403
    with app.app_context():
        assert db.session.scalars(db.select(DocumentTemplate.name)).all() == ["Karte GOLD"]
