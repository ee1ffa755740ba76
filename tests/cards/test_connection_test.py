""""Verbindung testen" of the card service against the sandbox provider over real HTTP: with
the right contract and key it passes, a wrong key fails at Anmeldung; before the contract
exists it still shows the provider is reachable; nothing is ordered."""
import requests

from webapp.cards import connection_test
from webapp.outbound_policy import Policy
from webapp.probes import AUTH, AUTH_FAILED

POLICY = Policy.from_config({"OUTBOUND_HTTP_HOSTS": ["127.0.0.1"],
                             "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8"]})


def run(sandbox, **values):
    values = {"base_url": f"{sandbox}/cards", **values}
    request = connection_test.tester(values.get, values.get, POLICY)
    return request.probe(**request.arguments)


def test_the_right_contract_passes_and_a_wrong_key_fails_at_the_login(sandbox):
    assert run(sandbox, contract_number="10001", contract_key="sandbox-key").ok
    wrong = run(sandbox, contract_number="10001", contract_key="falsch")
    assert (wrong.failed.step, wrong.failed.reason) == (AUTH, AUTH_FAILED)
    assert requests.get(f"{sandbox}/_sandbox/cards", timeout=5).json()["batches"] == []


def test_before_the_contract_the_provider_is_still_reached(sandbox):
    assert run(sandbox, contract_number="", contract_key="").ok
