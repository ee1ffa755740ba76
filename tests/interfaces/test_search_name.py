"""The interface list's search matches a stored folded name (InterfaceService.search_name,
issue 15): it follows the name through every way a service is written, and the search finds
by it what it found by folding the name per query."""
from sqlalchemy import insert

from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.models import InterfaceService


def _found(q):
    return [service.name for service in services.search_services(q).items]


def test_the_folded_name_follows_every_write(world, make_service):
    """Created, renamed, inserted in bulk (the benchmark's seed): always the name folded."""
    service = make_service("smtp", name="Mail Großhandel")
    assert service.search_name == "mail grosshandel"
    services.update_service(world.admin, service, {"name": "Mail ÄRZTE"}, None,
                            service.version)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(InterfaceService, service.id).search_name == "mail ärzte"
    db.session.execute(insert(InterfaceService), [
        {"interface_key": "phone_dial_url", "group_key": "telephone", "name": "Telefon STRASSE",
         "usage_server": True}])
    assert db.session.scalar(db.select(InterfaceService.search_name).where(
        InterfaceService.interface_key == "phone_dial_url")) == "telefon strasse"


def test_the_search_folds_case_umlauts_and_sharp_s_and_takes_wildcards_literally(
        world, make_service):
    make_service("smtp", name="Mail Großhandel")
    make_service("smtp", name="Ärzte_Mail", branch_id=world.st.id)
    make_service("smtp", name="Alte Mail 100%", branch_id=world.ul.id)
    assert _found("GROSSHANDEL") == _found("großhandel") == ["Mail Großhandel"]
    assert _found("ärzte") == _found("ÄRZTE") == ["Ärzte_Mail"]
    assert _found("e_m") == ["Ärzte_Mail"]  # not "Alte Mail": _ is no wildcard
    assert _found("%") == ["Alte Mail 100%"]
