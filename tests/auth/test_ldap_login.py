"""Login with the directory password, against a real slapd with the seeded directory, as the
chain's LDAP service (Schnittstellen → LDAP) configures it; the instance configuration only
while no service exists."""
import datetime
import json
import logging
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.auth import servers
from tests.factories import PASSWORD
from tests.translated import de, de_html
from webapp.auth.models import LoginAttempt
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.users.models import User

WRONG = de_html("Username or password is wrong, or the account is disabled.")
NO_GROUP = de_html("Your directory account may not use this application: it is in none of the groups "
                   "that give access. Please ask your administrator.")
DOWN = de_html("The staff directory cannot be reached at the moment. Please try again later; local "
               "accounts can still log in.")
MISCONFIGURED = de_html("Login with the staff directory is not working because of a configuration problem. "
                        "Please tell your administrator; local accounts can still log in.")
LOCKED = de_html("Too many failed attempts. Login is locked for a while; please try again later or ask "
                 "an administrator.")

ADMIN_ACTOR = SimpleNamespace(id=None, name="Test", role="admin")

# ldap3 2.9.1 checks the server's host name with ssl.match_hostname(), deprecated in Python
# 3.7 (on 3.12+, where it is gone, ldap3 uses its own copy).
pytestmark = pytest.mark.filterwarnings(r"ignore:ssl.match_hostname\(\) is deprecated:DeprecationWarning")


@pytest.fixture
def ldap_overrides():
    return {}


@pytest.fixture(autouse=True)
def ldap_service(app, slapd, ldap_overrides):
    """The chain's LDAP service with the values ldap_bootstrap names (LDAP_ENABLED off: the
    service is disabled)."""
    return servers.set_login_service(app, "ldap_directory",
                                     servers.ldap_bootstrap(slapd, **ldap_overrides))


def count_users(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User))


def test_staff_member_lands_with_mapped_role_and_branches(local_user, client, auth, shop_branches):
    """bob logs in with his directory password: staff, branches from his filiale-* groups."""
    response = auth.login("bob", "bobpw")
    assert response.status_code == 303
    assert client.get("/").status_code == 200
    assert local_user("bob") == {
        "role": "staff", "active": True, "auth_source": "ldap", "name": "Bob Berater",
        "email": "bob@example.org", "phone": "+49 711 2000",
        "external_id": servers.person_dn("bob"), "branches": ["LB", "ST"]}


def test_admin_group_and_branch_attribute(local_user, auth, shop_branches):
    """The admins group gives the admin role; a branch manager's branch comes from an attribute."""
    assert auth.login("alice", "alicepw").status_code == 303
    assert local_user("alice")["role"] == "admin"
    auth.logout()
    assert auth.login("Carla", "carlapw").status_code == 303
    carla = local_user("carla")
    assert (carla["role"], carla["branches"]) == ("branch_manager", ["ES"])


def test_wrong_password_and_unknown_user_are_refused_alike(client, auth, app):
    """Same message for both; the failure is recorded for throttling; nobody is created."""
    for username, password in (("bob", "wrong"), ("nobody", "bobpw")):
        response = auth.login(username, password)
        assert response.status_code == 422
        assert WRONG in response.data
    assert client.get("/").status_code == 302
    assert count_users(app) == 0
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)
                                 .where(LoginAttempt.success.is_(False))) == 2


@pytest.mark.parametrize("username", ["*)(uid=*", "*", "bob)(|(uid=*", "bob*", "\\2a", "*)(objectClass=*"])
def test_filter_injection_logs_nobody_in(client, auth, app, username):
    """Filter syntax in the username is escaped: no match, the normal message, no error page."""
    response = auth.login(username, "bobpw")
    assert response.status_code == 422
    assert WRONG in response.data
    assert client.get("/").status_code == 302
    assert count_users(app) == 0


def test_parentheses_in_a_dn_are_escaped_in_the_group_search(local_user, auth, shop_branches):
    """A DN with ( ) * still finds its groups (the member filter escapes it)."""
    assert auth.login("kim(st)*", "kim(st)*pw").status_code == 303
    kim = local_user("kim(st)*")
    assert (kim["role"], kim["branches"]) == ("staff", ["ST"])


def test_empty_password_is_refused_by_us(app):
    """The service refuses an empty password before asking the directory."""
    from webapp.auth import services

    with app.test_request_context():
        with pytest.raises(services.LoginRefused,
                           match=re.escape(de("Please enter username and password."))):
            services.authenticate("bob", "", "127.0.0.1")


