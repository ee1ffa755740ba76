"""A staff member logs in through the identity provider's own login form, and out again."""
import re

import pytest
from playwright.sync_api import expect

from tests.auth import servers
from tests.factories import make_config
from tests.translated import de
from webapp.extensions import db
from webapp.users.models import User

pytestmark = [pytest.mark.e2e, *servers.OIDC_MOCK_WARNINGS]


@pytest.fixture
def app_config(tmp_path, oidc_issuer):
    # The browser reaches the provider as localhost (its issuer) and the app as 127.0.0.1,
    # so the two never share cookies.
    return make_config(tmp_path, **servers.oidc_bootstrap(oidc_issuer))


def test_login_and_logout_through_the_provider(page, live_server, make_user, make_branch,
                                               provider_user, oidc_issuer):
    """Login page → provider's form → back in the app with the mapped branch; logout ends the
    provider session too and returns to the login page."""
    make_branch("Stuttgart Mitte", "ST")
    make_user("greta", auth_source="oidc", name="Greta Gruen")
    sub = provider_user(preferred_username="greta", groups=["app-staff", "filiale-ST"])

    page.goto(f"{live_server.url}/login")
    page.get_by_role("link", name=de("Log in with %(provider)s", provider="Testprovider")).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_issuer)}/oauth2/authorize"))
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator(".topbar .account")).to_contain_text("Greta Gruen")
    with live_server.app.app_context():
        greta = db.session.scalar(db.select(User).where(User.username == "greta"))
        assert (greta.role, [b.short_code for b in greta.branches]) == ("staff", ["ST"])

    page.get_by_role("button", name=de("Log out")).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(oidc_issuer)}/oauth2/end_session"))
    page.get_by_role("button", name="End session").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/login(\?|$)"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login"))
