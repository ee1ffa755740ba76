"""The admin screen for LDAP and OpenID Connect login: see, change, test the connection."""
import json
import logging

import pytest
from sqlalchemy import text

from tests.auth import servers
from tests.factories import HX, make_config
from tests.translated import de, de_html
from webapp.changelog.models import ChangeLogEntry
from webapp.directory import services
from webapp.extensions import db

pytestmark = [
    *servers.OIDC_MOCK_WARNINGS,
    pytest.mark.filterwarnings(r"ignore:ssl.match_hostname\(\) is deprecated:DeprecationWarning"),
]
SECRET = "Sehr-Geheim-4711"


def html(msgid, **values):
    """The German text as it stands in a page read with get_data(as_text=True)."""
    return de_html(msgid, **values).decode()


SAVED = de_html("Saved.")
FAILED = html("Failed")  # the badge of a failed step


@pytest.fixture
def app_config(tmp_path, slapd, oidc_issuer):
    return make_config(tmp_path, **servers.ldap_bootstrap(slapd), **servers.oidc_bootstrap(oidc_issuer))


def ldap_form(auth, slapd, **overrides):
    data = {
        "enabled": "y", "url": slapd.url, "ca_cert": "", "bind_dn": servers.SERVICE_DN,
        "bind_password": "", "user_base": servers.PEOPLE,
        "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "group_base": servers.GROUPS, "group_filter": "(&(objectClass=groupOfNames)(member={dn}))",
        "attr_name": "cn", "attr_email": "mail", "attr_phone": "telephoneNumber",
        "admin_groups": "app-admins", "manager_groups": "app-managers", "staff_groups": "app-staff",
        "branch_group_prefix": "filiale-", "branch_attribute": "departmentNumber", "branch_map": "",
        "connect_timeout": "2", "read_timeout": "3", "test_username": "", "version": "",
        "csrf_token": auth.csrf_token(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def oidc_form(auth, issuer, **overrides):
    data = {
        "enabled": "y", "provider_name": "Firmen-Login", "issuer": issuer, "client_id": "schnittstellen",
        "client_secret": "", "scopes": "openid email profile", "username_claim": "preferred_username",
        "role_claim": "groups", "admin_groups": "app-admins", "manager_groups": "", "staff_groups": "app-staff",
        "branch_claim": "", "branch_prefix": "", "branch_map": "", "timeout": "5", "version": "",
        "csrf_token": auth.csrf_token(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def saved(app, kind):
    with app.app_context():
        return services.form_values(kind)


def test_only_admins_open_the_screen(client, auth, make_user):
    """Staff and branch managers are refused; the admin sees both editors."""
    make_user("berta", role="branch_manager")
    auth.login("berta")
    assert client.get("/directory/").status_code == 403
    assert client.post("/directory/ldap", data={"csrf_token": auth.csrf_token()}).status_code == 403
    assert client.post("/directory/ldap/test", data={"csrf_token": auth.csrf_token()}).status_code == 403
    auth.logout()
    make_user("admin", role="admin")
    auth.login("admin")
    page = client.get("/directory/").get_data(as_text=True)
    assert 'id="ldap-form"' in page and 'id="oidc-form"' in page


def test_bootstrap_values_are_shown_but_never_the_secrets(client, admin, slapd):
    """Until saved, the instance configuration's values are shown; secrets only as 'set'."""
    page = client.get("/directory/").get_data(as_text=True)
    assert slapd.url in page and html("These values come from the instance configuration. Saving stores "
                                      "them here; from then on the saved settings apply.") in page
    assert page.count(f">{html('set')}<") == 2
    assert servers.SERVICE_PASSWORD not in page and "client-secret-for-tests" not in page


def test_saved_settings_override_the_configuration(client, admin, auth, app, slapd, shop_branches):
    """After a save the database wins: later configuration changes do not apply, and the
    bootstrap secret was taken over encrypted."""
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, branch_map="team-nord = LB"),
                           headers=HX)
    assert response.status_code == 200 and SAVED in response.data
    app.config["LDAP_URL"] = "ldap://127.0.0.1:1"
    with app.app_context():
        setup = services.ldap_settings()
        assert (setup.source, setup.config.url) == ("database", slapd.url)
        assert setup.config.bind_password == servers.SERVICE_PASSWORD
        assert setup.branch_map == {"team-nord": "LB"}
        assert setup.role_map == servers.ROLE_MAP
    auth.logout()
    assert auth.login("bob", "bobpw").status_code == 303


def test_secret_is_write_only_encrypted_and_never_logged(client, admin, auth, app, slapd, caplog):
    """A new password is stored encrypted, never rendered, never in the change log or logs."""
    with caplog.at_level(logging.DEBUG):
        response = client.post("/directory/ldap", data=ldap_form(auth, slapd, bind_password=SECRET),
                               headers=HX)
        assert response.status_code == 200
        page = client.get("/directory/").get_data(as_text=True)
    assert SECRET not in page and SECRET not in response.get_data(as_text=True)
    assert SECRET not in caplog.text
    with app.app_context():
        raw = db.session.execute(text("SELECT bind_password FROM ldap_settings")).scalar()
        assert raw.startswith("gAAAAA") and SECRET not in raw
        entries = db.session.scalars(db.select(ChangeLogEntry)).all()
        assert SECRET not in json.dumps([e.changes for e in entries])
        assert {"field": "bind_password", "secret": True} in entries[-1].changes
        assert services.ldap_settings().config.bind_password == SECRET


def test_empty_secret_keeps_it_and_clear_removes_it(client, admin, auth, app, slapd):
    """An empty password field keeps the stored secret; the remove box clears it."""
    client.post("/directory/ldap", data=ldap_form(auth, slapd, bind_password=SECRET), headers=HX)
    version = saved(app, "ldap")["version"]
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, version=version, read_timeout="4"),
                           headers=HX)
    assert SAVED in response.data
    with app.app_context():
        assert services.ldap_settings().config.bind_password == SECRET
    version = saved(app, "ldap")["version"]
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, version=version, bind_dn="",
                                                             clear_bind_password="y"), headers=HX)
    assert SAVED in response.data and b">" + de_html("not set") + b"<" in response.data
    with app.app_context():
        assert services.ldap_settings().config.bind_password == ""


