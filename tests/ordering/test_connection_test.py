""""Verbindung testen" of the HTTPS ordering partners against the partner sandbox over real
HTTP: each kind of login (Basic, API key, bearer token, portal session) passes with the right
credentials and fails at Anmeldung with wrong ones; a partner that answers 503 fails at the
request; nothing is ordered. One test goes through the service editor's action and a worker."""
import pytest

from tests.factories import connection_test_run, ear_mould_raw, make_config
from webapp.interfaces import actions
from webapp.ordering import connection_test
from webapp.outbound import engine
from webapp.outbound.models import DONE
from webapp.outbound_policy import Policy
from webapp.probes import AUTH, AUTH_FAILED, FAILED, NO_CREDENTIALS, REQUEST, SERVER_ERROR

POLICY = Policy.from_config({"OUTBOUND_HTTP_HOSTS": ["127.0.0.1"],
                             "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8"]})
RIGHT = {"username": "10001", "password": "sandbox", "api_key": "sandbox-key"}


def run(interface_key, base_url, **credentials):
    values = {"base_url": base_url, "portal_url": base_url, "connect_timeout": 2,
              "read_timeout": 2, **credentials}
    tester = connection_test.testers()[interface_key]
    request = tester(values.get, values.get, POLICY)
    return request.probe(**request.arguments)


def failed_at(result):
    step = result.failed
    return (step.step, step.reason) if step is not None else None


@pytest.mark.parametrize("interface_key, prefix", [
    ("dreve_smartorder", "dreve"),                 # HTTP Basic
    ("hoerluchs_partner_order", "hoerluchs"),      # API key and account header
    ("egger_order_system", "egger"),               # bearer token from a JSON login
    ("audia_easy_order_portal", "audia/portal"),   # the portal's form login and cookie
])
def test_each_login_passes_with_the_right_and_fails_with_wrong_credentials(
        sandbox, control, interface_key, prefix):
    result = run(interface_key, f"{sandbox}/{prefix}", **RIGHT)
    assert result.ok, result.steps
    assert [s.state for s in result.steps] == ["ok", "ok", "skipped", "ok", "ok"]  # http: no TLS
    wrong = run(interface_key, f"{sandbox}/{prefix}", username="10001", password="falsch",
                api_key="falscher-schluessel")
    assert failed_at(wrong) == (AUTH, AUTH_FAILED)
    assert not any("falsch" in s.detail or "sandbox" in s.detail.replace(sandbox, "")
                   for s in result.steps + wrong.steps)
    assert control.orders() == []  # a test orders nothing


def test_missing_credentials_are_named_at_authentication(sandbox):
    result = run("egger_order_system", f"{sandbox}/egger", username="", password="")
    assert failed_at(result) == (AUTH, NO_CREDENTIALS)


def test_a_partner_answering_503_fails_at_the_request(sandbox, control):
    control.faults("dreve", error_rate=1.0)
    result = run("dreve_smartorder", f"{sandbox}/dreve", **RIGHT)
    assert failed_at(result) == (REQUEST, SERVER_ERROR)
    assert "503" in result.failed.detail


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.mark.redis
def test_the_editor_action_tests_a_partner_service_through_the_worker(
        world, make_service, auth, client, csrf, sandbox, work):
    """The Dreve service of the world, tested from its editor with the values in the form:
    the run ends Bestanden with every step shown."""
    service = make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve"), name="Dreve ST",
        branch_id=world.st.id)
    auth.login(world.admin)
    row = connection_test_run(client, csrf, work, service)
    assert row.state == DONE and actions.passed(row)
    assert engine.reconcile() == 0
    assert all(step["state"] != FAILED for step in row.progress["steps"])
