"""Fixtures for the company screens: companies with customer numbers, form data, users."""
import pytest

from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db


@pytest.fixture
def make_company(app):
    def make(name="Hörakustik Lieferant GmbH", numbers=None, **fields):
        fields.setdefault("is_supplier", True)
        with app.app_context():
            company = Company(name=name, **fields)
            company.customer_numbers = [CustomerNumber(branch_id=branch_id, number=number)
                                        for branch_id, number in (numbers or {}).items()]
            db.session.add(company)
            db.session.commit()
            return company.id
    return make


@pytest.fixture
def company_data(auth):
    """Form data as the editor posts it for an administrator; booleans are posted as 'y'
    and left out when unchecked, like a browser does."""
    def data(**overrides):
        values = {
            "name": "Dreve Otoplastik", "is_lab": "y", "street": "Max-Planck-Str. 31",
            "postal_code": "59423", "city": "Unna", "phone": "+49 2303 8807-0",
            "email": "info@example.org", "ordering_active": "y", "order_form": "document",
            "order_email": "bestellung@example.org", "csrf_token": auth.csrf_token(),
        }
        values.update(overrides)
        return {key: value for key, value in values.items() if value is not None}
    return data


@pytest.fixture
def user_language():
    """`admin` and `login_as` read English, so that assertions on messages keep working once
    the German catalogue exists."""
    return "en"
