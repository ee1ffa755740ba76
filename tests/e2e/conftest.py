"""Browser journeys: Debian's Chromium driven by Playwright against the real app, served by
werkzeug on a free loopback port in a thread. The served app is the `app` fixture's, so a
test module configures it by overriding `app_config` and seeds data with the usual fixtures."""
import threading
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    args = list(browser_type_launch_args.get("args") or [])
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": args + [a for a in CHROMIUM_ARGS if a not in args]}


@pytest.fixture(scope="session")
def base_url():
    """Replaces pytest-playwright 0.10's fallback fixture, a plugin-class method that pytest 9.2
    deprecates (PytestRemovedIn10Warning, an error here). Tests use live_server.url instead."""
    return None


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def live_server(app):
    """The test's app over real HTTP at http://127.0.0.1:<port>."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def log_in(page, live_server):
    """log_in(username): log in on the login page (German UI) with PASSWORD, as a person does."""
    def log_in(username):
        page.goto(f"{live_server.url}/login")
        page.get_by_label("Benutzername").fill(username)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        expect(page).to_have_url(f"{live_server.url}/")
    return log_in
