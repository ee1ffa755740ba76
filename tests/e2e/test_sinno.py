"""SiNNO in Chromium (German UI), end to end with a real `flask worker` against the sandbox's
app API: an administrator logs the SiNNO-App service in and sees since when, gives Erika app
access on her tab; she writes in the app (the sandbox's control API), the chat is
synchronised, Sam sees the notification in the navigation and the list, opens the
conversation and answers it — delivered to the app once. Abmelden asks first."""
import pytest
import requests
from playwright.sync_api import expect

from tests.factories import PASSWORD, make_config, wait_for
from webapp.extensions import db

pytestmark = [pytest.mark.e2e, pytest.mark.redis]

VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def _state(sandbox):
    return requests.get(f"{sandbox}/_sandbox/sinno/state", timeout=5).json()["companies"]


def test_log_in_receive_a_customer_message_see_the_notification_and_answer_it(
        page, live_server, world, make_service, sandbox, worker, log_in, tmp_path):
    world.admin.set_password(PASSWORD)
    world.staff.set_password(PASSWORD)
    world.st.office_email, world.ul.office_email = "st@hoerwelt.example", "ul@hoerwelt.example"
    world.customer.mobile, world.customer.email = "+49 170 5550001", "erika@example.org"
    app_service = make_service("sinno_app", {"server": f"{sandbox}/sinno/v1",
                                             "client_id": "winpro", "company_number": "4711"},
                               name="SiNNO-App")
    chat_service = make_service("sinno_chat", {}, name="SiNNO-Chat")
    db.session.commit()
    page.set_viewport_size(VIEWPORT)

    # The admin logs the service in.
    log_in("admin")
    page.goto(f"{live_server.url}/interfaces/{app_service.id}")
    login = page.locator("#action-login-status")
    expect(login).to_contain_text("noch nicht bei SiNNO angemeldet")
    page.locator("#action-login-button").get_by_role("button", name="Anmelden").click()
    expect(login).to_contain_text("Angemeldet als Sandbox-Hörakustik", timeout=30_000)
    expect(login).to_contain_text("Angemeldet seit")
    page.screenshot(path=str(tmp_path / "sinno-logged-in.png"), full_page=True)

    # Abmelden asks first; cancelling leaves it logged in.
    page.locator("#action-logout-button").get_by_role("button", name="Abmelden").click()
    logout = page.locator("#action-logout-status")
    expect(logout).to_contain_text("Nach dem Abmelden haben alle Kunden keinen Zugang mehr")
    logout.get_by_role("link", name="Abbrechen").click()
    expect(logout.get_by_role("button", name="Jetzt abmelden")).to_have_count(0)
    assert _state(sandbox)[0]["logged_in"]

    # Erika gets app access on her tab.
    page.goto(f"{live_server.url}/customers/{world.customer.id}/sinno")
    access = page.locator("#sinno-access")
    access.get_by_role("button", name="App-Zugang freischalten").click()
    expect(access).to_contain_text("App-Zugang freigeschaltet seit", timeout=30_000)

    # She writes in the app; "Jetzt synchronisieren" fetches it (the periodic job would too).
    requests.post(f"{sandbox}/_sandbox/sinno/messages", timeout=5,
                  json={"mobile": "+49 170 5550001", "text": "Ist mein Hörgerät fertig?"}
                  ).raise_for_status()
    page.goto(f"{live_server.url}/interfaces/{chat_service.id}")
    page.get_by_role("button", name="Jetzt synchronisieren").click()
    expect(page.locator("#action-sync-status")).to_contain_text(
        "Synchronisiert: 1 neue Kundennachrichten", timeout=30_000)

    # Sam sees the notification, opens the conversation and answers.
    page.context.clear_cookies()
    log_in("sam")
    badge = page.locator("#notification-badge")
    expect(badge).to_contain_text("1")
    page.get_by_role("link", name="Benachrichtigungen").click()
    page.get_by_role("link", name="Neue Nachricht von Erika Muster im SiNNO-Chat").click()
    messages = page.locator("#sinno-messages")
    expect(messages).to_contain_text("Ist mein Hörgerät fertig?")
    page.screenshot(path=str(tmp_path / "sinno-conversation.png"), full_page=True)
    page.get_by_label("Antwort").fill("Ja, Sie können es heute abholen.")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.locator("#sinno-messages")).to_contain_text("Ja, Sie können es heute abholen.")
    expect(page.locator("#sinno-messages")).not_to_contain_text("Wird gesendet", timeout=30_000)
    wait_for(lambda: [(m["direction"], m["text"]) for m in _state(sandbox)[0]["messages"]] == [
        ("customer", "Ist mein Hörgerät fertig?"), ("shop", "Ja, Sie können es heute abholen.")],
        10, what="the answer to reach the app once")
    page.reload()
    expect(page.locator("#notification-badge")).not_to_contain_text("1")
