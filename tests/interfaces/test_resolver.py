"""The resolver: which service applies at a workstation or branch, each value's origin,
protection, start dates, and the look-ups jobs make (resolve, resolve_for_company)."""
import datetime

from tests.factories import SMTP_RAW, TODAY, add_documents
from webapp.interfaces import resolver, services

TOMORROW = TODAY + datetime.timedelta(days=1)


def smtp_everywhere(world, make_service):
    """Chain and Stuttgart services, and a till service that sets only port and sender name."""
    chain = make_service("smtp", {**SMTP_RAW, "host": "chain.example.org"}, name="Chain")
    branch = make_service("smtp", {**SMTP_RAW, "host": "st.example.org", "password": "b-pw",
                                   "username": "st"}, name="ST", branch_id=world.st.id)
    till = make_service("smtp", {"port": "25", "sender_name": "Kasse"}, name="Till",
                        workstation_id=world.st_till.id)
    return chain, branch, till


def same(row, service):
    """The effective configuration reads services as rows (resolver.ServiceRow)."""
    return isinstance(row, resolver.ServiceRow) and row.id == service.id


def test_field_origins_workstation_branch_default(world, make_service):
    """The till's own fields, the branch's for what it leaves empty, then the defaults."""
    _chain, branch, till = smtp_everywhere(world, make_service)
    config = resolver.effective_configuration(workstation=world.st_till, today=TODAY)
    assert config.branch is world.st
    (group, entries), = config.groups
    assert group.key == "email"
    resolution = entries[0].resolution
    assert same(resolution.service, till) and same(resolution.base, branch)
    fields = resolution.fields
    assert (fields["port"].value, fields["port"].origin) == (25, "workstation")
    assert (fields["sender_name"].value, fields["sender_name"].origin) == ("Kasse", "workstation")
    assert (fields["host"].value, fields["host"].origin) == ("st.example.org", "branch")
    assert same(fields["host"].service, branch)
    assert (fields["timeout"].value, fields["timeout"].origin) == (30, "default")
    assert (fields["reply_to"].value, fields["reply_to"].origin) == (None, None)
    assert fields["password"].is_set and fields["password"].origin == "branch"
    assert fields["password"].value is None


def test_branch_and_chain_levels(world, make_service):
    """Ulm has no service: the chain's applies; Stuttgart's own service is complete and does
    not borrow from the chain's."""
    chain, branch, _till = smtp_everywhere(world, make_service)
    ulm = resolver.effective_configuration(branch=world.ul.id, today=TODAY)
    assert same(ulm.entry("smtp").resolution.service, chain)
    assert ulm.entry("smtp").resolution.fields["host"].origin == "chain"
    stuttgart = resolver.effective_configuration(branch=world.st, today=TODAY).entry("smtp")
    assert same(stuttgart.resolution.service, branch)
    assert stuttgart.resolution.fields["sender_name"].origin is None
    assert same(resolver.effective_configuration(today=TODAY).entry("smtp").resolution.service,
                chain)


def test_protected_service_wins_over_an_older_workstation_service(world, make_service):
    """Protection set after the till got its own service: the branch's applies and the
    resolver names the overridden service."""
    _chain, branch, till = smtp_everywhere(world, make_service)
    services.update_service(world.admin, branch, {"protected": True}, None, branch.version)
    entry = resolver.effective_configuration(workstation=world.st_till, today=TODAY).entry("smtp")
    assert same(entry.resolution.service, branch) and entry.resolution.protected
    (overridden,) = entry.overridden
    assert same(overridden, till) and same(entry.protected_by, branch)
    assert entry.resolution.fields["port"].origin == "branch"


def test_planned_and_disabled_services_do_not_apply(world, make_service):
    """A till service starting tomorrow is listed as planned and applies tomorrow; a disabled
    one never applies."""
    branch = make_service("smtp", name="ST", branch_id=world.st.id)
    make_service("smtp", {"port": "25"}, name="Till", workstation_id=world.st_till.id,
                 start_date=TOMORROW)
    today = resolver.effective_configuration(workstation=world.st_till, today=TODAY).entry("smtp")
    assert same(today.resolution.service, branch)
    assert [(p.service.name, p.state, p.start_date) for p in today.planned] == [
        ("Till", "planned", TOMORROW)]
    tomorrow = resolver.resolve("smtp", workstation=world.st_till.id, today=TOMORROW)
    assert tomorrow.service.name == "Till" and tomorrow.fields["port"].value == 25
    services.update_service(world.admin, branch, {"enabled": False}, None, branch.version)
    entry = resolver.effective_configuration(branch=world.st, today=TODAY).entry("smtp")
    assert entry.resolution is None
    assert [(i.service.name, i.state) for i in entry.inactive] == [("ST", "disabled")]


def test_secrets_stay_out_of_the_result_but_jobs_can_read_them(world, make_service):
    """The structure carries 'set' and the holder, never the value; secret_for decrypts from
    the service that holds it."""
    smtp_everywhere(world, make_service)
    config = resolver.effective_configuration(workstation=world.st_till, today=TODAY)
    assert "b-pw" not in repr(config)
    resolution = resolver.resolve("smtp", workstation=world.st_till, today=TODAY)
    assert "b-pw" not in repr(resolution.values)
    assert resolver.secret_for(resolution, "password") == "b-pw"
    chain = resolver.resolve("smtp", branch=world.ul, today=TODAY)
    assert resolver.secret_for(chain, "password") is None


