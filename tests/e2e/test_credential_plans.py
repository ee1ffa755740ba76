"""An admin plans a password change of an SMTP service in Chromium (German UI): Mehr →
Zugangsdaten planmäßig ändern opens a dialog; a time in the past is refused beside the field;
a time ahead closes the dialog and the editor shows the plan (when, who, which field), never
the value; Plan abbrechen drops it. The page is never reloaded."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from webapp.extensions import db
from webapp.interfaces import credential_plans, services
from webapp.interfaces.credential_plan_models import CredentialPlan
from webapp.models_base import utcnow
from webapp.users.models import User

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "Neu-Geheim-2026!"


@pytest.fixture
def chain(live_server, make_user):
    """A chain-wide SMTP service with a password."""
    admin_id = make_user("admin", role="admin", name="Anna Admin")
    with live_server.app.app_context():
        service = services.create_service(
            db.session.get(User, admin_id), "smtp", {"name": "Kette SMTP"},
            {"host": "mail.example.org", "port": "587", "encryption": "starttls",
             "sender_address": "a@example.org", "username": "kette", "password": "alt"})
        db.session.commit()  # services flush; outside a request the test commits
        live_server.service_id = service.id
    return live_server


def local(chain, delta):
    with chain.app.app_context():
        return credential_plans.local_time(utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


def test_plan_and_cancel_a_password_change(page, chain, log_in):
    """Plan (refused in the past, then accepted), see it in the editor, cancel it."""
    log_in("admin")
    page.goto(f"{chain.url}/interfaces/{chain.service_id}")
    page.evaluate("window.__noReload = true")
    page.locator("#service-form details.menu summary").click()
    page.get_by_role("link", name="Zugangsdaten planmäßig ändern").click()
    dialog = page.get_by_role("dialog", name=re.compile("Zugangsdaten planmäßig ändern"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Passwort").fill(NEW_PASSWORD)
    dialog.get_by_label(re.compile("Wechsel am")).fill(local(chain, -timedelta(hours=1)))
    # Type the next values only once htmx has settled the refused form: on a machine under
    # load, values typed between its swap and its settling were sent empty (once in a run
    # of the whole suite beside the PostgreSQL one).
    page.evaluate("""() => { window.settled = 0;
        document.addEventListener("htmx:afterSettle", () => { window.settled += 1; }); }""")
    dialog.get_by_role("button", name="Wechsel planen").click()
    expect(dialog.locator("#plan-due-at-error")).to_have_text(
        "Geben Sie einen Zeitpunkt in der Zukunft ein.")
    page.wait_for_function("() => window.settled > 0")

    dialog.get_by_label("Passwort").fill(NEW_PASSWORD)
    dialog.get_by_label(re.compile("Wechsel am")).fill(local(chain, timedelta(days=1)))
    dialog.get_by_role("button", name="Wechsel planen").click()
    expect(dialog).to_be_hidden()
    panel = page.locator("#service-form .credential-plan")
    expect(panel).to_contain_text("Neue Werte für Passwort")
    expect(panel).to_contain_text("Anna Admin")
    assert NEW_PASSWORD not in page.content()

    page.once("dialog", lambda confirm: confirm.accept())
    panel.get_by_role("button", name="Plan abbrechen").click()
    expect(page.locator("#service-form .notice")).to_have_text(
        "Der geplante Zugangsdatenwechsel wurde abgebrochen.")
    expect(page.locator("#service-form .credential-plan")).to_have_count(0)
    assert page.evaluate("window.__noReload") is True
    with chain.app.app_context():
        assert db.session.scalar(db.select(CredentialPlan)).state == "cancelled"
