"""LDAP connection test against the session's real slapd (plain ldap, StartTLS and ldaps with
the test kit's CA): one test per step that can fail, each naming the step and the reason, and
no password in any step's detail. A certificate for another host comes from a bare TLS server
with tests/probes/tls.py's wrong-host certificate, since slapd's names 127.0.0.1 and
localhost."""
import contextlib
import socket
import threading
import time

import pytest

from tests.auth.servers import BASE, PEOPLE, SERVICE_DN, SERVICE_PASSWORD
from tests.factories import LOOPBACK
from tests.probes.checks import checked_run, failed, states
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, CERTIFICATE, CONNECT, INVALID, NAME_UNKNOWN, NO_CREDENTIALS,
    NOT_ALLOWED, OK, REFUSED, REQUEST, RESOLVE, SERVER_ERROR, SKIPPED, TIMEOUT, TLS,
    TLS_FAILED,
)
from webapp.probes.ldap import ldap

WRONG_PASSWORD = "Falsch-Pw-fuer-LDAP-4711"
SECRETS = (SERVICE_PASSWORD, WRONG_PASSWORD)


@pytest.fixture
def policy():
    return Policy.from_config(LOOPBACK)


@pytest.fixture
def probe(policy, slapd):
    """Runs the probe on slapd's plain port as the service account, reading the base DN,
    unless overridden; checks that every step is there, that no detail holds a password and
    that the report callback saw the steps."""
    def run(**overrides):
        values = dict(url=slapd.url, policy=policy, timeout=5, bind_dn=SERVICE_DN,
                      password=SERVICE_PASSWORD, base_dn=BASE)
        values.update(overrides)
        return checked_run(ldap, SECRETS, **values)
    return run




@pytest.fixture
def wrong_host_port(certs):
    """A bare TLS server on loopback showing a certificate (of the test CA) for
    wrong.example only; it never speaks LDAP, and the probe never gets that far."""
    context = certs.server_context(wrong_host=True)
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)

    def serve():
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            with connection, contextlib.suppress(OSError):
                connection.settimeout(5)
                context.wrap_socket(connection, server_side=True).close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


# --- success ------------------------------------------------------------------------------

def test_plain_ldap_binds_and_reads_the_base_dn(probe, slapd):
    """Plain ldap to an OUTBOUND_HTTP_HOSTS host: TLS skipped, the bind and the base entry
    pass and each passed step says what it found."""
    result = probe()
    assert result.ok and states(result) == [OK, OK, SKIPPED, OK, OK]
    details = {step.step: step.detail for step in result.steps}
    assert details[RESOLVE] == "127.0.0.1"
    assert details[CONNECT] == f"127.0.0.1 port {slapd.port}"
    assert details[AUTH] == f"bound as {SERVICE_DN}"
    assert details[REQUEST] == f"read {BASE}"


def test_start_tls_encrypts_the_plain_port_before_the_bind(probe, slapd):
    """StartTLS on ldap://: the certificate is checked against the given CA and the host."""
    result = probe(url=f"ldap://localhost:{slapd.port}", start_tls=True, ca_file=slapd.tls["ca"],
                   base_dn=PEOPLE)
    assert result.ok and states(result) == [OK] * 5
    assert result.steps[2].detail.startswith("StartTLS: TLSv1.")


def test_ldaps_encrypts_from_the_first_byte(probe, slapd):
    result = probe(url=slapd.ldaps_url, ca_file=slapd.tls["ca"])
    assert result.ok and states(result) == [OK] * 5
    assert "certificate valid until" in result.steps[2].detail


def test_anonymous_without_base_dn_reads_the_root_dse(probe):
    """No bind DN: AUTH is skipped as anonymous; no base DN: the root DSE is read."""
    result = probe(bind_dn="", password="", base_dn="")
    assert result.ok and states(result) == [OK, OK, SKIPPED, SKIPPED, OK]
    assert result.steps[3].detail == "anonymous: no bind DN set"
    assert BASE in result.steps[4].detail


