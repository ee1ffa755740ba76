"""The main navigation in Chromium at 1366×768 (German UI): one line, and the Verwaltung
menu works from the keyboard — opened with Enter, closed with Escape or by tabbing past
it, its entries followed with Enter."""
import pytest
from playwright.sync_api import expect


pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1366, "height": 768}


def test_verwaltung_menu_by_keyboard(page, live_server, make_user, make_branch, log_in):
    """An administrator's bar fits on one line; Tab reaches Verwaltung after the daily
    screens, Enter opens it, Escape closes it with the focus back on it, Tab past its last
    entry closes it, and Enter on Firmen opens Firmen, marked current with its group."""
    make_branch("Stuttgart Mitte", "ST")
    make_user("admin", role="admin", name="Anna Admin")
    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    navigation = page.get_by_role("navigation", name="Hauptnavigation")
    verwaltung = navigation.locator("summary")
    entries = navigation.locator(".menu-items a")

    # One line: every entry of the bar at the height of the first.
    tops = navigation.locator(":scope > ul > li").evaluate_all(
        "items => items.map(item => Math.round(item.getBoundingClientRect().top))")
    assert len(tops) == 5 and len(set(tops)) == 1
    assert page.locator("header.topbar").bounding_box()["height"] < 60

    # Skip link, brand, Schnittstellen, Zustand, Kunden, Bestellungen, SiNNO-Chat, then
    # Verwaltung.
    for _ in range(8):
        page.keyboard.press("Tab")
    expect(verwaltung).to_be_focused()
    expect(verwaltung).to_have_text("Verwaltung")
    expect(entries.first).to_be_hidden()
    page.keyboard.press("Enter")
    expect(entries).to_have_text(["Filialen", "Filialorganisationen", "Rechner", "Benutzer",
                                  "Firmen", "Dokumentvorlagen", "Filialkette",
                                  "Vorgangsvorlagen", "Änderungsprotokoll", "Betrieb"])
    page.keyboard.press("Tab")
    expect(entries.first).to_be_focused()
    page.keyboard.press("Escape")
    expect(entries.first).to_be_hidden()
    expect(verwaltung).to_be_focused()

    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
    expect(entries.last).to_be_focused()
    page.keyboard.press("Tab")  # on to the notifications: the menu closes behind the focus
    expect(page.get_by_role("link", name="Benachrichtigungen")).to_be_focused()
    expect(entries.last).to_be_hidden()

    verwaltung.focus()
    page.keyboard.press("Enter")
    for _ in range(5):
        page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Firmen")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/companies/")
    expect(page.get_by_role("heading", name="Firmen", level=1)).to_be_visible()
    expect(verwaltung).to_have_attribute("aria-current", "true")
    expect(navigation.locator('a[aria-current="page"]')).to_have_attribute("href", "/companies/")


@pytest.mark.parametrize("width", (683, 320))
def test_the_bar_wraps_when_zoomed_in(page, live_server, make_user, make_branch, log_in, width):
    """Zoomed in — 200 % of a 1366 px laptop is 683 CSS pixels, 400 % of 1280 is 320 (WCAG
    1.4.10) — the bar wraps its entries and the account's links: the page does not scroll
    sideways and every link of the bar lies within the window."""
    make_branch("Stuttgart Mitte", "ST")
    make_user("admin", role="admin", name="Anna Admin")
    page.set_viewport_size({"width": width, "height": 768})
    log_in("admin")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for link in page.locator("header.topbar").get_by_role("link").all():
        box = link.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, link.text_content()
    expect(page.get_by_role("button", name="Abmelden")).to_be_in_viewport()
