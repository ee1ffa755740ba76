"""Who may change customers: admins all, branch managers and staff those of their own
branches, everyone reads; deleting is for admins and the branch's managers."""
import pytest

from tests.factories import HX, count
from webapp.changelog.models import ChangeLogEntry
from webapp.customers import services
from webapp.customers.models import Customer
from webapp.errors import PermissionDenied
from webapp.extensions import db
from webapp.users.models import User


@pytest.fixture
def customers(make_customer, two_branches):
    own, other = two_branches
    return make_customer("Eigen", own), make_customer("Fremd", other)


@pytest.mark.parametrize("role", ["staff", "branch_manager"])
def test_own_branch_users_create_and_edit(client, login_as, customer_data, customers, two_branches,
                                          app, role):
    """Staff and managers create customers for their branch and change their customers."""
    own, _other = two_branches
    login_as("sam", role, [own])
    created = client.post("/customers/new", data=customer_data(own, last_name="Neu"), headers=HX)
    assert created.status_code == 204
    saved = client.post(f"/customers/{customers[0]}", headers=HX,
                        data=customer_data(own, version="1", last_name="Eigen", city="Esslingen"))
    assert saved.status_code == 200 and b"Saved." in saved.data
    assert count(app, Customer) == 3


def test_other_branch_customer_is_read_only(client, login_as, customer_data, customers, two_branches, app):
    """Staff read another branch's customer in a disabled form; every change is 403."""
    own, other = two_branches
    login_as("sam", "staff", [own])
    page = client.get(f"/customers/{customers[1]}")
    assert page.status_code == 200 and b"Fremd" in page.data
    form = page.data.split(b'id="customer-form"')[1]
    assert b"<fieldset disabled>" in form and b'type="submit"' not in form
    assert b"Delete" not in form
    posts = [
        (f"/customers/{customers[1]}", customer_data(other, version="1", last_name="Fremd")),
        (f"/customers/{customers[1]}", customer_data(own, version="1", last_name="Fremd")),
        ("/customers/new", customer_data(other, last_name="Neu")),
        (f"/customers/{customers[0]}", customer_data(other, version="1", last_name="Eigen")),
        (f"/customers/{customers[1]}/delete", {"csrf_token": customer_data(own)["csrf_token"]}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, (url, data)
        assert client.post(url, data=data, headers=HX).status_code == 403, (url, data)
    assert client.get(f"/customers/{customers[1]}/delete").status_code == 403
    assert count(app, Customer) == 2 and count(app, ChangeLogEntry) == 0
    with app.app_context():
        assert db.session.get(Customer, customers[0]).branch_id == own


def test_staff_may_not_delete_but_the_branch_manager_may(client, login_as, auth, customers, two_branches, app):
    """Deleting is for admins and the customer's branch managers, not for staff."""
    own, _other = two_branches
    login_as("sam", "staff", [own])
    assert client.post(f"/customers/{customers[0]}/delete",
                       data={"csrf_token": auth.csrf_token()}).status_code == 403
    auth.logout()
    login_as("maria", "branch_manager", [own])
    assert client.post(f"/customers/{customers[1]}/delete",
                       data={"csrf_token": auth.csrf_token()}).status_code == 403
    assert client.post(f"/customers/{customers[0]}/delete",
                       data={"csrf_token": auth.csrf_token()}).status_code == 303
    assert count(app, Customer) == 1


def test_user_without_branches_only_reads(client, login_as, customer_data, customers, two_branches):
    """A user in no branch sees customers, but no "New" button, and creating is 403."""
    login_as("nobody", "staff", [])
    page = client.get("/customers/")
    assert page.status_code == 200 and b"Eigen" in page.data and b"/customers/new" not in page.data
    assert client.post("/customers/new", data=customer_data(two_branches[0])).status_code == 403


def test_branch_choices_are_the_users_branches(client, login_as, two_branches):
    """The branch select offers only the user's own branches, preselected when there is one."""
    own, other = two_branches
    login_as("sam", "staff", [own])
    form = client.get("/customers/new", headers=HX).data
    assert f'<option selected value="{own}">'.encode() in form
    assert f'value="{other}"'.encode() not in form


def test_service_refuses_other_branches(app, make_user, customers, two_branches):
    """The service itself checks the branch, whatever the view let through."""
    own, other = two_branches
    user_id = make_user("sam", role="staff", branch_ids=[own])
    with app.app_context():
        sam = db.session.get(User, user_id)
        data = dict(salutation="", first_name="", last_name="Neu", street="", postal_code="",
                    city="", phone="", mobile="", email="", note="", branch_id=other)
        with pytest.raises(PermissionDenied):
            services.create_customer(sam, data)
        customer = db.session.get(Customer, customers[0])
        with pytest.raises(PermissionDenied):
            services.update_customer(sam, customer, {**data, "last_name": "Eigen"}, 1)
        with pytest.raises(PermissionDenied):
            services.delete_customer(sam, customer)
