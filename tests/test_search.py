"""German text in every list's search: case-insensitive with umlauts and ß on SQLite and
PostgreSQL alike ("öko" finds "Öko-Akustik", "strasse" finds "Straße"); % and _ stay literal.
The suite runs on PostgreSQL with TEST_DATABASE_URL (tests/factories.py)."""
import pytest

from webapp.audit.search import EntryFilter, search_entries
from webapp.changelog import services as changelog
from webapp.companies.models import Company
from webapp.companies.services import search_companies
from webapp.customers.services import search_customers
from webapp.documents.models import DocumentTemplate
from webapp.documents.services import search_documents
from webapp.extensions import db
from webapp.org.services import search_branches, search_workstations
from webapp.records import fold_text
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


def test_the_company_list_page_finds_umlauts(client, admin, app):
    """The list screen passes the search through: Firmen?q=öko lists Öko-Akustik."""
    with app.app_context():
        db.session.add_all([Company(name="Öko-Akustik", city="Ulm"), Company(name="Dreve", city="Unna")])
        db.session.commit()
    page = client.get("/companies/?q=%C3%B6ko").get_data(as_text=True)
    assert "Öko-Akustik" in page and "Dreve" not in page
