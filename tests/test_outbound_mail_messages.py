"""What sending a mail (webapp/outbound/mail.py) says went wrong is stored in the language of
whoever wrote it — the worker writes the installation's default, German — and a German page
shows it in German: a login the real SMTP server refuses, a real closed port, a server that
never answers or holds its answer to DATA, one without STARTTLS or AUTH, an address the
operator's policy refuses; English where English is chosen."""
import asyncio
import socket
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from markupsafe import escape

from tests.factories import HX, SMTP_RAW, fresh, make_config
from tests.mailserver import (  # noqa: F401  (fixtures)
    CHAIN_USER, Recorder, certificates, smtp_server,
)
from tests.translated import de
from webapp import outbound_policy
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.interfaces import actions
from webapp.outbound import mail
from webapp.outbound.handlers import ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT
from webapp.outbound.models import FAILED, PENDING, Outbound, OutboundAttempt

pytestmark = pytest.mark.redis

SENDER, RECIPIENT = "filiale@example.org", "anna@example.org"


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_CA_FILE=str(certificates.ca_file),
                       OUTBOUND_RETRY_BASE_SECONDS=0.05, OUTBOUND_RETRY_CAP_SECONDS=0.2,
                       OUTBOUND_LEASE_MARGIN_SECONDS=1, OUTBOUND_MAX_ATTEMPTS=3)


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Slow(Recorder):
    """Takes the message, and answers DATA only after `delay` seconds."""

    delay = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def plain_server():
    """A real SMTP server on loopback without TLS, so it offers neither STARTTLS nor AUTH
    (aiosmtpd offers AUTH only once encrypted)."""
    controller = Controller(Slow(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def silent_port():
    """A loopback port that takes connections (the kernel's backlog) and never says a word."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _test_email(world, make_service, client, csrf, auth, work, port, **values):
    """"Test-E-Mail senden" of an SMTP service at 127.0.0.1:`port` with its stored password,
    one attempt run by the worker: the run and its status as the German admin sees it."""
    world.admin.email = RECIPIENT
    db.session.commit()
    auth.login(world.admin)
    raw = {**SMTP_RAW, "host": "127.0.0.1", "port": str(port), "username": CHAIN_USER,
           **values}
    service = make_service("smtp", raw, name="Postausgang")
    url = f"/interfaces/{service.id}/actions/{actions.SEND_TEST_EMAIL}"
    form = {**raw, "password": "", "name": service.name, "version": service.version,
            "csrf_token": csrf()}
    assert client.post(url, data=form, headers=HX).status_code == 200
    assert work()
    run = db.session.scalar(db.select(Outbound).where(Outbound.subject_id == service.id))
    return fresh(Outbound, run.id), client.get(f"{url}/status").get_data(as_text=True)


def _attempt_messages(run):
    return db.session.scalars(db.select(OutboundAttempt.message)
                              .where(OutboundAttempt.outbound_id == run.id)).all()


def test_a_refused_login_reads_german_on_the_page(
        world, make_service, client, csrf, auth, work, smtp_server):
    """The real server answers the stored wrong password with 535: "Nicht gesendet: Der
    Mailserver 127.0.0.1 hat die Anmeldung abgelehnt: 535 …", in the run and the attempt."""
    run, page = _test_email(world, make_service, client, csrf, auth, work, smtp_server.port,
                            password="falsch-geheim-3")
    assert run.state == FAILED
    assert run.last_error.startswith("Der Mailserver 127.0.0.1 hat die Anmeldung abgelehnt: 535 ")
    assert run.last_error == de("The mail server %(host)s refused the login: %(code)s %(reply)s",
                                host="127.0.0.1", code=535,
                                reply=run.last_error.split(": 535 ", 1)[1])
    assert _attempt_messages(run) == [run.last_error]
    assert str(escape(de("Not sent: %(message)s", message=run.last_error))) in page
    assert "refused the login" not in page and "falsch-geheim-3" not in page


def test_a_closed_port_reads_german_in_the_run(world, make_service, client, csrf, auth, work):
    """Nothing listens at the mail server's port: the attempt and the run (waiting for its
    retry) say "keine Verbindung möglich"."""
    run, _page = _test_email(world, make_service, client, csrf, auth, work, closed_port(),
                             encryption="none", username="")
    german = de("The mail server %(host)s: %(cause)s.", host="127.0.0.1",
                cause=de("could not connect (%(error)s)", error="ConnectionRefusedError"))
    assert german == "Der Mailserver 127.0.0.1: keine Verbindung möglich (ConnectionRefusedError)."
    assert run.state == PENDING and run.last_error == german
    assert _attempt_messages(run) == [german]


def test_silence_missing_extensions_and_refused_addresses_in_either_language(
        app, plain_server, silent_port):
    """Against a real server without TLS and a port that never answers: no answer in time
    (before and after DATA), STARTTLS and AUTH not offered, an address the policy refuses,
    and what was sent — German by default (as a worker writes them), English where English
    is chosen."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = "Test", SENDER, RECIPIENT
    message.set_content("Hallo")
    allowed = outbound_policy.from_config(app.config)

    def send(port=plain_server.port, policy=allowed, **values):
        smtp = {"host": "127.0.0.1", "port": port, "encryption": "none", "timeout": 1,
                **values}
        return mail.send(smtp, "geheim", SENDER, [RECIPIENT], message, policy)

    with app.app_context():
        silent = send(port=silent_port)
        assert (silent.kind, silent.message) == (
            TRANSIENT, "Der Mailserver 127.0.0.1: keine Antwort in der vorgegebenen Zeit.")

        plain_server.handler.delay = 3
        try:
            late = send()
        finally:
            plain_server.handler.delay = 0
        assert (late.kind, late.message) == (AMBIGUOUS, de(
            "The mail server %(host)s: %(cause)s after the message was sent; it may have been "
            "delivered.", host="127.0.0.1", cause="keine Antwort in der vorgegebenen Zeit"))
        assert late.message.endswith("sie wurde möglicherweise zugestellt.")

        no_tls = send(encryption="starttls")
        assert (no_tls.kind, no_tls.message) == (PERMANENT, de(
            "The mail server %(host)s does not offer STARTTLS. Choose an Encryption it "
            "offers.", host="127.0.0.1"))
        assert no_tls.message.startswith("Der Mailserver 127.0.0.1 bietet kein STARTTLS an.")
        no_auth = send(username=CHAIN_USER)
        assert no_auth.kind == PERMANENT
        assert no_auth.message.startswith("Der Mailserver 127.0.0.1 bietet keine Anmeldung "
                                          "(SMTP AUTH) an.")

        refused = send(policy=outbound_policy.Policy())  # public addresses only
        assert refused.kind == PERMANENT
        assert refused.message == de(
            "Not connected to %(where)s: %(reason)s Nothing was sent.", where="127.0.0.1",
            reason=de("Loopback, link-local and private addresses are refused unless the "
                      "operator allows them in OUTBOUND_ALLOWED_NETWORKS."))

        sent = send()
        assert (sent.kind, sent.message) == (ACCEPTED, f"Gesendet an {RECIPIENT}.")

        with force_locale("en"):
            assert send(port=silent_port).message == \
                "The mail server 127.0.0.1: no answer in time."
            assert send(encryption="starttls").message.startswith(
                "The mail server 127.0.0.1 does not offer STARTTLS.")
            assert send(policy=outbound_policy.Policy()).message.endswith(
                "OUTBOUND_ALLOWED_NETWORKS. Nothing was sent.")
