"""German text in every list's search: case-insensitive with umlauts and ß on SQLite and
PostgreSQL alike ("öko" finds "Öko-Akustik", "strasse" finds "Straße"); % and _ stay literal.
The suite runs on PostgreSQL with TEST_DATABASE_URL (tests/factories.py)."""
import sys

import pytest

from tests.factories import new_process
from webapp.audit.search import EntryFilter, search_entries
from webapp.changelog import services as changelog
from webapp.companies.models import Company
from webapp.companies.services import search_companies
from webapp.customers.models import Customer
from webapp.customers.services import search_customers
from webapp.documents.models import DocumentTemplate
from webapp.documents.services import search_documents
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService
from webapp.interfaces.services import search_services
from webapp.ordering.models import Order
from webapp.ordering.services import orders_query
from webapp.org.services import search_branches, search_workstations
from webapp.processes.models import ProcessTemplate
from webapp.records import _FOLDED_INTO_ASCII, fold_text
from webapp.users.models import User
from webapp.users.services import search_users

FINDS = [("öko", True), ("ÖKO", True), ("Öko", True), ("überlingen", True), ("ÜBERLINGEN", True),
         ("strasse", True), ("STRASSE", True), ("straße", True), ("Straße", True),
         ("oeko", False), ("%", False), ("_", False)]


def names(page):
    return [getattr(item, "name", None) or getattr(item, "last_name", None) for item in page.items]


@pytest.mark.parametrize("q, found", FINDS)
def test_companies(app, q, found):
    """Firmen by name and city."""
    with app.app_context():
        db.session.add_all([Company(name="Öko-Akustik", city="Überlingen"),
                            Company(name="Hörgeräte Straße", city="Ulm"),
                            Company(name="Dreve", city="Unna")])
        db.session.commit()
        hits = names(search_companies(q))
    assert bool(hits) is found and "Dreve" not in hits


@pytest.mark.parametrize("q, found", FINDS)
def test_branches_and_workstations(app, make_branch, make_workstation, q, found):
    """Filialen by name and city; Rechner by name and description."""
    branch = make_branch("Öko-Filiale Überlingen", city="Straße am See")
    make_workstation("Empfang Öko", branch, description="Überlingen, Straße")
    with app.app_context():
        assert bool(names(search_branches(q))) is found
        assert bool(names(search_workstations(q))) is found


@pytest.mark.parametrize("q, found", FINDS)
def test_users_and_customers(app, make_branch, make_user, make_customer, q, found):
    """Benutzer by name; Kunden by name and city, every word."""
    branch = make_branch()
    make_user("berta", name="Ökotest Überlingen Straße")
    make_customer("Öko-Müller", branch, first_name="Jörg", city="Überlingen Straße")
    with app.app_context():
        assert bool(names(search_users(q))) is found
        assert bool(names(search_customers(q))) is found


@pytest.mark.parametrize("q, found", FINDS)
def test_document_templates(app, q, found):
    """Dokumentvorlagen by name."""
    with app.app_context():
        db.session.add(DocumentTemplate(name="Öko-Anschreiben Überlingen Straße"))
        db.session.commit()
        assert bool(names(search_documents(q))) is found


@pytest.mark.parametrize("q", ["öko", "ÖKO", "überlingen", "strasse", "Straße"])
def test_change_log(app, make_user, q):
    """The change log by record name and by the changed values (stored as JSON text)."""
    make_user("chef", role="admin")
    with app.app_context():
        admin = db.session.scalar(db.select(User).where(User.username == "chef"))
        company = Company(name="Öko-Akustik", city="Ulm")
        db.session.add(company)
        db.session.flush()
        changelog.record(admin, "create", "company", company)
        other = Company(name="Dreve", city="Unna")
        db.session.add(other)
        db.session.flush()
        changelog.record(admin, "update", "company", other,
                         changelog.diff({"city": "Unna"}, {"city": "Überlingen, Straße 1"}))
        db.session.commit()
        found = search_entries(admin, EntryFilter(q=q)).items
        labels = {entry.entity_label for entry in found}
    assert labels == ({"Öko-Akustik"} if q.lower() == "öko" else {"Dreve"})


