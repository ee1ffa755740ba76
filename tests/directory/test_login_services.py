"""The login services under Schnittstellen: the LDAP and OpenID Connect types, where the login
reads its settings (an active service, else the bootstrap configuration while no service
exists, else off) and what a save of them may not do (field rules, the lock-out rule)."""
import datetime
from pathlib import Path

import pytest

from tests.auth import servers
from tests.auth.servers import ldap_raw, oidc_raw
from tests.factories import PASSWORD, make_config
from webapp.directory import checks, settings
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.interfaces import catalogue, values
from webapp.interfaces import services as interface_services
from webapp.users.models import User


@pytest.fixture
def app_config(tmp_path, slapd, oidc_issuer):
    """Bootstrap values for both logins, as an installation's instance configuration has
    them before anybody sets up a service."""
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en",
                       **servers.ldap_bootstrap(slapd), **servers.oidc_bootstrap(oidc_issuer))


@pytest.fixture
def local_admin(world):
    """The world's administrator gets a password: the chain's way in that never depends on
    the directory."""
    world.admin.set_password(PASSWORD)
    db.session.commit()
    return world.admin


def test_both_login_types_are_chain_wide_server_side_and_testable():
    """LDAP (group LDAP) and OpenID Connect (group System) live only chain-wide, run on the
    server, keep their secret write-only and have 'Verbindung testen'."""
    for key, group, secret in (("ldap_directory", "ldap", "bind_password"),
                               ("openid_connect", "system", "client_secret")):
        interface = catalogue.get_interface(key)
        assert catalogue.group_of(key).key == group
        assert (interface.scopes, interface.usages) == (("chain",), ("server",))
        assert [spec.key for spec in interface.secret_fields] == [secret]
        assert [action.key for action in interface.actions] == ["test"]
        assert {table.key for table in interface.tables} == {"role_map", "branch_map"}
    assert "LDAP" in catalogue.get_interface("openid_connect").help_en


