"""The catalogue position of a service's group is stored (the interface list's default order,
indexed): set on every insert, numbered by the migration as the catalogue orders its groups."""
import importlib.util
from pathlib import Path

from sqlalchemy import event, insert

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


def _plan(statement, parameters):
    """The database's plan of one captured statement, as text."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Few rows: without these the planner scans the table whatever the indexes. With a
        # sort made prohibitive, it must find the order in an index or sort anyway.
        for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    else:
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return "\n".join(str(row[-1]) for row in rows)


def test_the_lists_first_page_is_read_in_the_indexs_order(world, make_service):
    """The interface list's default order is ix_interface_services_list's: the first page
    reads 25 index entries on SQLite and PostgreSQL alike, no sort of every chain and branch
    service (issue 15). A workstation's list too."""
    make_service("smtp", name="Mail")
    make_service("smtp", name="Mail Ulm", branch_id=world.ul.id)
    captured = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if "LIMIT" in statement:
            captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        services.search_services()
        services.search_services(workstation=world.st_till)
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
    assert len(captured) == 2
    for statement, parameters in captured:
        plan = _plan(statement, parameters)
        assert "ix_interface_services_list" in plan, plan
        assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan, plan


def test_no_index_of_workstation_id_alone(app):
    """ix_interface_services_list begins with workstation_id and serves its lookups; an index
    of workstation_id alone made PostgreSQL's planner prefer it and sort the list's rows."""
    with app.app_context():
        indexes = InterfaceService.__table__.indexes
    assert [index.name for index in indexes
            if [column.name for column in index.columns] == ["workstation_id"]] == []
