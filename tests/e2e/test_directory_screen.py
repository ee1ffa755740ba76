"""The admin screen's "Test connection" in the browser: htmx swaps in the result, nothing saved."""
import pytest
from playwright.sync_api import expect

from tests.auth import servers
from tests.factories import PASSWORD, make_config
from webapp.directory.models import OidcSettings
from webapp.extensions import db

pytestmark = [pytest.mark.e2e, *servers.OIDC_MOCK_WARNINGS]


@pytest.fixture
def app_config(tmp_path, oidc_issuer):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en", **servers.oidc_bootstrap(oidc_issuer))


def test_connection_test_shows_each_step(page, live_server, make_user, oidc_issuer):
    """Clicking 'Test connection' swaps in each step's result and saves nothing."""
    make_user("admin", role="admin", preferred_language="en")
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.goto(f"{live_server.url}/directory/")
    editor = page.locator("#oidc-form")
    editor.get_by_role("button", name="Test connection").click()
    result = page.locator("#oidc-test-result")
    expect(result).to_contain_text(f"The issuer {oidc_issuer} matches the settings.")
    expect(result).not_to_contain_text("Failed")
    expect(editor.get_by_label("Issuer URL")).to_have_value(oidc_issuer)
    with live_server.app.app_context():
        assert db.session.get(OidcSettings, 1) is None  # testing saves nothing
