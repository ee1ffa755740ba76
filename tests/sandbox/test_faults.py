"""Faults as a `requests` client sees them: a seeded share of 503s, added latency, timeouts
after the order was recorded, dropped connections; never an order recorded twice."""
import time

import pytest
import requests

from tests.factories import control, orders, received


def test_error_rate_gives_a_seeded_share_of_503_with_retry_after(partner, sandbox, http):
    """error_rate 0.3 with a seed → about 30 % 503s (same count for the same seed), each with
    Retry-After; the others are stored once per key."""
    client = partner("dreve")

    def run():
        control(http, sandbox, "reset")
        control(http, sandbox, "faults", partner="dreve", error_rate=0.3, seed=7)
        return [client.submit(f"key-{i}") for i in range(100)]

    answers = run()
    failed = [r for r in answers if r.status_code == 503]
    assert 15 <= len(failed) <= 45
    assert all(r.headers["Retry-After"] == "1" and r.json()["error"]["code"] == "unavailable"
               for r in failed)
    assert {r.status_code for r in answers} == {201, 503}
    assert len(orders(http, sandbox)) == 100 - len(failed)
    assert [r.status_code for r in run()] == [r.status_code for r in answers]


def test_faults_for_one_partner_leave_the_others_alone(partner, sandbox, http):
    """A partner's own fault setting wins over "*"; other partners keep the "*" one."""
    control(http, sandbox, "faults", partner="*", error_rate=1)
    control(http, sandbox, "faults", partner="audia", error_rate=0)
    assert partner("audia").submit("k").status_code == 201
    assert partner("hoerluchs").submit("k").status_code == 503


def test_latency_is_added(partner, sandbox, http):
    """latency_ms 300 → every answer takes at least that long."""
    client = partner("hoerluchs")
    control(http, sandbox, "faults", partner="hoerluchs", latency_ms=300)
    started = time.monotonic()
    assert client.submit("key-1").status_code == 201
    assert time.monotonic() - started >= 0.3


def test_timeout_after_record_is_resolved_by_a_lookup(partner, sandbox, http):
    """The client times out, yet the order was recorded: a lookup by the key finds it, and a
    resend with the key is a replay of the same number."""
    client = partner("egger")
    client.auth_headers()  # log in before the fault applies to the login too
    control(http, sandbox, "faults", partner="egger", timeout_rate=1, timeout_ms=5000)
    with pytest.raises(requests.Timeout):
        client.submit("key-1", timeout=0.3)
    # The client gave up; wait (bounded) until the sandbox has recorded the held-back order,
    # which on a loaded machine may come after the client's timeout.
    deadline = time.monotonic() + 5
    while not any(e["outcome"] == "timeout" for e in received(http, sandbox, partner="egger")):
        assert time.monotonic() < deadline, "the sandbox never recorded the timed-out order"
        time.sleep(0.05)
    control(http, sandbox, "faults", partner="egger")
    found = client.lookup("key-1")
    assert found.status_code == 200
    again = client.submit("key-1")
    assert again.status_code == 200 and again.json()["replay"] is True
    assert client.number(again) == client.number(found)
    assert len(orders(http, sandbox)) == 1
    assert [e["outcome"] for e in received(http, sandbox, partner="egger")
            if e["method"] == "POST" and e["idempotency_key"]] == ["timeout", "answered"]


def test_dropped_connection_is_a_connection_error_and_the_order_is_recorded_once(partner, sandbox, http):
    """drop_rate 1 → requests raises ConnectionError; resends with the key store nothing new."""
    client = partner("otofaktur")
    client.auth_headers()
    control(http, sandbox, "faults", partner="otofaktur", drop_rate=1)
    for _ in range(3):
        with pytest.raises(requests.ConnectionError):
            client.submit("key-1")
    control(http, sandbox, "faults", partner="otofaktur")
    again = client.submit("key-1")
    assert again.status_code == 200 and again.json()["replay"] is True
    assert len(orders(http, sandbox)) == 1
    outcomes = [e["outcome"] for e in received(http, sandbox, partner="otofaktur")
                if e["idempotency_key"]]
    assert outcomes == ["dropped"] * 3 + ["answered"]


def test_mixed_faults_never_record_an_order_twice(partner, sandbox, http):
    """Errors, drops and short timeouts with retries on the same keys: one order per key."""
    client = partner("egger-erp")
    control(http, sandbox, "faults", partner="egger-erp", error_rate=0.3, drop_rate=0.3,
            timeout_rate=0.2, timeout_ms=1500, seed=3)
    numbers = {}
    for i in range(10):
        for _attempt in range(30):
            try:
                # Margin over normal answers on a loaded machine; held answers still time out.
                response = client.submit(f"key-{i}", timeout=0.5)
            except (requests.ConnectionError, requests.Timeout):
                continue
            if response.status_code in (200, 201):
                numbers.setdefault(f"key-{i}", set()).add(client.number(response))
                break
    stored = orders(http, sandbox)
    assert len(stored) == len({o["idempotency_key"] for o in stored}) == 10
    assert len(numbers) == 10
    assert all(len(found) == 1 for found in numbers.values())


def test_fault_settings_are_validated(sandbox, http):
    """Rates outside 0..1, unknown partners and unknown fields → 422."""
    response = http.post(f"{sandbox}/_sandbox/faults", timeout=5,
                         json=dict(partner="acme", error_rate=2, latency="x", colour=1))
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"partner"}
    response = http.post(f"{sandbox}/_sandbox/faults", timeout=5,
                         json=dict(partner="*", error_rate=2, latency_ms="x", colour=1))
    assert set(response.json()["error"]["fields"]) == {"error_rate", "latency_ms", "colour"}


def test_reset_forgets_orders_received_and_faults(partner, sandbox, http):
    """After reset: no orders, nothing received, no faults, numbering starts again."""
    client = partner("audia")
    client.submit("key-1")
    control(http, sandbox, "faults", partner="*", error_rate=1)
    control(http, sandbox, "reset")
    assert orders(http, sandbox) == [] and received(http, sandbox) == []
    assert http.get(f"{sandbox}/_sandbox/faults", timeout=5).json() == {}
    assert client.number(client.submit("key-1")) == "AUD-000001"


def test_rate_limit_rate_answers_429_with_retry_after_before_recording(partner, sandbox, http):
    """rate_limit_rate 1 → 429 rate_limited with Retry-After, nothing stored; the error_rate
    sequence of a seed is the same with or without rate limiting."""
    client = partner("audia")
    control(http, sandbox, "faults", partner="audia", rate_limit_rate=1)
    response = client.submit("key-1")
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "rate_limited"
    assert orders(http, sandbox) == []
    assert [e["status"] for e in received(http, sandbox, partner="audia")] == [429]

    def errors(**extra):
        control(http, sandbox, "reset")
        control(http, sandbox, "faults", partner="audia", error_rate=0.5, seed=5, **extra)
        return [client.submit(f"key-{i}").status_code == 503 for i in range(20)]

    assert errors() == errors(rate_limit_rate=0.5)


def test_bearer_login_answers_429_under_rate_limiting(partner, sandbox, http):
    """The login is rate limited like every partner request."""
    control(http, sandbox, "faults", partner="egger", rate_limit_rate=1)
    assert partner("egger").login().status_code == 429
