"""The IMAP connection test against a real server (Debian's dovecot, see conftest.py): every
step it can fail at, with the reason a person reads, and the way through."""
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, CERTIFICATE, CONNECT, NAME_UNKNOWN, NO_CREDENTIALS, NOT_ALLOWED, OK,
    REFUSED, REQUEST, RESOLVE, SERVER_ERROR, SKIPPED, TIMEOUT, TLS, TLS_FAILED,
)
from webapp.probes.mail import imap

from .conftest import IMAP_PASSWORD, IMAP_USER, ODD_FOLDER


def states(result):
    return {step.step: step.state for step in result.steps}


def failure(result):
    return result.failed.step, result.failed.reason


def login(**values):
    """The arguments of a test that should get as far as the folder."""
    arguments = dict(host="127.0.0.1", encryption="starttls", username=IMAP_USER,
                     password=IMAP_PASSWORD)
    arguments.update(values)
    return arguments


def test_starttls_login_and_folder_pass(checked, dovecot, certificates):
    """STARTTLS with the server's CA, LOGIN, INBOX opened read-only: every step passes."""
    result = checked(imap, **login(port=dovecot.port, ca_file=certificates.ca_file))
    assert result.ok, result.steps
    assert set(states(result).values()) == {OK}
    assert result.steps[-1].detail == "INBOX opened read-only: 0 messages"


def test_tls_from_the_start_passes(checked, dovecot, certificates):
    """IMAPS (port 993 style) by the name in the certificate: every step passes."""
    result = checked(imap, **login(host="localhost", port=dovecot.tls_port, encryption="tls",
                                   ca_file=certificates.ca_file))
    assert result.ok, result.steps
    assert set(states(result).values()) == {OK}


def test_plain_skips_tls(checked, dovecot):
    """No encryption (internal network only): TLS is skipped, not passed, and the test is ok."""
    result = checked(imap, **login(port=dovecot.port, encryption="none"))
    assert result.ok, result.steps
    assert states(result) == {RESOLVE: OK, CONNECT: OK, TLS: SKIPPED, AUTH: OK, REQUEST: OK}


def test_folder_with_umlaut_and_space(checked, dovecot, certificates):
    """A folder name beyond ASCII, with a space, is sent as IMAP wants it and found."""
    result = checked(imap, **login(port=dovecot.port, ca_file=certificates.ca_file,
                                   folder=ODD_FOLDER))
    assert result.ok, result.steps


def test_unknown_host_name(checked):
    """A name DNS does not know fails at resolving."""
    result = checked(imap, **login(host="imap.schnittstellen.invalid", port=993))
    assert failure(result) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses(checked, dovecot):
    """Loopback under the default policy: refused before any connection is made."""
    result = checked(imap, **login(port=dovecot.port, policy=Policy()))
    assert failure(result) == (RESOLVE, NOT_ALLOWED)


def test_closed_port(checked, closed_port):
    """Nothing listens: the connection is refused."""
    result = checked(imap, **login(port=closed_port))
    assert failure(result) == (CONNECT, REFUSED)


def test_server_that_never_greets(checked, raw_server):
    """A server that accepts the connection and then says nothing: no answer in time."""
    result = checked(imap, **login(port=raw_server(), timeout=0.5))
    assert failure(result) == (CONNECT, TIMEOUT)


def test_handshake_that_never_ends(checked, raw_server, certificates):
    """TLS from the start to a server that never answers the handshake: no answer in time,
    reported at TLS."""
    result = checked(imap, **login(port=raw_server(), encryption="tls", timeout=0.5,
                                   ca_file=certificates.ca_file))
    assert failure(result) == (TLS, TIMEOUT)


def test_tls_against_a_plain_port(checked, dovecot, certificates):
    """TLS from the start, but the server greets in plain text: the handshake fails."""
    result = checked(imap, **login(port=dovecot.port, encryption="tls",
                                   ca_file=certificates.ca_file))
    assert failure(result) == (TLS, TLS_FAILED)


def test_certificate_for_another_host(checked, dovecot, certificates):
    """On 127.0.0.2 dovecot shows a certificate for wrong.example, signed by the trusted CA."""
    result = checked(imap, **login(host="127.0.0.2", port=dovecot.tls_port, encryption="tls",
                                   ca_file=certificates.ca_file))
    assert failure(result) == (TLS, CERTIFICATE)
    assert "mismatch" in result.failed.detail.lower()


def test_certificate_from_an_unknown_ca(checked, dovecot):
    """Without ca_file only the system's CAs are trusted, and the test CA is not one."""
    result = checked(imap, **login(port=dovecot.port))
    assert failure(result) == (TLS, CERTIFICATE)


def test_wrong_password(checked, dovecot_of_its_own, certificates):
    """LOGIN answered NO: the server's words are kept, the password is not."""
    result = checked(imap, **login(port=dovecot_of_its_own.port, password="not-the-password",
                                   ca_file=certificates.ca_file))
    assert failure(result) == (AUTH, AUTH_FAILED)
    assert "AUTHENTICATIONFAILED" in result.failed.detail


def test_no_user_name(checked, dovecot, certificates):
    """IMAP cannot open a folder without logging in, so a missing user fails the login."""
    result = checked(imap, **login(port=dovecot.port, username="",
                                   ca_file=certificates.ca_file))
    assert failure(result) == (AUTH, NO_CREDENTIALS)


def test_folder_that_does_not_exist(checked, dovecot, certificates):
    """EXAMINE of a folder the mailbox does not have: the server's NO, at the request."""
    result = checked(imap, **login(port=dovecot.port, ca_file=certificates.ca_file,
                                   folder="Gibt es nicht"))
    assert failure(result) == (REQUEST, SERVER_ERROR)
    assert "Gibt es nicht" in result.failed.detail
    assert states(result)[AUTH] == OK