def test_saving_nothing_new_writes_nothing(client, admin, auth, app, slapd):
    """A save that changes nothing says so and writes no change-log entry."""
    client.post("/directory/ldap", data=ldap_form(auth, slapd), headers=HX)
    version = saved(app, "ldap")["version"]
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, version=version), headers=HX)
    assert de_html("No changes.") in response.data
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ChangeLogEntry)) == 1


@pytest.mark.parametrize("overrides", [
    {"url": "http://ldap.example.org"},
    {"user_filter": "(uid=bob)"},
    {"user_filter": "(&(uid={username})"},
    {"ca_cert": "not a certificate"},
    {"branch_map": "team-nord LB"},
    {"branch_map": "team-nord = XX"},
    {"connect_timeout": "0"},
    {"attr_name": "c n"},
    {"url": "ldaps://ldap.example.org", "start_tls": "y"},
    {"bind_password": "", "clear_bind_password": "y"},
])
def test_bad_settings_are_refused_beside_the_field(client, admin, auth, app, slapd, overrides):
    """Each mistake gets a message in the form (422) and nothing is saved."""
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, **overrides), headers=HX)
    assert response.status_code == 422, overrides
    assert b'class="error"' in response.data
    assert saved(app, "ldap")["source"] == "configuration"


def test_version_conflict(client, admin, auth, slapd):
    """Saving over a newer save is refused (409), the input stays."""
    client.post("/directory/ldap", data=ldap_form(auth, slapd), headers=HX)
    client.post("/directory/ldap", data=ldap_form(auth, slapd, version="1", read_timeout="7"), headers=HX)
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd, version="1", read_timeout="9"),
                           headers=HX)
    assert response.status_code == 409


def test_plain_post_redirects(client, admin, auth, slapd):
    """Without htmx a save redirects back to the screen with a message."""
    response = client.post("/directory/ldap", data=ldap_form(auth, slapd))
    assert response.status_code == 303
    assert html("Saved.") in client.get(response.headers["Location"]).get_data(as_text=True)


# --- "Verbindung testen" -------------------------------------------------------------------

def steps_of(response):
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'id="ldap-test-result"' in body or 'id="oidc-test-result"' in body
    return body


