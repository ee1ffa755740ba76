"""Web API connection test against a real HTTPS server (and the partner sandbox over plain
http): one test per step that can fail, each naming the step and the reason, and no secret
in any step's detail."""
import dataclasses

import pytest
from requests.auth import HTTPBasicAuth

from tests.probes.checks import checked_run, failed
from tests.probes.web.conftest import API_KEY, PASSWORD, USER
from webapp.outbound_policy import Policy
from webapp.probes import (
    AUTH, AUTH_FAILED, BAD_ANSWER, CERTIFICATE, CONNECT, INVALID, NAME_UNKNOWN, NO_CREDENTIALS,
    NOT_ALLOWED, OK, REFUSED, REQUEST, RESOLVE, SERVER_ERROR, SKIPPED, TIMEOUT, TLS,
)
from webapp.probes.web import https

SECRETS = (PASSWORD, API_KEY, "sandbox", "Demo-Dreve-2026", "sandbox-key")


@pytest.fixture
def probe(policy, certs, https_url):
    """Runs the probe on the HTTPS server with a policy trusting the test CA (as
    OUTBOUND_CA_FILE does), unless overridden; checks that no detail contains a secret and
    that the report callback saw the steps."""
    trusting = dataclasses.replace(policy, ca_file=str(certs.ca_file))

    def run(**overrides):
        values = dict(url=https_url, policy=trusting, timeout=5)
        values.update(overrides)
        return checked_run(https, SECRETS, **values)
    return run



# --- success ------------------------------------------------------------------------------

def test_get_without_login(probe):
    """A 200 without credentials: every step ok but AUTH, which is skipped."""
    result = probe()
    assert result.ok, result.steps
    assert [step.state for step in result.steps] == [OK, OK, OK, SKIPPED, OK]
    assert result.steps[2].detail.startswith("TLS")
    assert result.steps[4].detail == "HTTP 200 OK"


def test_basic_login(probe):
    """User and password as HTTP Basic: AUTH ok on the protected path."""
    result = probe(auth=(USER, PASSWORD), path="private")
    assert result.ok, result.steps
    assert result.steps[3].state == OK
    assert result.steps[3].detail == f"HTTP Basic login as {USER} accepted"


def test_api_key_header(probe):
    """An API key as a header: AUTH ok; the detail names the header, not the key."""
    result = probe(auth={"X-Api-Key": API_KEY}, path="/keyed")
    assert result.ok, result.steps
    assert result.steps[3].detail == "headers X-Api-Key accepted"


def test_requests_auth_callable(probe):
    """Any requests auth callable works too."""
    assert probe(auth=HTTPBasicAuth(USER, PASSWORD), path="private").ok


def test_plain_http_for_a_listed_host(probe, http_url):
    """http:// to a host the operator lists: TLS skipped, the rest ok."""
    result = probe(url=http_url, auth=(USER, PASSWORD), path="private")
    assert result.ok, result.steps
    assert result.steps[2].state == SKIPPED


# --- each failing step ----------------------------------------------------------------------

def test_not_a_url(probe):
    """A URL without https:// and host fails at RESOLVE as invalid."""
    assert failed(probe(url="ftp://127.0.0.1/")) == (RESOLVE, INVALID)
    assert failed(probe(url="https://127.0.0.1:99999/")) == (RESOLVE, INVALID)


def test_credentials_in_the_url(probe, https_url):
    """user:password@ in the URL is refused: credentials belong in the login fields."""
    url = https_url.replace("https://", f"https://{USER}:{PASSWORD}@")
    assert failed(probe(url=url)) == (RESOLVE, INVALID)


def test_unknown_host_name(probe):
    """A name under .invalid fails at RESOLVE as unknown."""
    assert failed(probe(url="https://api.nowhere.invalid/")) == (RESOLVE, NAME_UNKNOWN)


def test_address_the_policy_refuses(probe):
    """Loopback without the operator's permission fails at RESOLVE."""
    assert failed(probe(policy=Policy())) == (RESOLVE, NOT_ALLOWED)


def test_plain_http_to_an_unlisted_host(probe, http_url):
    """http:// to a host the operator does not list fails at RESOLVE."""
    policy = Policy.from_config({"OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8"]})
    assert failed(probe(url=http_url, policy=policy)) == (RESOLVE, NOT_ALLOWED)


def test_closed_port(probe, closed_port):
    """Nothing listening: refused at CONNECT."""
    assert failed(probe(url=f"https://127.0.0.1:{closed_port}")) == (CONNECT, REFUSED)


def test_certificate_for_another_host(probe, wrong_host_url):
    """A certificate naming another host fails at TLS."""
    result = probe(url=wrong_host_url)
    assert failed(result) == (TLS, CERTIFICATE)
    assert "127.0.0.1" in result.failed.detail


def test_certificate_of_an_unknown_ca(probe, policy):
    """Without the test CA (the system's CAs only) the certificate is not trusted."""
    assert failed(probe(policy=policy)) == (TLS, CERTIFICATE)


