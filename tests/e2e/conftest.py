"""Browser journeys: Debian's Chromium driven by Playwright against the real app, served by
werkzeug on a free loopback port in a thread. The served app is the `app` fixture's, so a
test module configures it by overriding `app_config` and seeds data with the usual fixtures."""
import re
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


# Each CSP refusal as a console error that names the directive, the script that caused it and
# a sample (Chromium's own console line names none of them).
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " refused "
    + (event.blockedURI || "inline") + " at " + event.sourceFile + ":" + event.lineNumber
    + (event.sample ? " (" + event.sample + ")" : ""));
}, true);
"""
# A refused form answers 409 or 422 by design (STYLE.md 8), which Chromium logs as a failed
# load; any other failed load (a 404, a 500) is an error.
REFUSAL = re.compile(r"^Failed to load resource: the server responded with a status of "
                     r"(409|422)\b")


@pytest.fixture(autouse=True)
def clean_console(request):
    """Every journey ends with a clean browser console on the app's pages: no console error,
    no uncaught exception, no CSP violation (other servers' pages, such as the identity
    provider's login form, are not ours to judge)."""
    if "page" not in request.fixturenames:
        yield
        return
    context = request.getfixturevalue("page").context
    ours = request.getfixturevalue("live_server").url + "/"
    problems = []

    def on_console(message):
        page_url = message.page.url if message.page is not None else ""
        if (message.type == "error" and page_url.startswith(ours)
                and not REFUSAL.match(message.text)):
            problems.append(f"{message.text} [{page_url}]")

    context.add_init_script(CSP_REPORTER)
    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"uncaught: {error.error}"))
    yield
    assert not problems, "The browser console shows errors:\n" + "\n".join(problems)
