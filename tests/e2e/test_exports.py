"""Exports in Chromium (German UI): a branch's configuration downloaded from its effective
configuration, without the password, and imported again through Mehr › Konfiguration
importieren (upload, preview, Importieren); the order list's CSV link follows the filters."""
import codecs
import json

import pytest
from playwright.sync_api import expect

from webapp.companies.models import Company
from webapp.extensions import db
from webapp.interfaces import services
from webapp.interfaces.models import InterfaceService
from webapp.ordering.models import ERROR, Order
from webapp.users.models import User

pytestmark = pytest.mark.e2e

SMTP = {"host": "mail.kette.example", "port": "587", "encryption": "starttls",
        "sender_address": "kette@example.org"}


def test_a_branchs_configuration_goes_out_and_back_in(page, live_server, make_user, make_branch,
                                                      tmp_path, log_in):
    """The download holds no secret; after the branch's service is deleted, the import's
    preview offers to create it and names the password to enter; Importieren creates it."""
    admin_id = make_user("admin", role="admin", name="Anna Admin")
    branch_id = make_branch("Stuttgart Mitte", "ST")
    with live_server.app.app_context():
        admin = db.session.get(User, admin_id)
        services.create_service(admin, "smtp", {"name": "Kette SMTP"}, SMTP)
        services.create_service(admin, "smtp", {"name": "Filiale SMTP", "branch_id": branch_id},
                                {**SMTP, "port": "2525", "password": "x-geheim"})
        db.session.commit()
    log_in("admin")

    page.goto(f"{live_server.url}/branches/{branch_id}/effective")
    with page.expect_download() as download:
        page.get_by_role("link", name="Konfiguration exportieren").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("Schnittstellen-Filiale-ST-")
    assert b"x-geheim" not in saved.read_bytes()
    assert [s["name"] for s in json.loads(saved.read_bytes())["services"]] == ["Filiale SMTP"]

    with live_server.app.app_context():
        service = db.session.scalar(db.select(InterfaceService).where(
            InterfaceService.name == "Filiale SMTP"))
        services.delete_service(db.session.get(User, admin_id), service)
        db.session.commit()

    page.goto(f"{live_server.url}/interfaces/")
    page.get_by_text("Mehr", exact=True).click()
    page.get_by_role("link", name="Konfiguration importieren").click()
    expect(page.get_by_role("heading", name="Konfiguration importieren", level=1)).to_be_visible()
    page.get_by_label("Konfigurationsdatei (JSON)").set_input_files(str(saved))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    preview = page.locator("table.import-steps")
    expect(preview).to_contain_text("Filiale SMTP")
    expect(preview).to_contain_text("Neu")
    expect(preview).to_contain_text("Danach eintragen: Passwort")
    expect(preview).to_contain_text("2525")
    page.screenshot(path=str(tmp_path / "import-preview.png"), full_page=True)
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("status")).to_contain_text("Die Konfiguration wurde importiert.")
    page.get_by_role("link", name="Filiale SMTP").click()
    expect(page.locator("#service-form")).to_be_visible()
    with live_server.app.app_context():
        again = db.session.scalar(db.select(InterfaceService).where(
            InterfaceService.name == "Filiale SMTP"))
        assert again.branch_id == branch_id and again.values["port"] == 2525
        assert again.secret_keys == set()


def test_a_refused_file_says_why_beside_the_field(page, live_server, make_user, tmp_path, log_in):
    """A file of another kind: the reason under the upload field, nothing else happens."""
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")
    wrong = tmp_path / "kunden.json"
    wrong.write_text('{"customers": []}')
    page.goto(f"{live_server.url}/interfaces/import")
    page.get_by_label("Konfigurationsdatei (JSON)").set_input_files(str(wrong))
    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.locator("#file-error")).to_contain_text("keine von Schnittstellen exportierte")
    expect(page.get_by_label("Konfigurationsdatei (JSON)")).to_have_attribute(
        "aria-invalid", "true")


def test_the_order_lists_csv_link_follows_the_filters(page, live_server, make_user, make_branch,
                                                       tmp_path, log_in):
    """Choosing a status swaps the list and with it the link; the download opens as Excel
    reads it."""
    make_user("admin", role="admin", name="Anna Admin")
    branch_id = make_branch("Stuttgart Mitte", "ST")
    with live_server.app.app_context():
        lab = Company(name="Dreve", is_lab=True, is_supplier=True)
        db.session.add(lab)
        db.session.flush()
        for number, status in enumerate(("created", ERROR)):
            db.session.add(Order(branch_id=branch_id, supplier_id=lab.id, company_id=lab.id,
                                 interface_key="x", service_name="S", status=status,
                                 number=f"B-2026-00000{number}", updated_by="test"))
        db.session.commit()
    log_in("admin")
    page.goto(f"{live_server.url}/orders/")
    link = page.get_by_role("link", name="CSV exportieren")
    expect(link).to_have_attribute("href", "/orders/export.csv")
    page.get_by_label("Status").select_option(label="Fehler")
    expect(link).to_have_attribute("href", "/orders/export.csv?status=error")
    with page.expect_download() as download:
        link.click()
    body = download.value.path().read_bytes()
    assert body.startswith(codecs.BOM_UTF8)
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Bestellnummer;Bestellt am;")
    assert [line.split(";")[0] for line in lines[1:]] == ["B-2026-000001"]