def test_ca_file_that_cannot_be_read(probe, policy, tmp_path):
    """An operator's CA file that cannot be read fails at TLS as settings that cannot work,
    before anything is sent."""
    missing = dataclasses.replace(policy, ca_file=str(tmp_path / "missing.pem"))
    result = probe(policy=missing)
    assert failed(result) == (TLS, INVALID)
    assert result.failed.detail == "CA file: FileNotFoundError"


def test_silent_server(probe, silent_port):
    """A server that accepts but never answers the handshake: a timeout at TLS."""
    assert failed(probe(url=f"https://127.0.0.1:{silent_port}", timeout=1)) == (TLS, TIMEOUT)


@pytest.mark.parametrize("auth", [(USER, "not-the-password"), ("someone", PASSWORD),
                                  (USER, "Pässwört-€")])
def test_wrong_basic_login(probe, auth):
    """Wrong user or password: the server's 401 at AUTH."""
    result = probe(auth=auth, path="private")
    assert failed(result) == (AUTH, AUTH_FAILED)
    assert result.failed.detail == "HTTP 401 UNAUTHORIZED"
    assert result.steps[4].state == SKIPPED


def test_wrong_api_key(probe):
    """A wrong key: the server's 403 at AUTH."""
    assert failed(probe(auth={"X-Api-Key": "wrong"}, path="keyed")) == (AUTH, AUTH_FAILED)


def test_credentials_not_set(probe):
    """An empty password or header value fails at AUTH before anything is sent."""
    assert failed(probe(auth=(USER, ""), path="private")) == (AUTH, NO_CREDENTIALS)
    assert failed(probe(auth={"X-Api-Key": ""}, path="keyed")) == (AUTH, NO_CREDENTIALS)


def test_credentials_of_an_unknown_shape(probe):
    """Credentials the probe cannot send fail at AUTH as invalid settings."""
    assert failed(probe(auth=(USER,), path="private")) == (AUTH, INVALID)
    assert failed(probe(auth="token", path="private")) == (AUTH, INVALID)


def test_login_required_but_none_configured(probe):
    """A 401 without credentials configured: REQUEST says a login is needed."""
    assert failed(probe(path="private")) == (REQUEST, NO_CREDENTIALS)


def test_server_error(probe):
    """A 500 is the server's error at REQUEST, with the status; AUTH is not claimed."""
    result = probe(path="broken", auth=(USER, PASSWORD))
    assert failed(result) == (REQUEST, SERVER_ERROR)
    assert result.failed.detail == "HTTP 500 INTERNAL SERVER ERROR"
    assert result.steps[3].state == SKIPPED
    assert result.steps[3].detail.startswith("not verified")


def test_missing_page(probe):
    """A 404 is an unexpected answer at REQUEST."""
    result = probe(path="nothing/here")
    assert failed(result) == (REQUEST, BAD_ANSWER)
    assert result.failed.detail == "HTTP 404 NOT FOUND"


def test_slow_answer(probe):
    """No answer within the timeout: TIMEOUT at REQUEST."""
    assert failed(probe(path="slow", timeout=1)) == (REQUEST, TIMEOUT)


def test_silent_plain_http_server(probe, silent_port):
    """Over plain http the silent server is noticed by the request: TIMEOUT at REQUEST."""
    assert failed(probe(url=f"http://127.0.0.1:{silent_port}", timeout=1)) == (REQUEST, TIMEOUT)


# --- the partner sandbox (plain http on loopback) -------------------------------------------

SANDBOX_ORDER = "smartorder/api/v2/orders/by-key/connection-test"


def test_sandbox_basic_login(probe, sandbox):
    """Dreve's sandbox account over HTTP Basic gets past the login: the sandbox has no
    harmless authenticated endpoint that answers 200, so the unknown order's 404 is what the
    request reports, and AUTH cannot be called verified."""
    result = probe(url=f"{sandbox}/dreve", auth=("10001", "sandbox"), path=SANDBOX_ORDER)
    assert failed(result) == (REQUEST, BAD_ANSWER)
    assert result.failed.detail == "HTTP 404 NOT FOUND"
    assert result.steps[3].state == SKIPPED


def test_sandbox_wrong_password(probe, sandbox):
    """A wrong password for Dreve's sandbox account: AUTH_FAILED at AUTH."""
    result = probe(url=f"{sandbox}/dreve", auth=("10001", "wrong"), path=SANDBOX_ORDER)
    assert failed(result) == (AUTH, AUTH_FAILED)
    assert result.failed.detail == "HTTP 401 UNAUTHORIZED"


def test_sandbox_wrong_api_key(probe, sandbox):
    """Hörluchs' API key and partner id headers, with a wrong key: AUTH_FAILED at AUTH."""
    result = probe(url=f"{sandbox}/hoerluchs", path="partner/api/orders/by-key/connection-test",
                   auth={"X-Api-Key": "wrong", "X-Partner-Id": "10001"})
    assert failed(result) == (AUTH, AUTH_FAILED)
