"""The catalogue position of a service's group is stored (the interface list's default order,
indexed): set on every insert, numbered by the migration as the catalogue orders its groups."""
import importlib.util
from pathlib import Path

from sqlalchemy import insert

from webapp.extensions import db
from webapp.interfaces import catalogue, services
from webapp.interfaces.models import InterfaceService

MIGRATIONS = Path(__file__).parents[2] / "migrations" / "versions"
# The latest migration that numbers interface_services.group_position.
NUMBERING = "f3b5d7e9a1c4_interface_list_group_position.py"


def test_the_stored_numbering_is_the_catalogues_order():
    """The catalogue orders its groups as the latest numbering migration stored them. If this
    fails, the catalogue's order of groups changed: add a migration that renumbers
    interface_services.group_position with the new order and name it in NUMBERING."""
    spec = importlib.util.spec_from_file_location("numbering", MIGRATIONS / NUMBERING)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.GROUP_ORDER == tuple(group.key for group in catalogue.load())


def test_a_new_service_gets_its_groups_position(world, make_service):
    """Created through the service rules or inserted in bulk (the benchmark's seed), a service
    carries its group's place in the catalogue; an unknown group sorts after every other."""
    smtp = make_service("smtp", name="Mail chain")
    db.session.execute(insert(InterfaceService), [
        {"interface_key": "phone_dial_url", "group_key": "telephone", "name": "Telefon",
         "usage_server": True},
        {"interface_key": "gone", "group_key": "gone", "name": "Alt", "usage_server": True}])
    positions = dict(db.session.execute(
        db.select(InterfaceService.name, InterfaceService.group_position)).all())
    keys = [group.key for group in catalogue.load()]
    assert positions == {"Mail chain": keys.index(smtp.group_key),
                         "Telefon": keys.index("telephone"), "Alt": len(keys)}
    assert [s.name for s in services.search_services().items] == ["Mail chain", "Telefon", "Alt"]
