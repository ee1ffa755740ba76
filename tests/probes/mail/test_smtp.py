"""The SMTP connection test against real servers (aiosmtpd, see conftest.py): every step it can
fail at, with the reason a person reads, and the way through."""
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, CERTIFICATE, CONNECT, INVALID, NAME_UNKNOWN, NO_TLS, NOT_ALLOWED, OK,
    REFUSED, REQUEST, RESOLVE, SERVER_ERROR, SKIPPED, TIMEOUT, TLS, TLS_FAILED,
)
from webapp.probes.mail import smtp

from .conftest import SMTP_PASSWORD, SMTP_USER


def states(result):
    return {step.step: step.state for step in result.steps}


def failure(result):
    return result.failed.step, result.failed.reason


def test_starttls_and_login_pass(checked, smtp_servers, certificates):
    """STARTTLS with the server's CA, then login and NOOP: every step passes."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="starttls",
                     username=SMTP_USER, password=SMTP_PASSWORD, ca_file=certificates.ca_file)
    assert result.ok, result.steps
    assert set(states(result).values()) == {OK}
    details = {step.step: step.detail for step in result.steps}
    assert details[TLS].startswith("TLSv1.")
    assert details[REQUEST] == "NOOP answered 250 OK"


def test_tls_from_the_start_and_login_pass(checked, smtp_servers, certificates):
    """TLS from the first byte (port 465 style), by the name in the certificate: all pass."""
    result = checked(smtp, host="localhost", port=smtp_servers.tls, encryption="tls",
                     username=SMTP_USER, password=SMTP_PASSWORD, ca_file=certificates.ca_file)
    assert result.ok, result.steps
    assert set(states(result).values()) == {OK}


def test_plain_without_login_skips_tls_and_auth(checked, smtp_servers):
    """No encryption and no user: TLS and login are skipped, not passed, and the test is ok."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.plain, encryption="none",
                     username="", password="")
    assert result.ok, result.steps
    assert states(result) == {RESOLVE: OK, CONNECT: OK, TLS: SKIPPED, AUTH: SKIPPED,
                              REQUEST: OK}


def test_unknown_host_name(checked):
    """A name DNS does not know fails at resolving."""
    result = checked(smtp, host="mail.schnittstellen.invalid", port=25, encryption="none",
                     username="", password="")
    assert failure(result) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses(checked, smtp_servers):
    """Loopback under the default policy: refused before any connection is made."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.plain, encryption="none",
                     username="", password="", policy=Policy())
    assert failure(result) == (RESOLVE, NOT_ALLOWED)
    assert "OUTBOUND_ALLOWED_NETWORKS" in result.failed.detail


def test_settings_that_cannot_work(checked):
    """An encryption the catalogue does not know, or no port, fail as invalid settings."""
    for encryption, port in (("ssl", 465), ("none", "")):
        result = checked(smtp, host="127.0.0.1", port=port, encryption=encryption,
                         username="", password="")
        assert failure(result) == (RESOLVE, INVALID)


def test_closed_port(checked, closed_port):
    """Nothing listens: the connection is refused."""
    result = checked(smtp, host="127.0.0.1", port=closed_port, encryption="none",
                     username="", password="")
    assert failure(result) == (CONNECT, REFUSED)


def test_greeting_with_an_error(checked, raw_server):
    """A server that greets with 554 instead of 220 (aiosmtpd has no hook for its greeting,
    hence the raw socket)."""
    port = raw_server(b"554 5.3.2 no service for you\r\n", answer=b"221 2.0.0 bye\r\n")
    result = checked(smtp, host="127.0.0.1", port=port, encryption="none",
                     username="", password="")
    assert failure(result) == (CONNECT, SERVER_ERROR)
    assert "554 5.3.2 no service for you" in result.failed.detail


def test_server_that_never_greets(checked, raw_server):
    """A server that accepts the connection and then says nothing: no answer in time."""
    result = checked(smtp, host="127.0.0.1", port=raw_server(), encryption="starttls",
                     username="", password="", timeout=0.5)
    assert failure(result) == (CONNECT, TIMEOUT)


def test_tls_against_a_plain_port(checked, smtp_servers, certificates):
    """TLS from the start, but the server speaks plain SMTP first: the handshake fails."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="tls",
                     username="", password="", ca_file=certificates.ca_file, timeout=5)
    assert failure(result) == (TLS, TLS_FAILED)


def test_starttls_not_offered(checked, smtp_servers, certificates):
    """STARTTLS asked of a server that does not offer it."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.plain, encryption="starttls",
                     username="", password="", ca_file=certificates.ca_file)
    assert failure(result) == (TLS, NO_TLS)


def test_certificate_for_another_host(checked, smtp_servers, certificates):
    """The certificate is signed by a trusted CA but names wrong.example."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.wrong_host,
                     encryption="starttls", username="", password="",
                     ca_file=certificates.ca_file)
    assert failure(result) == (TLS, CERTIFICATE)
    assert "mismatch" in result.failed.detail.lower()


def test_ca_file_that_cannot_be_read(checked, smtp_servers, tmp_path):
    """A CA file that is not there is a setting that cannot work, not a network problem."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="starttls",
                     username="", password="", ca_file=tmp_path / "missing.pem")
    assert failure(result) == (TLS, INVALID)


def test_certificate_from_an_unknown_ca(checked, smtp_servers):
    """Without ca_file only the system's CAs are trusted, and the test CA is not one."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="starttls",
                     username="", password="")
    assert failure(result) == (TLS, CERTIFICATE)


def test_login_offered_only_with_encryption(checked, smtp_servers):
    """A user but no encryption, and the server offers AUTH only once encrypted."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="none",
                     username=SMTP_USER, password=SMTP_PASSWORD)
    assert failure(result) == (AUTH, NO_TLS)


def test_wrong_password(checked, smtp_servers, certificates):
    """The server answers 535 to the login."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="starttls",
                     username=SMTP_USER, password="not-the-password",
                     ca_file=certificates.ca_file)
    assert failure(result) == (AUTH, AUTH_FAILED)
    assert "535" in result.failed.detail


def test_password_repeated_by_the_server_is_not_kept(checked, smtp_servers, certificates):
    """A server that puts the password into its refusal: the detail keeps its words, not the
    password (checked() looks at every report)."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.starttls, encryption="starttls",
                     username=SMTP_USER, password="echo-me", ca_file=certificates.ca_file)
    assert failure(result) == (AUTH, AUTH_FAILED)
    assert "535 5.7.8 password *** is wrong" in result.failed.detail


def test_request_refused(checked, smtp_servers):
    """The harmless request (NOOP) answered with 554."""
    result = checked(smtp, host="127.0.0.1", port=smtp_servers.noop_fails, encryption="none",
                     username=SMTP_USER, password=SMTP_PASSWORD)
    assert failure(result) == (REQUEST, SERVER_ERROR)
    assert "554 5.3.0 not today" in result.failed.detail
    assert states(result)[AUTH] == OK
