"""The branch editor's 'Vordefiniertes Otoplastik-Labor': a lab, optional, change-logged."""
from tests.factories import HX
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import Company
from webapp.extensions import db
from webapp.org.models import Branch


def make_company(app, name, **roles):
    with app.app_context():
        company = Company(name=name, **roles)
        db.session.add(company)
        db.session.commit()
        return company.id


def branch_data(auth, **overrides):
    data = {"name": "Stuttgart Mitte", "short_code": "ST", "version": "1", "ear_mould_lab_id": "",
            "csrf_token": auth.csrf_token(), **{name: "" for name in (
                "street", "postal_code", "city", "office_street", "office_postal_code",
                "office_city", "office_email", "office_phone")}}
    data.update(overrides)
    return data


def test_lab_select_offers_labs_only(client, admin, make_branch, app):
    """Only companies with the lab role are offered, after an empty choice."""
    branch = make_branch("Stuttgart Mitte", "ST")
    dreve = make_company(app, "Dreve", is_lab=True)
    make_company(app, "Batterie-Express", is_supplier=True)
    editor = client.get(f"/branches/{branch}", headers=HX).data
    assert b'name="ear_mould_lab_id"' in editor and f'value="{dreve}"'.encode() in editor
    assert b"Batterie-Express" not in editor and b"Predefined ear-mould lab" in editor


def test_lab_is_saved_logged_and_cleared(client, admin, auth, make_branch, app):
    """Choosing a lab saves and logs it; the empty choice clears it."""
    branch = make_branch("Stuttgart Mitte", "ST")
    dreve = make_company(app, "Dreve", is_lab=True)
    saved = client.post(f"/branches/{branch}", headers=HX, data=branch_data(auth, ear_mould_lab_id=str(dreve)))
    assert saved.status_code == 200
    assert f'<option selected value="{dreve}">'.encode() in saved.data
    with app.app_context():
        assert db.session.get(Branch, branch).ear_mould_lab_id == dreve
        entry = db.session.scalar(db.select(ChangeLogEntry))
        assert {"field": "ear_mould_lab_id", "old": None, "new": dreve} in entry.changes
    cleared = client.post(f"/branches/{branch}", headers=HX, data=branch_data(auth, version="2"))
    assert cleared.status_code == 200
    with app.app_context():
        assert db.session.get(Branch, branch).ear_mould_lab_id is None


def test_a_company_without_the_lab_role_is_refused(client, admin, auth, make_branch, app):
    """A crafted post naming a supplier that is no lab gets a message beside the field."""
    branch = make_branch("Stuttgart Mitte", "ST")
    supplier = make_company(app, "Batterie-Express", is_supplier=True)
    response = client.post(f"/branches/{branch}", headers=HX,
                           data=branch_data(auth, ear_mould_lab_id=str(supplier)))
    assert response.status_code == 422 and b'id="ear_mould_lab_id-error"' in response.data
    with app.app_context():
        assert db.session.get(Branch, branch).ear_mould_lab_id is None


def test_branch_with_customers_is_not_deleted(client, admin, auth, make_branch, make_customer, app):
    """Customers keep their branch: the delete is refused, naming them."""
    branch = make_branch("Stuttgart Mitte", "ST")
    make_customer("Mustermann", branch)
    response = client.post(f"/branches/{branch}/delete", headers=HX, data={"csrf_token": auth.csrf_token()})
    assert response.status_code == 409 and b"customers: 1" in response.data
    with app.app_context():
        assert db.session.get(Branch, branch) is not None
