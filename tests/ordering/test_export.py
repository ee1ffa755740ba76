"""The order list as CSV for German Excel: ';', UTF-8 with BOM, dates TT.MM.JJJJ HH:MM in the
chain's time zone, the list's filters and the reader's branches honoured, every row streamed
in chunks, would-be formulas escaped; the list's link carries its filters."""
import codecs
import csv
import io
from datetime import datetime, timezone

import pytest

from tests.factories import HX, make_config
from webapp import csv_export
from webapp.companies.models import Company
from webapp.extensions import db
from webapp.interfaces.services import chain_today
from webapp.ordering.models import CREATED, ERROR, ORDERED, Order


@pytest.fixture
def app_config(tmp_path):
    """German, as the chain's staff see it (the ordering package's default is English)."""
    return make_config(tmp_path)


def read_csv(response):
    """The download as Excel would read it: BOM first, then ';'-separated rows."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith(codecs.BOM_UTF8)
    text = body[len(codecs.BOM_UTF8):].decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=";"))


@pytest.fixture
def orders(world):
    """Orders in Stuttgart and Ulm: {name: order}."""
    made = {}
    for name, branch, status, at, note in (
            ("st_created", world.st, CREATED, datetime(2026, 7, 1, 22, 30, tzinfo=timezone.utc),
             "=HYPERLINK(\"http://evil.example\")"),
            ("st_error", world.st, ERROR, datetime(2026, 1, 15, 8, 5, tzinfo=timezone.utc), ""),
            ("ul_ordered", world.ul, ORDERED, datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc),
             "-2 Stück")):
        order = Order(branch_id=branch.id, supplier_id=world.dreve.id,
                      company_id=world.dreve.id, interface_key="ear_mould_standard_order",
                      service_name="Standard", process_id=world.process.id, status=status,
                      ordered_at=at, ordered_by="Sam", note=note, updated_by="test",
                      external_number="+49-1" if status == ORDERED else "",
                      error_message="Labor sagt nein" if status == ERROR else "")
        db.session.add(order)
        db.session.flush()
        order.number = f"B-2026-{order.id:06d}"
        made[name] = order
    db.session.commit()
    return made


def test_orders_open_in_excel_with_every_column(client, auth, world, orders):
    """Header in German, one row per order newest first, the moment in Berlin time."""
    auth.login(world.admin)
    response = client.get("/orders/export.csv")
    rows = read_csv(response)
    assert rows[0] == ["Bestellnummer", "Bestellt am", "Bestellart", "Kunde", "Lieferant",
                       "Labor", "Service", "Filiale", "Status", "Externe Bestellnummer",
                       "Bestellt von", "Hinweis", "Meldung"]
    assert [row[0] for row in rows[1:]] == [orders[name].number for name in
                                           ("ul_ordered", "st_error", "st_created")]
    by_number = {row[0]: row for row in rows[1:]}
    created = by_number[orders["st_created"].number]
    # 22:30 UTC on 1 July is half past midnight on 2 July in Berlin (summer time).
    assert created[1] == "02.07.2026 00:30"
    assert by_number[orders["st_error"].number][1] == "15.01.2026 09:05"
    assert created[3] == "Muster, Erika"
    assert created[4:8] == ["Dreve", "Dreve", "Standard", "Stuttgart"]
    assert by_number[orders["st_error"].number][8] == "Fehler"
    assert by_number[orders["st_error"].number][12] == "Labor sagt nein"
    assert response.headers["Content-Disposition"].startswith(
        f'attachment; filename="Bestellungen-{chain_today().isoformat()}.csv"')


def test_cells_that_excel_would_run_as_formulas_are_text(client, auth, world, orders):
    """= + - @ at the start of a cell get a leading apostrophe."""
    auth.login(world.admin)
    by_number = {row[0]: row for row in read_csv(client.get("/orders/export.csv"))[1:]}
    assert by_number[orders["st_created"].number][11] == "'=HYPERLINK(\"http://evil.example\")"
    assert by_number[orders["ul_ordered"].number][11] == "'-2 Stück"
    assert by_number[orders["ul_ordered"].number][9] == "'+49-1"
    assert csv_export.cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_export.cell("Dreve") == "Dreve"


def test_the_lists_filters_are_honoured(client, auth, world, orders):
    """Status, branch and search term narrow the export as they narrow the list."""
    auth.login(world.admin)
    numbers = lambda url: [row[0] for row in read_csv(client.get(url))[1:]]  # noqa: E731
    assert numbers("/orders/export.csv?status=error") == [orders["st_error"].number]
    assert numbers(f"/orders/export.csv?branch={world.ul.id}") == [orders["ul_ordered"].number]
    assert numbers(f"/orders/export.csv?q={orders['st_created'].number}") == [
        orders["st_created"].number]


def test_a_branch_manager_exports_only_their_branches(client, auth, world, orders):
    """Maria (Stuttgart) gets Stuttgart's orders, also when she asks for Ulm's."""
    auth.login(world.manager)
    rows = read_csv(client.get("/orders/export.csv"))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [orders["st_created"].number, orders["st_error"].number])
    assert read_csv(client.get(f"/orders/export.csv?branch={world.ul.id}"))[1:] == []


def test_every_order_comes_in_chunks(client, auth, world, orders, monkeypatch):
    """Read in chunks (here of two): every order once, newest first, none left out."""
    for number in range(5):
        db.session.add(Order(branch_id=world.st.id, supplier_id=world.dreve.id,
                             company_id=world.dreve.id, interface_key="x", service_name="S",
                             status=CREATED, number=f"X-{number}", updated_by="test"))
    db.session.commit()
    monkeypatch.setattr(csv_export, "CHUNK_SIZE", 2)
    auth.login(world.admin)
    rows = read_csv(client.get("/orders/export.csv"))[1:]
    ids = db.session.scalars(db.select(Order.number).order_by(Order.id.desc())).all()
    assert [row[0] for row in rows] == ids
    assert len(rows) == 8


def test_the_link_carries_the_filters_the_list_shows(client, auth, world, orders):
    """The link is part of the fragment the filters swap: it changes with them."""
    auth.login(world.admin)
    page = client.get("/orders/").get_data(as_text=True)
    assert 'href="/orders/export.csv"' in page and "CSV exportieren" in page
    fragment = client.get(f"/orders/?status=error&branch={world.st.id}&q=B-", headers=HX)
    body = fragment.get_data(as_text=True)
    assert f'href="/orders/export.csv?q=B-&amp;status=error&amp;branch={world.st.id}"' in body


def test_statements_do_not_grow_with_the_orders(client, auth, world, orders, count_queries):
    """Customers, suppliers, labs and branches are read per chunk, not per order."""
    def add(count, start=0):
        """Orders of labs and suppliers of their own: a read per order would show. The
        companies leave the test's session (which the requests share): a request of its own
        starts without them, and the lab's batched load skips what the session holds."""
        made = []
        for number in range(start, start + count):
            lab, supplier = Company(name=f"Labor {number}"), Company(name=f"Handel {number}")
            db.session.add_all([lab, supplier])
            db.session.flush()
            made += [lab, supplier]
            db.session.add(Order(branch_id=(world.st, world.ul)[number % 2].id,
                                 supplier_id=supplier.id, company_id=lab.id,
                                 interface_key="x", service_name="S",
                                 process_id=world.process.id, status=CREATED,
                                 number=f"Y-{number}", updated_by="test"))
        db.session.commit()
        for company in made:
            db.session.expunge(company)
    add(2)
    auth.login(world.admin)
    client.get("/orders/export.csv")
    # The test's session is the requests' too; each measured request starts from the same
    # state of it, as a request of its own starts from an empty one.
    db.session.expire_all()
    with count_queries() as few:
        assert client.get("/orders/export.csv").status_code == 200
    add(20, start=2)
    client.get("/orders/export.csv")  # as above: the commit expired the cached login
    db.session.expire_all()
    with count_queries() as many:
        rows = read_csv(client.get("/orders/export.csv"))
    assert len(rows) == 26 and many.count == few.count
