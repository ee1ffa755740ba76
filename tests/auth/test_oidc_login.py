"""Login through an OpenID Connect provider: oidc-provider-mock as a real HTTP server, as the
chain's OpenID Connect service (Schnittstellen → System) configures it."""
import base64
import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.auth import servers
from tests.factories import PASSWORD, make_config

pytestmark = servers.OIDC_MOCK_WARNINGS


@pytest.fixture
def oidc_overrides():
    return {}


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en")


@pytest.fixture(autouse=True)
def oidc_service(app, oidc_issuer, oidc_overrides):
    """The chain's OpenID Connect service with the values oidc_bootstrap names (none without
    an issuer)."""
    return servers.set_login_service(app, "openid_connect",
                                     servers.oidc_bootstrap(oidc_issuer, **oidc_overrides))


PROVISION = pytest.mark.parametrize("oidc_overrides", [{"OIDC_CREATE_UNKNOWN_USERS": True}])


def start(client, next_path=None):
    """Press the login button: our app redirects to the provider's authorize endpoint."""
    response = client.get("/login/oidc" + (f"?next={next_path}" if next_path else ""))
    assert response.status_code == 302, response.data
    return response.headers["Location"]


def at_provider(authorize_url, sub=None, deny=False):
    """What the person does on the provider's page; returns the callback path with query."""
    data = {"action": "deny"} if deny else {"sub": sub}
    response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login/oidc/callback"
    return f"{location.path}?{location.query}"


def login(client, sub, **kwargs):
    return client.get(at_provider(start(client, **kwargs), sub))


def page_after(client, response):
    assert response.status_code in (302, 303)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_login_page_offers_the_provider(client):
    """The login page has a 'Log in with …' button naming the provider."""
    assert "Log in with Testprovider" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("oidc_overrides", [{"OIDC_ISSUER": ""}])
def test_no_button_without_provider(client, oidc_overrides):
    """Without a service or an issuer configured, the login page offers no provider button."""
    assert "Log in with" not in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("oidc_overrides", [{"OIDC_ENABLED": False}])
def test_a_disabled_service_offers_no_button_and_refuses_logins(app, client, oidc_issuer,
                                                                oidc_overrides):
    """A disabled service: no button, and its login address says it is not available,
    although the instance configuration names a working provider too."""
    app.config.update(servers.oidc_bootstrap(oidc_issuer))
    assert "Log in with" not in client.get("/login").get_data(as_text=True)
    assert "is not available" in page_after(client, client.get("/login/oidc"))


@pytest.mark.parametrize("oidc_overrides", [{"OIDC_ISSUER": ""}])
def test_bootstrap_configuration_while_no_service_exists(app, client, local_user, oidc_issuer,
                                                         provider_user, oidc_overrides):
    """Without a service, the instance configuration's provider is used."""
    app.config.update(servers.oidc_bootstrap(oidc_issuer, OIDC_CREATE_UNKNOWN_USERS=True))
    assert "Log in with Testprovider" in client.get("/login").get_data(as_text=True)
    assert login(client, provider_user(preferred_username="zora", groups=["app-staff"])).status_code == 303
    assert local_user("zora")["auth_source"] == "oidc"


@PROVISION
def test_login_through_the_provider(local_user, client, provider_user, shop_branches, oidc_overrides):
    """A new person logs in through the provider (provisioning on): staff of the branch their
    groups name, and sent on to where they wanted to go."""
    sub = provider_user(preferred_username="olga", name="Olga Optik", email="olga@example.org",
                        groups=["app-staff", "filiale-ST"])
    response = login(client, sub, next_path="/branches/")
    assert response.status_code == 303 and response.headers["Location"] == "/branches/"
    assert client.get("/").status_code == 200
    assert local_user("olga") == {"role": "staff", "active": True, "auth_source": "oidc",
                                     "external_id": sub, "name": "Olga Optik",
                                     "email": "olga@example.org", "phone": "", "branches": ["ST"]}


