"""Hilfe (F1) on every page (issue 17, item 10): every page a GET route renders has the
header's "Hilfe (F1)" pointing at its screen's help, unless it is one of the few named here;
each help exists in German, as a dialog for htmx and as a page of its own."""
import re

import pytest

from tests.factories import HX
from tests.test_permissions import (  # noqa: F401 (records: a fixture)
    CHAIN, OWN, READS, _get_rules, _url, records,
)
from tests.translated import de
from webapp.extensions import db
from webapp.main.help_views import SCREENS, TOPICS, topic_of

# Pages without the screen's help, and why.
WITHOUT_HELP = {
    "auth.login_get": "before login there is no header",
    "main.help_get": "the help itself",
}
# The start page's help is /help (the route's default topic), every other one's /help/<topic>.
HELP_LINK = re.compile(r'<a class="help-link" href="/help(?:/(\w+))?" hx-get="([^"]+)" '
                       r'hx-target="#help-slot"\s+data-help-url="\2" '
                       r'aria-keyshortcuts="F1">([^<]+)</a>')


def test_every_page_has_the_help_of_its_screen(app, client, auth, world, records):  # noqa: F811
    """Every GET route, as an administrator, for each record it shows: when it answers with
    a whole page, the header offers Hilfe (F1) with a topic there is help for (a new screen
    needs its prefix in SCREENS and a text in templates/help/, or a reason here)."""
    auth.login(world.admin)
    missing, pages = [], set()
    for rule in _get_rules(app):
        if rule.endpoint in WITHOUT_HELP:
            continue
        # (A route test_permissions has no row for yet fails there; here it is still seen.)
        scopes = READS[rule.endpoint][0] if rule.endpoint in READS else (None, OWN)
        arguments = rule.arguments - {"interface_key", "table_key"}
        for scope in scopes:
            # As test_permissions asks: the plain page without arguments, a record's with.
            if (scope is None) == bool(arguments) or (scope == CHAIN and "station_id" in arguments):
                continue
            url = _url(app, rule, scope, records)
            response = client.get(url)
            body = response.get_data(as_text=True)
            if response.status_code != 200 or "<html" not in body:
                continue  # a fragment, a file, a redirect or a refusal: no page of its own
            pages.add(rule.endpoint)
            found = HELP_LINK.search(body)
            if not found or (found[1] or "start") not in TOPICS or found[3] != de("Help (F1)"):
                missing.append(f"{rule.endpoint} {url}")
    assert not missing, "pages without the help of their screen:\n" + "\n".join(missing)
    assert len(pages) > 30  # the loop saw the app's pages, not only refusals


def test_the_screens_get_their_own_help():
    """The endpoint decides the screen: the longest prefix wins, so an order's page has the
    orders' help, Zustand its own beside Schnittstellen, process templates theirs beside
    processes; every topic named has a name."""
    assert set(SCREENS.values()) <= set(TOPICS)
    assert topic_of("ordering.order_get") == "orders"
    assert topic_of("interfaces.health_get") == "health"
    assert topic_of("interfaces.edit_get") == "interfaces"
    assert topic_of("processes.template_get") == "process_templates"
    assert topic_of("processes.process_get") == "processes"
    assert topic_of("users.account_get") == "account"
    assert topic_of("cards.employee_get") == "users"
    assert topic_of("main.help_get") is None and topic_of("") is None


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_each_help_is_german_as_dialog_and_page(client, auth, world, topic):
    """Each topic's help: for htmx a modal dialog headed 'Hilfe: <screen>' with its text and
    the keys; without htmx a page with the same heading; all of it in German."""
    auth.login(world.staff)
    url = "/help" if topic == "start" else f"/help/{topic}"
    dialog = client.get(url, headers=HX)
    body = dialog.get_data(as_text=True)
    heading = de("Help: %(topic)s", topic=de(str(TOPICS[topic])))
    assert dialog.status_code == 200 and "<html" not in body
    assert '<dialog class="modal help-dialog" data-open-modal aria-labelledby="help-title">' in body
    assert f'<h2 id="help-title" tabindex="-1">{heading}</h2>' in body
    assert '<dl class="facts">' in body and de(
        "Keys: F1 opens the help of the screen, / puts the cursor into its search field, "
        "Escape closes a dialog or menu.") in body
    page = client.get(url).get_data(as_text=True)
    assert f"<h1>{heading}</h1>" in page and "<html" in page


def test_unknown_help_is_404_and_login_needed(client, auth, world):
    """A topic there is no help for is a 404; the help needs a login like every screen."""
    assert client.get("/help/nothing").status_code == 302  # to the login
    auth.login(world.staff)
    assert client.get("/help/nothing", headers=HX).status_code == 404
    assert client.get("/help").status_code == 200
    db.session.rollback()
