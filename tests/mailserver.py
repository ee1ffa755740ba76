"""A real SMTP server for tests that send or test mail: aiosmtpd on a free loopback port with
STARTTLS (the test CA's certificate) and AUTH once encrypted, keeping what it takes."""
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.probes.tls import make_certificates
from webapp.devrun import free_port


class Recorder:
    """aiosmtpd handler: every accepted message's envelope goes to `messages`."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def start_smtp(certificates, user, password, auth_required=False):
    """The running Controller (`.port`, `.handler.messages`; stop() it). Only `user` with
    `password` logs in; a wrong login is answered 535. `auth_required`: no mail without one."""
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (user.encode(), password.encode())
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

    controller = Controller(Recorder(), hostname="127.0.0.1", port=free_port(),
                            tls_context=certificates.server_context(), require_starttls=True,
                            authenticator=authenticate, auth_required=auth_required,
                            auth_require_tls=True)
    controller.start()
    return controller


# The chain's mail server of the tests that send alerts through it (health board, planned
# credential changes): its fixtures, imported by those test modules.
CHAIN_USER, CHAIN_PASSWORD = "kette@example.org", "richtig-geheim-7"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def smtp_server(certificates):
    """A real SMTP server on loopback: STARTTLS with the test CA's certificate, AUTH required
    (only once encrypted) before any mail is taken."""
    controller = start_smtp(certificates, CHAIN_USER, CHAIN_PASSWORD, auth_required=True)
    yield controller
    controller.stop()


@pytest.fixture
def inbox(smtp_server):
    """The mails the server took during this test."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages
