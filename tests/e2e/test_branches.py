"""An admin logs in (German UI) and edits branches through the htmx forms in Chromium."""
import re

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.org.models import Branch

pytestmark = pytest.mark.e2e


def test_edit_branch_through_the_htmx_form(page, live_server, log_in, make_user, make_branch,
                                           tmp_path):
    """List → editor swapped in → bad input gets a message beside the field → fixed and saved;
    the page is never reloaded and the list shows the new value."""
    make_branch("Stuttgart Mitte", "ST", city="Stuttgart")
    make_branch("Esslingen", "ES", city="Esslingen")
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")

    navigation = page.get_by_role("navigation")
    navigation.get_by_text("Verwaltung").click()
    navigation.get_by_role("link", name="Filialen").click()
    expect(page.get_by_role("heading", name="Filialen", exact=True)).to_be_visible()
    # A marker on window survives htmx swaps but not a full page load.
    page.evaluate("window.__noReload = true")

    page.get_by_role("link", name="Stuttgart Mitte").click()
    expect(page).to_have_url(re.compile(r"/branches/\d+$"))
    editor = page.locator("#branch-form")
    expect(editor.get_by_role("heading", name="Stuttgart Mitte")).to_be_visible()

    editor.get_by_label("E-Mail").fill("kein-mail")
    editor.get_by_role("button", name="Speichern").click()
    expect(editor.locator("#office_email-error")).to_be_visible()
    expect(editor.get_by_label("E-Mail")).to_be_focused()

    editor.get_by_label("E-Mail").fill("stuttgart@hoerwelt.example")
    page.locator("#branch-form #city").fill("Stuttgart-Mitte")
    page.locator("#branch-form").get_by_role("button", name="Speichern").click()
    expect(page.locator("#branch-form .notice")).to_have_text("Gespeichert.")
    expect(page.locator("#branch-list")).to_contain_text("Stuttgart-Mitte")
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "branches.png"), full_page=True)

    # Neuladen swaps the editor's content; the editor pane must survive it, so the next
    # record chosen from the list still opens there.
    page.locator("#branch-form").get_by_role("link", name="Neuladen").click()
    expect(page.locator("#editor #branch-form")).to_be_visible()
    page.locator("#branch-list").get_by_role("link", name="Esslingen").click()
    expect(page.locator("#editor").get_by_role("heading", name="Esslingen")).to_be_visible()

    with live_server.app.app_context():
        branch = db.session.scalar(db.select(Branch).where(Branch.short_code == "ST"))
        assert (branch.city, branch.office_email) == ("Stuttgart-Mitte", "stuttgart@hoerwelt.example")


def test_create_branch_by_keyboard(page, live_server, make_user, log_in):
    """'Neu' opens the empty editor; the form is filled and sent with the keyboard only."""
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")
    page.goto(f"{live_server.url}/branches/")
    page.get_by_role("link", name="Neu").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Neue Filiale")).to_be_visible()
    page.get_by_label("Name", exact=True).focus()
    page.keyboard.type("Ludwigsburg")
    page.keyboard.press("Tab")
    page.keyboard.type("LB")
    page.keyboard.press("Enter")
    expect(page.locator("#branch-form .notice")).to_have_text("Filiale angelegt.")
    expect(page.locator("#branch-list")).to_contain_text("Ludwigsburg")
    expect(page).to_have_url(re.compile(r"/branches/\d+$"))


def test_filter_select_updates_the_list(page, live_server, log_in, make_user, make_branch,
                                        make_workstation):
    """Choosing a branch in the workstation filter narrows the list at once, URL included."""
    st = make_branch("Stuttgart Mitte", "ST")
    es = make_branch("Esslingen", "ES")
    make_workstation("ST-KASSE", st)
    make_workstation("ES-KASSE", es)
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")
    page.goto(f"{live_server.url}/workstations/")
    expect(page.locator("#workstation-list")).to_contain_text("ES-KASSE")
    page.get_by_label("Filiale", exact=True).select_option(label="Stuttgart Mitte")
    expect(page.locator("#workstation-list")).not_to_contain_text("ES-KASSE")
    expect(page.locator("#workstation-list")).to_contain_text("ST-KASSE")
    expect(page).to_have_url(re.compile(rf"branch={st}"))
