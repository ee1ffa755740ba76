"""An admin creates a branch organisation (Filialorganisation) in Chromium, German UI, with
the keyboard: the htmx editor refuses a missing branch beside the boxes and saves once one
is ticked."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_create_an_organisation_by_keyboard(page, live_server, log_in, make_user, make_branch):
    """Verwaltung → Filialorganisationen → Neue Filialorganisation; without a branch the
    save is refused and the focus lands on the first box; Space ticks two, Enter on
    Speichern saves, the list shows them, and the page is never reloaded."""
    for name, code in (("Esslingen", "ES"), ("Ludwigsburg", "LB"), ("Stuttgart Mitte", "ST")):
        make_branch(name, code)
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")

    navigation = page.get_by_role("navigation")
    navigation.get_by_text("Verwaltung").click()
    navigation.get_by_role("link", name="Filialorganisationen").click()
    expect(page.get_by_role("heading", name="Filialorganisationen", exact=True)).to_be_visible()
    expect(page.locator("#organisation-list")).to_contain_text("Noch keine Filialorganisationen.")
    page.evaluate("window.__noReload = true")  # survives htmx swaps, not a page load

    page.get_by_role("link", name="Neue Filialorganisation").focus()
    page.keyboard.press("Enter")
    editor = page.locator("#organisation-form")
    expect(editor.get_by_role("heading", name="Neue Filialorganisation")).to_be_visible()
    editor.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Region Neckar")
    page.keyboard.press("Tab")
    page.keyboard.type("Filialen am Neckar")
    page.keyboard.press("Enter")

    expect(page.locator("#branch_ids-error")).to_have_text("Wählen Sie mindestens eine Filiale.")
    expect(page.get_by_role("checkbox", name="Esslingen")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Stuttgart Mitte")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Speichern")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#organisation-form .notice")).to_have_text("Filialorganisation angelegt.")
    expect(page).to_have_url(re.compile(r"/branch-organisations/\d+$"))
    expect(page.locator("#organisation-list")).to_contain_text("Esslingen, Stuttgart Mitte (2)")
    expect(page.get_by_role("checkbox", name="Ludwigsburg")).not_to_be_checked()
    assert page.evaluate("window.__noReload") is True
