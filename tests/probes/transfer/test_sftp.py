"""SFTP connection test against asyncssh's real SSH server: one test per step that can fail,
each naming the step and the reason, and the password in no step's detail."""
import pytest

from tests.probes.checks import failed
from tests.probes.transfer.conftest import LOOPBACK, PASSWORD, USER, RecordingPolicy
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, CONNECT, NAME_UNKNOWN, NOT_ALLOWED, OK, REFUSED, REQUEST, RESOLVE,
    SERVER_ERROR, SKIPPED, TIMEOUT, TLS, TLS_FAILED,
)
from webapp.probes.transfer import transfer


@pytest.fixture
def sftp(policy, sftp_server):
    """Runs the SFTP probe with the server's values unless overridden; checks that no detail
    contains a password and that the report callback saw every step."""
    def run(**overrides):
        values = dict(protocol="sftp", host="127.0.0.1", port=sftp_server.port, username=USER,
                      password=PASSWORD, policy=policy, timeout=5, remote_dir="/inbox")
        values.update(overrides)
        reported = []
        result = transfer(**values, report=lambda r: reported.append(len(r.steps)))
        assert [step.step for step in result.steps] == [RESOLVE, CONNECT, TLS, AUTH, REQUEST]
        for secret in {PASSWORD, values["password"]} - {""}:
            assert not [step for step in result.steps if secret in step.detail]
        assert reported and reported[-1] <= len(result.steps)
        return result
    return run



def test_lists_the_folder_and_shows_the_host_key(sftp, sftp_server):
    """A good login lists the folder; the TLS step names the SSH host key's fingerprint."""
    result = sftp()
    assert result.ok, result.steps
    assert all(step.state == OK for step in result.steps)
    tls = result.steps[2]
    assert tls.detail.startswith("SSH") and sftp_server.fingerprint in tls.detail
    assert result.steps[4].detail == "/inbox: 1 entry"


def test_empty_port_means_22():
    """An empty port is SFTP's 22."""
    class Refusing(RecordingPolicy):
        def connect(self, host, port, *args, **kwargs):
            self.calls.append((host, port))
            raise ConnectionRefusedError  # nothing local is contacted

    policy = Refusing.from_config(LOOPBACK)
    result = transfer("sftp", "127.0.0.1", "", USER, PASSWORD, policy)
    assert failed(result) == (CONNECT, REFUSED)
    assert policy.calls == [("127.0.0.1", 22)]


def test_unknown_host_name(sftp):
    """A name under .invalid fails at RESOLVE as unknown."""
    assert failed(sftp(host="sftp.nowhere.invalid")) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses(sftp):
    """Loopback without the operator's permission fails at RESOLVE, before any connection."""
    policy = Policy()
    assert failed(sftp(policy=policy)) == (RESOLVE, NOT_ALLOWED)


def test_closed_port(sftp, closed_port):
    """Nothing listening: refused at CONNECT."""
    assert failed(sftp(port=closed_port)) == (CONNECT, REFUSED)


def test_not_an_ssh_server(sftp, ftp_port):
    """An FTP server on the port: the SSH handshake fails at TLS."""
    result = sftp(port=ftp_port)
    assert failed(result) == (TLS, TLS_FAILED)
    assert result.failed.detail.startswith("SSH")


def test_wrong_password(sftp):
    """A wrong password fails at AUTH; the steps after it are skipped."""
    result = sftp(password="not-the-password")
    assert failed(result) == (AUTH, AUTH_FAILED)
    assert result.steps[4].state == SKIPPED


def test_missing_folder(sftp):
    """A folder that does not exist is the server's error at REQUEST."""
    result = sftp(remote_dir="/outbox")
    assert failed(result) == (REQUEST, SERVER_ERROR)
    assert "/outbox" in result.failed.detail


def test_silent_server(sftp, silent_port):
    """A server that accepts but never speaks: a timeout at the SSH handshake."""
    assert failed(sftp(port=silent_port, timeout=1)) == (TLS, TIMEOUT)


def test_connects_only_through_the_policy(sftp, policy, sftp_server):
    """The one TCP connection is the policy's."""
    assert sftp().ok
    assert policy.calls == [("127.0.0.1", sftp_server.port)]
