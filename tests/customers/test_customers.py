"""Customers: list and search, create, edit, delete through htmx fragments and plain pages."""
from types import SimpleNamespace

from tests.factories import HX, count
from tests.translated import de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.customers.models import Customer
from webapp.customers.services import search_customers
from webapp.extensions import db
from webapp.org.services import get_chain
from webapp.processes.models import Process


def log_entries(app):
    with app.app_context():
        return [(e.action, e.entity_type, e.changes, e.branch_name)
                for e in db.session.scalars(db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


def add_process(app, customer_id, branch_id, title="Otoplastik"):
    with app.app_context():
        process = Process(customer_id=customer_id, branch_id=branch_id, process_type="ear_mould",
                          title=title)
        db.session.add(process)
        db.session.commit()
        return process.id


# --- list --------------------------------------------------------------------------------

def test_list_page_and_htmx_search_fragment(client, admin, make_customer, two_branches):
    """The full page has the layout; an htmx search returns only the matching rows."""
    stuttgart, ulm = two_branches
    make_customer("Mustermann", stuttgart, city="Stuttgart")
    make_customer("Hörgern", ulm, first_name="Hans", city="Ulm")
    page = client.get("/customers/")
    assert page.status_code == 200
    assert b"<html" in page.data and b"Mustermann" in page.data and "Hörgern".encode() in page.data
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/customers/?q=ulm", headers=HX)
    assert fragment.status_code == 200 and b"<html" not in fragment.data
    assert "Hörgern".encode() in fragment.data and b"Mustermann" not in fragment.data


def test_search_by_number_and_several_words(client, admin, make_customer, two_branches):
    """Every word must match name, number or city: "erika stutt" finds Erika in Stuttgart."""
    stuttgart, ulm = two_branches
    erika = make_customer("Mustermann", stuttgart, city="Stuttgart")
    make_customer("Mustermann", ulm, first_name="Max", city="Ulm")
    both = client.get("/customers/?q=muster", headers=HX).data
    assert b"Erika" in both and b"Max" in both
    one = client.get("/customers/?q=erika+stutt", headers=HX).data
    assert b"Erika" in one and b"Max" not in one
    by_number = client.get(f"/customers/?q=K-{erika:06d}", headers=HX).data
    assert b"Erika" in by_number and b"Max" not in by_number


def test_search_by_phone_mobile_and_email(client, admin, make_customer, two_branches):
    """A caller is found by the number they call from, as it is written or by its digits in
    groups; a taken SiNNO-App address by the address."""
    stuttgart, ulm = two_branches
    make_customer("Mustermann", stuttgart, phone="0711 555 123", email="erika@example.org")
    make_customer("Ulmer", ulm, first_name="Max", mobile="+49 170 5550001")
    for q, found, not_found in (("0711+555", b"Mustermann", b"Ulmer"),
                                ("5550001", b"Ulmer", b"Mustermann"),
                                ("+49+170", b"Ulmer", b"Mustermann"),
                                ("erika%40example.org", b"Mustermann", b"Ulmer")):
        rows = client.get(f"/customers/?q={q}", headers=HX).data
        assert found in rows and not_found not in rows, q


def test_branch_filter(client, admin, make_customer, two_branches):
    """The branch filter keeps that branch's customers and is kept selected on the page."""
    stuttgart, ulm = two_branches
    make_customer("Mustermann", stuttgart)
    make_customer("Ulmer", ulm)
    rows = client.get(f"/customers/?branch={ulm}", headers=HX).data
    assert b"Ulmer" in rows and b"Mustermann" not in rows
    page = client.get(f"/customers/?branch={ulm}").data
    assert f'<option value="{ulm}" selected>'.encode() in page


def test_search_treats_wildcards_literally(client, admin, make_customer, two_branches):
    """'%' and '_' in the search box are characters, not LIKE wildcards."""
    make_customer("Mustermann", two_branches[0])
    make_customer("Under_Score", two_branches[0])
    rows = client.get("/customers/?q=_", headers=HX).data
    assert b"Under_Score" in rows and b"Mustermann" not in rows


def test_list_pages(client, admin, make_customer, two_branches, app):
    """More customers than a page holds get a pager; page 2 holds the rest."""
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        make_customer(f"Kunde {n}", two_branches[0])
    first = client.get("/customers/").data
    assert b"Kunde 0" in first and b"Kunde 2" not in first and b'rel="next"' in first
    second = client.get("/customers/?page=2", headers=HX).data
    assert b"Kunde 2" in second and b"Kunde 0" not in second


def test_totals_count_what_the_filters_select(app, make_customer, two_branches):
    """"Seite 1 von N" counts exactly the customers the words, the branch filter and the
    reader's branches select (the count does without the page's join)."""
    first, second = two_branches
    for n, (name, branch) in enumerate((("Meier", first), ("Maier", first), ("Meier", second),
                                        ("Schulz", second))):
        make_customer(name, branch, first_name=f"Vorname {n}")
    with app.app_context():
        get_chain().customers_by_branch = True  # a reader reads their branches' customers
        reader = SimpleNamespace(role="branch_manager", branch_ids=[first])
        for filters in ({}, {"q": "meier"}, {"q": "m vorname"}, {"branch_id": second},
                        {"q": "meier", "branch_id": second}, {"reader": reader},
                        {"q": "meier", "reader": reader}):
            every = search_customers(**filters, per_page=100)
            page = search_customers(**filters, per_page=1)
            assert page.total == every.total == len(every.items), filters


def test_list_queries_do_not_grow_with_rows(client, admin, make_customer, make_branch, count_queries):
    """No query per listed customer or per branch."""
    branches = [make_branch(f"Filiale {n}", f"F{n}") for n in range(2)]
    make_customer("Kunde", branches[0])
    with count_queries() as small:
        assert client.get("/customers/").status_code == 200
    branches += [make_branch(f"Zweig {n}", f"Z{n}") for n in range(5)]
    for n in range(15):
        make_customer(f"Kunde {n}", branches[n % len(branches)])
    with count_queries() as big:
        client.get("/customers/")
    assert big.count == small.count


# --- create ------------------------------------------------------------------------------

def test_create_with_htmx_goes_to_the_new_customer(client, admin, customer_data, two_branches, app):
    """A valid create saves the customer with the number from its id and leads to its page."""
    stuttgart, _ulm = two_branches
    response = client.post("/customers/new", data=customer_data(stuttgart), headers=HX)
    assert response.status_code == 204
    with app.app_context():
        customer = db.session.scalar(db.select(Customer))
        assert (customer.number, customer.last_name, customer.branch_id) == (
            f"K-{customer.id:06d}", "Mustermann", stuttgart)
        assert customer.updated_by == "Anna Admin"
        customer_id = customer.id
    assert response.headers["HX-Redirect"] == f"/customers/{customer_id}"
    [(action, entity, changes, branch_name)] = log_entries(app)
    assert (action, entity, branch_name) == ("create", "customer", "Stuttgart Mitte")
    assert {"field": "number", "old": None, "new": f"K-{customer_id:06d}"} in changes
    page = client.get(f"/customers/{customer_id}")
    assert f"Customer K-{customer_id:06d} created.".encode() in page.data
    assert b"Ms Erika Mustermann" in page.data


def test_create_plain_post_redirects(client, admin, customer_data, two_branches):
    """Without htmx a successful post redirects (post/redirect/get)."""
    response = client.post("/customers/new", data=customer_data(two_branches[0]))
    assert response.status_code == 303 and response.headers["Location"].startswith("/customers/")


def test_numbers_follow_the_ids(client, admin, customer_data, two_branches, app):
    """Each new customer gets its own number."""
    for name in ("Eins", "Zwei"):
        client.post("/customers/new", data=customer_data(two_branches[0], last_name=name), headers=HX)
    with app.app_context():
        numbers = db.session.scalars(db.select(Customer.number).order_by(Customer.id)).all()
    assert numbers == ["K-000001", "K-000002"]


def test_bad_input_gets_messages_beside_the_fields(client, admin, customer_data, two_branches, app):
    """Empty, too long, malformed and script input: 422 with the form, nothing saved."""
    cases = [
        ({"last_name": ""}, "last_name"),
        ({"last_name": "x" * 81}, "last_name"),
        ({"first_name": "<script>alert(1)</script>"}, "first_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"mobile": "0171/abc"}, "mobile"),
        ({"postal_code": "<b>"}, "postal_code"),
        ({"salutation": "dr"}, "salutation"),
        ({"branch_id": "0"}, "branch_id"),
        ({"branch_id": "999"}, "branch_id"),
        ({"note": "y" * 1001}, "note"),
    ]
    for overrides, field in cases:
        response = client.post("/customers/new", data=customer_data(two_branches[0], **overrides),
                               headers=HX)
        assert response.status_code == 422, overrides
        assert b"<html" not in response.data and b'id="customer-form"' in response.data
        assert f'id="{field}-error"'.encode() in response.data, overrides
        assert b"<script>alert" not in response.data
    assert count(app, Customer) == 0


def test_invalid_plain_post_gets_the_whole_page(client, admin, customer_data, two_branches):
    """Without htmx a refused form comes back inside the full page, still 422."""
    response = client.post("/customers/new", data=customer_data(two_branches[0], last_name=""))
    assert response.status_code == 422
    assert b"<html" in response.data and b'id="last_name-error"' in response.data


# --- edit --------------------------------------------------------------------------------

def test_edit_with_htmx_saves_logs_and_refreshes_the_head(client, admin, customer_data, make_customer,
                                                          two_branches, app):
    """A change is saved with a new version and a log entry; the page head comes out of band."""
    stuttgart, ulm = two_branches
    customer_id = make_customer("Mustermann", stuttgart)
    response = client.post(f"/customers/{customer_id}", headers=HX, data=customer_data(
        ulm, version="1", last_name="Musterfrau"))
    assert response.status_code == 200 and b"Saved." in response.data
    assert "customers-changed" in response.headers["HX-Trigger"]
    assert b'id="customer-head" class="page-head" hx-swap-oob="true"' in response.data
    assert b"Musterfrau" in response.data
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert (customer.last_name, customer.branch_id, customer.version) == ("Musterfrau", ulm, 2)
    [(action, _entity, changes, branch_name)] = log_entries(app)
    assert (action, branch_name) == ("update", "Ulm")
    assert {"field": "last_name", "old": "Mustermann", "new": "Musterfrau"} in changes
    assert {"field": "branch_id", "old": stuttgart, "new": ulm} in changes
    # The history shows branches by name.
    page = client.get(f"/customers/{customer_id}")
    assert "Branch: Stuttgart Mitte → Ulm".encode() in page.data


def test_edit_without_change_writes_nothing(client, admin, customer_data, make_customer, two_branches, app):
    """Saving the stored values bumps no version and writes no log."""
    customer_id = make_customer("Mustermann", two_branches[0], salutation="ms", street="Königstraße 1",
                                postal_code="70173", city="Stuttgart", phone="+49 711 123456",
                                email="erika@example.org")
    response = client.post(f"/customers/{customer_id}", headers=HX,
                           data=customer_data(two_branches[0], version="1"))
    assert response.status_code == 200 and b"No changes." in response.data
    assert count(app, ChangeLogEntry) == 0


def test_stale_version_is_refused_and_input_kept(client, admin, customer_data, make_customer,
                                                 two_branches, app):
    """Saving over a newer change is refused with who saved it; typed values stay."""
    customer_id = make_customer("Mustermann", two_branches[0])
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        customer.version, customer.updated_by = 2, "Berta Beispiel"
        db.session.commit()
    response = client.post(f"/customers/{customer_id}", headers=HX,
                           data=customer_data(two_branches[0], version="1", city="Mein Ort"))
    assert response.status_code == 409
    assert b"Berta Beispiel" in response.data and b'value="Mein Ort"' in response.data
    assert count(app, ChangeLogEntry) == 0


def test_damaged_version_is_refused(client, admin, customer_data, make_customer, two_branches):
    """A version that is not a number gets a message above the form, not a server error."""
    customer_id = make_customer("Mustermann", two_branches[0])
    response = client.post(f"/customers/{customer_id}", headers=HX,
                           data=customer_data(two_branches[0], version="abc"))
    assert response.status_code == 422 and b'class="form-errors"' in response.data


def test_unknown_customer_is_404(client, admin, auth):
    """Reading, saving, deleting a customer that does not exist answers 404."""
    token = auth.csrf_token()
    assert client.get("/customers/999").status_code == 404
    assert client.get("/customers/999/processes").status_code == 404
    assert client.post("/customers/999", data={"csrf_token": token}).status_code == 404
    assert client.post("/customers/999/delete", data={"csrf_token": token}).status_code == 404


# --- tabs --------------------------------------------------------------------------------

def test_tabs_are_pages_and_fragments(client, admin, make_customer, two_branches, app):
    """Each tab has its own URL with a full page; htmx gets the tab bar with the panel."""
    customer_id = make_customer("Mustermann", two_branches[0])
    add_process(app, customer_id, two_branches[1], title="Linkes Ohr")
    page = client.get(f"/customers/{customer_id}/processes")
    assert page.status_code == 200 and b"<html" in page.data
    assert b"Linkes Ohr" in page.data and b"Ear mould" in page.data and b"Ulm" in page.data
    assert b'aria-current="page">Processes (1)<' in page.data
    fragment = client.get(f"/customers/{customer_id}/processes", headers=HX)
    assert b"<html" not in fragment.data and b'class="tabs"' in fragment.data
    master = client.get(f"/customers/{customer_id}", headers=HX)
    assert b'id="customer-form"' in master.data and b'class="tabs"' in master.data


def test_processes_tab_queries_do_not_grow(client, admin, make_customer, make_branch, app, count_queries):
    """No query per process or per branch in the Vorgänge tab."""
    branches = [make_branch(f"Filiale {n}", f"F{n}") for n in range(4)]
    customer_id = make_customer("Mustermann", branches[0])
    add_process(app, customer_id, branches[0])
    with count_queries() as small:
        client.get(f"/customers/{customer_id}/processes")
    for n in range(8):
        add_process(app, customer_id, branches[n % 4], title=f"Vorgang {n}")
    with count_queries() as big:
        client.get(f"/customers/{customer_id}/processes")
    assert big.count == small.count


# --- delete ------------------------------------------------------------------------------

def test_delete_goes_back_to_the_list(client, admin, auth, make_customer, two_branches, app):
    """A delete removes the customer, logs it and leads to the list (htmx too)."""
    customer_id = make_customer("Mustermann", two_branches[0])
    response = client.post(f"/customers/{customer_id}/delete", data={"csrf_token": auth.csrf_token()},
                           headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/customers/"
    assert count(app, Customer) == 0
    assert [(a, e) for a, e, _c, _b in log_entries(app)] == [("delete", "customer")]
    assert b"Mustermann, Erika was deleted." in client.get("/customers/").data


def test_delete_is_refused_while_processes_exist(client, admin, auth, make_customer, two_branches, app):
    """A customer with processes stays; the refusal names the processes."""
    customer_id = make_customer("Mustermann", two_branches[0])
    process_id = add_process(app, customer_id, two_branches[0], title="Otoplastik links")
    response = client.post(f"/customers/{customer_id}/delete", data={"csrf_token": auth.csrf_token()},
                           headers=HX)
    assert response.status_code == 409
    assert f"Otoplastik links (#{process_id})".encode() in response.data
    assert b'id="customer-form"' in response.data
    plain = client.post(f"/customers/{customer_id}/delete", data={"csrf_token": auth.csrf_token()})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/customers/{customer_id}"
    assert count(app, Customer) == 1 and count(app, ChangeLogEntry) == 0


def test_delete_confirm_page(client, admin, make_customer, two_branches):
    """Without JavaScript: a confirmation page posting to the delete URL."""
    customer_id = make_customer("Mustermann", two_branches[0])
    confirm = client.get(f"/customers/{customer_id}/delete")
    assert confirm.status_code == 200 and b"Mustermann" in confirm.data
    assert f'action="/customers/{customer_id}/delete"'.encode() in confirm.data


# --- German ------------------------------------------------------------------------------

def test_pages_are_german_by_default(client, make_user, auth, make_customer, two_branches):
    """A user without a language preference sees the customer screens in German."""
    make_user("berta", role="admin")
    auth.login("berta")
    customer_id = make_customer("Mustermann", two_branches[0], salutation="ms")
    page = client.get("/customers/").data
    assert de_html("Customers") in page and de_html("New customer") in page
    assert "Kunden".encode() in page
    detail = client.get(f"/customers/{customer_id}").data
    assert de_html("Master data") in detail and de_html("Last name") in detail
    assert "Frau Erika Mustermann".encode() in detail
    assert de_html("Processes") + b" (0)" in detail and de_html("New process") in detail
