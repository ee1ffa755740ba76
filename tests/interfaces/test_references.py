"""Companies, workstations and branches named by services cannot be deleted from under them."""
import pytest

from tests.factories import SMTP_RAW
from webapp.companies import services as companies
from webapp.errors import InUse
from webapp.interfaces import services
from webapp.org import services as org


def test_company_in_a_company_or_supplier_field_is_kept(world, make_service):
    """Dreve (assigned) and the supplier (named) are in use; Egger is free."""
    service = make_service("dreve_smartorder", {
        "companies": [str(world.dreve.id)], "supplier": str(world.wholesaler.id),
        "base_url": "https://o.example.org", "username": "u", "password": "p"},
        name="Dreve order", branch_id=world.st.id)
    assert companies.company_references(world.dreve) == ["interface services: Dreve order"]
    with pytest.raises(InUse, match="Dreve order"):
        companies.delete_company(world.admin, world.wholesaler)
    companies.delete_company(world.admin, world.egger)
    services.delete_service(world.admin, service)
    assert companies.company_references(world.dreve) == []


def test_workstation_with_its_own_services_is_kept(world, make_service):
    """A till with workstation settings cannot be deleted until they are."""
    service = make_service("smtp", SMTP_RAW, name="Kasse mail", workstation_id=world.st_till.id)
    with pytest.raises(InUse, match="interface services: Kasse mail"):
        org.delete_workstation(world.admin, world.st_till)
    services.delete_service(world.admin, service)
    org.delete_workstation(world.admin, world.st_till)


def test_branch_with_services_reports_them(world, make_service):
    """Services limited to a branch are listed among its references."""
    make_service("smtp", name="Ulm mail", branch_id=world.ul.id)
    assert "interface services: Ulm mail" in [str(r) for r in org.branch_references(world.ul)]
