"""Audoora's "Partnerliste abrufen" from the service editor, against the sandbox portal over
real HTTP, through the real Redis and an in-process worker: the list is fetched and kept, and
beside the action each partner is checked — a company of that name, order form
"Schnittstelle", a customer number per ordering branch — with links to fix what is missing,
and an active company-specific interface is named as taking that company's orders."""
import re

import pytest
import requests

from tests.factories import HX, control, ear_mould_raw, fresh, make_config, received
from webapp.audoora import partners, registration
from webapp.audoora.models import AudooraPartnerList
from webapp.companies.models import Company, CustomerNumber
from webapp.extensions import db
from webapp.outbound.models import DONE, FAILED, PENDING, Outbound

pytestmark = pytest.mark.redis

SANDBOX_PARTNERS = ["Audia Hörsysteme GmbH", "Dreve Otoplastik GmbH", "Signia GmbH",
                    "Sonova Deutschland GmbH (Phonak)", "Oticon GmbH"]


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=2)


@pytest.fixture
def audoora(world, make_service, sandbox, auth):
    """The chain's Audoora service at the sandbox portal; Dreve under the portal's name with
    order form "Schnittstelle" and numbers for both branches; Signia with neither; the admin
    logged in."""
    world.dreve.name, world.dreve.order_form = "Dreve Otoplastik GmbH", "interface"
    db.session.add(CustomerNumber(company_id=world.dreve.id, branch_id=world.ul.id,
                                  number="DRV-UL-1"))
    db.session.add(Company(name="Signia  gmbh", is_manufacturer=True, is_supplier=True))
    db.session.commit()
    auth.login(world.admin)
    return make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")


def _url(service, action="load_partners"):
    return f"/interfaces/{service.id}/actions/{action}"


def _status(client, service):
    return client.get(f"{_url(service)}/status").get_data(as_text=True)


def _fetch(client, csrf, service, work):
    response = client.post(_url(service), data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert work()


def _item(page, name):
    """The list item of partner `name` in the check, as text."""
    found = re.search(r'<li class="partner-(ok|missing)">\s*<strong>' + re.escape(name)
                      + r"</strong>(.*?)</li>\s*(?=<li class=\"partner-|</ul>\s*</div>)",
                      page, re.S)
    assert found, name
    return found.group(1) + " " + found.group(2)


def test_the_partner_list_is_fetched_kept_and_checked_with_links_to_fix(
        world, audoora, client, csrf, sandbox, work):
    """One GET of the partner list; the five partners are kept; Dreve is ready; Signia
    (found despite case and spacing) lacks the order form and both customer numbers, with a
    link to its editor; a partner without a company gets a link to create one."""
    assert "noch nicht abgerufen" in _status(client, audoora)
    _fetch(client, csrf, audoora, work)

    entries = received(requests, sandbox, partner="audoora")
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("GET", "/audoora/api/v1/partners", 200)]
    assert entries[0]["headers"]["Authorization"] == "***"
    stored = db.session.scalar(db.select(AudooraPartnerList))
    assert [p["name"] for p in stored.partners] == SANDBOX_PARTNERS
    assert partners.partner_for(audoora, world.dreve)["id"] == "dreve"

    page = _status(client, audoora)
    assert "5 Partnerfirmen abgerufen." in page
    assert "Partnerfirmen (5)" in page and "1 bereit für die Bestellung über Audoora" in page
    assert _item(page, "Dreve Otoplastik GmbH").startswith("ok")
    signia = _item(page, "Signia GmbH")
    signia_id = db.session.scalar(db.select(Company.id).where(Company.name == "Signia  gmbh"))
    assert signia.startswith("missing")
    assert "Die Bestellform ist „Drucken/Fax/E-Mail-Anhang“, nicht „Externe " \
           "Schnittstelle“" in signia
    assert "Keine Kundennummer für: Stuttgart, Ulm." in signia
    assert f'href="/companies/{signia_id}"' in signia
    oticon = _item(page, "Oticon GmbH")
    assert "Keine Firma dieses Namens" in oticon and 'href="/companies/new"' in oticon