def test_resolve_without_any_service_is_none(world, make_service):
    """Jobs get None when nothing applies."""
    assert resolver.resolve("smtp", branch=world.st, today=TODAY) is None
    make_service("smtp", name="ST", branch_id=world.st.id)
    assert resolver.resolve("smtp", branch=world.ul, today=TODAY) is None
    assert resolver.resolve("smtp", workstation=world.st_till, today=TODAY).origin == "branch"


def ear_mould(*companies):
    return {"companies": [str(c.id) for c in companies], "base_url": "https://o.example.org",
            "username": "u", "password": "p"}


def test_ear_mould_service_for_a_company_branch_first_then_chain(world, make_service):
    """Rule 2: the chosen lab picks the service — the branch's assignment first, then the
    chain's; across all ear-mould interface types; planned services do not count yet."""
    make_service("dreve_smartorder", ear_mould(world.dreve), name="Dreve ST",
                 branch_id=world.st.id)
    make_service("audia_easy_order", ear_mould(world.dreve, world.egger), name="Chain labs")
    make_service("egger_erp_order", ear_mould(world.egger), name="Egger ST later",
                 branch_id=world.st.id, start_date=TOMORROW)

    def pick(company, branch, today=TODAY):
        found = resolver.resolve_for_company("ear_mould_ordering", company.id, branch=branch,
                                             today=today)
        return found.service.name if found else None

    assert pick(world.dreve, world.st) == "Dreve ST"
    assert pick(world.egger, world.st) == "Chain labs"
    assert pick(world.egger, world.st, TOMORROW) == "Egger ST later"
    assert pick(world.dreve, world.ul) == "Chain labs"
    assert pick(world.wholesaler, world.st) is None


def test_resolve_by_company_prefers_the_company_service_over_the_generic_one(world,
                                                                              make_service):
    """E-mail ordering: the company's own service, else the generic one (no company)."""
    raw = {"subject": "Bestellung", "order_template": "Bestellschein"}
    make_service("email_order", raw, name="Generic")
    make_service("email_order", {**raw, "company": str(world.dreve.id)}, name="Dreve",
                 branch_id=world.st.id)
    assert resolver.resolve("email_order", branch=world.st, company_id=world.dreve.id,
                            today=TODAY).service.name == "Dreve"
    assert resolver.resolve("email_order", branch=world.st, company_id=world.egger.id,
                            today=TODAY).service.name == "Generic"
    assert resolver.resolve("email_order", branch=world.ul, company_id=world.dreve.id,
                            today=TODAY).service.name == "Generic"


def test_multiple_per_scope_resolves_per_unique_value(world, make_service):
    """Tracking links: the till's DHL link refines the chain's DHL one; UPS stays chain's."""
    make_service("shipment_tracking_link",
                 {"carrier": "DHL", "tracking_url": "https://dhl.example/{sendungsnummer}"}, name="DHL")
    make_service("shipment_tracking_link",
                 {"carrier": "UPS", "tracking_url": "https://ups.example/{sendungsnummer}"}, name="UPS")
    make_service("shipment_tracking_link",
                 {"carrier": "dhl", "tracking_url": "https://intern.example/{sendungsnummer}"},
                 name="DHL till", workstation_id=world.st_till.id)
    entry = resolver.effective_configuration(workstation=world.st_till,
                                             today=TODAY).entry("shipment_tracking_link")
    by_carrier = {r.value("carrier").lower(): r for r in entry.applied}
    assert by_carrier["dhl"].service.name == "DHL till" and by_carrier["dhl"].base.name == "DHL"
    assert by_carrier["dhl"].fields["tracking_url"].origin == "workstation"
    assert by_carrier["ups"].origin == "chain"


def test_tables_are_inherited_whole(world, make_service):
    """A till card-order service without templates uses the chain's templates."""
    add_documents("Karte")
    rows = [{"name": "BASIS", "ship_to": "ordering_branch", "shipping_interval": "weekly",
             "card_template": "Karte", "card_type": "chip", "card_kind": "customer_card"}]
    make_service("card_order", {"contract_number": "K-1", "contract_key": "k",
                                "templates": rows}, name="Cards")
    make_service("card_order", {"contract_number": "K-2"}, name="Till cards",
                 workstation_id=world.st_till.id)
    resolution = resolver.resolve("card_order", workstation=world.st_till, today=TODAY)
    assert resolution.service.name == "Till cards"
    assert resolution.fields["contract_number"].value == "K-2"
    table = resolution.tables["templates"]
    assert table.origin == "chain" and table.rows[0]["name"] == "BASIS"
    assert resolution.fields["contract_key"].origin == "chain"


def test_company_names_come_with_the_configuration(world, make_service):
    """The view shows companies by name without asking again."""
    make_service("dreve_smartorder", ear_mould(world.dreve), name="Dreve", branch_id=world.st.id)
    config = resolver.effective_configuration(branch=world.st, today=TODAY)
    assert config.companies == {world.dreve.id: "Dreve"}
