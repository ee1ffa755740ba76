"""What every probe test needs: the test CA's certificates, and sockets that refuse or stay
silent (the servers themselves are in each protocol's conftest)."""
import socket

import pytest

from tests.probes.tls import make_certificates


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def closed_port():
    """A port nothing listens on: a bound socket without listen() refuses connections, and
    keeping it bound means no other test can take the port meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port():
    """A listening socket that never accepts: connections succeed, nothing is ever said."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]
