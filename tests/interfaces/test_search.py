"""The service list: filters, sorting, paging, and a constant number of statements for the
list and the effective configuration however many services exist."""
import datetime

from tests.factories import SMTP_RAW, TODAY
from webapp.interfaces import resolver, services


def names(page):
    return [service.name for service in page.items]


def some_services(world, make_service):
    make_service("smtp", name="Mail chain")
    make_service("smtp", name="mail Stuttgart", branch_id=world.st.id,
                 start_date=TODAY + datetime.timedelta(days=3))
    make_service("phone_dial_url", {"dial_url": "tel:{nummer}"}, name="Telefon Ulm",
                 branch_id=world.ul.id)
    make_service("tse_swissbit", {"drive_letter": "E:"}, name="TSE Kasse",
                 workstation_id=world.st_till.id)
    make_service("smtp", {"port": "25"}, name="Mail Kasse", workstation_id=world.st_till.id)


def test_filters(world, make_service):
    """Text (service, branch or interface name), group, branch, chain-only, and the
    'Mit Arbeitsplatzeinstellungen' switch between branch-management and workstation lists."""
    some_services(world, make_service)
    assert names(services.search_services()) == ["Mail chain", "mail Stuttgart", "Telefon Ulm"]
    assert names(services.search_services(q="SMTP")) == ["Mail chain", "mail Stuttgart"]
    assert names(services.search_services(q="ulm")) == ["Telefon Ulm"]
    assert names(services.search_services(group="telephone")) == ["Telefon Ulm"]
    assert names(services.search_services(branch=world.st.id)) == ["mail Stuttgart"]
    assert names(services.search_services(branch="chain")) == ["Mail chain"]
    assert names(services.search_services(with_workstation_settings=True)) == [
        "Mail Kasse", "TSE Kasse"]
    assert names(services.search_services(with_workstation_settings=True,
                                          branch=world.st.id)) == ["Mail Kasse", "TSE Kasse"]
    assert names(services.search_services(with_workstation_settings=True,
                                          branch=world.ul.id)) == []
    assert names(services.search_services(workstation=world.st_till, q="tse")) == ["TSE Kasse"]


def test_sorting_and_paging(world, make_service):
    """Groups in catalogue order by default; by name, branch (chain first) or start date;
    pages of per_page."""
    some_services(world, make_service)
    assert names(services.search_services(sort="group")) == [
        "Mail chain", "mail Stuttgart", "Telefon Ulm"]
    assert names(services.search_services(sort="name")) == [
        "Mail chain", "mail Stuttgart", "Telefon Ulm"]
    assert names(services.search_services(sort="branch")) == [
        "Mail chain", "mail Stuttgart", "Telefon Ulm"]
    assert names(services.search_services(sort="start")) == [
        "Mail chain", "Telefon Ulm", "mail Stuttgart"]
    page = services.search_services(per_page=2, page=2)
    assert page.total == 3 and names(page) == ["Telefon Ulm"]
    assert names(services.search_services(sort="bogus")) == names(services.search_services())


def test_totals_count_what_the_filters_select(world, make_service):
    """"Seite 1 von N" counts exactly the services each filter and reader selects (the count
    joins only what the filters need)."""
    some_services(world, make_service)
    for filters in ({}, {"q": "SMTP"}, {"q": "ulm"}, {"q": "kasse"}, {"group": "telephone"},
                    {"branch": world.st.id}, {"branch": "chain"},
                    {"with_workstation_settings": True},
                    {"with_workstation_settings": True, "branch": world.st.id},
                    {"workstation": world.st_till}, {"reader": world.manager},
                    {"reader": world.ul_staff, "q": "mail"},
                    {"reader": world.manager, "with_workstation_settings": True}):
        every = services.search_services(**filters, per_page=100)
        page = services.search_services(**filters, per_page=1)
        assert page.total == every.total == len(every.items), filters


def many_services(world, make_service, count):
    """`count` CalDAV accounts, alternating between Stuttgart and Ulm."""
    for i in range(count):
        branch = world.st if i % 2 else world.ul
        make_service("caldav_service_account", {"username": f"user{i}", "password": "p"},
                     name=f"CalDAV {i:02d}", branch_id=branch.id)


def test_list_statement_count_does_not_grow(world, make_service, count_queries):
    """Listing 3 or 23 services — with branch and workstation names — costs the same."""
    def listing(with_workstations):
        page = services.search_services(with_workstation_settings=with_workstations,
                                        per_page=50)
        return [(s.name, s.branch_name, s.workstation_name) for s in page.items]

    make_service("smtp", name="Mail chain")
    make_service("smtp", name="Mail ST", branch_id=world.st.id)
    make_service("smtp", SMTP_RAW, name="Kasse", workstation_id=world.st_till.id)
    with count_queries() as few:
        listing(False)
        listing(True)
    many_services(world, make_service, 20)
    make_service("smtp", SMTP_RAW, name="Kasse UL", workstation_id=world.ul_till.id)
    with count_queries() as many:
        chain_and_branches, workstations = listing(False), listing(True)
    assert many.count == few.count
    assert len(chain_and_branches) == 22 and ("Mail ST", "Stuttgart", None) in chain_and_branches
    assert ("Mail chain", None, None) in chain_and_branches
    assert sorted(workstations) == [("Kasse", "Stuttgart", "ST-KASSE"),
                                    ("Kasse UL", "Ulm", "UL-KASSE")]


def test_effective_configuration_statement_count_does_not_grow(world, make_service,
                                                              count_queries):
    """The effective configuration of a workstation costs the same for 3 and 23 services."""
    make_service("smtp", {**SMTP_RAW, "password": "x"}, name="Mail chain")
    make_service("dreve_smartorder", {"companies": [str(world.dreve.id)],
                                      "base_url": "https://o.example.org", "username": "u",
                                      "password": "p"}, name="Dreve", branch_id=world.st.id)
    make_service("smtp", {"port": "25"}, name="Kasse", workstation_id=world.st_till.id)
    with count_queries() as few:
        config = resolver.effective_configuration(workstation=world.st_till, today=TODAY)
        assert sum(len(entries) for _g, entries in config.groups) == 2
    many_services(world, make_service, 20)
    with count_queries() as many:
        config = resolver.effective_configuration(workstation=world.st_till, today=TODAY)
        assert len(config.entry("caldav_service_account").applied) == 10
    assert many.count == few.count