def test_person_in_no_mapped_group_is_refused(local_user, client, auth):
    """dora's password is right, but no group of hers is mapped: clear message, no account."""
    response = auth.login("dora", "dorapw")
    assert response.status_code == 422
    assert NO_GROUP in response.data
    assert client.get("/").status_code == 302
    assert local_user("dora") is None


def test_removed_from_every_mapped_group_ends_access(local_user, auth, app, slapd, directory_person):
    """Taken out of the mapped group: refused, the local copy is deactivated, sessions end."""
    dn = directory_person("frank", groups=["app-staff"])
    assert auth.login("frank", "frankpw").status_code == 303
    other = app.test_client()
    other_auth = type(auth)(other)
    assert other_auth.login("frank", "frankpw").status_code == 303
    servers.remove_from_group(slapd, dn, "app-staff")
    response = auth.login("frank", "frankpw")
    assert response.status_code == 422 and NO_GROUP in response.data
    assert local_user("frank")["active"] is False
    assert other.get("/").status_code == 302  # the other session has ended too


def test_removed_from_directory_cannot_log_in(local_user, auth, slapd, directory_person):
    """Deleted from the directory: refused, and the local copy is deactivated."""
    dn = directory_person("gerd")
    assert auth.login("gerd", "gerdpw").status_code == 303
    auth.logout()
    servers.delete_entry(slapd, dn)
    response = auth.login("gerd", "gerdpw")
    assert response.status_code == 422 and WRONG in response.data
    assert local_user("gerd")["active"] is False


def test_deactivated_copy_stays_out_even_with_the_right_password(auth, app, directory_person):
    """An admin's deactivation is not undone by the directory."""
    directory_person("hilde")
    assert auth.login("hilde", "hildepw").status_code == 303
    auth.logout()
    with app.app_context():
        db.session.scalar(db.select(User).where(User.username == "hilde")).active = False
        db.session.commit()
    assert auth.login("hilde", "hildepw").status_code == 422


def test_role_and_branches_follow_the_directory(local_user, auth, app, slapd, directory_person, shop_branches):
    """Group changes apply at the next login, and the change log says what changed."""
    import ldap3

    dn = directory_person("ina", groups=["app-staff", "filiale-ST"])
    assert auth.login("ina", "inapw").status_code == 303
    assert local_user("ina")["branches"] == ["ST"]
    auth.logout()
    with slapd.admin() as connection:
        for group, change in (("app-managers", ldap3.MODIFY_ADD), ("filiale-LB", ldap3.MODIFY_ADD),
                              ("filiale-ST", ldap3.MODIFY_DELETE)):
            connection.modify(f"cn={group},{servers.GROUPS}", {"member": [(change, [dn])]})
    assert auth.login("ina", "inapw").status_code == 303
    ina = local_user("ina")
    assert (ina["role"], ina["branches"]) == ("branch_manager", ["LB"])
    with app.app_context():
        entries = db.session.scalars(db.select(ChangeLogEntry).where(ChangeLogEntry.entity_type == "user")
                                     .order_by(ChangeLogEntry.id)).all()
        assert [e.action for e in entries] == ["create", "update"]
        assert {c["field"] for c in entries[1].changes} == {"role", "branch_ids"}
        assert entries[1].user_name == "LDAP"


def test_lockout_applies_to_directory_logins(auth):
    """Five wrong directory passwords lock the username; then even the right one is refused."""
    for _ in range(5):
        auth.login("bob", "wrong")
    response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and LOCKED in response.data


def test_local_account_is_checked_locally(auth, make_user):
    """A local account with the same username as a directory person uses its own password."""
    make_user("bob", role="staff")
    assert auth.login("bob", "bobpw").status_code == 422
    assert auth.login("bob", PASSWORD).status_code == 303


@pytest.mark.parametrize("ldap_overrides", [{"LDAP_BIND_PASSWORD": "not-the-password"}])
def test_misconfigured_service_account(auth, make_user, caplog, ldap_overrides):
    """A refused service bind: a clear message, local admins still log in, the log names the
    problem but no password."""
    make_user("admin", role="admin")
    with caplog.at_level(logging.INFO):
        response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and MISCONFIGURED in response.data
    # The log carries the refusal in the language of the request: German here.
    assert de("The server refused the service account %(dn)s (%(reason)s). Check the bind DN and password.",
              dn=servers.SERVICE_DN, reason="invalidCredentials") in caplog.text
    assert "bobpw" not in caplog.text and "not-the-password" not in caplog.text
    assert auth.login("admin").status_code == 303


@pytest.mark.parametrize("ldap_overrides", [{"LDAP_ENABLED": False}])
def test_a_disabled_service_is_ignored(auth, app, slapd, ldap_overrides):
    """With the LDAP service disabled, directory people are unknown here, although the
    instance configuration names a working directory too."""
    app.config.update(servers.ldap_bootstrap(slapd))
    assert auth.login("bob", "bobpw").status_code == 422
    assert count_users(app) == 0


