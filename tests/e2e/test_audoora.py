"""Audoora's registration in Chromium (German UI), end to end: an administrator opens the
chain's Audoora service, clicks "Jetzt registrieren", sees what will be sent with counts,
sends it, and sees the branches the sandbox portal listed back; a user added afterwards makes
the editor ask for a refresh and name the user, and the refresh sends it — run by a real
`flask worker` against the sandbox over HTTP, shown live without a reload; the partner list
fetched after the registration appears beside its own action."""
import pytest
import requests
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_config
from webapp.extensions import db
from webapp.users.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_an_admin_registers_the_chain_and_refreshes_after_a_new_user(
        page, live_server, world, make_service, sandbox, worker, log_in, tmp_path):
    world.admin.set_password(PASSWORD)
    make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    db.session.commit()
    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    page.goto(f"{live_server.url}/interfaces/")
    page.get_by_role("link", name="Audoora").first.click()
    editor = page.locator("#service-form")
    expect(editor.get_by_role("heading", name="Audoora")).to_be_visible()
    page.evaluate("window.__noReload = true")  # gone if anything below reloads the page
    status = page.locator("#action-register-status")
    expect(status).to_contain_text("noch nicht bei Audoora registriert")

    editor.get_by_role("button", name="Jetzt registrieren").click()
    expect(status).to_contain_text("Das wird an Audoora gesendet")
    expect(status).to_contain_text("Filialen (2)")
    expect(status).to_contain_text("Benutzer (4)")
    expect(status).to_contain_text("Kundennummern bei Partnerfirmen (1)")
    page.screenshot(path=str(tmp_path / "audoora-preview.png"), full_page=True)
    assert requests.get(f"{sandbox}/_sandbox/received?partner=audoora",
                        timeout=5).json()["received"] == []

    status.get_by_role("button", name="An Audoora senden").click()
    expect(status).to_contain_text("Registriert: AUDR-000001, 2 Filialen", timeout=30_000)
    expect(status).to_contain_text("Registriert seit")
    expect(status.locator(".audoora-branches li")).to_have_count(2)
    expect(status).to_contain_text("AUDF-0002")
    # The partner list fetched after the registration shows up beside its own action.
    partner_check = page.locator("#action-load_partners-status")
    expect(partner_check).to_contain_text("5 Partnerfirmen abgerufen", timeout=30_000)
    expect(partner_check).to_contain_text("Keine Firma dieses Namens")
    page.screenshot(path=str(tmp_path / "audoora-registered.png"), full_page=True)
    assert page.evaluate("window.__noReload") is True

    db.session.add(User(username="nina", name="Nina Neu", role="staff",
                        email="nina@example.org", branches=[world.st]))
    db.session.commit()
    page.reload()
    refresh = page.locator("#action-refresh_registration-status")
    expect(refresh).to_contain_text("Aktualisierung fällig")
    expect(refresh).to_contain_text("Benutzer Nina Neu: hinzugefügt")
    page.get_by_role("button", name="Registrierung aktualisieren").click()
    expect(refresh).to_contain_text("Benutzer (5)")
    refresh.get_by_role("button", name="An Audoora senden").click()
    expect(refresh).to_contain_text("Registrierung aktualisiert: AUDR-000001", timeout=30_000)
    expect(refresh).to_contain_text("seit der letzten Registrierung hat sich nichts geändert")
    # The registration's own region, which does not poll, was brought up to date as well.
    expect(status).to_contain_text("Stand 2")
    expect(status).not_to_contain_text("Aktualisierung fällig")
    page.screenshot(path=str(tmp_path / "audoora-refreshed.png"), full_page=True)
    sent = [e for e in requests.get(f"{sandbox}/_sandbox/received?partner=audoora",
                                    timeout=5).json()["received"]
            if e["path"].endswith("/registration")]  # not the partner list fetched after
    assert [(e["method"], e["status"]) for e in sent] == [("POST", 201), ("PUT", 200)]
    assert "Nina Neu" in [u["name"] for u in sent[1]["body"]["users"]]