def test_a_branch_service_checks_only_its_branch(world, make_service, sandbox, client, csrf,
                                                   work, auth):
    """Ulm's own Audoora service orders for Ulm only: a number for Ulm is enough."""
    world.egger.name, world.egger.order_form = "Oticon GmbH", "interface"
    db.session.add(CustomerNumber(company_id=world.egger.id, branch_id=world.ul.id,
                                  number="OT-UL"))
    db.session.commit()
    auth.login(world.admin)
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "ulm@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora Ulm",
        branch_id=str(world.ul.id))
    _fetch(client, csrf, service, work)
    page = _status(client, service)
    assert _item(page, "Oticon GmbH").startswith("ok")
    assert "(Ulm)" in page and "Stuttgart" not in page


def test_an_active_company_specific_interface_takes_precedence_until_disabled(
        world, audoora, make_service, client, csrf, work, auth):
    """Dreve's ear-mould service of Stuttgart with Dreve in its company assignment: the
    check says Dreve's orders in Stuttgart keep going there (with a link) and that it must be
    deactivated or deleted to order only via Audoora; a branch manager of Ulm, who may not
    read it, sees its name without the link. Disabled, Dreve is ready."""
    dreve = make_service("dreve_smartorder", ear_mould_raw(world.dreve), name="Dreve ST",
                         branch_id=str(world.st.id))
    _fetch(client, csrf, audoora, work)
    item = _item(_status(client, audoora), "Dreve Otoplastik GmbH")
    assert item.startswith("missing")
    assert ("Bestellungen für Dreve Otoplastik GmbH in Stuttgart gehen weiterhin über die "
            "aktive bestellspezifische Schnittstelle „<a href=\"/interfaces/%d\">Dreve ST</a>“"
            % dreve.id) in item
    assert "muss sie deaktiviert oder gelöscht werden" in item
    assert partners.specific_service_for(world.dreve, world.st.id) == dreve

    auth.login(world.manager)  # Stuttgart's manager reads the Stuttgart service
    assert f'href="/interfaces/{dreve.id}"' in _status(client, audoora)
    ulm_manager = world.manager
    ulm_manager.branches = [world.ul]
    db.session.commit()
    item = _item(_status(client, audoora), "Dreve Otoplastik GmbH")
    assert "„Dreve ST“" in item and f'href="/interfaces/{dreve.id}"' not in item
    assert 'href="/companies/new"' not in _status(client, audoora)  # admins create companies

    fresh(type(dreve), dreve.id).enabled = False
    db.session.commit()
    assert _item(_status(client, audoora), "Dreve Otoplastik GmbH").startswith("ok")


def test_the_list_is_fetched_after_a_registration(world, audoora, sandbox, work):
    """A registration the portal accepted fetches the partner list right after, as the
    person who registered."""
    sent = registration.body(audoora)
    registration.start(world.admin, audoora, registration.REGISTER,
                       {"fingerprint": registration.fingerprint(sent)})
    db.session.commit()
    assert work()
    run = db.session.scalar(db.select(Outbound).where(Outbound.kind == partners.KIND))
    assert run.state == DONE and run.requested_by == "Anna Admin"
    assert len(partners.partners_of(audoora)) == 5


def test_a_portal_that_is_down_is_retried_and_a_refusal_is_shown(
        world, audoora, client, csrf, sandbox, work):
    """503: the run waits and says so, and keeps the last list; a wrong password fails with
    the portal's answer."""
    control(requests, sandbox, "faults", partner="audoora", error_rate=1)
    _fetch(client, csrf, audoora, work)
    run = db.session.scalar(db.select(Outbound).where(Outbound.kind == partners.KIND))
    assert fresh(Outbound, run.id).state == PENDING
    assert "Audoora ist gerade nicht erreichbar" in _status(client, audoora)
    assert partners.partners_of(audoora) is None
    control(requests, sandbox, "faults", partner="audoora")
    db.session.delete(fresh(Outbound, run.id))
    db.session.commit()

    audoora.values = dict(audoora.values, username="falsch")
    db.session.commit()
    _fetch(client, csrf, audoora, work)
    run = db.session.scalar(db.select(Outbound).where(Outbound.kind == partners.KIND))
    assert run.state == FAILED and "401" in run.last_error
    assert "Partnerliste nicht abgerufen: HTTP 401" in _status(client, audoora)


def test_staff_may_not_fetch(world, audoora, client, csrf, auth):
    """Fetching talks to the portal in the service's name: who may not edit it gets 403."""
    auth.login(world.staff)
    assert client.post(_url(audoora), data={"csrf_token": csrf()},
                       headers=HX).status_code == 403
    assert db.session.scalar(db.select(Outbound)) is None
