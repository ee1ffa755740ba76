"""Secrets at rest: MultiFernet with HKDF-derived keys, and `flask rotate-encryption-keys`,
on the login services' secrets (the LDAP bind password, the OIDC client secret)."""
import pytest
from sqlalchemy import text

from tests.auth import servers
from tests.factories import make_config
from webapp import crypto
from webapp.extensions import db
from webapp.interfaces.models import ServiceSecret

SECRET = "Dienstkonto-Passwort-1"
LDAP = {"LDAP_URL": "ldap://127.0.0.1:1", "LDAP_USER_BASE": "ou=people,dc=example,dc=org",
        "LDAP_BIND_DN": "cn=readonly,dc=example,dc=org", "LDAP_BIND_PASSWORD": SECRET}
OIDC = {"OIDC_ISSUER": "https://login.example.org", "OIDC_CLIENT_ID": "schnittstellen",
        "OIDC_CLIENT_SECRET": "oidc-secret", "OIDC_PROVIDER_NAME": "Anbieter"}


def raw(app, key):
    with app.app_context():
        return db.session.execute(text("SELECT value FROM interface_service_secrets "
                                       "WHERE field_key = :key"), {"key": key}).scalar()


def secret(app, service_id, key):
    with app.app_context():
        return db.session.get(ServiceSecret, (service_id, key)).value


def test_encrypted_column_round_trip(app):
    """Stored as a Fernet token, read back as the plain value; the key is derived from any string."""
    service = servers.set_login_service(app, "ldap_directory", LDAP)
    assert raw(app, "bind_password").startswith("gAAAAA")
    assert secret(app, service, "bind_password") == SECRET


def test_loading_the_row_does_not_decrypt(app):
    """With a lost key the row still loads (the secret column is deferred); only reading the
    secret fails, with an error that carries no value."""
    service = servers.set_login_service(app, "ldap_directory", LDAP)
    app.config["ENCRYPTION_KEYS"] = "some-other-key"
    with app.app_context():
        row = db.session.get(ServiceSecret, (service, "bind_password"))
        assert row.field_key == "bind_password"
        with pytest.raises(crypto.SecretUnreadable) as caught:
            row.value
        assert SECRET not in str(caught.value)


def test_lost_key_breaks_neither_login_page_nor_local_login(app, client, auth, make_user):
    """The login page still renders (with the provider's button: it decrypts nothing);
    directory and provider logins get a configuration message; local admins log in."""
    servers.set_login_service(app, "ldap_directory", LDAP)
    servers.set_login_service(app, "openid_connect", OIDC)
    app.config.update(ENCRYPTION_KEYS="some-other-key", BABEL_DEFAULT_LOCALE="en")
    page = client.get("/login")
    assert page.status_code == 200 and "Log in with Anbieter" in page.get_data(as_text=True)
    response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and b"configuration problem" in response.data
    assert client.get("/login/oidc").status_code == 303
    make_user("admin", role="admin")
    assert auth.login("admin").status_code == 303


def test_rotation_re_encrypts_every_secret_with_the_newest_key(app, runner):
    """New key first, rotate, drop the old key: everything still decrypts."""
    ldap = servers.set_login_service(app, "ldap_directory", LDAP)
    oidc = servers.set_login_service(app, "openid_connect", OIDC)
    before = raw(app, "bind_password")
    app.config["ENCRYPTION_KEYS"] = "new-key, test-encryption-key"
    result = runner.invoke(args=["rotate-encryption-keys"])
    assert result.exit_code == 0, result.output
    assert "ServiceSecret.value: 2" in result.output
    assert raw(app, "bind_password") != before
    assert SECRET not in result.output
    app.config["ENCRYPTION_KEYS"] = "new-key"
    assert secret(app, ldap, "bind_password") == SECRET
    assert secret(app, oidc, "client_secret") == "oidc-secret"


def test_rotation_without_the_old_key_changes_nothing(app, runner):
    """Rotation with the old key missing fails loudly and leaves every token as it was."""
    servers.set_login_service(app, "ldap_directory", LDAP)
    before = raw(app, "bind_password")
    app.config["ENCRYPTION_KEYS"] = "new-key"
    result = runner.invoke(args=["rotate-encryption-keys"])
    assert result.exit_code != 0 and "Nothing was changed" in result.output
    assert raw(app, "bind_password") == before


def test_every_encrypted_column_is_found(app):
    """The rotation covers the secret columns of every model (new ones included automatically)."""
    with app.app_context():
        found = {(model.__name__, key) for model, key in crypto.encrypted_columns()}
    assert ("ServiceSecret", "value") in found


@pytest.mark.parametrize("value", ["", " , "])
def test_empty_key_list_is_refused(value):
    """An empty ENCRYPTION_KEYS is an error, never an unencrypted store."""
    with pytest.raises(RuntimeError):
        crypto.parse_keys(value)


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)
