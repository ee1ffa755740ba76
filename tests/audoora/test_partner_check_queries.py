"""Audoora's partner check reads a fixed number of statements, however many partners,
companies, customer numbers, ordering branches and company-specific services it checks, and
its batched look-up of the services that take precedence agrees with the one for a single
company and branch."""
from datetime import timedelta

from webapp.audoora import partners
from webapp.audoora.models import AudooraPartnerList
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db
from webapp.interfaces.services import chain_today
from webapp.models_base import utcnow
from webapp.org.models import Branch

from tests.factories import ear_mould_raw

AUDOORA_RAW = {"base_url": "https://portal.example.org", "registration_email": "z@example.org",
               "username": "10001", "password": "sandbox"}


def _statements(client, count_queries, service):
    """Statements of the service's editor and of the action's status, both showing the
    check (after a first request: the first after the login also touches its session)."""
    found = []
    for url in (f"/interfaces/{service.id}",
                f"/interfaces/{service.id}/actions/load_partners/status"):
        client.get(url)
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        assert "Partnerfirmen (" in response.get_data(as_text=True)
        found.append(counter.count)
    return found


def _partners(service, *names):
    stored = partner_list = db.session.scalar(
        db.select(AudooraPartnerList).where(AudooraPartnerList.service_id == service.id))
    if stored is None:
        partner_list = AudooraPartnerList(service_id=service.id, fetched_at=utcnow())
        db.session.add(partner_list)
    partner_list.partners = [{"id": name.lower(), "name": name} for name in names]
    db.session.commit()


def _companies(count, branches):
    """`count` partner companies with order form "Schnittstelle", each with customer numbers
    for some of `branches`: their names."""
    names = []
    for n in range(count):
        company = Company(name=f"Partner {n}", is_lab=True, is_supplier=True,
                          order_form="interface")
        db.session.add(company)
        db.session.flush()
        db.session.add_all(CustomerNumber(company_id=company.id, branch_id=branch.id,
                                          number=f"P{n}-{branch.id}")
                           for branch in branches[:n % 4])
        names.append(company.name)
    db.session.commit()
    return names


def test_the_partner_check_reads_the_same_statements_for_one_partner_and_many(
        world, make_service, make_branch, client, auth, count_queries):
    """One partner with a company, a number and a Stuttgart service taking its orders, then
    twelve more partners, eight more branches and more such services: the editor and the
    action's status read as many statements as before (before the fix each partner cost
    statements per branch and group)."""
    auth.login(world.admin)
    audoora = make_service("audoora_order", dict(AUDOORA_RAW), name="Audoora")
    make_service("dreve_smartorder", ear_mould_raw(world.dreve), name="Dreve ST",
                 branch_id=str(world.st.id))
    _partners(audoora, "Dreve")
    small = _statements(client, count_queries, audoora)

    for n in range(8):
        make_branch(f"Filiale {n}", f"F{n}")
    names = _companies(10, db.session.scalars(db.select(Branch).order_by(Branch.id)).all())
    make_service("dreve_smartorder", ear_mould_raw(world.egger), name="Egger Kette")
    make_service("dreve_smartorder", ear_mould_raw(world.hoerluchs), name="Hörluchs UL",
                 branch_id=str(world.ul.id))
    _partners(audoora, "Dreve", "Egger", "Hörluchs", "Unbekannt", *names)
    page = client.get(f"/interfaces/{audoora.id}").get_data(as_text=True)
    assert "Partnerfirmen (14)" in page
    assert ">Egger Kette</a>“" in page and ">Hörluchs UL</a>“" in page
    assert _statements(client, count_queries, audoora) == small


def test_the_batched_lookup_agrees_with_the_single_one(world, make_service, make_branch):
    """For every company at every branch (and chain-wide), specific_services_at names the
    service specific_service_for names: branch before chain, disabled and planned ones not."""
    third = db.session.get(Branch, make_branch("Esslingen", "ES"))
    make_service("dreve_smartorder", ear_mould_raw(world.dreve, world.egger), name="Dreve ST",
                 branch_id=str(world.st.id))
    make_service("dreve_smartorder", ear_mould_raw(world.egger), name="Egger Kette")
    off = make_service("dreve_smartorder", ear_mould_raw(world.hoerluchs), name="Aus",
                       branch_id=str(world.ul.id))
    off.enabled = False
    later = chain_today() + timedelta(days=3)
    make_service("dreve_smartorder", ear_mould_raw(world.hoerluchs), name="Später",
                 branch_id=str(third.id), start_date=later)
    db.session.commit()

    branch_ids = [world.st.id, world.ul.id, third.id, None]
    lookup = partners.specific_services_at(branch_ids)
    seen = set()
    for company in (world.dreve, world.egger, world.hoerluchs, world.wholesaler):
        for branch_id in branch_ids:
            expected = partners.specific_service_for(company, branch_id)
            assert lookup(company.id, branch_id) == expected, (company.name, branch_id)
            seen.add(expected.name if expected is not None else None)
    assert seen == {"Dreve ST", "Egger Kette", None}