# --- RESOLVE ------------------------------------------------------------------------------

def test_unknown_host_fails_at_resolve(probe):
    assert failed(probe(url="ldaps://nothing.invalid")) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses_fails_at_resolve(probe, slapd):
    """The default policy allows no loopback address, so nothing is connected."""
    result = probe(url=slapd.ldaps_url, policy=Policy(), ca_file=slapd.tls["ca"])
    assert failed(result) == (RESOLVE, NOT_ALLOWED)
    assert states(result)[1:] == [SKIPPED] * 4


def test_plain_ldap_to_a_host_not_listed_fails_at_resolve(probe, slapd):
    """Plain ldap only for OUTBOUND_HTTP_HOSTS: an allowed network is not enough."""
    policy = Policy.from_config({"OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8"]})
    assert failed(probe(policy=policy)) == (RESOLVE, NOT_ALLOWED)


def test_a_url_that_is_not_ldap_is_invalid(probe, slapd):
    assert failed(probe(url=f"https://127.0.0.1:{slapd.port}")) == (RESOLVE, INVALID)
    assert failed(probe(url=f"{slapd.url}/{BASE}")) == (RESOLVE, INVALID)


# --- CONNECT ------------------------------------------------------------------------------

def test_closed_port_fails_at_connect(probe, closed_port):
    assert failed(probe(url=f"ldap://127.0.0.1:{closed_port}")) == (CONNECT, REFUSED)


# --- TLS ----------------------------------------------------------------------------------

def test_ldaps_to_the_plain_port_fails_at_tls(probe, slapd):
    result = probe(url=f"ldaps://localhost:{slapd.port}", ca_file=slapd.tls["ca"])
    assert failed(result) == (TLS, TLS_FAILED)


def test_certificate_of_an_unknown_ca_fails_at_tls(probe, slapd):
    """Without the CA file only the system's store is trusted, which knows no test CA."""
    assert failed(probe(url=slapd.ldaps_url)) == (TLS, CERTIFICATE)
    assert failed(probe(url=slapd.url, start_tls=True)) == (TLS, CERTIFICATE)


def test_certificate_for_another_host_fails_at_tls(probe, certs, wrong_host_port):
    result = probe(url=f"ldaps://127.0.0.1:{wrong_host_port}", ca_file=certs.ca_file)
    assert failed(result) == (TLS, CERTIFICATE)
    assert "127.0.0.1" in result.failed.detail


# --- AUTH ---------------------------------------------------------------------------------

def test_wrong_bind_password_fails_at_auth(probe):
    result = probe(password=WRONG_PASSWORD)
    assert failed(result) == (AUTH, AUTH_FAILED)
    assert SERVICE_DN in result.failed.detail and result.steps[4].state == SKIPPED


def test_bind_dn_without_password_is_never_sent(probe):
    """An empty password would be an unauthenticated bind, which servers may let "pass"."""
    assert failed(probe(password="")) == (AUTH, NO_CREDENTIALS)


# --- REQUEST ------------------------------------------------------------------------------

def test_base_dn_that_does_not_exist_fails_at_request(probe):
    missing = f"ou=nirgends,{BASE}"
    result = probe(base_dn=missing)
    assert failed(result) == (REQUEST, SERVER_ERROR)
    assert missing in result.failed.detail


# --- timeouts -----------------------------------------------------------------------------

def test_server_that_never_answers_times_out_within_the_deadline(probe, silent_port):
    """A socket that accepts and says nothing: the bind times out on plain ldap, the
    handshake on ldaps, both within the whole test's deadline."""
    started = time.monotonic()
    assert failed(probe(url=f"ldap://127.0.0.1:{silent_port}", timeout=1)) == (AUTH, TIMEOUT)
    assert failed(probe(url=f"ldaps://127.0.0.1:{silent_port}", timeout=1)) == (TLS, TIMEOUT)
    assert time.monotonic() - started < 4
