"""Directory login set up where every interface is, in Chromium (German UI): an administrator
creates the chain's LDAP service under Schnittstellen (ldaps with the CA pasted as PEM, the
service account, the search bases, a role table row), saves it, runs "Verbindung testen"
(a real `flask worker` against the session's slapd) and sees it pass; then a person of the
directory logs in with their directory password."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.auth import servers
from tests.factories import make_config
from tests.translated import de
from webapp.extensions import db
from webapp.users.models import User

# ldap3 2.9.1 checks the server's host name with ssl.match_hostname(), deprecated in Python
# 3.7; the login (in the served app's thread) connects with ldap3.
pytestmark = [pytest.mark.e2e, pytest.mark.redis,
              pytest.mark.filterwarnings(r"ignore:ssl.match_hostname\(\) is deprecated:DeprecationWarning")]


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_configure_ldap_under_schnittstellen_test_it_and_log_in_as_a_directory_user(
        page, live_server, make_user, shop_branches, slapd, worker, log_in, tmp_path):
    make_user("admin", role="admin", name="Anna Admin")
    log_in("admin")
    page.goto(f"{live_server.url}/interfaces/")
    page.get_by_role("link", name="Neu", exact=True).click()
    dialog = page.get_by_role("dialog", name="Neuer Service: Schnittstelle wählen")
    dialog.get_by_role("searchbox").fill("LDAP")
    expect(dialog.locator("#catalogue-results")).not_to_contain_text("SMTP")
    dialog.get_by_role("link", name="LDAP-Verzeichnis (Anmeldung)").click()
    expect(dialog).to_be_hidden()

    editor = page.locator("#service-form")
    expect(editor.get_by_role("heading", name="Neuer Service")).to_be_visible()
    editor.get_by_label("Name", exact=True).fill("Verzeichnis Zentrale")
    editor.get_by_label("Server-URL").fill(slapd.ldaps_url)
    editor.get_by_label("CA-Zertifikat (PEM)").fill(Path(slapd.tls["ca"]).read_text())
    editor.get_by_label("Bind-DN").fill(servers.SERVICE_DN)
    editor.get_by_label("Bind-Passwort").fill(servers.SERVICE_PASSWORD)
    editor.get_by_label("Basis-DN der Benutzersuche").fill(servers.PEOPLE)
    editor.get_by_label("Basis-DN der Gruppensuche").fill(servers.GROUPS)
    editor.get_by_label("Filialgruppen beginnen mit").fill("filiale-")
    editor.locator("#add-row-role_map").click()
    editor.locator("#f-role_map-0-group").fill("app-staff")
    editor.locator("#f-role_map-0-role").select_option(label="Mitarbeiter")
    editor.get_by_role("button", name="Speichern").first.click()
    expect(editor).to_contain_text(de("Service created."))

    actions = editor.get_by_role("region", name=de("Actions"))
    actions.get_by_role("button", name="Verbindung testen").click()
    status = page.locator("#action-test-status")
    expect(status).to_contain_text(de("Passed: every step succeeded."), timeout=30_000)
    expect(status.locator(".probe-steps li")).to_have_count(5)
    expect(status).not_to_contain_text(servers.SERVICE_PASSWORD)
    page.screenshot(path=str(tmp_path / "ldap-tested.png"), full_page=True)

    page.get_by_role("button", name=de("Log out")).click()
    page.get_by_label("Benutzername").fill("bob")
    page.get_by_label("Passwort").fill("bobpw")
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".topbar .account")).to_contain_text("Bob Berater")
    with live_server.app.app_context():
        bob = db.session.scalar(db.select(User).where(User.username == "bob"))
        assert (bob.auth_source, bob.role, sorted(b.short_code for b in bob.branches)) == (
            "ldap", "staff", ["LB", "ST"])