def test_fold_text():
    """The search words fold as the database folds the columns."""
    assert fold_text("ÖKO-Straße ẞ") == "öko-strasse ss"


def test_only_these_characters_fold_into_ascii_letters():
    """The ASCII words' fast path checks values for exactly the characters whose folded form
    holds an ASCII character (ß, ẞ, İ, the Kelvin sign), each with that letter."""
    folding = {}
    for code in range(128, sys.maxunicode + 1):
        ascii_part = {c for c in fold_text(chr(code)) if c.isascii()}
        if ascii_part:
            folding[chr(code)] = "".join(sorted(ascii_part))
    assert folding == dict(_FOLDED_INTO_ASCII)


# A value only its folded form matches the word in (ß, ẞ as ss; the Kelvin sign as k; İ as i
# followed by a combining dot), and values that match as they are.
FOLDED_HITS = [("ss", {"Große Straße", "GROẞ", "Strasse"}), ("STRASS", {"Große Straße", "Strasse"}),
               ("sse", {"Große Straße", "Strasse"}), ("grosse", {"Große Straße"}),
               ("kelvin", {"\u212aelvin", "KELVIN"}),
               ("i", {"\u0130stanbul", "Mit", "\u212aelvin", "KELVIN"}),
               ("mit", {"Mit"}), ("k", {"\u212aelvin", "KELVIN"})]


@pytest.mark.parametrize("q, expected", FOLDED_HITS)
def test_ascii_words_find_values_that_fold_into_them(app, q, expected):
    """An ASCII word finds a value holding ß, ẞ (and on SQLite the Kelvin sign or İ) where
    only the folded value holds the word; PostgreSQL folds the latter two by its lower()."""
    with app.app_context():
        db.session.add_all(Company(name=name) for name in (
            "Große Straße", "GROẞ", "Strasse", "\u212aelvin", "KELVIN", "\u0130stanbul", "Mit"))
        db.session.commit()
        hits = set(names(search_companies(q, per_page=50)))
        if db.engine.dialect.name != "sqlite":
            expected = {name for name in expected if name[0] not in "\u212a\u0130"}
            hits = {name for name in hits if name[0] not in "\u212a\u0130"}
    assert hits == expected


def test_the_company_list_page_finds_umlauts(client, admin, app):
    """The list screen passes the search through: Firmen?q=öko lists Öko-Akustik."""
    with app.app_context():
        db.session.add_all([Company(name="Öko-Akustik", city="Ulm"), Company(name="Dreve", city="Unna")])
        db.session.commit()
    page = client.get("/companies/?q=%C3%B6ko").get_data(as_text=True)
    assert "Öko-Akustik" in page and "Dreve" not in page


# --- the interface list and the order list ------------------------------------------------
# Each expects exact names: an ASCII word in another case ("SMTP", "dreve") takes the
# databases' fast path for ASCII values, a word with an umlaut or ß the folding one.

SERVICE_HITS = [("öko", {"Öko-Akustik SMTP"}), ("ÖKO", {"Öko-Akustik SMTP"}),
                ("strasse", {"Lieferung Straße"}), ("STRASSE", {"Lieferung Straße"}),
                ("Straße", {"Lieferung Straße"}), ("überlingen", {"Kasse"}),
                ("SMTP", {"Öko-Akustik SMTP", "smtp relay"}), ("relay", {"smtp relay"}),
                ("nord", {"GEOCODER NORD"}), ("oeko", set()), ("%", set()), ("_", set())]