def test_ldap_test_runs_bind_and_search(client, admin, auth, slapd, shop_branches):
    """Each step in plain words, down to the role and branches a person would get."""
    body = steps_of(client.post("/directory/ldap/test", data=ldap_form(auth, slapd, test_username="bob"),
                                headers=HX))
    for expected in (html("Connected to %(where)s.", where=f"127.0.0.1:{slapd.port}"),
                     html("Logged in as the service account %(dn)s.", dn=servers.SERVICE_DN),
                     html("The user search base %(base)s can be read.", base=servers.PEOPLE),
                     html("Found %(dn)s.", dn=servers.person_dn("bob")),
                     html("Groups: %(groups)s.", groups="app-staff, filiale-LB, filiale-ST, kantine"),
                     html("Would log in as %(role)s; branches: %(branches)s.", role=de("Staff"),
                          branches="Ludwigsburg (LB), Stuttgart Mitte (ST)")):
        assert expected in body, expected
    assert FAILED not in body


def test_ldap_test_uses_the_unsaved_form(client, admin, auth, slapd):
    """A wrong password typed into the form is what gets tested, and the failure is named."""
    body = steps_of(client.post("/directory/ldap/test",
                                data=ldap_form(auth, slapd, bind_password="wrong-password"), headers=HX))
    assert html("The server refused the service account %(dn)s (%(reason)s). Check the bind DN and "
                "password.", dn=servers.SERVICE_DN, reason="invalidCredentials") in body
    assert "wrong-password" not in body


def test_ldap_test_over_ldaps(client, admin, auth, slapd):
    """The test connects over LDAPS and checks the certificate against the pasted CA."""
    from pathlib import Path

    body = steps_of(client.post("/directory/ldap/test", headers=HX, data=ldap_form(
        auth, slapd, url=slapd.ldaps_url, ca_cert=Path(slapd.tls["ca"]).read_text())))
    assert html("Connected to %(where)s over TLS (LDAPS); the server certificate is trusted.",
                where=f"localhost:{slapd.tls_port}") in body
    assert FAILED not in body


def test_ldap_test_reports_a_server_that_is_down(client, admin, auth, slapd):
    """A closed port is reported as a refused connection."""
    port = servers.free_port()
    body = steps_of(client.post("/directory/ldap/test", headers=HX,
                                data=ldap_form(auth, slapd, url=f"ldap://127.0.0.1:{port}")))
    assert html("Cannot connect to %(where)s: %(reason)s.", where=f"127.0.0.1:{port}",
                reason="connection refused") in body


def test_ldap_test_names_people_without_access(client, admin, auth, slapd):
    """A person in no mapped group is reported as unable to log in."""
    body = steps_of(client.post("/directory/ldap/test", headers=HX,
                                data=ldap_form(auth, slapd, test_username="dora")))
    assert html("In none of the groups mapped to a role: this person could not log in.") in body


def test_ldap_test_with_invalid_form_says_what_to_fix(client, admin, auth, slapd):
    """Invalid settings are named instead of being tested."""
    body = steps_of(client.post("/directory/ldap/test", headers=HX,
                                data=ldap_form(auth, slapd, user_filter="(uid=x)")))
    problems = f"{de('User filter')}: {de('Must contain %(names)s.', names='{username}')}"
    assert html("Please correct the settings first: %(problems)s", problems=problems) in body


def test_oidc_test_fetches_discovery(client, admin, auth, oidc_issuer):
    """The OIDC test fetches discovery and keys and says what the provider supports."""
    body = steps_of(client.post("/directory/oidc/test", data=oidc_form(auth, oidc_issuer), headers=HX))
    for expected in (html("Fetched the discovery document from %(url)s.",
                          url=f"{oidc_issuer}/.well-known/openid-configuration"),
                     html("The issuer %(issuer)s matches the settings.", issuer=oidc_issuer),
                     # oidc-provider-mock publishes one signing key.
                     html("The provider publishes %(count)s signing key(s).", count=1),
                     html("Logging out here also ends the session at the provider.")):
        assert expected in body, expected
    assert FAILED not in body


def test_oidc_test_reports_an_unreachable_provider(client, admin, auth):
    """An unreachable provider is reported as a failed step."""
    url = f"http://localhost:{servers.free_port()}"
    body = steps_of(client.post("/directory/oidc/test", data=oidc_form(auth, url), headers=HX))
    assert html("%(url)s cannot be reached (%(error)s). Check the address and that this server may "
                "connect to it.", url=f"{url}/.well-known/openid-configuration",
                error="ConnectionError") in body
    assert FAILED in body


