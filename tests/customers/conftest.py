"""Fixtures for the customer screens: branches, customers, form data, users by role."""
import pytest

from webapp.customers.models import Customer
from webapp.extensions import db

HX = {"HX-Request": "true"}


@pytest.fixture
def make_customer(app):
    """A customer of a branch, numbered as the service numbers them."""
    def make(last_name="Mustermann", branch_id=None, first_name="Erika", **fields):
        with app.app_context():
            customer = Customer(last_name=last_name, first_name=first_name, branch_id=branch_id,
                                **fields)
            db.session.add(customer)
            db.session.flush()
            customer.number = f"K-{customer.id:06d}"
            db.session.commit()
            return customer.id
    return make


@pytest.fixture
def customer_data(auth):
    """Form data as the Stammdaten form posts it."""
    def data(branch, **overrides):
        values = {
            "salutation": "ms", "first_name": "Erika", "last_name": "Mustermann",
            "street": "Königstraße 1", "postal_code": "70173", "city": "Stuttgart",
            "phone": "+49 711 123456", "mobile": "", "email": "erika@example.org", "note": "",
            "branch_id": str(branch), "csrf_token": auth.csrf_token(),
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}
    return data


@pytest.fixture
def admin(make_user, auth):
    """An administrator, logged in on `client`, reading English."""
    user_id = make_user("admin", role="admin", name="Anna Admin", preferred_language="en")
    auth.login("admin")
    return user_id


@pytest.fixture
def login_as(make_user, auth):
    """Create a user with a role and branches (English UI) and log them in."""
    def login(username, role, branch_ids=(), language="en"):
        user_id = make_user(username, role=role, branch_ids=branch_ids, preferred_language=language,
                            name=username.title())
        auth.login(username)
        return user_id
    return login


@pytest.fixture
def two_branches(make_branch):
    return make_branch("Stuttgart Mitte", "ST"), make_branch("Ulm", "UL")
