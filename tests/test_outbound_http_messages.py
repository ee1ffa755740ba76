"""What a partner call over HTTP (webapp/outbound/http.py) says went wrong is stored in the
language of whoever wrote it — the worker writes the installation's default, German — and a
German page shows it in German: a refused connection at a real closed port, a connection the
sandbox drops, a partner that does not answer in time, an address the operator's policy
refuses, an answer that cannot be read."""
import base64
import dataclasses
import socket

import pytest
import requests
from flask import Flask
from flask_babel import force_locale

from sandbox import create_sandbox_app
from tests.factories import HX, control, fresh, make_config, serving
from tests.mailserver import certificates  # noqa: F401  (fixture)
from tests.translated import de
from webapp import outbound_policy
from webapp.audoora import partners
from webapp.extensions import db
from webapp.outbound import http
from webapp.outbound.handlers import ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT
from webapp.outbound.models import PENDING, Outbound, OutboundAttempt

pytestmark = pytest.mark.redis

PORTAL = {"registration_email": "zentrale@example.org", "username": "10001",
          "password": "sandbox"}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"10001:sandbox").decode()}


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=3)


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch_partners(world, make_service, client, csrf, auth, work, base_url):
    """"Partnerliste abrufen" of an Audoora service at `base_url`, one attempt run by the
    worker; the service, its run and the action's status page (German admin)."""
    auth.login(world.admin)
    service = make_service("audoora_order", {"base_url": base_url, **PORTAL}, name="Audoora")
    url = f"/interfaces/{service.id}/actions/{partners.LOAD}"
    assert client.post(url, data={"csrf_token": csrf()}, headers=HX).status_code == 200
    assert work()
    run = db.session.scalar(db.select(Outbound).where(Outbound.kind == partners.KIND))
    return service, fresh(Outbound, run.id), client.get(f"{url}/status").get_data(as_text=True)


def _attempt_messages(run):
    return db.session.scalars(db.select(OutboundAttempt.message)
                              .where(OutboundAttempt.outbound_id == run.id)).all()


def test_a_refused_connection_reads_german_on_the_page(
        world, make_service, client, csrf, auth, work):
    """Nothing listens at the portal's port: the attempt and the run say "keine Verbindung
    möglich", and the editor's status says so inside its German sentence."""
    port = closed_port()
    _service, run, page = _fetch_partners(world, make_service, client, csrf, auth, work,
                                          f"http://127.0.0.1:{port}/audoora")
    german = de("%(host)s: could not connect", host="127.0.0.1")
    assert german == "127.0.0.1: keine Verbindung möglich"
    assert run.state == PENDING and run.last_error == german
    assert _attempt_messages(run) == [german]
    assert de("Audoora is not reachable right now (%(message)s). Trying again "
              "automatically.", message=german) in page
    assert "could not connect" not in page


def test_a_dropped_connection_reads_german_on_the_page(
        world, make_service, client, csrf, auth, work, sandbox):
    """The sandbox shuts the connection without an answer: "die Verbindung wurde ohne
    Antwort geschlossen", on the page too."""
    control(requests, sandbox, "faults", partner="audoora", drop_rate=1)
    _service, run, page = _fetch_partners(world, make_service, client, csrf, auth, work,
                                          f"{sandbox}/audoora")
    german = de("%(host)s: the connection was closed", host="127.0.0.1")
    assert german == "127.0.0.1: die Verbindung wurde ohne Antwort geschlossen"
    assert run.last_error == german and _attempt_messages(run) == [german]
    assert german in page and "the connection was closed" not in page


def test_a_call_without_an_answer_in_time_and_other_failures_in_either_language(
        app, sandbox):
    """Against the sandbox holding its answer back: no answer in time; a policy refusal
    names the address and the operator's reason; a 2xx that is not the expected answer and
    an error answer without a readable message — German by default (as a worker writes
    them), English where English is chosen."""
    base = f"{sandbox}/audoora"
    allowed = outbound_policy.from_config(app.config)

    def call(path="/api/v1/partners", policy=allowed, accept=lambda data: "partners" in data):
        return http.call(policy, base, "GET", base + path, BASIC, http.accepting(accept),
                         timeouts=(2, 0.3))[1]

    with app.app_context():
        control(requests, sandbox, "faults", partner="audoora", timeout_rate=1,
                timeout_ms=2000)
        late = call()
        assert (late.kind, late.message) == (
            AMBIGUOUS, "127.0.0.1: keine Antwort in der vorgegebenen Zeit")
        control(requests, sandbox, "faults", partner="audoora")

        refused = call(policy=outbound_policy.Policy())  # https to public addresses only
        assert refused.kind == PERMANENT
        assert refused.message == de(
            "Not connected to %(where)s: %(reason)s Nothing was sent.", where=base,
            reason=de("Use an https address. Plain http is allowed only for the hosts the "
                      "operator lists in OUTBOUND_HTTP_HOSTS."))
        assert refused.message.startswith(f"Keine Verbindung zu {base} aufgebaut: ")
        assert refused.message.endswith(" Es wurde nichts gesendet.")

        unreadable = call(accept=lambda data: False)
        assert unreadable.message == ("127.0.0.1: HTTP 200 mit einer Antwort, die nicht "
                                      "gelesen werden konnte")
        with serving(Flask("bare")) as bare:  # a web server's own HTML 404 page
            missing = http.call(allowed, bare, "GET", f"{bare}/api", {},
                                http.accepting(lambda data: True))[1]
        assert missing.kind == PERMANENT
        assert missing.message == "HTTP 404 : ohne lesbare Fehlermeldung"

        with force_locale("en"):
            assert call(policy=outbound_policy.Policy()).message.endswith(
                "OUTBOUND_HTTP_HOSTS. Nothing was sent.")
            assert call(accept=lambda data: False).message == \
                "127.0.0.1: HTTP 200 with an answer that could not be read"


def test_a_partner_of_the_operators_ca_is_called_and_without_it_the_certificate_is_named(
        app, certificates, tmp_path):  # noqa: F811
    """The Audoora portal over HTTPS with the test kit's certificate, as every kind calls a
    partner (cards, SiNNO, Audoora): trusted through the CA file, it answers; without it the
    call says in words that the certificate is not trusted; with a file that cannot be read,
    that the CA file cannot be read and nothing was sent."""
    plain = outbound_policy.from_config(app.config)
    trusting = dataclasses.replace(plain, ca_file=str(certificates.ca_file))
    unreadable = dataclasses.replace(plain, ca_file=str(tmp_path / "gone.pem"))
    with serving(create_sandbox_app(), certificates.server_context()) as url, \
            app.app_context():
        base = f"{url}/audoora"

        def call(policy):
            return http.call(policy, base, "GET", base + "/api/v1/partners", BASIC,
                             http.accepting(lambda data: "partners" in data))[1]

        assert call(trusting).kind == ACCEPTED
        untrusted = call(plain)
        assert (untrusted.kind, untrusted.message) == (
            TRANSIENT, "127.0.0.1: keine Verbindung möglich (das Zertifikat des Servers ist "
                       "nicht vertrauenswürdig)")
        gone = call(unreadable)
        assert gone.kind == PERMANENT
        assert gone.message == de(
            "Not connected to %(where)s: %(reason)s Nothing was sent.", where="127.0.0.1",
            reason=de("The operator's CA file (OUTBOUND_CA_FILE) cannot be read, so no "
                      "certificate can be checked."))
        with force_locale("en"):
            assert call(plain).message == ("127.0.0.1: could not connect (the server's "
                                           "certificate is not trusted)")
