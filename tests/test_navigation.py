"""The main navigation (templates/base.html): the daily screens in the bar, master data and
settings in the Verwaltung menu, each role's entries, and the current screen marked."""
import re

import pytest

from tests.translated import de

DAILY = ["/interfaces/", "/interfaces/health", "/customers/", "/orders/", "/sinno/chats"]
MASTER_DATA = ["/branches/", "/branch-organisations/", "/workstations/", "/users/", "/companies/",
               "/document-templates/", "/chain"]


def navigation(client, url="/"):
    """(links in the bar, the Verwaltung menu's summary tag, links in the menu) of a page."""
    body = client.get(url).get_data(as_text=True)
    nav = body[body.index("<nav"):body.index("</nav>")]
    bar, menu = nav.split('<details class="menu nav-menu">')
    summary = re.search(r"<summary[^>]*>[^<]*</summary>", menu)[0]
    return re.findall(r'<a href="([^"]+)"', bar), summary, re.findall(r'<a href="([^"]+)"', menu)


@pytest.mark.parametrize("role, menu", [
    ("staff", MASTER_DATA),
    ("branch_manager", MASTER_DATA + ["/changelog/"]),
    ("admin", MASTER_DATA + ["/process-templates/", "/changelog/", "/operations/"]),
])
def test_daily_screens_in_the_bar_the_rest_under_verwaltung(client, auth, make_branch, make_user,
                                                           role, menu):
    """Every role gets Schnittstellen (with Zustand), Kunden, Bestellungen and SiNNO-Chat in
    the bar and, under Verwaltung, the master-data and settings screens its role may open, in
    this order."""
    branch = make_branch("Stuttgart", "ST")
    make_user("till", role=role, branch_ids=[branch])
    auth.login("till")
    bar, summary, links = navigation(client)
    assert bar == DAILY
    assert summary == f"<summary>{de('Administration')}</summary>" == "<summary>Verwaltung</summary>"
    assert links == menu


def test_current_screen_and_its_group_are_marked(client, admin, make_branch):
    """A screen in the menu is aria-current="page" and its group's summary aria-current;
    a screen in the bar is marked alone."""
    make_branch("Stuttgart", "ST")
    body = client.get("/branches/").get_data(as_text=True)
    nav = body[body.index("<nav"):body.index("</nav>")]
    assert '<summary aria-current="true">' in nav
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == ["/branches/"]
    body = client.get("/customers/").get_data(as_text=True)
    nav = body[body.index("<nav"):body.index("</nav>")]
    assert "<summary>" in nav
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == ["/customers/"]


def test_remembered_bar_follows_role_language_and_screen(client, auth, make_branch, make_user):
    """The bar is rendered once per screen, language and role and then reused (issue 15):
    an administrator's bar is not shown to staff after it, an English bar not to a German
    user, nor one screen's marks on another."""
    branch = make_branch("Stuttgart", "ST")
    make_user("anna", role="admin", branch_ids=[branch], preferred_language="en")
    make_user("till", role="staff", branch_ids=[branch])
    auth.login("anna")
    bar, summary, links = navigation(client, "/customers/")
    assert summary == "<summary>Administration</summary>" and "/operations/" in links
    auth.logout()
    auth.login("till")
    bar, summary, links = navigation(client, "/customers/")
    assert summary == "<summary>Verwaltung</summary>"
    assert links == MASTER_DATA
    body = client.get("/orders/").get_data(as_text=True)
    nav = body[body.index("<nav"):body.index("</nav>")]
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == ["/orders/"]
    assert 'class="notifications-link" href="/notifications/">' in body
    assert 'href="/help/orders"' in body and 'href="/help/customers"' not in body
