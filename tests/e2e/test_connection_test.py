""""Verbindung testen" in Chromium (German UI), end to end: an administrator opens the chain's
SMTP service, tests it with the saved wrong password and sees the failing step named, types
the right password, tests again (the unsaved value is used) and sees it pass, saves, and finds
the service green on the health board (Zustand) — run by a real `flask worker` process
against a real SMTP server (the demo's mail sink, which checks a login), shown live without a
reload."""
import re

import pytest
from playwright.sync_api import expect

from sandbox import create_sandbox_app
from sandbox.mail import DEMO_PASSWORD, DEMO_USER, start_mail_sink
from tests.factories import PASSWORD, SMTP_RAW, make_config
from tests.translated import de
from webapp.extensions import db

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def mail_server():
    sink = start_mail_sink(create_sandbox_app().extensions["sandbox_store"])
    yield sink.port
    sink.stop()


def test_a_wrong_password_is_named_then_the_right_one_passes(
        page, live_server, world, make_service, mail_server, worker, log_in, tmp_path):
    world.admin.set_password(PASSWORD)
    service = make_service("smtp", {**SMTP_RAW, "host": "127.0.0.1", "port": str(mail_server),
                                    "encryption": "none", "username": DEMO_USER,
                                    "password": "falsch"}, name="Mailserver Zentrale")
    db.session.commit()
    page.set_viewport_size(VIEWPORT)
    log_in("admin")
    page.goto(f"{live_server.url}/interfaces/")
    page.get_by_role("link", name="Mailserver Zentrale").first.click()
    editor = page.locator("#service-form")
    expect(editor.get_by_role("heading", name="Mailserver Zentrale")).to_be_visible()
    page.evaluate("window.__noReload = true")  # gone if anything below reloads the page
    actions = editor.get_by_role("region", name=de("Actions"))
    button = actions.get_by_role("button", name="Verbindung testen")
    expect(actions.get_by_role("button", name="Test-E-Mail senden")).to_be_enabled()

    button.click()
    status = page.locator("#action-test-status")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_contain_text(de("Failed at step %(step)s: %(reason)s",
                                      step=de("Authentication"), reason=de("Login failed")),
                                   timeout=30_000)
    expect(status).to_contain_text("Anmeldung fehlgeschlagen")
    expect(button).to_be_enabled()
    page.screenshot(path=str(tmp_path / "test-failed.png"), full_page=True)

    editor.get_by_label("Passwort", exact=True).fill(DEMO_PASSWORD)
    button.click()
    expect(status).to_contain_text(de("Passed: every step succeeded."), timeout=30_000)
    expect(status.locator(".probe-steps li")).to_have_count(5)
    page.screenshot(path=str(tmp_path / "test-passed.png"), full_page=True)

    editor.get_by_role("button", name=de("Save")).first.click()
    expect(page.locator("#service-form")).to_contain_text(de("Saved."))
    # The saved editor shows the last result with its age.
    expect(page.locator("#action-test-status")).to_contain_text(de("just now"))
    history = page.locator("#action-test-history")
    page.get_by_role("link", name=re.compile(de("Run history"))).first.click()
    expect(history.locator("tbody tr")).to_have_count(2)
    expect(history).not_to_contain_text(DEMO_PASSWORD)
    assert page.evaluate("window.__noReload") is True
    page.screenshot(path=str(tmp_path / "test-history.png"), full_page=True)

    page.get_by_role("navigation", name=de("Main navigation")).get_by_role(
        "link", name="Zustand").click()
    cell = page.get_by_role("cell").filter(has_text="Mailserver Zentrale").first
    expect(cell).to_contain_text(de("Passed"))
    expect(cell).to_contain_text(de("just now"))
    page.screenshot(path=str(tmp_path / "health.png"), full_page=True)
