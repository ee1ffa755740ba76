"""The operator's policy for what the server may reach and run (webapp/outbound_policy.py,
webapp/programs.py): URLs and hosts when saved, addresses when connecting (a real listening
socket on loopback), the certificates its sessions trust (real HTTPS servers of throwaway
CAs), and malformed settings stopping the start."""
import socket

import pytest
import requests
from werkzeug.wrappers import Response

from tests.factories import LOOPBACK, make_config, serving
from tests.probes.tls import make_certificates
from webapp import create_app, programs
from webapp.outbound_policy import (
    ADDRESS, CA_FILE, INVALID, RESOLVED, SCHEME, Policy, Refused,
)

SANDBOX = Policy.from_config({"OUTBOUND_HTTP_HOSTS": ["127.0.0.1"],
                              "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.1/32"]})


@pytest.mark.parametrize("url, reason", [
    ("http://partner.example.org/api", SCHEME),
    ("ftp://partner.example.org", SCHEME),
    ("ldap://ldap.example.org", SCHEME),
    ("ldaps://10.0.0.5", ADDRESS),
    ("http://127.0.0.2:5010", SCHEME),
    ("https://127.0.0.2", ADDRESS),
    ("https://10.1.2.3/api", ADDRESS),
    ("https://192.168.0.10", ADDRESS),
    ("https://169.254.169.254/latest/meta-data", ADDRESS),
    ("https://[::1]:8443", ADDRESS),
    ("https://[::ffff:10.0.0.1]", ADDRESS),
    ("https://0.0.0.0", ADDRESS),
    ("https://partner.example.org:99999", INVALID),
    ("https://under_score!.example", INVALID),
])
def test_refused_urls(url, reason):
    """https only (http for the listed hosts), no internal address outside the allowed
    networks, nothing malformed."""
    with pytest.raises(Refused) as refused:
        SANDBOX.check_url(url)
    assert refused.value.reason == reason


@pytest.mark.parametrize("url", ["https://partner.example.org/api", "http://127.0.0.1:5010/dreve",
                                 "ldaps://ldap.example.org", "ldap://127.0.0.1:3389",
                                 "https://127.0.0.1:8443", "https://8.8.8.8"])
def test_allowed_urls(url):
    """Public https (ldaps for a directory), and exactly what the operator allowed."""
    SANDBOX.check_url(url)


def test_connect_goes_only_to_checked_addresses():
    """A name resolving to loopback is refused when connecting unless loopback is allowed;
    then the socket reaches the real listener."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with pytest.raises(Refused) as refused:
            Policy().connect("localhost", port, timeout=2)
        assert refused.value.reason == RESOLVED
        with pytest.raises(Refused) as refused:
            Policy().connect("127.0.0.1", port, timeout=2)
        assert refused.value.reason == ADDRESS
        allowed = Policy.from_config({"OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"]})
        with allowed.connect("localhost", port, timeout=2) as sock:
            assert sock.getpeername()[:2] in (("127.0.0.1", port), ("::1", port))


@pytest.mark.parametrize("settings, problem", [
    ({"OUTBOUND_ALLOWED_NETWORKS": ["10.0.0.0/33"]}, "OUTBOUND_ALLOWED_NETWORKS"),
    ({"OUTBOUND_HTTP_HOSTS": "127.0.0.1"}, "lists"),
    ({"ALLOWED_PROGRAMS": [{"path": "bin/lab", "label": "Labor"}]}, "absolute path"),
    ({"ALLOWED_PROGRAMS": "/usr/bin/lab"}, "ALLOWED_PROGRAMS is a list"),
    ({"OUTBOUND_CA_FILE": "/nonexistent/internal-ca.pem"}, "OUTBOUND_CA_FILE"),
])
def test_malformed_settings_stop_the_start(tmp_path, settings, problem):
    """A typo in the settings is named at start, not discovered when an order fails."""
    with pytest.raises(ValueError, match=problem):
        create_app(make_config(tmp_path, **settings))


def test_allowed_programs_are_read_with_labels():
    """Path and label; the label defaults to the file name."""
    config = {"ALLOWED_PROGRAMS": [{"path": "/opt/labor/bestellen", "label": "Laborsoftware"},
                                   {"path": "/usr/local/bin/ocr"}]}
    assert [(p.path, p.label) for p in programs.allowed(config)] == [
        ("/opt/labor/bestellen", "Laborsoftware"), ("/usr/local/bin/ocr", "ocr")]
    assert programs.allowed({"ALLOWED_PROGRAMS": []}) == ()


def _ok(environ, start_response):
    return Response("ok")(environ, start_response)


def test_sessions_trust_the_operators_ca_besides_the_systems(tmp_path, monkeypatch):
    """With OUTBOUND_CA_FILE a session reaches a partner whose certificate the internal CA
    signed and still one of a CA in the system's trust store (SSL_CERT_FILE stands in for
    it here); without the file the partner's certificate is not trusted."""
    system, internal = make_certificates(tmp_path / "system"), make_certificates(tmp_path / "ca")
    monkeypatch.setenv("SSL_CERT_FILE", str(system.ca_file))
    trusting = Policy.from_config({**LOOPBACK, "OUTBOUND_CA_FILE": str(internal.ca_file)})
    assert trusting.ca_file == str(internal.ca_file)
    with serving(_ok, internal.server_context()) as partner, \
            serving(_ok, system.server_context()) as public:
        with trusting.session() as session:
            assert session.get(partner, timeout=5).text == "ok"
            assert session.get(public, timeout=5).text == "ok"
        with Policy.from_config(LOOPBACK).session() as session:
            with pytest.raises(requests.exceptions.SSLError, match="CERTIFICATE_VERIFY_FAILED"):
                session.get(partner, timeout=5)


def test_a_ca_file_that_cannot_be_read_refuses_https_and_names_the_setting(tmp_path):
    """A CA file gone after the start: an https request is refused before anything is sent,
    naming the host and the setting; plain http (where the operator allows it) needs none."""
    certificates = make_certificates(tmp_path)
    broken = Policy.from_config({**LOOPBACK, "OUTBOUND_CA_FILE": str(tmp_path / "gone.pem")})
    with serving(_ok, certificates.server_context()) as partner, serving(_ok) as plain:
        with broken.session() as session:
            with pytest.raises(Refused) as refused:
                session.get(partner, timeout=5)
            assert (refused.value.reason, refused.value.target) == (CA_FILE, "127.0.0.1")
            assert "OUTBOUND_CA_FILE" in str(refused.value)
            assert session.get(plain, timeout=5).text == "ok"