def test_a_planned_service_is_not_used_yet(auth, app, ldap_service, shop_branches):
    """A service whose start date has not come is not used; from that day on it is."""
    from webapp.interfaces import services as interface_services
    from webapp.interfaces.models import InterfaceService

    def start(days):
        with app.app_context():
            service = db.session.get(InterfaceService, ldap_service)
            start_date = interface_services.chain_today() + datetime.timedelta(days=days)
            interface_services.update_service(ADMIN_ACTOR, service, {"start_date": start_date},
                                              None, service.version)
            db.session.commit()

    start(1)
    assert auth.login("bob", "bobpw").status_code == 422
    start(0)
    assert auth.login("bob", "bobpw").status_code == 303


def test_bootstrap_from_the_environment_while_no_service_exists(auth, app, slapd, monkeypatch,
                                                                 local_user, shop_branches):
    """Before anybody sets up the LDAP service, the environment (SCHNITTSTELLEN_LDAP_*, maps
    as JSON) configures the directory login, as docs/auth-directory.md says."""
    servers.set_login_service(app, "ldap_directory", {})  # no service
    for key, value in servers.ldap_bootstrap(slapd).items():
        monkeypatch.setenv(f"SCHNITTSTELLEN_{key}", json.dumps(value) if not isinstance(value, str)
                           else value)
    app.config.from_prefixed_env("SCHNITTSTELLEN")
    assert auth.login("bob", "bobpw").status_code == 303
    assert local_user("bob")["branches"] == ["LB", "ST"]


# --- TLS -----------------------------------------------------------------------------------

def test_ldaps_with_the_servers_ca(auth, app, slapd, shop_branches):
    """ldaps:// with the CA certificate pasted as PEM: the certificate is checked, login works."""
    override(app, slapd, url=slapd.ldaps_url, ca_cert=Path(slapd.tls["ca"]).read_text())
    assert auth.login("bob", "bobpw").status_code == 303


def test_starttls_with_the_servers_ca_file(auth, app, slapd):
    """ldap:// plus StartTLS with a CA file from the instance configuration."""
    app.config["LDAP_CA_CERT_FILE"] = slapd.tls["ca"]
    override(app, slapd, url=f"ldap://localhost:{slapd.port}", start_tls=True)
    assert auth.login("bob", "bobpw").status_code == 303


def test_untrusted_certificate_is_refused(auth, app, slapd, tmp_path, caplog):
    """A server certificate from another CA: no login, a configuration message, logged."""
    other = servers.make_tls_files(tmp_path / "other")
    override(app, slapd, url=slapd.ldaps_url, ca_cert=Path(other["ca"]).read_text())
    with caplog.at_level(logging.ERROR):
        response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and MISCONFIGURED in response.data
    assert "not trusted" in caplog.text


def override(app, slapd, **values):
    """Point the LDAP service at other settings, as an administrator would."""
    keys = {"url": "LDAP_URL", "ca_cert": "LDAP_CA_CERT", "start_tls": "LDAP_START_TLS"}
    servers.set_login_service(app, "ldap_directory", servers.ldap_bootstrap(
        slapd, **{keys[name]: value for name, value in values.items()}))


# --- the directory goes away ---------------------------------------------------------------

@pytest.fixture
def own_slapd(tmp_path):
    """A directory of this test's own, so stopping it disturbs no other test."""
    server = servers.Slapd(tmp_path / "own-slapd", tls=False).start()
    yield server
    server.stop()


def test_directory_stopped_mid_session(auth, app, slapd, own_slapd, make_user, caplog):
    """Directory stops: directory people get a clear message, local admins still log in, the
    log has no password; when it is back, directory logins work again."""
    override(app, slapd, url=own_slapd.url)
    make_user("admin", role="admin")
    assert auth.login("bob", "bobpw").status_code == 303
    auth.logout()
    own_slapd.stop()
    with caplog.at_level(logging.INFO):
        response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and DOWN in response.data
    assert "directory unavailable" in caplog.text and "bobpw" not in caplog.text
    assert auth.login("admin").status_code == 303
    auth.logout()
    own_slapd.launch()
    assert auth.login("bob", "bobpw").status_code == 303


def test_directory_login_is_a_session_that_logout_ends(app, client, auth, shop_branches):
    """A login with the directory password is recorded on the server like any other: a copy
    of its cookie taken before logout is refused after it."""
    assert auth.login("bob", "bobpw").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/").status_code == 200
    auth.logout()
    assert thief.get("/").status_code == 302
