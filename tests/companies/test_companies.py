"""Companies: list, create, edit, delete through htmx partials and plain page loads."""
from tests.factories import HX, count, numbers_of
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db


def log_entries(app):
    with app.app_context():
        return [(e.action, e.changes, e.branch_name)
                for e in db.session.scalars(db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


# --- list --------------------------------------------------------------------------------

def test_list_page_and_htmx_search_fragment(client, admin, make_company):
    """The full page has the layout and badges; an htmx search returns only matching rows."""
    make_company("Dreve Otoplastik", is_supplier=False, is_lab=True, city="Unna")
    make_company("Sivantos", is_manufacturer=True, city="Erlangen", order_form="interface")
    page = client.get("/companies/")
    assert page.status_code == 200
    assert b"<html" in page.data and b"Sivantos" in page.data and b"Dreve" in page.data
    assert b'class="badge">Lab<' in page.data and b"External interface" in page.data
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/companies/?q=unna", headers=HX)
    assert fragment.status_code == 200
    assert b"<html" not in fragment.data
    assert b"Dreve" in fragment.data and b"Sivantos" not in fragment.data


def test_role_filter(client, admin, make_company):
    """The role filter keeps only companies with that role; an unknown role filters nothing."""
    make_company("Dreve Otoplastik", is_supplier=False, is_lab=True)
    make_company("Sivantos", is_supplier=True, is_manufacturer=True)
    labs = client.get("/companies/?role=lab", headers=HX)
    assert b"Dreve" in labs.data and b"Sivantos" not in labs.data
    makers = client.get("/companies/?role=manufacturer")
    assert b"Sivantos" in makers.data and b'<option value="manufacturer" selected>' in makers.data
    every = client.get("/companies/?role=fax", headers=HX)
    assert b"Dreve" in every.data and b"Sivantos" in every.data


def test_list_and_editor_queries_do_not_grow_with_rows(client, admin, make_company, make_branch,
                                                       count_queries):
    """No query per listed company, and none per branch in the customer-number table."""
    branches = [make_branch(f"Filiale {n}", f"F{n}") for n in range(2)]
    company_id = make_company("Firma 0", numbers={b: f"K{b}" for b in branches})
    with count_queries() as small_list:
        client.get("/companies/")
    with count_queries() as small_editor:
        client.get(f"/companies/{company_id}")
    for n in range(1, 12):
        make_company(f"Firma {n}", is_lab=True)
    branches += [make_branch(f"Zweig {n}", f"Z{n}") for n in range(5)]
    big_id = make_company("Firma X", numbers={b: f"K{b}" for b in branches})
    with count_queries() as big_list:
        client.get("/companies/")
    with count_queries() as big_editor:
        client.get(f"/companies/{big_id}")
    assert big_list.count == small_list.count
    assert big_editor.count == small_editor.count


# --- create ------------------------------------------------------------------------------

def test_create_company_with_htmx(client, admin, company_data, make_branch, app):
    """A valid htmx create saves data and numbers, pushes the new URL and refreshes the list."""
    stuttgart = make_branch("Stuttgart Mitte", "S1")
    ulm = make_branch("Ulm", "UL")
    data = company_data(**{f"customer_number-{stuttgart}": "4711", f"customer_number-{ulm}": ""})
    response = client.post("/companies/new", data=data, headers=HX)
    assert response.status_code == 200
    assert "companies-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"].startswith("/companies/")
    assert b"<html" not in response.data and b'value="4711"' in response.data
    with app.app_context():
        company = db.session.scalar(db.select(Company))
        assert (company.name, company.is_lab, company.is_supplier) == ("Dreve Otoplastik", True, False)
        assert (company.ordering_active, company.order_form) == (True, "document")
        assert company.order_email == "bestellung@example.org"
        company_id = company.id
    assert numbers_of(app, company_id) == {stuttgart: "4711"}
    [(action, changes, _branch)] = log_entries(app)
    assert action == "create"
    assert {"field": "customer_number:Stuttgart Mitte", "old": None, "new": "4711"} in changes
    assert {"field": "name", "old": None, "new": "Dreve Otoplastik"} in changes


def test_create_company_plain_post_redirects(client, admin, company_data):
    """Without htmx a successful post redirects (post/redirect/get) to the full editor page."""
    response = client.post("/companies/new", data=company_data())
    assert response.status_code == 303
    follow = client.get(response.headers["Location"])
    assert b"<html" in follow.data and b"Dreve Otoplastik" in follow.data
    assert b"Company created." in follow.data


def test_order_email_needed_only_for_active_document_orders(client, admin, company_data, app):
    """Phone orders and deactivated ordering need no order e-mail."""
    phone = client.post("/companies/new", headers=HX,
                        data=company_data(name="Per Telefon", order_form="phone", order_email=""))
    inactive = client.post("/companies/new", headers=HX,
                           data=company_data(name="Inaktiv", ordering_active=None, order_email=""))
    assert (phone.status_code, inactive.status_code) == (200, 200)
    assert count(app, Company) == 2


def test_bad_input_gets_field_messages_and_saves_nothing(client, admin, company_data, make_branch, app):
    """Empty, too long, wrong types and markup: 422 with a message at the field, nothing saved."""
    branch = make_branch("Stuttgart Mitte", "S1")
    number = f"customer_number-{branch}"
    cases = [
        ({"name": ""}, "name-error"),
        ({"name": "x" * 121}, "name-error"),
        ({"name": "<script>alert(1)</script>"}, "name-error"),
        ({"is_lab": None}, "roles-error"),
        ({"order_form": "fax"}, "order_form-error"),
        ({"order_email": ""}, "order_email-error"),
        ({"order_email": "not-an-email"}, "order_email-error"),
        ({"order_email": "a@" + "b" * 250 + ".de"}, "order_email-error"),
        ({"email": "nope"}, "email-error"),
        ({"phone": "call me"}, "phone-error"),
        ({"postal_code": "<b>"}, "postal_code-error"),
        ({"city": "<img src=x onerror=alert(1)>"}, "city-error"),
        ({number: "1" * 41}, f"{number}-error"),
        ({number: "<script>alert(1)</script>"}, f"{number}-error"),
        ({"customer_number-abc": "4711"}, "form-errors"),
        ({"customer_number-99999": "4711"}, "form-errors"),
    ]
    for overrides, where in cases:
        response = client.post("/companies/new", data=company_data(**overrides), headers=HX)
        assert response.status_code == 422, overrides
        assert f'id="{where}"'.encode() in response.data or f'class="{where}"'.encode() in response.data, overrides
        assert b"<script>alert" not in response.data and b"<img src=x" not in response.data
    assert count(app, Company) == 0
    assert count(app, CustomerNumber) == 0
    assert count(app, ChangeLogEntry) == 0


def test_invalid_plain_post_rerenders_full_page(client, admin, company_data):
    """Without htmx an invalid form comes back as the whole page, still with status 422."""
    response = client.post("/companies/new", data=company_data(name=""))
    assert response.status_code == 422
    assert b"<html" in response.data and b'id="name-error"' in response.data


def test_duplicate_name_in_other_case_is_refused(client, admin, company_data, make_company, app):
    """A second company with the same name in another case gets a message at the name field."""
    make_company("Dreve Otoplastik")
    response = client.post("/companies/new", data=company_data(name="DREVE otoplastik"), headers=HX)
    assert response.status_code == 422
    assert b'id="name-error"' in response.data and b"already exists" in response.data
    assert count(app, Company) == 1


# --- update ------------------------------------------------------------------------------

def test_update_general_data_and_numbers_in_one_save(client, admin, company_data, make_company,
                                                     make_branch, app):
    """One save changes fields and several branches' numbers; one log entry, version +1,
    and the history names the branch: 'Customer number Stuttgart Mitte: 4711 → 4712'."""
    stuttgart = make_branch("Stuttgart Mitte", "S1")
    ulm = make_branch("Ulm", "UL")
    esslingen = make_branch("Esslingen", "ES")
    company_id = make_company("Dreve Otoplastik", is_supplier=False, is_lab=True,
                              numbers={stuttgart: "4711", ulm: "U-1"})
    data = company_data(version="1", city="Unna-Massen", order_form="phone", **{
        f"customer_number-{stuttgart}": "4712", f"customer_number-{ulm}": "",
        f"customer_number-{esslingen}": "E-9"})
    response = client.post(f"/companies/{company_id}", data=data, headers=HX)
    assert response.status_code == 200
    assert b"Saved." in response.data and "companies-changed" in response.headers["HX-Trigger"]
    assert numbers_of(app, company_id) == {stuttgart: "4712", esslingen: "E-9"}
    with app.app_context():
        company = db.session.get(Company, company_id)
        assert (company.city, company.version, company.updated_by) == ("Unna-Massen", 2, "Anna Admin")
    [(action, changes, branch_name)] = log_entries(app)
    assert action == "update" and branch_name == ""
    assert {"field": "customer_number:Stuttgart Mitte", "old": "4711", "new": "4712"} in changes
    assert {"field": "customer_number:Ulm", "old": "U-1", "new": ""} in changes
    assert {"field": "customer_number:Esslingen", "old": "", "new": "E-9"} in changes
    page = client.get(f"/companies/{company_id}")
    assert "Customer number Stuttgart Mitte: 4711 → 4712".encode() in page.data
    assert "Customer number Ulm: U-1 → —".encode() in page.data
    assert "City: — → Unna-Massen".encode() in page.data
    # Codes read as words: the order form by its label, booleans as yes / no.
    assert "Order form: Print / fax / e-mail attachment → By phone".encode() in page.data
    assert "Ordering activated: no → yes".encode() in page.data


def test_edit_without_change_writes_no_log(client, admin, company_data, make_company, make_branch, app):
    """Saving unchanged values (numbers included) bumps no version and writes no log."""
    branch = make_branch("Stuttgart Mitte", "S1")
    company_id = make_company("Dreve Otoplastik", is_supplier=False, is_lab=True,
                              street="Max-Planck-Str. 31", postal_code="59423", city="Unna",
                              phone="+49 2303 8807-0", email="info@example.org", ordering_active=True,
                              order_form="document", order_email="bestellung@example.org",
                              numbers={branch: "4711"})
    response = client.post(f"/companies/{company_id}", headers=HX,
                           data=company_data(version="1", **{f"customer_number-{branch}": "4711"}))
    assert response.status_code == 200 and b"No changes." in response.data
    with app.app_context():
        assert db.session.get(Company, company_id).version == 1
    assert count(app, ChangeLogEntry) == 0


def test_stale_version_is_refused_and_input_kept(client, admin, company_data, make_company,
                                                 make_branch, app):
    """Saving over a newer change is refused with who/when; typed values and numbers stay."""
    branch = make_branch("Stuttgart Mitte", "S1")
    company_id = make_company("Dreve Otoplastik", numbers={branch: "4711"})
    with app.app_context():
        company = db.session.get(Company, company_id)
        company.version, company.updated_by = 2, "Berta Beispiel"
        db.session.commit()
    response = client.post(f"/companies/{company_id}", headers=HX, data=company_data(
        version="1", city="Mein Ort", **{f"customer_number-{branch}": "9999"}))
    assert response.status_code == 409
    assert b"Berta Beispiel" in response.data
    assert b'value="Mein Ort"' in response.data and b'value="9999"' in response.data
    assert numbers_of(app, company_id) == {branch: "4711"}
    assert count(app, ChangeLogEntry) == 0


def test_damaged_version_is_refused_not_a_crash(client, admin, company_data, make_company, app):
    """A version that is not a number gets a message above the form, not a server error."""
    company_id = make_company("Dreve Otoplastik")
    response = client.post(f"/companies/{company_id}", headers=HX,
                           data=company_data(version="abc", city="Anders"))
    assert response.status_code == 422 and b'class="form-errors"' in response.data
    with app.app_context():
        assert db.session.get(Company, company_id).city == ""


def test_unknown_company_is_404(client, admin, company_data):
    """Reading, saving or deleting a company that does not exist answers 404."""
    assert client.get("/companies/999").status_code == 404
    assert client.post("/companies/999", data=company_data(version="1")).status_code == 404
    assert client.post("/companies/999/delete", data=company_data()).status_code == 404


# --- delete ------------------------------------------------------------------------------

def test_delete_with_htmx_removes_company_and_its_numbers(client, admin, auth, make_company,
                                                          make_branch, app):
    """An htmx delete answers with a notice, refreshes the list and takes the numbers along."""
    branch = make_branch("Stuttgart Mitte", "S1")
    company_id = make_company("Dreve Otoplastik", numbers={branch: "4711"})
    response = client.post(f"/companies/{company_id}/delete", data={"csrf_token": auth.csrf_token()},
                           headers=HX)
    assert response.status_code == 200
    assert b"Dreve Otoplastik was deleted." in response.data
    assert "companies-changed" in response.headers["HX-Trigger"]
    assert response.headers["HX-Push-Url"] == "/companies/"
    assert (count(app, Company), count(app, CustomerNumber)) == (0, 0)
    assert [action for action, _changes, _branch in log_entries(app)] == ["delete"]


def test_delete_confirm_page_and_plain_post(client, admin, auth, make_company, app):
    """Without JavaScript: a confirmation page, then a post that redirects to the list."""
    company_id = make_company("Dreve Otoplastik")
    confirm = client.get(f"/companies/{company_id}/delete")
    assert confirm.status_code == 200 and b"Dreve Otoplastik" in confirm.data
    assert f'action="/companies/{company_id}/delete"'.encode() in confirm.data
    response = client.post(f"/companies/{company_id}/delete", data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 303 and response.headers["Location"].endswith("/companies/")
    assert count(app, Company) == 0


def test_search_treats_wildcards_literally(client, admin, make_company):
    """'%' and '_' in the search box are characters, not LIKE wildcards."""
    make_company("Dreve Otoplastik")
    make_company("Labor_100%")
    for q in ("%25", "_1"):
        rows = client.get(f"/companies/?q={q}", headers=HX).data
        assert b"Labor_100%" in rows and b"Dreve Otoplastik" not in rows, q