@PROVISION
def test_role_mapping_from_claims(local_user, client, provider_user, shop_branches, oidc_overrides):
    """The strongest mapped group wins; branch groups give branches; changes apply next time."""
    sub = provider_user(preferred_username="pia", groups=["app-staff", "app-managers", "filiale-LB"])
    assert login(client, sub).status_code == 303
    pia = local_user("pia")
    assert (pia["role"], pia["branches"]) == ("branch_manager", ["LB"])
    provider_user(sub=sub, preferred_username="pia", groups=["app-admins"])
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert login(client, sub).status_code == 303
    pia = local_user("pia")
    assert (pia["role"], pia["branches"]) == ("admin", [])


def test_unknown_person_refused_when_provisioning_is_off(local_user, client, provider_user):
    """Default: only people known here may log in; nobody is created."""
    sub = provider_user(preferred_username="quentin", groups=["app-staff"])
    page = page_after(client, login(client, sub))
    assert "is not known here" in page
    assert client.get("/").status_code == 302
    assert local_user("quentin") is None


def test_person_an_admin_created_may_log_in(local_user, client, make_user, provider_user):
    """An account created here for external login is linked to the provider's subject."""
    make_user("rita", auth_source="oidc")
    sub = provider_user(preferred_username="Rita", groups=["app-staff"])
    assert login(client, sub).status_code == 303
    assert local_user("rita")["external_id"] == sub


def test_person_the_directory_knows_may_log_in(local_user, client, make_user, provider_user):
    """An account the LDAP login created may also come through the provider."""
    make_user("sven", auth_source="ldap")
    sub = provider_user(preferred_username="sven", groups=["app-staff"])
    assert login(client, sub).status_code == 303
    assert local_user("sven")["auth_source"] == "ldap"


@PROVISION
def test_local_account_with_password_is_not_taken_over(client, make_user, provider_user, oidc_overrides):
    """A provider account named like a local admin does not become that admin."""
    make_user("admin", role="admin")
    sub = provider_user(preferred_username="admin", groups=["app-admins"])
    page = page_after(client, login(client, sub))
    assert "is not known here" in page
    assert client.get("/").status_code == 302


def test_person_in_no_mapped_group_is_refused(local_user, client, make_user, provider_user):
    """Known here but in no mapped group: refused, and the account is deactivated."""
    make_user("tom", auth_source="oidc")
    sub = provider_user(preferred_username="tom", groups=["kantine"])
    page = page_after(client, login(client, sub))
    assert "may not use this application" in page
    assert local_user("tom")["active"] is False


def test_denied_consent(client):
    """The person presses Deny at the provider: a clear message, not logged in."""
    page = page_after(client, client.get(at_provider(start(client), deny=True)))
    assert "was cancelled or refused" in page
    assert client.get("/").status_code == 302


def test_state_mismatch_is_refused(client, make_user, provider_user):
    """A callback whose state is not the one this browser started with is refused."""
    make_user("uwe", auth_source="oidc")
    callback = at_provider(start(client), provider_user(preferred_username="uwe", groups=["app-staff"]))
    path, query = callback.split("?", 1)
    params = {k: v[0] for k, v in parse_qs(query).items()}
    params["state"] = "forged-" + params["state"]
    page = page_after(client, client.get(f"{path}?{urlencode(params)}"))
    assert "could not be completed" in page
    assert client.get("/").status_code == 302


def test_callback_in_another_browser_is_refused(client, app, make_user, provider_user):
    """A code and state carried to another browser (no state in its session) get nobody in."""
    make_user("vera", auth_source="oidc")
    callback = at_provider(start(client), provider_user(preferred_username="vera", groups=["app-staff"]))
    other = app.test_client()
    page = page_after(other, other.get(callback))
    assert "could not be completed" in page
    assert other.get("/").status_code == 302