def test_a_certificate_field_takes_pem_text_and_nothing_else(slapd):
    """The CA certificate is PEM text over several lines (kept, with Unix line ends); a
    path or garbage is refused beside the field."""
    spec = catalogue.get_interface("ldap_directory").get_field("ca_certificate_pem")
    pem = Path(slapd.tls["ca"]).read_text()
    value, problem = values.parse_value(spec, pem.replace("\n", "\r\n"))
    assert problem is None and value == pem.strip() + "\n"
    for wrong in ("/etc/ssl/ca.pem", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"):
        assert values.parse_value(spec, wrong)[1] is not None


def test_the_configuration_applies_until_a_service_exists(world, make_service, slapd,
                                                          local_admin):
    """Bootstrap first; an active service wins over it; a disabled or planned service
    switches the login off instead of falling back to the configuration."""
    before = settings.ldap_settings()
    assert (before.source, before.enabled, before.config.url) == ("configuration", True, slapd.url)
    assert before.config.bind_password == servers.SERVICE_PASSWORD
    service = make_service("ldap_directory", ldap_raw(slapd, server_url=slapd.ldaps_url,
                                                      ca_certificate_pem=Path(slapd.tls["ca"]).read_text()))
    setup = settings.ldap_settings()
    assert (setup.source, setup.enabled, setup.config.url) == ("service", True, slapd.ldaps_url)
    assert setup.config.ca_cert.startswith("-----BEGIN CERTIFICATE-----")
    assert setup.config.bind_password == servers.SERVICE_PASSWORD
    assert setup.role_map == servers.ROLE_MAP
    assert (setup.config.connect_timeout, setup.config.read_timeout) == (2, 3)
    assert setup.config.attr_email == "mail"  # the catalogue's default for an empty field
    for change in ({"enabled": False},
                   {"start_date": datetime.date.today() + datetime.timedelta(days=3)}):
        interface_services.update_service(world.admin, service, change, None, service.version)
        db.session.commit()
        off = settings.ldap_settings()
        assert (off.source, off.enabled) == ("off", False), change
        change = {"enabled": True, "start_date": None}
        interface_services.update_service(world.admin, service, change, None, service.version)
        db.session.commit()


def test_oidc_settings_and_button_follow_the_service(world, make_service, oidc_issuer,
                                                      local_admin):
    """The login page's button names the provider of the service in force; disabled, no
    button (and no fallback to the configuration's provider)."""
    assert settings.oidc_button() == "Testprovider"
    service = make_service("openid_connect", oidc_raw(oidc_issuer, provider_name="Firmen-SSO"))
    setup = settings.oidc_settings()
    assert (setup.enabled, setup.provider_name, setup.role_claim) == (True, "Firmen-SSO", "groups")
    assert setup.config.client_secret == "s3cret" and setup.branch_prefix == "filiale-"
    assert settings.oidc_button() == "Firmen-SSO"
    interface_services.update_service(world.admin, service, {"enabled": False}, None,
                                      service.version)
    db.session.commit()
    assert settings.oidc_button() is None


def _refusal(call):
    with pytest.raises(DomainError) as refused:
        call()
    db.session.rollback()
    return refused.value


def test_rules_between_fields_are_checked_when_saved(world, make_service, slapd, oidc_issuer,
                                                     local_admin):
    """StartTLS on ldaps://, a bind DN without a password, a branch code no branch has and an
    OIDC role table without its claim are refused beside the field."""
    create = interface_services.create_service
    for key, raw, field in (
            ("ldap_directory", ldap_raw(slapd, server_url=slapd.ldaps_url, start_tls="y"),
             "start_tls"),
            ("ldap_directory", ldap_raw(slapd, bind_password=""), "bind_password"),
            ("ldap_directory", ldap_raw(slapd, branch_map=[{"name": "kantine", "branch": "XX"}]),
             "branch_map"),
            ("openid_connect", oidc_raw(oidc_issuer, role_claim=""), "role_claim")):
        refusal = _refusal(lambda: create(world.admin, key, {"name": key}, raw))
        assert refusal.field == field, (key, field)
    make_service("ldap_directory", ldap_raw(slapd, branch_map=[{"name": "kantine", "branch": "st"}]))


def test_a_save_that_locks_every_admin_out_is_refused(world, make_service, slapd, app):
    """Without a local administrator who has a password, the directory is the admins' way
    in: a service without a group for Administrator, switching it off, or deleting the
    OIDC service that alone maps admins is refused; keeping a mapping is fine; with a local
    administrator everything is."""
    world.admin.auth_source = "ldap"  # an admin who comes from the directory
    db.session.commit()
    app.config["OIDC_ENABLED"] = False  # the provider (which lets LDAP accounts in) is off
    create, update = interface_services.create_service, interface_services.update_service
    staff_only = ldap_raw(slapd, role_map=[{"group": "app-staff", "role": "staff"}])
    refusal = _refusal(lambda: create(world.admin, "ldap_directory", {"name": "LDAP"}, staff_only))
    assert refusal.message == checks.LOCKED_OUT and refusal.field is None
    service = make_service("ldap_directory", ldap_raw(slapd))
    for data, raw in (({"enabled": False}, None), ({}, staff_only)):
        refusal = _refusal(lambda: update(world.admin, service, data, raw, service.version))
        assert refusal.message == checks.LOCKED_OUT
    # Deleting it brings back the configuration, whose role map has the admin group.
    interface_services.delete_service(world.admin, service)
    db.session.commit()

    app.config["LDAP_ENABLED"] = False
    provider = make_service("openid_connect", oidc_raw(app.config["OIDC_ISSUER"]))
    refusal = _refusal(lambda: interface_services.delete_service(world.admin, provider))
    assert refusal.message == checks.LOCKED_OUT
    other = User(username="notfall", name="Notfall", role="admin", auth_source="local")
    other.set_password(PASSWORD)
    db.session.add(other)
    db.session.commit()
    interface_services.delete_service(world.admin, provider)
    db.session.commit()


def test_a_chain_without_any_way_in_is_not_blocked_from_repairing_it(world, make_service,
                                                                     slapd):
    """No administrator could log in before (the world's admin has no password and comes
    from nowhere): a save cannot make that worse, so it is not refused."""
    make_service("ldap_directory", ldap_raw(slapd, role_map=[]))


def test_the_old_screen_sends_to_the_login_services(client, auth, world, make_service, slapd,
                                                   oidc_issuer, local_admin):
    """/directory/ (bookmarks, old links) lands on the services list searched for the login
    services, which shows both and nothing else."""
    make_service("ldap_directory", ldap_raw(slapd), name="Verzeichnis Zentrale")
    make_service("openid_connect", oidc_raw(oidc_issuer), name="Firmen-SSO")
    make_service("smtp", name="Mailserver")
    auth.login(world.admin)
    response = client.get("/directory/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/interfaces/?q={settings.KEYWORD}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Verzeichnis Zentrale" in page and "Firmen-SSO" in page and "Mailserver" not in page


def test_the_command_line_switches_the_login_services_off(app, runner, world, make_service,
                                                          slapd, oidc_issuer):
    """`flask disable-directory-login` is the way out of a directory setting that keeps
    everybody out: it switches both services off (the lock-out rule does not stop it), and
    the change log names the command."""
    world.admin.auth_source = "ldap"
    ldap = make_service("ldap_directory", ldap_raw(slapd))
    oidc = make_service("openid_connect", oidc_raw(oidc_issuer))
    result = runner.invoke(args=["disable-directory-login"])
    assert result.exit_code == 0, result.output
    assert f"Switched off: {ldap.name}" in result.output
    assert f"Switched off: {oidc.name}" in result.output
    db.session.expire_all()
    assert (ldap.enabled, oidc.enabled) == (False, False)
    assert settings.ldap_settings().enabled is False
    entries = interface_services.service_history(ldap)
    assert (entries[0].user_name, entries[0].changes) == (
        "flask disable-directory-login", [{"field": "enabled", "old": True, "new": False}])
    again = runner.invoke(args=["disable-directory-login"])
    assert "No LDAP or OpenID Connect service was switched on." in again.output