# --- what the operator allows the server to reach (webapp/outbound_policy.py) ---------------

NOT_LOOPBACK = ("Loopback, link-local and private addresses are refused unless the operator "
                "allows them in OUTBOUND_ALLOWED_NETWORKS.")
RESOLVES_TO_LOOPBACK = ("The name resolves to a loopback, link-local or private address, which "
                        "the operator has not allowed (OUTBOUND_ALLOWED_NETWORKS).")


def test_directory_addresses_are_checked_when_saved(client, admin, auth, app, slapd):
    """Without loopback allowed, the LDAP URL on 127.0.0.1 and an issuer on a private
    address are refused beside the field, and so is plain http to a host the operator did not
    list; nothing is saved."""
    app.config.update(OUTBOUND_HTTP_HOSTS=[], OUTBOUND_ALLOWED_NETWORKS=[])
    ldap = client.post("/directory/ldap", data=ldap_form(auth, slapd), headers=HX)
    assert ldap.status_code == 422 and html(NOT_LOOPBACK) in ldap.get_data(as_text=True)
    for issuer, message in (
            ("https://10.0.0.5/realms/kette", NOT_LOOPBACK),
            ("http://localhost:8080/realms/kette", "Use an https address. Plain http is allowed "
                                                   "only for the hosts the operator lists in "
                                                   "OUTBOUND_HTTP_HOSTS.")):
        oidc = client.post("/directory/oidc", headers=HX, data=oidc_form(auth, issuer))
        assert oidc.status_code == 422 and html(message) in oidc.get_data(as_text=True), issuer
    assert saved(app, "ldap")["source"] == saved(app, "oidc")["source"] == "configuration"


def test_connection_tests_refuse_a_name_resolving_to_loopback(client, admin, auth, app, slapd,
                                                             oidc_issuer):
    """'localhost' passes as a name, but it resolves to loopback, which the operator has not
    allowed: the LDAP and OIDC connection tests (the real slapd and provider) say so and
    reach neither."""
    app.config.update(OUTBOUND_ALLOWED_NETWORKS=[])
    body = steps_of(client.post("/directory/ldap/test", headers=HX, data=ldap_form(
        auth, slapd, url=f"ldap://localhost:{slapd.port}")))
    assert html("Not connected to %(where)s: %(reason)s", where=f"localhost:{slapd.port}",
                reason=de(RESOLVES_TO_LOOPBACK)) in body
    assert FAILED in body and html("Connected to %(where)s.", where=f"localhost:{slapd.port}") \
        not in body
    body = steps_of(client.post("/directory/oidc/test", data=oidc_form(auth, oidc_issuer),
                                headers=HX))
    assert html("Not connected to %(where)s: %(reason)s", where="localhost",
                reason=de(RESOLVES_TO_LOOPBACK)) in body
    assert html("Fetched the discovery document from %(url)s.",
                url=f"{oidc_issuer}/.well-known/openid-configuration") not in body


def test_oidc_settings_saved_and_button_follows(client, admin, auth, app, oidc_issuer):
    """Saving the OIDC settings (secret encrypted) changes the login page's button."""
    response = client.post("/directory/oidc", data=oidc_form(auth, oidc_issuer, client_secret=SECRET),
                           headers=HX)
    assert response.status_code == 200 and SAVED in response.data
    with app.app_context():
        raw = db.session.execute(text("SELECT client_secret FROM oidc_settings")).scalar()
        assert raw.startswith("gAAAAA")
        assert services.oidc_settings().config.client_secret == SECRET
    auth.logout()
    login_page = client.get("/login").get_data(as_text=True)
    assert html("Log in with %(provider)s", provider="Firmen-Login") in login_page


def test_oidc_plain_http_only_on_loopback(client, admin, auth):
    """An issuer over plain http is refused unless it is on this computer."""
    response = client.post("/directory/oidc", data=oidc_form(auth, "http://login.example.org"), headers=HX)
    assert response.status_code == 422 and b"https://" in response.data


def test_oidc_role_map_needs_a_claim(client, admin, auth, oidc_issuer):
    """Role groups without the claim that carries them are refused."""
    response = client.post("/directory/oidc", data=oidc_form(auth, oidc_issuer, role_claim=""), headers=HX)
    assert response.status_code == 422
    assert de_html("Name the claim that carries the groups or roles.") in response.data
