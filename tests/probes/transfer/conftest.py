"""Real servers for the transfer probes: asyncssh's SFTP server and pyftpdlib's FTP and FTPS
servers, each on a free loopback port in a thread, with one user whose home is a temporary
folder holding inbox/order.csv; plus the loopback Policy and sockets that refuse or stay
silent."""
import asyncio
import threading
import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import asyncssh
import pytest

from tests.factories import LOOPBACK  # noqa: F401 (the tests import it from here)
from webapp.outbound_policy import Policy

# pyftpdlib is built on asyncore/asynchat, deprecated (with a warning on import) in 3.11.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.ioloop import IOLoop
    from pyftpdlib.servers import FTPServer

USER, PASSWORD = "filiale", "Pw-of-the-Probe-4711"


@dataclass(frozen=True)
class RecordingPolicy(Policy):
    """The loopback policy, remembering every (host, port) a probe connected to."""

    calls: list = field(default_factory=list, hash=False, compare=False)

    def connect(self, host, port, *args, **kwargs):
        self.calls.append((host, port))
        return super().connect(host, port, *args, **kwargs)


@pytest.fixture
def policy():
    return RecordingPolicy.from_config(LOOPBACK)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """The user's folder on every server: inbox/order.csv."""
    root = tmp_path_factory.mktemp("home")
    (root / "inbox").mkdir()
    (root / "inbox" / "order.csv").write_text("order;1\n")
    return root


# --- SFTP ---------------------------------------------------------------------------------

class _SSHServer(asyncssh.SSHServer):
    def begin_auth(self, username):
        return True  # authentication is required

    def password_auth_supported(self):
        return True

    def validate_password(self, username, password):
        return username == USER and password == PASSWORD


@pytest.fixture(scope="module")
def sftp_server(home):
    """asyncssh's SSH server with SFTP chrooted to `home`, password login only; its host
    key's SHA256 fingerprint for comparing."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[key], server_factory=_SSHServer,
            sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=str(home)),
            allow_scp=False)

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield SimpleNamespace(port=server.get_port(), fingerprint=key.get_fingerprint("sha256"))
    finally:
        server.close()
        asyncio.run_coroutine_threadsafe(server.wait_closed(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


# --- FTP and FTPS -------------------------------------------------------------------------

def _serve_ftp(home, handler_base, **attributes):
    """A pyftpdlib server with its own IOLoop in a thread; yields its port."""
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(home), perm="elr")
    # pyftpdlib waits 3 s before answering a wrong password; the tests need not.
    handler = type("Handler", (handler_base,),
                   dict(authorizer=authorizer, auth_failed_timeout=0.1, **attributes))
    server = FTPServer(("127.0.0.1", 0), handler, ioloop=IOLoop())
    stop = threading.Event()

    def loop():
        while not stop.is_set():
            server.serve_forever(timeout=0.05, blocking=False, handle_exit=False)
        server.close_all()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server.address[1]
    finally:
        stop.set()
        thread.join(5)


@pytest.fixture(scope="module")
def ftp_port(home):
    """Plain FTP."""
    yield from _serve_ftp(home, FTPHandler)


@pytest.fixture(scope="module")
def masquerading_ftp_port(home):
    """Plain FTP whose PASV replies name another address (10.255.255.1): the data connection
    must still go to the address the policy checked."""
    yield from _serve_ftp(home, FTPHandler, masquerade_address="10.255.255.1")


@pytest.fixture(scope="module")
def ftps_port(home, certs):
    """FTPS (explicit AUTH TLS) with a certificate for 127.0.0.1, TLS required on the control
    and the data connection."""
    yield from _serve_ftp(home, TLS_FTPHandler, certfile=str(certs.cert_file),
                          keyfile=str(certs.key_file), tls_control_required=True,
                          tls_data_required=True)


@pytest.fixture(scope="module")
def wrong_host_ftps_port(home, certs):
    """FTPS whose certificate names another host (wrong.example)."""
    yield from _serve_ftp(home, TLS_FTPHandler, certfile=str(certs.wrong_cert_file),
                          keyfile=str(certs.wrong_key_file))
