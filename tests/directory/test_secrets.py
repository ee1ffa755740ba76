"""Secrets at rest: MultiFernet with HKDF-derived keys, and `flask rotate-encryption-keys`."""
import pytest
from sqlalchemy import text

from tests.factories import make_config
from webapp import crypto
from webapp.directory.models import LdapSettings, OidcSettings
from webapp.extensions import db

SECRET = "Dienstkonto-Passwort-1"


def raw(app, table, column):
    with app.app_context():
        return db.session.execute(text(f"SELECT {column} FROM {table}")).scalar()


def store(app, **columns):
    with app.app_context():
        db.session.add(LdapSettings(id=1, url="ldap://127.0.0.1:1", **columns))
        db.session.commit()


def test_encrypted_column_round_trip(app):
    """Stored as a Fernet token, read back as the plain value; the key is derived from any string."""
    store(app, bind_password=SECRET)
    assert raw(app, "ldap_settings", "bind_password").startswith("gAAAAA")
    with app.app_context():
        assert db.session.get(LdapSettings, 1).bind_password == SECRET


def test_loading_the_row_does_not_decrypt(app):
    """With a lost key the row still loads (the secret column is deferred); only reading the
    secret fails, with an error that carries no value."""
    store(app, bind_password=SECRET)
    app.config["ENCRYPTION_KEYS"] = "some-other-key"
    with app.app_context():
        row = db.session.get(LdapSettings, 1)
        assert row.url == "ldap://127.0.0.1:1"
        with pytest.raises(crypto.SecretUnreadable) as caught:
            row.bind_password
        assert SECRET not in str(caught.value)


def test_lost_key_breaks_neither_login_page_nor_local_login(app, client, auth, make_user):
    """The login page still renders; directory logins get a configuration message."""
    store(app, bind_password=SECRET, enabled=True, user_base="ou=people,dc=example,dc=org")
    app.config.update(ENCRYPTION_KEYS="some-other-key", BABEL_DEFAULT_LOCALE="en")
    assert client.get("/login").status_code == 200
    response = auth.login("bob", "bobpw")
    assert response.status_code == 422 and b"configuration problem" in response.data
    make_user("admin", role="admin")
    assert auth.login("admin").status_code == 303


def test_rotation_re_encrypts_every_secret_with_the_newest_key(app, runner):
    """New key first, rotate, drop the old key: everything still decrypts."""
    store(app, bind_password=SECRET)
    with app.app_context():
        db.session.add(OidcSettings(id=1, issuer="https://login.example.org", client_secret="oidc-secret"))
        db.session.commit()
    before = raw(app, "ldap_settings", "bind_password")
    app.config["ENCRYPTION_KEYS"] = "new-key, test-encryption-key"
    result = runner.invoke(args=["rotate-encryption-keys"])
    assert result.exit_code == 0, result.output
    assert "LdapSettings.bind_password: 1" in result.output and "Re-encrypted 2" in result.output
    assert raw(app, "ldap_settings", "bind_password") != before
    assert SECRET not in result.output
    app.config["ENCRYPTION_KEYS"] = "new-key"
    with app.app_context():
        assert db.session.get(LdapSettings, 1).bind_password == SECRET
        assert db.session.get(OidcSettings, 1).client_secret == "oidc-secret"


def test_rotation_without_the_old_key_changes_nothing(app, runner):
    """Rotation with the old key missing fails loudly and leaves every token as it was."""
    store(app, bind_password=SECRET)
    before = raw(app, "ldap_settings", "bind_password")
    app.config["ENCRYPTION_KEYS"] = "new-key"
    result = runner.invoke(args=["rotate-encryption-keys"])
    assert result.exit_code != 0 and "Nothing was changed" in result.output
    assert raw(app, "ldap_settings", "bind_password") == before


def test_every_encrypted_column_is_found(app):
    """The rotation covers the secret columns of every model (new ones included automatically)."""
    with app.app_context():
        found = {(model.__name__, key) for model, key in crypto.encrypted_columns()}
    assert {("LdapSettings", "bind_password"), ("OidcSettings", "client_secret")} <= found


@pytest.mark.parametrize("value", ["", " , "])
def test_empty_key_list_is_refused(value):
    """An empty ENCRYPTION_KEYS is an error, never an unencrypted store."""
    with pytest.raises(RuntimeError):
        crypto.parse_keys(value)


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path)
