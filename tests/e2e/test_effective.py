"""The effective configuration of a workstation in Chromium (German UI): values from the chain,
the branch and the workstation, each with its origin, and the filter narrowing the groups."""
import re

import pytest
from playwright.sync_api import expect

from tests.factories import card_order_raw
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.interfaces import services
from webapp.users.models import User

pytestmark = pytest.mark.e2e

SMTP = {"host": "mail.kette.example", "port": "587", "encryption": "starttls",
        "sender_address": "kette@example.org"}


def test_workstation_shows_values_from_chain_branch_and_workstation(page, live_server, make_user,
                                                                     make_branch, make_workstation,
                                                                     tmp_path, log_in):
    """Reminder template from the chain, sender address from the branch, port from the
    workstation — each row names its origin; the group filter leaves only the chosen group."""
    admin_id = make_user("admin", role="admin", name="Anna Admin")
    branch_id = make_branch("Stuttgart Mitte", "ST")
    station_id = make_workstation("ST-KASSE", branch_id)
    with live_server.app.app_context():
        admin = db.session.get(User, admin_id)
        services.create_service(admin, "smtp", {"name": "Kette SMTP"}, SMTP)
        # The till's service sets only the port; its other fields come from the branch's
        # service. Appointment reminders exist chain-wide only.
        services.create_service(admin, "smtp", {"name": "Filiale SMTP", "branch_id": branch_id},
                                {**SMTP, "sender_address": "st@example.org", "password": "x-geheim"})
        services.create_service(admin, "smtp", {"name": "Kasse SMTP", "workstation_id": station_id},
                                {"port": "2525"})
        services.create_service(admin, "tse_swissbit", {"name": "TSE Kasse",
                                                        "workstation_id": station_id},
                                {"drive_letter": "E:"})
        services.create_service(admin, "appointment_reminders", {"name": "Terminerinnerung"},
                                {"contact_template": "Erinnerung", "days_before": "2"})
        # A table of eleven columns in the cell "Wert".
        db.session.add(DocumentTemplate(name="Karte GOLD", kind="card_layout", content="…",
                                        updated_by="test"))
        db.session.flush()
        services.create_service(admin, "card_order", {"name": "Kundenkarten"},
                                card_order_raw({"name": "GOLD", "comment": "Treueprogramm"}))
        db.session.commit()  # services flush; outside a request the test commits
    log_in("admin")

    page.goto(f"{live_server.url}/workstations/{station_id}")
    page.get_by_role("link", name="Effektive Konfiguration").click()
    expect(page).to_have_url(f"{live_server.url}/workstations/{station_id}/effective")
    expect(page.get_by_role("heading", name="Effektive Konfiguration", level=1)).to_be_visible()

    def row(label):
        return page.locator("table.effective tr").filter(
            has=page.get_by_role("rowheader", name=label, exact=True))

    expect(row("Port")).to_contain_text("2525")
    expect(row("Port").locator(".origin")).to_have_text("Rechner")
    expect(row("Absenderadresse")).to_contain_text("st@example.org")
    expect(row("Absenderadresse").locator(".origin")).to_have_text("Filiale")
    expect(row("Zeitlimit (Sekunden)").locator(".origin")).to_have_text("Standardwert")
    expect(row("Passwort")).to_contain_text("gesetzt")
    expect(page.locator("body")).not_to_contain_text("x-geheim")
    expect(row("Kontaktvorlage").locator(".origin")).to_have_text("Filialkette")
    # The card templates' table scrolls sideways in its cell, a region the keyboard reaches,
    # and no word of it is broken across lines (each word's text lies on one line).
    templates = page.get_by_role("region", name="Vorlagen zur Kartenbestellung")
    expect(templates.get_by_role("columnheader", name="Versandintervall")).to_be_visible()
    templates.focus()
    expect(templates).to_be_focused()
    broken = templates.evaluate("""region => [...region.querySelectorAll('th, td')].flatMap(cell => {
        const text = cell.firstChild, words = [], range = document.createRange();
        if (!text || text.nodeType !== Node.TEXT_NODE) return words;
        for (const match of text.data.matchAll(/\\S+/g)) {
          range.setStart(text, match.index);
          range.setEnd(text, match.index + match[0].length);
          if (range.getClientRects().length > 1) words.push(match[0]);
        }
        return words;
    })""")
    assert broken == []
    page.screenshot(path=str(tmp_path / "effective.png"), full_page=True)

    page.evaluate("window.__noReload = true")
    page.get_by_label("Gruppe").select_option(label="KassenSichV")
    expect(page).to_have_url(re.compile(r"group=kassensichv"))
    expect(page.get_by_role("heading", name="KassenSichV", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="E-Mail", level=2)).to_have_count(0)
    expect(row("Laufwerksbuchstabe").locator(".origin")).to_have_text("Rechner")
    # Nobody set up a barcode reader: it appears only when every interface is asked for.
    page.get_by_label("Gruppe").select_option(label="Barcodeleser")
    expect(page.get_by_text("Keine Schnittstelle passt zum Filter.")).to_be_visible()
    page.get_by_label("Alle Schnittstellen anzeigen").check()
    expect(page).to_have_url(re.compile(r"all=1"))
    expect(page.get_by_role("heading", name="Barcodeleser", level=2)).to_be_visible()
    expect(page.get_by_text("Kein Service gilt").first).to_be_visible()
    assert page.evaluate("window.__noReload") is True
