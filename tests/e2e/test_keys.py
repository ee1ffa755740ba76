"""Keys on every page in Chromium (issue 17, item 10): F1 opens the help of the screen shown in
a modal dialog, and Escape closes it; the header's "Hilfe (F1)" does the same by pointer; "/"
puts the cursor into the page's search field, but typed into a field it stays a character."""
import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.translated import de
from webapp.extensions import db

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def staff(page, world, log_in):
    """Sam, staff of Stuttgart, logged in at 1366×768."""
    world.staff.set_password(PASSWORD)
    db.session.commit()
    page.set_viewport_size(VIEWPORT)
    log_in("sam")


@pytest.mark.parametrize(("path", "screen", "says"), (
    ("/orders/", "Orders", "New order"),
    ("/customers/", "Customers", "New customer"),
    ("/companies/", "Companies", "Customer numbers"),
    ("/", "Start page", "Administration"),
))
def test_f1_opens_the_help_of_the_screen(page, live_server, staff, path, screen, says):
    """F1 on the page opens its screen's help as a dialog headed 'Hilfe: <screen>' (not the
    browser's help), with the screen's own words; Escape closes it and focus returns."""
    page.goto(f"{live_server.url}{path}")
    page.keyboard.press("F1")
    dialog = page.get_by_role("dialog", name=de("Help: %(topic)s", topic=de(screen)))
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_be_focused()
    expect(dialog).to_contain_text(de(says))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    page.keyboard.press("F1")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_the_header_link_opens_the_same_help(page, live_server, staff):
    """Hilfe (F1) in the header, reached by keyboard: Enter opens the dialog, Escape closes
    it and the focus is back on the link."""
    page.goto(f"{live_server.url}/customers/")
    link = page.get_by_role("link", name=de("Help (F1)"))
    expect(link).to_have_attribute("aria-keyshortcuts", "F1")
    link.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=de("Help: %(topic)s", topic=de("Customers")))
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(link).to_be_focused()


@pytest.mark.parametrize("path", ("/help/interfaces", "/interfaces/help/dreve_smartorder"))
def test_a_help_page_heads_its_sections_below_its_title(page, live_server, staff, path):
    """The interfaces' help opened as a page (the help link's address, e.g. in a new tab):
    its sections are h2 under the page's h1, not h3 (as under a dialog's h2, see
    test_f1_opens_the_help_of_the_screen), so no heading level is skipped."""
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.get_by_role("heading", level=2, name=de("The mask"))).to_be_visible()
    expect(page.get_by_role("heading", level=3)).to_have_count(0)
    page.goto(f"{live_server.url}/interfaces/")
    page.keyboard.press("F1")
    dialog = page.get_by_role("dialog", name=de("Help"))
    expect(dialog.get_by_role("heading", level=3, name=de("The mask"))).to_be_visible()


@pytest.mark.parametrize("path", ("/orders/", "/customers/"))
def test_slash_focuses_the_search_field(page, live_server, staff, path):
    """'/' anywhere but in a field puts the cursor into the list's search field, without
    typing the slash there."""
    page.goto(f"{live_server.url}{path}")
    search = page.locator("main input[type=search]").first
    expect(search).not_to_be_focused()
    page.keyboard.press("/")
    expect(search).to_be_focused()
    expect(search).to_have_value("")
    page.keyboard.type("muster")
    expect(search).to_have_value("muster")


def test_slash_typed_into_a_field_stays_a_character(page, live_server, staff):
    """In a text input (the new customer's name) and in the search field itself, '/' is
    typed, and the focus stays where it was."""
    page.goto(f"{live_server.url}/customers/new")
    name = page.locator("#customer-form input[type=text]").first
    name.fill("")
    name.type("Meier/Schmidt")
    expect(name).to_have_value("Meier/Schmidt")
    expect(name).to_be_focused()
    page.goto(f"{live_server.url}/customers/")
    search = page.locator("main input[type=search]").first
    search.click()
    search.type("a/b")
    expect(search).to_have_value("a/b")
    expect(search).to_be_focused()
