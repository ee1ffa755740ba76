"""The search dialog "Suchen …" for document templates in Chromium (German UI, 1366×768): in a
customer-card service's editor an admin chooses a card layout by keyboard (search, arrow,
Enter) and the focus returns to the input it filled; Escape closes without a change; a row
added later gets its own dialog; the save keeps the chosen names."""
import pytest
from playwright.sync_api import expect

from tests.factories import card_order_raw
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.interfaces import services
from webapp.users.models import User

pytestmark = pytest.mark.e2e


@pytest.fixture
def card_service(live_server, make_user):
    """Layouts GOLD and BASIS, a cover letter, and the service "Karten Kette" whose template
    GOLD goes to the customer; its editor's URL."""
    admin_id = make_user("admin", role="admin", name="Anna Admin")
    with live_server.app.app_context():
        for name, kind in (("Karte GOLD", "card_layout"), ("Karte BASIS", "card_layout"),
                           ("Anschreiben Kunde", "cover_letter"),
                           ("Anschreiben Filiale", "cover_letter")):
            db.session.add(DocumentTemplate(name=name, kind=kind, content="…",
                                            updated_by="test"))
        db.session.flush()
        service = services.create_service(
            db.session.get(User, admin_id), "card_order", {"name": "Karten Kette"},
            card_order_raw({"name": "GOLD", "ship_to": "customer",
                            "cover_letter": "Anschreiben Kunde"}))
        db.session.commit()  # services flush; outside a request the test commits
        return f"{live_server.url}/interfaces/{service.id}"


def test_choose_document_templates_in_the_search_dialog(page, card_service, log_in, tmp_path):
    """Keyboard: Suchen … → type → ↓ → Enter fills the input and focuses it; Escape leaves
    it; a new row's dialog fills that row; Speichern keeps the names."""
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in("admin")
    page.goto(card_service)
    editor = page.locator("#service-form")
    layout = editor.locator("#f-templates-0-card_template")
    expect(layout).to_have_value("Karte GOLD")

    layout.focus()
    page.keyboard.press("Tab")  # to its "Suchen …" button
    expect(page.locator(":focus")).to_have_accessible_name("Suchen … Dokumentvorlage")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Dokumentvorlage wählen: Dokumentvorlage")
    expect(dialog).to_be_visible()
    search = dialog.get_by_role("searchbox", name="Suchen")
    expect(search).to_be_focused()
    expect(dialog.get_by_role("button", name="Karte GOLD")).to_be_visible()
    expect(dialog.get_by_role("button", name="Anschreiben Kunde")).to_have_count(0)
    search.press_sequentially("basis")
    expect(dialog.get_by_role("button", name="Karte GOLD")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "document-picker.png"))
    page.keyboard.press("ArrowDown")
    expect(dialog.get_by_role("button", name="Karte BASIS")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(layout).to_have_value("Karte BASIS")
    expect(layout).to_be_focused()

    letter = editor.locator("#f-templates-0-cover_letter")
    editor.get_by_role("button", name="Suchen … Anschreiben").click()
    dialog = page.get_by_role("dialog", name="Dokumentvorlage wählen: Anschreiben")
    expect(dialog.get_by_role("button", name="Anschreiben Filiale")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(letter).to_be_focused()
    expect(letter).to_have_value("Anschreiben Kunde")

    editor.get_by_role("button", name="Eintrag hinzufügen").click()
    second = editor.locator("#f-templates-1-card_template")
    expect(second).to_be_visible()
    editor.locator("#f-templates-1-name").fill("PLATIN")
    second.fill("")
    second.locator("xpath=following-sibling::button").click()
    dialog = page.get_by_role("dialog", name="Dokumentvorlage wählen: Dokumentvorlage")
    dialog.get_by_role("button", name="Karte GOLD").click()
    expect(dialog).to_be_hidden()
    expect(second).to_have_value("Karte GOLD")
    expect(layout).to_have_value("Karte BASIS")
    expect(second).to_be_focused()

    editor.get_by_role("button", name="Speichern").first.click()
    expect(page.locator("#service-form .notice")).to_have_text("Gespeichert.")
    expect(page.locator("#f-templates-1-card_template")).to_have_value("Karte GOLD")
    expect(page.locator("#f-templates-0-card_template")).to_have_value("Karte BASIS")


def test_the_editor_and_the_list_filter_each_have_their_kind(page, card_service, log_in):
    """Document templates: the list's filter "Art" and the editor's field "Art" beside it are
    two controls with ids of their own, so each label names its own control (with one id the
    editor's label named the filter, and its own select had no name)."""
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in("admin")
    page.goto(card_service.rsplit("/interfaces/", 1)[0] + "/document-templates/")
    page.get_by_role("link", name="Karte GOLD").click()
    editor = page.locator("#editor")
    expect(editor.get_by_label("Name", exact=True)).to_have_value("Karte GOLD")
    expect(editor.get_by_label("Art", exact=True)).to_have_value("card_layout")
    expect(page.locator(".list-pane").get_by_label("Art", exact=True)).to_have_value("")
    assert page.evaluate("""() => [...document.querySelectorAll('[id]')].map(e => e.id)
                              .filter((id, i, ids) => ids.indexOf(id) !== i)""") == []
