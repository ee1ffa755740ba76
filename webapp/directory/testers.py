""""Verbindung testen" of the login services, registered by the factory with
interfaces.actions.register_tester, so the generic action of the editor runs them through
the outbound engine with the form's values, saved or not.

Both build their configuration with the same functions as the login (settings.ldap_config,
settings.oidc_config), so a test that passes has checked what a login will use:

- LDAP: the LDAP probe (webapp/probes/ldap.py): resolve → connect → TLS (ldaps or StartTLS)
  → bind as the service account → read the user search base. The CA is the service's
  certificate (handed to the probe in a temporary file), else LDAP_CA_CERT_FILE, else the
  operator's OUTBOUND_CA_FILE as for every connection test.
- OpenID Connect: oidc.probe: the discovery address's host, connection and TLS, then the
  discovery document and signing keys as the login checks them, trusting what the login's
  sessions trust (the system's CAs plus OUTBOUND_CA_FILE, through the outbound policy)."""
import tempfile

from ..interfaces.actions import TestRequest
from ..probes import ldap as ldap_probe
from . import oidc, settings


def ldap_tester(value, secret, policy):
    """The TestRequest for an LDAP service's values (value(key), secret(key))."""
    config = settings.ldap_config(settings.with_defaults(settings.LDAP, value), secret,
                                  ca_file_fallback=policy.ca_file or "")
    timeout = config.connect_timeout + config.read_timeout
    return TestRequest(_ldap, dict(
        url=config.url, policy=policy, timeout=timeout, ca_pem=config.ca_cert,
        ca_file=config.ca_cert_file or None, start_tls=config.start_tls,
        bind_dn=config.bind_dn, password=config.bind_password, base_dn=config.user_base),
        timeout=timeout)


def _ldap(ca_pem="", ca_file=None, report=None, **arguments):
    """The LDAP probe, trusting the PEM text `ca_pem` when there is one (the probe reads a
    CA file, as ssl does)."""
    if not ca_pem:
        return ldap_probe.ldap(ca_file=ca_file, report=report, **arguments)
    with tempfile.NamedTemporaryFile("w", suffix=".pem", encoding="ascii") as handle:
        handle.write(ca_pem)
        handle.flush()
        return ldap_probe.ldap(ca_file=handle.name, report=report, **arguments)


def oidc_tester(value, secret, policy):
    """The TestRequest for an OpenID Connect service's values."""
    value = settings.with_defaults(settings.OIDC, value)
    timeout = int(value("timeout") or 10)
    return TestRequest(oidc.probe, dict(
        issuer=value("issuer") or "", client_id=value("client_id") or "",
        scopes=value("scopes") or "", policy=policy, timeout=timeout),
        timeout=timeout * 2)


TESTERS = {settings.LDAP: ldap_tester, settings.OIDC: oidc_tester}