def add_services(make_branch):
    """Chain services of one interface whose catalogue names match none of the words (the
    list also finds services by interface name), and a service of the branch Überlingen."""
    branch = make_branch("Überlingen", "UEB")
    db.session.add_all(
        InterfaceService(interface_key="geocoding_http", group_key="geo_services", name=name,
                         usage_server=True,
                         branch_id=branch if name == "Kasse" else None)
        for name in ("Öko-Akustik SMTP", "Lieferung Straße", "smtp relay", "GEOCODER NORD",
                     "Kasse"))
    db.session.commit()


@pytest.mark.parametrize("q, expected", SERVICE_HITS)
def test_interface_services(app, make_branch, q, expected):
    """Schnittstellen by service name and branch name."""
    with app.app_context():
        add_services(make_branch)
        assert set(names(search_services(q))) == expected


ORDER_HITS = [("öko", {"Öko-Akustik GmbH"}), ("ÖKO", {"Öko-Akustik GmbH"}),
              ("öztürk", {"Öztürk"}), ("ÖZTÜRK", {"Öztürk"}),
              ("strasse", {"Hörgeräte Straße"}), ("STRASSE", {"Hörgeräte Straße"}),
              ("straße", {"Hörgeräte Straße"}), ("dreve", {"DREVE"}), ("Dreve", {"DREVE"}),
              ("MEIER", {"meier"}), ("oeko", set()), ("%", set()), ("_", set())]


def add_orders(make_branch):
    """An order per supplier (Öko-Akustik GmbH, DREVE, Hörgeräte Straße) and per customer
    (Öztürk, meier; their supplier is Egger, their lab's name found by none of the words),
    each labelled by the name it is to be found by. Returns {order id: label}."""
    branch = make_branch("Ulm", "UL")
    template = ProcessTemplate(name="Otoplastik", process_type="ear_mould")
    egger = Company(name="Egger", is_lab=True, is_supplier=True)
    db.session.add_all([template, egger])
    labels = {}
    for number, (supplier, last_name) in enumerate(
            (("Öko-Akustik GmbH", "Muster"), ("DREVE", "Muster"), (None, "Öztürk"),
             (None, "meier"), ("Hörgeräte Straße", "Muster")), start=1):
        company = Company(name=supplier, is_lab=True, is_supplier=True) if supplier else egger
        customer = Customer(number=f"K-{number:06d}", branch_id=branch, first_name="Erika",
                            last_name=last_name)
        db.session.add_all([company, customer])
        db.session.flush()
        order = Order(number=f"B-2026-{number:06d}", branch_id=branch, supplier=company,
                      company=company, interface_key="dreve_smartorder",
                      service_name="Partner",
                      process=new_process(customer, template, customer.branch, sides=("left",)))
        db.session.add(order)
        db.session.flush()
        labels[order.id] = supplier or last_name
    db.session.commit()
    return labels


@pytest.mark.parametrize("q, expected", ORDER_HITS)
def test_orders(app, make_branch, q, expected):
    """Bestellungen by customer and supplier name."""
    with app.app_context():
        labels = add_orders(make_branch)
        found = db.session.scalars(orders_query(q)).all()
        assert {labels[order.id] for order in found} == expected


def test_the_interface_and_order_list_pages_find_umlauts(client, admin, app, make_branch):
    """The list screens pass the search through: Schnittstellen?q=öko lists Öko-Akustik SMTP,
    Bestellungen?q=strasse the order from Hörgeräte Straße."""
    with app.app_context():
        add_services(make_branch)
        labels = add_orders(make_branch)
        numbers = {label: db.session.get(Order, id_).number for id_, label in labels.items()}
    page = client.get("/interfaces/?q=%C3%B6ko").get_data(as_text=True)
    assert "Öko-Akustik SMTP" in page and "Lieferung Straße" not in page
    page = client.get("/orders/?q=strasse").get_data(as_text=True)
    assert numbers["Hörgeräte Straße"] in page and numbers["DREVE"] not in page
