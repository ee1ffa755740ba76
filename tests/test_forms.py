"""Every form inherits webapp.forms.AppForm: control characters are refused beside the field,
a text field left out of a post is empty (not NULL), a damaged `version` is a message (not
int() failing in records.check_version), and a select naming no record is a field error."""
import pytest
from flask_wtf import FlaskForm

from tests.factories import HX, count, ear_mould_raw
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.forms import AppForm
from webapp.interfaces.models import InterfaceService
from webapp.ordering.models import Order
from webapp.org.models import Branch

CONTROL_MESSAGE = "Darf keine Steuerzeichen"
DAMAGED = "Das Formular ist beschädigt"


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_app_inherits_app_form(app):
    """A form on FlaskForm alone would let NUL bytes and NULLs through again."""
    forms = {form for form in _subclasses(FlaskForm) if form.__module__.startswith("webapp.")}
    assert len(forms) > 15
    assert {f"{form.__module__}.{form.__name__}" for form in forms
            if not issubclass(form, AppForm)} == set()


@pytest.mark.parametrize("name", ["Ulm\x00", "Ulm\x1b[31m", "Ul\tm", "Ul\x7fm", "U\x85lm"])
def test_control_characters_are_refused_beside_the_field(client, admin, auth, app, name):
    """NUL (which PostgreSQL refuses), ESC, tabs, DEL and C1 controls never reach a name."""
    response = client.post("/branches/new", headers=HX, data={
        "csrf_token": auth.csrf_token(), "name": name, "short_code": "UL"})
    assert response.status_code == 422
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert count(app, Branch) == 0


def test_a_text_area_keeps_tabs_and_line_breaks_but_no_nul(client, admin, auth, app, make_branch):
    """Remarks are multi-line: tab, line feed and carriage return are text there."""
    branch_id = make_branch("Ulm", "UL")
    data = {"csrf_token": auth.csrf_token(), "salutation": "", "last_name": "Muster",
            "branch_id": str(branch_id)}
    refused = client.post("/customers/new", headers=HX, data={**data, "note": "a\x00b"})
    assert refused.status_code == 422 and CONTROL_MESSAGE in refused.get_data(as_text=True)
    assert count(app, Customer) == 0
    saved = client.post("/customers/new", data={**data, "note": "Zeile 1\r\n\tZeile 2"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Customer.note)) == "Zeile 1\r\n\tZeile 2"


@pytest.mark.parametrize("version", ["abc", "", "²", "1.0", "9" * 30, "-1"])
def test_a_damaged_version_is_refused_with_a_message(client, admin, auth, app, make_branch,
                                                      make_customer, version):
    """The hidden optimistic-locking field, edited or emptied, is 'the form is damaged'
    (422), on every kind of editor, and nothing is saved."""
    branch_id = make_branch("Ulm", "UL")
    customer_id = make_customer("Muster", branch_id)
    token = auth.csrf_token()
    for url, data in ((f"/branches/{branch_id}", {"name": "Neu-Ulm", "short_code": "UL"}),
                      (f"/customers/{customer_id}", {"salutation": "", "last_name": "Neu",
                                                     "branch_id": str(branch_id)}),
                      ("/chain", {"name": "Neue Kette", "timezone": "Europe/Berlin"})):
        response = client.post(url, headers=HX, data={**data, "version": version,
                                                      "csrf_token": token})
        assert response.status_code == 422, url
        assert DAMAGED in response.get_data(as_text=True), url
    with app.app_context():
        assert db.session.get(Branch, branch_id).name == "Ulm"
        assert db.session.get(Customer, customer_id).last_name == "Muster"


def test_a_damaged_version_of_a_service_is_refused(client, world, auth, csrf, make_service):
    """The interface editor and its Löschen take the version too."""
    auth.login(world.admin)
    service = make_service("smtp", branch_id=world.st.id)
    token = csrf()
    for version in ("x", ""):
        response = client.post(f"/interfaces/{service.id}", headers=HX, data={
            "csrf_token": token, "name": "Neu", "branch_id": str(world.st.id), "version": version,
            "usage_server": "y", "enabled": "y", "host": "mail.example.org", "port": "587",
            "encryption": "starttls", "sender_address": "filiale@example.org"})
        assert response.status_code == 422
        assert DAMAGED in response.get_data(as_text=True)
    deleted = client.post(f"/interfaces/{service.id}/delete", headers=HX,
                          data={"csrf_token": token, "version": "x"})
    assert deleted.status_code < 500
    assert db.session.get(type(service), service.id) is not None


def test_a_number_field_left_out_is_empty_too(client, world, auth, csrf):
    """A converting text field (the venting's decimal comma) left out reads as its empty
    input, None, not as the text ''."""
    auth.login(world.admin)
    position = world.process.positions[0]
    response = client.post(f"/processes/{world.process.id}/positions/{position.id}",
                           headers=HX, data={
                               "csrf_token": csrf(), "version": str(position.version),
                               "side": "left", "style": "Vollschale", "material": "Silikon",
                               "colour": "", "impression_ref": "ABD-L-1", "notes": ""})
    assert response.status_code == 200
    db.session.expire_all()
    assert world.process.positions[0].venting is None


@pytest.mark.parametrize("company_id", ["-1", "999999", str(2**63), "²"])
def test_an_order_for_a_company_that_does_not_exist_is_a_field_error(
        client, world, auth, csrf, make_service, company_id):
    """company_id=-1 hit a FOREIGN KEY failure; every id that names no company is refused
    beside the field and orders nothing."""
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, supplier=world.dreve),
                 name="Dreve ST", branch_id=world.st.id)
    auth.login(world.staff)
    response = client.post(f"/processes/{world.process.id}/order", headers=HX, data={
        "csrf_token": csrf(), "company_id": company_id, "supplier_id": "", "note": ""})
    assert response.status_code == 422
    assert db.session.scalar(db.select(db.func.count()).select_from(Order)) == 0


@pytest.mark.parametrize("branch_id", ["-1", "999999", str(2**63)])
def test_a_customer_of_a_branch_that_does_not_exist_is_refused(client, admin, auth, app,
                                                                branch_id):
    """The branch select is not checked against its choices (the service decides); an id
    of no branch must still not reach the database."""
    response = client.post("/customers/new", headers=HX, data={
        "csrf_token": auth.csrf_token(), "salutation": "", "last_name": "Muster",
        "branch_id": branch_id})
    assert response.status_code == 422
    assert count(app, Customer) == 0


@pytest.mark.parametrize("url", ["/branches/new", "/interfaces/new/smtp"])
@pytest.mark.parametrize("body", ['{"name": [1, 2], "short_code": 7, "version": {}}',
                                  '{"name": "Ulm", "short_code": "UL"}', "[1, 2]", '"Ulm"'])
def test_a_json_body_is_a_post_of_no_field(client, admin, auth, app, url, body):
    """Flask-WTF read a JSON body as the form: a number or list where a browser sends text
    failed in the validators, a list or string as the body in the form's dict (500). Our
    pages post forms only: JSON is an empty post, refused beside the fields (422)."""
    response = client.post(url, data=body, content_type="application/json",
                           headers={**HX, "X-CSRFToken": auth.csrf_token()})
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)  # beside a required field
    assert count(app, Branch) == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(InterfaceService)) == 0
