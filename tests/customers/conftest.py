"""Fixtures for the customer screens: form data, users reading English (`make_customer` and
`two_branches` are in tests/conftest.py)."""
import pytest


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
def user_language():
    """`admin` and `login_as` read English."""
    return "en"
