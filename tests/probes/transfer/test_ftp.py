"""FTP and FTPS connection tests against pyftpdlib's real servers: one test per step that can
fail, each naming the step and the reason, and the password in no step's detail."""
import pytest

from tests.probes.checks import failed
from tests.probes.transfer.conftest import LOOPBACK, PASSWORD, USER, RecordingPolicy
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, CERTIFICATE, CONNECT, INVALID, NAME_UNKNOWN, NO_CREDENTIALS, NO_TLS,
    NOT_ALLOWED, OK, REFUSED, REQUEST, RESOLVE, SERVER_ERROR, SKIPPED, TIMEOUT, TLS,
)
from webapp.probes.transfer import transfer


@pytest.fixture
def ftp(policy, certs, ftps_port):
    """Runs the probe (FTPS on the FTPS server, trusting the test CA, unless overridden);
    checks that no detail contains a password."""
    def run(**overrides):
        values = dict(protocol="ftps", host="127.0.0.1", port=ftps_port, username=USER,
                      password=PASSWORD, policy=policy, timeout=5, ca_file=certs.ca_file,
                      remote_dir="/inbox")
        values.update(overrides)
        result = transfer(**values)
        assert [step.step for step in result.steps] == [RESOLVE, CONNECT, TLS, AUTH, REQUEST]
        for secret in {PASSWORD, values["password"]} - {""}:
            assert not [step for step in result.steps if secret in step.detail]
        return result
    return run



# --- success ------------------------------------------------------------------------------

def test_ftps_lists_the_folder(ftp):
    """FTPS: TLS on the control connection, login, PROT P and an encrypted listing."""
    result = ftp()
    assert result.ok, result.steps
    assert all(step.state == OK for step in result.steps)
    assert result.steps[2].detail.startswith("TLS")
    assert result.steps[4].detail.startswith("/inbox: 1 entry")


def test_plain_ftp_lists_the_folder(ftp, ftp_port):
    """Plain FTP skips TLS and lists the folder."""
    result = ftp(protocol="ftp", port=ftp_port, ca_file=None)
    assert result.ok, result.steps
    assert result.steps[2].state == SKIPPED
    assert result.steps[4].detail.startswith("/inbox: 1 entry")


def test_empty_folder_means_the_login_folder(ftp):
    """No folder given: the listing of the folder the login starts in."""
    result = ftp(remote_dir="")
    assert result.ok
    assert result.steps[4].detail.startswith("/: 1 entry")


def test_data_connection_goes_to_the_checked_address(ftp, policy, masquerading_ftp_port):
    """A PASV reply naming another address does not move the data connection: both
    connections go through the policy to 127.0.0.1."""
    result = ftp(protocol="ftp", port=masquerading_ftp_port, ca_file=None)
    assert result.ok, result.steps
    assert len(policy.calls) == 2
    assert {host for host, _port in policy.calls} == {"127.0.0.1"}
    assert policy.calls[0] == ("127.0.0.1", masquerading_ftp_port)


def test_empty_port_means_21():
    """An empty port is FTP's 21."""
    class Refusing(RecordingPolicy):
        def connect(self, host, port, *args, **kwargs):
            self.calls.append((host, port))
            raise ConnectionRefusedError  # nothing local is contacted

    policy = Refusing.from_config(LOOPBACK)
    result = transfer("ftps", "127.0.0.1", None, USER, PASSWORD, policy)
    assert failed(result) == (CONNECT, REFUSED)
    assert policy.calls == [("127.0.0.1", 21)]


# --- each failing step ----------------------------------------------------------------------

def test_unknown_protocol_or_port(ftp):
    """Settings that cannot work fail at RESOLVE as invalid."""
    assert failed(ftp(protocol="scp")) == (RESOLVE, INVALID)
    assert failed(ftp(port="ftp")) == (RESOLVE, INVALID)
    assert failed(ftp(port=70000)) == (RESOLVE, INVALID)


def test_unknown_host_name(ftp):
    """A name under .invalid fails at RESOLVE as unknown."""
    assert failed(ftp(host="ftp.nowhere.invalid")) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses(ftp):
    """Loopback without the operator's permission fails at RESOLVE."""
    assert failed(ftp(policy=Policy())) == (RESOLVE, NOT_ALLOWED)


def test_closed_port(ftp, closed_port):
    """Nothing listening: refused at CONNECT."""
    assert failed(ftp(port=closed_port)) == (CONNECT, REFUSED)


def test_silent_server(ftp, silent_port):
    """A server that accepts but never greets: a timeout at CONNECT."""
    assert failed(ftp(port=silent_port, timeout=1)) == (CONNECT, TIMEOUT)


def test_certificate_for_another_host(ftp, wrong_host_ftps_port):
    """A certificate naming another host fails at TLS."""
    result = ftp(port=wrong_host_ftps_port)
    assert failed(result) == (TLS, CERTIFICATE)


def test_certificate_of_an_unknown_ca(ftp):
    """Without the test CA (the system's CAs only) the certificate is not trusted."""
    assert failed(ftp(ca_file=None)) == (TLS, CERTIFICATE)


def test_ftps_against_a_server_without_tls(ftp, ftp_port):
    """AUTH TLS refused by a plain FTP server: the server offers no TLS."""
    assert failed(ftp(port=ftp_port)) == (TLS, NO_TLS)


def test_plain_ftp_against_a_server_requiring_tls(ftp):
    """Plain FTP where the server requires TLS: its refusal is reported at AUTH."""
    result = ftp(protocol="ftp", ca_file=None)
    assert failed(result) == (AUTH, SERVER_ERROR)
    assert "TLS" in result.failed.detail


@pytest.mark.parametrize("protocol", ["ftps", "ftp"])
def test_wrong_password(ftp, ftp_port, ftps_port, protocol):
    """A wrong password: the server's 530 at AUTH."""
    port = ftps_port if protocol == "ftps" else ftp_port
    result = ftp(protocol=protocol, port=port, password="not-the-password")
    assert failed(result) == (AUTH, AUTH_FAILED)
    assert result.failed.detail.startswith("530")


def test_missing_password(ftp):
    """No password set: AUTH fails without asking the server."""
    assert failed(ftp(password="")) == (AUTH, NO_CREDENTIALS)


@pytest.mark.parametrize("protocol", ["ftps", "ftp"])
def test_missing_folder(ftp, ftp_port, ftps_port, protocol):
    """A folder that does not exist: the server's 550 at REQUEST."""
    port = ftps_port if protocol == "ftps" else ftp_port
    result = ftp(protocol=protocol, port=port, remote_dir="/outbox")
    assert failed(result) == (REQUEST, SERVER_ERROR)
    assert result.failed.detail.startswith("550")
