"""Who may change companies: admins everything, branch managers their branches' customer
numbers, staff nothing, each enforced on the server even for crafted posts."""
import pytest

from tests.factories import HX, count, numbers_of
from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import Company
from webapp.extensions import db


@pytest.fixture
def two_branches(make_branch):
    return make_branch("Stuttgart Mitte", "S1"), make_branch("Ulm", "UL")


@pytest.fixture
def dreve(make_company, two_branches):
    own, other = two_branches
    return make_company("Dreve Otoplastik", is_supplier=False, is_lab=True, city="Unna",
                        numbers={own: "4711", other: "U-1"})


def test_staff_reads_but_every_post_is_403(client, login_as, auth, company_data, dreve, two_branches, app):
    """Staff see the list and a read-only editor; create, save (even unchanged) and delete are 403."""
    own, _other = two_branches
    login_as("sam", "staff", [own])
    assert client.get("/companies/").status_code == 200
    editor = client.get(f"/companies/{dreve}")
    assert editor.status_code == 200
    assert b'type="submit"' not in editor.data.split(b'id="company-form"')[1]
    assert f'name="customer_number-{own}"'.encode() not in editor.data
    assert client.get(f"/companies/{dreve}/delete").status_code == 403
    token = auth.csrf_token()
    posts = [
        ("/companies/new", company_data(name="Neu")),
        (f"/companies/{dreve}", {"csrf_token": token, "version": "1"}),
        (f"/companies/{dreve}", {"csrf_token": token, "version": "1", f"customer_number-{own}": "1"}),
        (f"/companies/{dreve}", company_data(version="1")),
        (f"/companies/{dreve}", company_data(version="1", name="", **{"customer_number-abc": "1"})),
        ("/companies/new", company_data(name="<script>")),
        (f"/companies/{dreve}/delete", {"csrf_token": token}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, (url, data)
        assert client.post(url, data=data, headers=HX).status_code == 403, (url, data)
    assert count(app, Company) == 1
    assert numbers_of(app, dreve) == {own: "4711", two_branches[1]: "U-1"}
    assert count(app, ChangeLogEntry) == 0


def test_branch_manager_editor_shows_only_own_rows_as_inputs(client, login_as, dreve, two_branches):
    """General data and order settings are disabled; other branches' numbers are plain text."""
    own, other = two_branches
    login_as("maria", "branch_manager", [own])
    editor = client.get(f"/companies/{dreve}", headers=HX)
    assert editor.data.count(b"<fieldset disabled>") == 2
    assert f'name="customer_number-{own}"'.encode() in editor.data
    assert f'name="customer_number-{other}"'.encode() not in editor.data
    assert b"U-1" in editor.data
    assert b'type="submit"' in editor.data and b"Delete" not in editor.data


def test_branch_manager_changes_own_branch_number(client, login_as, auth, dreve, two_branches, app):
    """The editor posts only the own row; it is saved, the rest of the company stays as it was,
    and the log entry belongs to that branch."""
    own, other = two_branches
    login_as("maria", "branch_manager", [own])
    response = client.post(f"/companies/{dreve}", headers=HX, data={
        "csrf_token": auth.csrf_token(), "version": "1", f"customer_number-{own}": "4712"})
    assert response.status_code == 200 and b"Saved." in response.data
    assert numbers_of(app, dreve) == {own: "4712", other: "U-1"}
    with app.app_context():
        company = db.session.get(Company, dreve)
        assert (company.is_lab, company.city, company.version) == (True, "Unna", 2)
        entry = db.session.scalar(db.select(ChangeLogEntry))
        assert entry.branch_name == "Stuttgart Mitte"
        assert entry.changes == [{"field": "customer_number:Stuttgart Mitte", "old": "4711", "new": "4712"}]


def test_branch_manager_removes_own_number_with_plain_post(client, login_as, auth, dreve, two_branches, app):
    """An empty field removes the number; without htmx the save redirects."""
    own, other = two_branches
    login_as("maria", "branch_manager", [own])
    response = client.post(f"/companies/{dreve}", data={
        "csrf_token": auth.csrf_token(), "version": "1", f"customer_number-{own}": ""})
    assert response.status_code == 303
    assert numbers_of(app, dreve) == {other: "U-1"}


def test_branch_manager_invalid_number_keeps_readonly_sections(client, login_as, auth, dreve, two_branches, app):
    """A refused number comes back with its message; the disabled sections still show the
    stored data, not blanks."""
    own, _other = two_branches
    login_as("maria", "branch_manager", [own])
    response = client.post(f"/companies/{dreve}", headers=HX, data={
        "csrf_token": auth.csrf_token(), "version": "1", f"customer_number-{own}": "<b>"})
    assert response.status_code == 422
    assert f'id="customer_number-{own}-error"'.encode() in response.data
    assert b'value="Unna"' in response.data
    assert b'<input checked id="is_lab" name="is_lab" type="checkbox" value="y"' in response.data
    assert numbers_of(app, dreve)[own] == "4711"


@pytest.mark.parametrize("other_number, status, expected", [
    ("U-2", 403, "4711"),  # crafted change of another branch: refused, not even the own row saved
    ("U-1", 200, "4712"),  # another branch's number sent unchanged is no change to it
])
def test_branch_manager_and_other_branch_number(client, login_as, auth, dreve, two_branches, app,
                                                other_number, status, expected):
    """Another branch's number may be sent unchanged, but a change to it is a 403 that saves nothing."""
    own, other = two_branches
    login_as("maria", "branch_manager", [own])
    data = {"csrf_token": auth.csrf_token(), "version": "1",
            f"customer_number-{own}": "4712", f"customer_number-{other}": other_number}
    assert client.post(f"/companies/{dreve}", data=data, headers=HX).status_code == status
    assert numbers_of(app, dreve) == {own: expected, other: "U-1"}
    assert count(app, ChangeLogEntry) == (1 if status == 200 else 0)


def test_branch_manager_may_not_change_general_data(client, login_as, company_data, dreve, two_branches, app):
    """Posting changed general data or order settings is a 403, whatever else is in the post."""
    own, _other = two_branches
    login_as("maria", "branch_manager", [own])
    same = dict(name="Dreve Otoplastik", street="", postal_code="", city="Unna", phone="", email="",
                ordering_active=None, order_email="", version="1")
    for change in ({"city": "Dortmund"}, {"is_supplier": "y"}, {"ordering_active": "y", "order_email": "b@example.org"},
                   {"name": "Dreve GmbH"}, {"order_form": "phone"}):
        data = company_data(**{**same, **change, f"customer_number-{own}": "4712"})
        assert client.post(f"/companies/{dreve}", data=data, headers=HX).status_code == 403, change
    with app.app_context():
        company = db.session.get(Company, dreve)
        assert (company.name, company.city, company.is_supplier, company.version) == (
            "Dreve Otoplastik", "Unna", False, 1)
    assert numbers_of(app, dreve)[own] == "4711"
    # The same post with the general data as stored is only a number change.
    ok = client.post(f"/companies/{dreve}", headers=HX,
                     data=company_data(**{**same, f"customer_number-{own}": "4712"}))
    assert ok.status_code == 200
    assert numbers_of(app, dreve)[own] == "4712"


def test_branch_manager_may_not_create_or_delete(client, login_as, auth, company_data, dreve, two_branches, app):
    """Creating and deleting companies is for administrators only."""
    login_as("maria", "branch_manager", [two_branches[0]])
    assert client.post("/companies/new", data=company_data(name="Neu")).status_code == 403
    assert client.post(f"/companies/{dreve}/delete", data={"csrf_token": auth.csrf_token()}).status_code == 403
    assert count(app, Company) == 1


def test_admin_sees_every_row_as_input(client, admin, dreve, two_branches):
    """The head office edits all branches' numbers in the one table."""
    editor = client.get(f"/companies/{dreve}", headers=HX)
    for branch_id in two_branches:
        assert f'name="customer_number-{branch_id}"'.encode() in editor.data
    assert b"<fieldset disabled>" not in editor.data
