"""Audoora's partner companies: the list as stored, which of our companies a partner is, and
which service an order for a company takes — an active company-specific ordering service
wins over Audoora, branch before chain."""
from webapp.audoora import partners
from webapp.audoora.models import AudooraPartnerList
from webapp.extensions import db
from webapp.models_base import utcnow

from tests.factories import ear_mould_raw

AUDOORA_RAW = {"base_url": "https://portal.example.org", "registration_email": "z@example.org",
               "username": "10001", "password": "sandbox"}


def _store(service, *names):
    db.session.add(AudooraPartnerList(
        service_id=service.id, fetched_at=utcnow(),
        partners=[{"id": name.split()[0].lower(), "name": name} for name in names]))
    db.session.commit()


def test_partners_of_is_none_until_fetched_and_partner_for_matches_names_loosely(
        world, make_service):
    """Never fetched is None, not an empty list; a partner is our company when the names
    agree but for case and spacing."""
    audoora = make_service("audoora_order", dict(AUDOORA_RAW), name="Audoora")
    assert partners.partners_of(audoora) is None
    _store(audoora, "  DREVE ", "Signia GmbH")
    assert partners.partners_of(audoora) == [{"id": "dreve", "name": "  DREVE "},
                                             {"id": "signia", "name": "Signia GmbH"}]
    assert partners.partner_for(audoora, world.dreve)["id"] == "dreve"
    assert partners.partner_for(audoora, world.egger) is None


def test_an_active_company_specific_service_takes_precedence(world, make_service):
    """Dreve's ear-mould service of Stuttgart takes Dreve's orders there, not in Ulm; once
    disabled, nothing takes precedence; a chain-wide one applies in every branch."""
    dreve = make_service("dreve_smartorder", ear_mould_raw(world.dreve), name="Dreve ST",
                         branch_id=world.st.id)
    assert partners.specific_service_for(world.dreve, world.st.id) == dreve
    assert partners.specific_service_for(world.dreve, world.ul.id) is None
    assert partners.specific_service_for(world.egger, world.st.id) is None
    dreve.enabled = False
    db.session.commit()
    assert partners.specific_service_for(world.dreve, world.st.id) is None
    chain = make_service("dreve_smartorder", ear_mould_raw(world.dreve, world.egger),
                         name="Dreve Kette")
    assert partners.specific_service_for(world.egger, world.ul.id) == chain
    assert partners.specific_service_for(world.egger.id, None) == chain


def test_the_audoora_service_of_a_branch_is_its_own_else_the_chains(world, make_service):
    """A branch's own Audoora service first, else the chain's; none at all is None."""
    assert partners.audoora_service_for(world.st.id) is None
    chain = make_service("audoora_order", dict(AUDOORA_RAW), name="Audoora Kette")
    own = make_service("audoora_order", dict(AUDOORA_RAW), name="Audoora ST",
                       branch_id=world.st.id)
    assert partners.audoora_service_for(world.st.id) == own
    assert partners.audoora_service_for(world.ul.id) == chain
    assert partners.audoora_service_for(None) == chain