def test_replayed_callback_is_refused(client, make_user, provider_user):
    """The same callback a second time (after logging out) does not log in again."""
    make_user("willi", auth_source="oidc")
    callback = at_provider(start(client), provider_user(preferred_username="willi", groups=["app-staff"]))
    assert client.get(callback).status_code == 303
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert client.get("/").status_code == 302
    page = page_after(client, client.get(callback))
    assert "could not be completed" in page
    assert client.get("/").status_code == 302


def test_nonce_is_checked(client, make_user, provider_user):
    """An ID token whose nonce differs from the one this login sent is refused."""
    make_user("xaver", auth_source="oidc")
    callback = at_provider(start(client), provider_user(preferred_username="xaver", groups=["app-staff"]))
    with client.session_transaction() as sess:
        key = next(k for k in sess if k.startswith("_state_oidc_"))
        state = dict(sess[key])
        state["data"] = {**state["data"], "nonce": "another-nonce"}
        sess[key] = state
    page = page_after(client, client.get(callback))
    assert "failed" in page
    assert client.get("/").status_code == 302


def test_pkce_s256_challenge_is_sent(client):
    """The authorize request carries an S256 code challenge of the verifier kept in the session,
    and a nonce."""
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"][0]
    with client.session_transaction() as sess:
        data = sess[f"_state_oidc_{query['state'][0]}"]["data"]
    digest = hashlib.sha256(data["code_verifier"].encode()).digest()
    assert query["code_challenge"][0] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_logout_ends_the_provider_session(client, make_user, provider_user, oidc_issuer):
    """Logging out sends the browser on to the provider's end-session endpoint."""
    make_user("yvonne", auth_source="oidc")
    assert login(client, provider_user(preferred_username="yvonne", groups=["app-staff"])).status_code == 303
    response = client.post("/logout", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    target = response.headers["Refresh"].split("url=", 1)[1]
    assert target.startswith(f"{oidc_issuer}/oauth2/end_session?")
    query = parse_qs(urlsplit(target).query)
    assert query["id_token_hint"][0] and query["post_logout_redirect_uri"] == ["http://localhost/login"]
    assert target in response.get_data(as_text=True).replace("&amp;", "&")
    assert "End Session" in requests.get(target, timeout=5).text
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("oidc_overrides", [{"OIDC_ISSUER": f"http://localhost:{servers.free_port()}"}])
def test_provider_down(client, auth, make_user, oidc_overrides):
    """An unreachable provider: a clear message; local accounts still log in."""
    make_user("admin", role="admin")
    page = page_after(client, client.get("/login/oidc"))
    assert "cannot be reached" in page
    assert auth.login("admin", PASSWORD).status_code == 303


def test_issuer_must_match(app, client):
    """A discovery document naming another issuer is refused with a configuration message."""
    document = {"issuer": "https://login.example.org", "authorization_endpoint": "https://x/a",
                "token_endpoint": "https://x/t", "jwks_uri": "https://x/k"}
    with servers.json_server({"/.well-known/openid-configuration": document}) as url:
        servers.set_login_service(app, "openid_connect", servers.oidc_bootstrap(url))
        page = page_after(client, client.get("/login/oidc"))
    assert "configuration problem" in page


def csrf(client):
    """A CSRF token for a logged-in client (the login page would just redirect)."""
    from flask import current_app
    from itsdangerous import URLSafeTimedSerializer

    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        token = sess["csrf_token"]
    with client.application.app_context():
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="wtf-csrf-token").dumps(token)


def test_provider_login_is_a_session_that_logout_ends(app, client, make_user, provider_user):
    """A login through the provider is recorded on the server like any other: a copy of its
    cookie taken before logout is refused after it."""
    make_user("yvonne", auth_source="oidc")
    assert login(client, provider_user(preferred_username="yvonne", groups=["app-staff"])).status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert thief.get("/").status_code == 302
