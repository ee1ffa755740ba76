"""Stock management's "Neue Bestellung": an article order for one supplier, written by hand
(branch, supplier, articles with quantities, a note). It is saved as Erstellt and sends
nothing; "Bestellen" on it decides the way (tests/audoora/test_ordering.py). Bad input is a
message beside its field (422) and saves nothing."""
import pytest

from tests.factories import HX, count
from webapp.extensions import db
from webapp.forms import new_submission_token
from webapp.ordering.models import ARTICLES, CREATED, Order


def _post(client, token, **data):
    return client.post("/orders/new", headers=HX, data={"csrf_token": token, **data})


@pytest.fixture
def staff(world, auth):
    auth.login(world.staff)
    return world


def _filled(world, **extra):
    data = {"submission": new_submission_token(),
            "branch_id": str(world.st.id), "supplier_id": str(world.dreve.id),
            "note": "Bitte bis Freitag", "lines-0-article_number": "DRV-1001",
            "lines-0-name": "Otoplastik", "lines-0-quantity": "2",
            "lines-1-article_number": "", "lines-1-name": "Schallschlauch",
            "lines-1-quantity": "1", "lines-2-article_number": "", "lines-2-name": "",
            "lines-2-quantity": ""}
    data.update(extra)
    return data


def test_the_form_is_german_and_offers_the_branches_one_may_order_for(staff, client):
    page = client.get("/orders/new").get_data(as_text=True)
    for text in ("Neue Bestellung", "Bestellende Filiale", "Lieferant", "Artikel-Nr.", "Menge",
                 "Weitere Zeile", "Bestellung speichern"):
        assert text in page, text
    assert "Stuttgart" in page and ">Ulm<" not in page
    assert client.get("/orders/").get_data(as_text=True).count("/orders/new") == 1


def test_an_article_order_is_saved_as_created_and_sends_nothing(staff, client, csrf, app):
    response = _post(client, csrf(), **_filled(staff))
    assert response.status_code == 204, response.get_data(as_text=True)
    order = db.session.scalar(db.select(Order))
    assert response.headers["HX-Redirect"] == f"/orders/{order.id}"
    assert (order.order_type, order.status, order.branch_id, order.supplier_id) == (
        ARTICLES, CREATED, staff.st.id, staff.dreve.id)
    assert order.number.startswith("B-") and order.outbound is None
    assert [(l.line_no, l.article_number, l.name, l.quantity) for l in order.lines] == [
        (1, "DRV-1001", "Otoplastik", 2), (2, "", "Schallschlauch", 1)]
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Schallschlauch" in page and "Artikel" in page and "Bitte bis Freitag" in page


@pytest.mark.parametrize("change, field, message", [
    ({"lines-0-article_number": "", "lines-0-name": "", "lines-0-quantity": "",
      "lines-1-name": "", "lines-1-quantity": ""}, "lines-0-article_number",
     "mindestens einen Artikel"),
    ({"lines-0-quantity": ""}, "lines-0-quantity", "Geben Sie die Menge ein"),
    ({"lines-0-quantity": "0"}, "lines-0-quantity", "1"),
    ({"lines-0-quantity": "zwei"}, "lines-0-quantity", ""),
    ({"lines-2-quantity": "3"}, "lines-2-article_number", "Artikelnummer oder den Artikel"),
    ({"lines-0-name": "A\x00B"}, "lines-0-name", "Steuerzeichen"),
    ({"supplier_id": ""}, "supplier_id", "Wählen Sie den Lieferanten"),
])
def test_bad_input_is_a_message_beside_the_field_and_saves_nothing(
        staff, client, csrf, app, change, field, message):
    response = _post(client, csrf(), **_filled(staff, **change))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert count(app, Order) == 0


def test_a_company_that_is_no_supplier_or_another_branch_is_refused(staff, client, csrf, app):
    token = csrf()
    no_supplier = _post(client, token, **_filled(staff, supplier_id=str(staff.hoerluchs.id)))
    assert no_supplier.status_code == 422 and "kein Lieferant" in no_supplier.get_data(
        as_text=True)
    other = _post(client, token, **_filled(staff, branch_id=str(staff.ul.id)))
    assert other.status_code == 422 and 'id="branch_id-error"' in other.get_data(as_text=True)
    assert count(app, Order) == 0


def test_another_line_adds_a_row_and_keeps_what_was_typed(staff, client, csrf, app):
    response = _post(client, csrf(), add_line="1", **_filled(staff))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="lines-3-article_number"' in page
    assert 'value="DRV-1001"' in page and count(app, Order) == 0


def test_each_article_field_is_labelled_with_its_line_and_the_bar_marks_orders(staff, client):
    """Screen readers hear which line a field belongs to (the rows look alike), and the
    navigation marks Bestellungen as the current entry on this page of it."""
    page = client.get("/orders/new").get_data(as_text=True)
    for label in ("Artikel-Nr., Zeile 1", "Artikel, Zeile 2", "Menge, Zeile 3"):
        assert f">{label}</label>" in page, label
    assert 'aria-current="page">Bestellungen</a>' in page


def test_another_line_puts_the_keyboard_into_the_new_row(staff, client, csrf):
    """The button pressed is swapped away with the form: the new row's first field takes
    the focus (htmx focuses what the answer marks autofocus)."""
    page = _post(client, csrf(), add_line="1", **_filled(staff)).get_data(as_text=True)
    assert '<input autofocus id="lines-3-article_number"' in page
    assert page.count("autofocus") == 1
    assert "autofocus" not in client.get("/orders/new").get_data(as_text=True)


def test_the_same_form_posted_twice_creates_one_order_and_says_so(staff, client, csrf):
    data = _filled(staff)
    first = _post(client, csrf(), **data)
    again = _post(client, csrf(), **data)
    (order,) = db.session.scalars(db.select(Order))
    assert first.status_code == again.status_code == 204
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"] == f"/orders/{order.id}"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"Dieses Formular wurde schon gesendet: Bestellung {order.number}" in page
    assert _post(client, csrf(), **_filled(staff)).status_code == 204  # another form
    assert db.session.scalar(db.select(db.func.count(Order.id))) == 2


def test_an_article_order_without_its_token_is_refused(staff, client, csrf):
    data = _filled(staff)
    del data["submission"]
    response = _post(client, csrf(), **data)
    assert response.status_code == 422 and "beschädigt" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Order)) is None
