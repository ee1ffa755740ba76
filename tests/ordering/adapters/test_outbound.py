"""What the operator allows, checked by the adapters when they connect or run: the partner
sandbox over real HTTP, a real SMTP server and real scripts, each reached (or not) under the
policy the job passes in the request."""
import requests

from sandbox import PARTNERS
from tests.factories import received
from webapp import demo, programs
from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import ACCEPTED, PERMANENT
from webapp.outbound_policy import Policy

from .conftest import order_request, smtp_config

DREVE = get_adapter("dreve_smartorder")
STANDARD = get_adapter("ear_mould_standard_order")
COMMAND = get_adapter("ear_mould_command")
# http to the name "localhost" allowed, but no internal network: what a stranger's
# DNS name pointing at 127.0.0.1 amounts to.
NAMES_ONLY = Policy(http_hosts=frozenset({"localhost"}))


def dreve_request(base_url, outbound):
    return order_request("dreve_smartorder", {"base_url": base_url, "username": "10001",
                                              "connect_timeout": 2, "read_timeout": 5},
                         outbound=outbound)


def test_a_name_resolving_to_loopback_is_refused_at_connect_time(sandbox):
    """http://localhost:<port> passes the scheme check, but the name resolves to loopback,
    which the operator has not allowed: PERMANENT, and the sandbox got nothing. With loopback
    allowed the same request goes through (the connection goes to the checked address)."""
    url = sandbox.replace("127.0.0.1", "localhost") + PARTNERS["dreve"]["prefix"]
    outcome = DREVE.submit(dreve_request(url, NAMES_ONLY))
    assert outcome.kind == PERMANENT
    assert outcome.message.startswith("Not connected to localhost: The name resolves to a "
                                      "loopback")
    assert received(requests, sandbox) == []

    allowed = Policy.from_config({"OUTBOUND_HTTP_HOSTS": ["localhost"],
                                  "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"]})
    assert DREVE.submit(dreve_request(url, allowed)).kind == ACCEPTED
    assert len(received(requests, sandbox, method="POST")) == 1


def test_an_order_to_127_0_0_1_is_refused_unless_the_operator_allows_it(sandbox):
    """The service points at 127.0.0.1 over http: with the default policy (https to public
    addresses only) nothing is sent; https to 127.0.0.1 is refused for the address."""
    url = sandbox + PARTNERS["dreve"]["prefix"]
    outcome = DREVE.submit(dreve_request(url, Policy()))
    assert outcome.kind == PERMANENT
    assert outcome.message.startswith(f"Not connected to {url}: Use an https address.")
    tls = DREVE.submit(dreve_request(url.replace("http://", "https://"), Policy()))
    assert tls.kind == PERMANENT and tls.message.startswith(
        "Not connected to 127.0.0.1: Loopback, link-local and private addresses are refused")
    assert received(requests, sandbox) == []


def test_a_mail_server_on_loopback_is_refused_unless_allowed(smtp_server):
    """The chain's SMTP service names 127.0.0.1 or a name resolving to it: no connection and
    no mail without the operator's permission."""
    for host in ("127.0.0.1", "localhost"):
        request = order_request(
            "ear_mould_standard_order", {"delivery": "email", "subject": "Otoplastik"},
            secrets={}, smtp_config=smtp_config(smtp_server.port, host=host),
            smtp_secret={}.get, outbound=Policy())
        outcome = STANDARD.submit(request)
        assert outcome.kind == PERMANENT and "Nothing was sent" in outcome.message, host
    assert smtp_server.handler.messages == []


def test_the_worker_refuses_a_program_not_on_the_operators_list(tmp_path):
    """A program that is not (or no longer) allowed is never started: PERMANENT with a clear
    message, and the script's marker file does not appear."""
    marker, program = tmp_path / "ran", tmp_path / "order.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\necho '{{\"ok\": true}}'\n")
    program.chmod(0o755)
    request = order_request(
        "ear_mould_command", {"program": str(program), "arguments": "{auftragsdatei}",
                              "timeout": 10, "output_format": "json"},
        secrets={}, allowed_programs=("/usr/bin/true",))
    outcome = COMMAND.submit(request)
    assert outcome.kind == PERMANENT
    assert "not (or no longer) on the operator's list of allowed programs" in outcome.message
    assert not marker.exists()


def test_the_demos_ordering_program_runs_with_the_demos_settings(tmp_path):
    """`make run` allows sandbox/order_command.py (demo.SETTINGS): it runs directly, without
    an interpreter in front, and places the order."""
    request = order_request(
        "ear_mould_command",
        {"program": str(demo.ORDER_PROGRAM), "timeout": 30, "output_format": "json",
         "arguments": f"--auftrag {{auftragsdatei}} --schluessel {{idempotenzschluessel}} "
                      f"--ablage {tmp_path}"},
        secrets={}, allowed_programs=programs.allowed_paths(demo.SETTINGS))
    outcome = COMMAND.submit(request)
    assert outcome.kind == ACCEPTED and outcome.external_number.startswith("OFM-")
    assert len(list(tmp_path.iterdir())) == 1
