"""An admin restores an earlier SMTP setting in Chromium (German UI, issue 18): change the
host in the editor, save, open Mehr → Änderungsprotokoll → "Früheren Stand vergleichen oder
wiederherstellen", compare the creation with now, restore it after the preview; the host is
back, the log says "wiederhergestellt aus Eintrag vom …", and no page shows the password."""
import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.models import InterfaceService
from webapp.users.models import User

pytestmark = pytest.mark.e2e
PASSWORD = "Smtp-Geheim-2026"


@pytest.fixture
def smtp_url(live_server, make_user):
    """A chain-wide SMTP service with a password; its editor's URL."""
    admin_id = make_user("admin", role="admin", name="Anna Admin")
    with live_server.app.app_context():
        service = services.create_service(
            db.session.get(User, admin_id), "smtp", {"name": "Mailserver Zentrale"},
            {"host": "mail.example.org", "port": "587", "encryption": "starttls",
             "username": "zentrale", "password": PASSWORD,
             "sender_address": "zentrale@example.org"})
        db.session.commit()  # services flush; outside a request the test commits
        return f"{live_server.url}/interfaces/{service.id}", service.id


def test_restore_an_earlier_smtp_setting(page, live_server, smtp_url, log_in):
    """Change host → Speichern → Vergleichen → Diesen Stand wiederherstellen → the old host,
    the same password, and the password nowhere in the pages' HTML."""
    url, service_id = smtp_url
    log_in("admin")
    page.goto(url)
    form = page.locator("#service-form")
    form.get_by_label("Server", exact=True).fill("smtp.neu.example.org")
    form.get_by_role("button", name="Speichern").first.click()
    expect(page.locator("#service-form .notice")).to_have_text("Gespeichert.")
    assert PASSWORD not in page.content()

    form = page.locator("#service-form")
    form.get_by_text("Mehr").click()
    form.get_by_role("link", name="Änderungsprotokoll").click()
    page.get_by_role("link", name="Früheren Stand vergleichen oder wiederherstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stände von „Mailserver Zentrale“ vergleichen")
    assert PASSWORD not in page.content()

    created = page.locator("table.versions tbody tr").last
    created.get_by_role("link", name="Mit jetzt vergleichen").click()
    differences = page.locator("#versions-differences table.differences")
    server = differences.get_by_role("row", name="Server")
    expect(server).to_contain_text("mail.example.org")
    expect(server).to_contain_text("smtp.neu.example.org")
    expect(differences.get_by_role("row", name="Passwort")).to_contain_text("unverändert")
    assert PASSWORD not in page.content()

    page.locator("table.versions tbody tr").last.get_by_role(
        "link", name="Diesen Stand wiederherstellen").click()
    expect(page.get_by_role("heading", level=2, name="Was sich ändert")).to_be_visible()
    expect(page.locator(".restore .changes")).to_contain_text("smtp.neu.example.org")
    expect(page.locator(".restore")).to_contain_text("Geheimnisse werden nie wiederhergestellt")
    expect(page.get_by_label("Passwort")).to_have_value("")
    assert PASSWORD not in page.content()
    page.get_by_role("button", name="Wiederherstellen").click()

    expect(page).to_have_url(url)
    expect(page.locator("#service-form").get_by_label("Server", exact=True)).to_have_value(
        "mail.example.org")
    assert PASSWORD not in page.content()
    page.goto(f"{live_server.url}/changelog/")
    expect(page.locator("#changelog-entries")).to_contain_text(
        "wiederhergestellt aus Eintrag vom")
    assert PASSWORD not in page.content()
    # The change log leads to the same page: Vergleichen beside each of the service's entries.
    page.locator("#changelog-entries tbody tr").first.get_by_role("link",
                                                                 name="Vergleichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stände von „Mailserver Zentrale“ vergleichen")
    expect(page.locator("table.versions tbody tr")).to_have_count(3)
    with live_server.app.app_context():
        service = db.session.get(InterfaceService, service_id)
        assert services.stored_secret(service, "password") == PASSWORD
        assert service.values["host"] == "mail.example.org"
