"""An admin rolls the demo's Dreve SmartOrder service out to Esslingen and Ludwigsburg in
Chromium (German UI, issue 18): Mehr → Auf Filialen übertragen, the branch organisation
"Region Neckar", the preview (both skipped: their logins are missing), the logins typed into
the table (the action follows), Übertragen, and the progress until both are created by a
real worker. No page shows a password."""
import pytest
from playwright.sync_api import expect

from webapp import demo
from webapp.extensions import db
from webapp.interfaces.models import InterfaceService

pytestmark = pytest.mark.e2e
PASSWORDS = {"Esslingen": "Dreve-Es-2026", "Ludwigsburg": "Dreve-Lb-2026"}


@pytest.fixture
def app_config(app_config, redis_url):
    return {**app_config, "REDIS_URL": redis_url}


@pytest.fixture
def demo_chain(live_server):
    with live_server.app.app_context():
        demo.seed()
        db.session.commit()
        return db.session.scalar(db.select(InterfaceService.id).where(
            InterfaceService.name == "Dreve SmartOrder Stuttgart"))


def log_in_demo(page, live_server):
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Benutzername").fill("admin")
    page.get_by_label("Passwort").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{live_server.url}/")


def test_roll_out_dreve_to_esslingen_and_ludwigsburg(page, live_server, demo_chain, worker):
    log_in_demo(page, live_server)
    page.goto(f"{live_server.url}/interfaces/{demo_chain}")
    form = page.locator("#service-form")
    form.get_by_text("Mehr").click()
    form.get_by_role("link", name="Auf Filialen übertragen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "„Dreve SmartOrder Stuttgart“ auf Filialen übertragen")

    # Choosing the organisation selects its radio button.
    page.get_by_label("Filialorganisation", exact=True).select_option(label="Region Neckar (2)")
    expect(page.get_by_label("Die Filialen einer Filialorganisation")).to_be_checked()
    page.get_by_role("button", name="Vorschau anzeigen").click()

    rows = page.locator("table.rollout-preview tbody tr")
    expect(rows).to_have_count(2)
    for branch in ("Esslingen", "Ludwigsburg"):
        row = rows.filter(has=page.get_by_role("rowheader", name=branch))
        expect(row).to_contain_text("Überspringen")
        expect(row).to_contain_text("Ein geheimer Pflichtwert fehlt: Passwort")
    expect(page.locator("#rollout-summary")).to_contain_text("0 neu, 0 geändert, 2 übersprungen")
    expect(page.get_by_role("button", name="Übertragen")).to_be_disabled()

    # A check after a typed value leaves the keyboard focus where Tab put it (the keys typed
    # next must not land in another branch's field) and the field no longer reads invalid.
    username = page.get_by_label("Benutzername / Kundenlogin (Esslingen)")
    expect(username).to_have_attribute("aria-invalid", "true")
    page.evaluate("""() => { window.settled = 0;
        document.addEventListener("htmx:afterSettle", () => { window.settled += 1; }); }""")
    username.fill("DRV-00002")
    username.press("Tab")
    page.wait_for_function("() => window.settled > 0")
    expect(page.get_by_label("Passwort (Esslingen)")).to_be_focused()
    expect(username).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Passwort (Esslingen)")).to_have_attribute("aria-invalid", "true")

    for number, branch in enumerate(("Esslingen", "Ludwigsburg"), start=2):
        page.get_by_label(f"Benutzername / Kundenlogin ({branch})").fill(f"DRV-0000{number}")
        page.get_by_label(f"Passwort ({branch})").fill(PASSWORDS[branch])
        page.get_by_label(f"Passwort ({branch})").press("Tab")
    expect(page.locator("#rollout-summary")).to_contain_text("2 neu, 0 geändert, 0 übersprungen")
    expect(page.locator("table.rollout-preview [aria-invalid='true']")).to_have_count(0)
    expect(page.get_by_label("Benutzername / Kundenlogin (Ludwigsburg)")).to_have_value("DRV-00003")
    row = rows.filter(has=page.get_by_role("rowheader", name="Esslingen"))
    expect(row).to_contain_text("Neu")
    expect(row).to_contain_text("Dreve SmartOrder Esslingen")
    page.get_by_role("button", name="Übertragen").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "„Dreve SmartOrder Stuttgart“")
    expect(page.locator("#rollout-status")).to_contain_text(
        "2 von 2 Filialen erledigt", timeout=30_000)
    expect(page.get_by_role("heading", level=2)).to_have_text("Erledigt")
    for branch in PASSWORDS:
        assert PASSWORDS[branch] not in page.content()
    page.locator("#rollout-status").get_by_role("link", name="Dreve SmartOrder Esslingen").click()
    expect(page.locator("#service-form h2")).to_have_text("Dreve SmartOrder Esslingen")
    expect(page.locator("#service-form").get_by_label("Benutzername / Kundenlogin")).to_have_value(
        "DRV-00002")

    with live_server.app.app_context():
        created = db.session.scalars(db.select(InterfaceService.name).where(
            InterfaceService.interface_key == "dreve_smartorder")
            .order_by(InterfaceService.name)).all()
    assert created == ["Dreve SmartOrder Esslingen", "Dreve SmartOrder Ludwigsburg",
                       "Dreve SmartOrder Stuttgart"]
    page.goto(f"{live_server.url}/changelog/")
    expect(page.locator("#changelog-entries")).to_contain_text(
        "übertragen von „Dreve SmartOrder Stuttgart“")
    for branch in PASSWORDS:
        assert PASSWORDS[branch] not in page.content()
