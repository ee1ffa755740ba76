"""The HTTPS adapters against the partner sandbox over real HTTP: every partner's answers and
faults map to the outcome the job needs, and no secret reaches a message."""
import dataclasses

import pytest
import requests

from sandbox import PARTNERS
from tests.factories import control, orders, received
from webapp.ordering.adapters import get_adapter
from webapp.ordering.adapters.base import (
    ACCEPTED, AMBIGUOUS, CONFIRMED, DELIVERED, NOT_FOUND, ORDERED, PERMANENT, TRANSIENT,
)
from webapp.ordering.adapters.https import PROTOCOLS, retry_after

from .conftest import PARTNER_NAMES, position, wait_until

KEYS = sorted(PROTOCOLS)
LOGIN_KEYS = [key for key in KEYS if PROTOCOLS[key].logs_in]


def logged_in_first(adapter, make):
    """Order once so a login is remembered before a fault would hit the login too."""
    assert adapter.submit(make()).kind == ACCEPTED


@pytest.mark.parametrize("key", KEYS)
def test_submit_is_accepted_and_a_replay_gives_the_same_number(key, partner_request, sandbox):
    """201 → ACCEPTED with the sandbox's number and our status; the same key again → the same
    number; the partner got our key and reference."""
    adapter, request = get_adapter(key), partner_request(key)
    spec = PARTNERS[PARTNER_NAMES[key]]
    first = adapter.submit(request)
    assert (first.kind, first.http_status, first.status) == (ACCEPTED, 201, ORDERED)
    assert first.external_number == f"{spec['number_prefix']}-000001"
    assert first.external_status == spec["statuses"][0]
    again = adapter.submit(request)
    assert (again.kind, again.http_status) == (ACCEPTED, 200)
    assert again.external_number == first.external_number
    [stored] = orders(requests, sandbox)
    assert stored["idempotency_key"] == request.idempotency_key
    assert stored["body"][spec["reference"]] == request.reference
    assert stored["body"][spec["container"]][spec["fields"]["side"]] == spec["sides"]["left"]


@pytest.mark.parametrize("key", KEYS)
def test_lookup_and_status_follow_the_partners_words(key, partner_request, sandbox):
    """lookup by key: NOT_FOUND before, ACCEPTED after the submit; status by number moves
    ordered → confirmed → delivered as the partner's words do."""
    adapter, request = get_adapter(key), partner_request(key)
    assert adapter.lookup(request).kind == NOT_FOUND
    number = adapter.submit(request).external_number
    found = adapter.lookup(request)
    assert (found.kind, found.external_number, found.status) == (ACCEPTED, number, ORDERED)
    assert adapter.status(request, number).status == CONFIRMED  # the 2nd query advances
    control(requests, sandbox, f"orders/{PARTNER_NAMES[key]}/{number}/advance", status="shipped")
    shipped = adapter.status(request, number)
    assert shipped.status == DELIVERED
    assert shipped.external_status == PARTNERS[PARTNER_NAMES[key]]["statuses"][2]
    assert adapter.status(request, "XXX-999999").kind == NOT_FOUND


@pytest.mark.parametrize("key", KEYS)
def test_error_and_rate_limit_faults_are_transient_with_retry_after(key, partner_request, sandbox):
    """503 (error_rate) and 429 (rate_limit_rate) → TRANSIENT with Retry-After; nothing stored."""
    adapter, request = get_adapter(key), partner_request(key)
    name = PARTNER_NAMES[key]
    for fault, status in (("error_rate", 503), ("rate_limit_rate", 429)):
        control(requests, sandbox, "faults", partner=name, **{fault: 1})
        outcome = adapter.submit(request)
        assert (outcome.kind, outcome.http_status, outcome.retry_after) == (TRANSIENT, status, 1.0)
    assert orders(requests, sandbox) == []


@pytest.mark.parametrize("key", KEYS)
def test_a_held_answer_is_ambiguous_and_the_lookup_finds_the_order(key, partner_request, sandbox):
    """timeout_rate 1 with a short read timeout → AMBIGUOUS; a lookup by key then → ACCEPTED;
    the resend replays the same number."""
    adapter = get_adapter(key)
    logged_in_first(adapter, lambda: partner_request(key))
    name = PARTNER_NAMES[key]
    control(requests, sandbox, "faults", partner=name, timeout_rate=1, timeout_ms=20000)
    request = partner_request(key, read_timeout=0.5)
    outcome = adapter.submit(request)
    assert outcome.kind == AMBIGUOUS and "may have arrived" in outcome.message
    # On a loaded machine the sandbox may record the held order after we gave up.
    wait_until(lambda: any(e["outcome"] == "timeout" for e in received(requests, sandbox,
                                                                       partner=name)),
               what="the held order to be recorded")
    control(requests, sandbox, "faults", partner=name)
    found = adapter.lookup(request)
    assert found.kind == ACCEPTED
    assert adapter.submit(request).external_number == found.external_number


@pytest.mark.parametrize("key", KEYS)
def test_a_dropped_connection_is_ambiguous_and_the_lookup_finds_the_order(key, partner_request, sandbox):
    """drop_rate 1 → AMBIGUOUS (the order was recorded); a dropped lookup is only TRANSIENT."""
    adapter = get_adapter(key)
    logged_in_first(adapter, lambda: partner_request(key))
    name = PARTNER_NAMES[key]
    control(requests, sandbox, "faults", partner=name, drop_rate=1)
    request = partner_request(key)
    assert adapter.submit(request).kind == AMBIGUOUS
    assert adapter.lookup(request).kind == TRANSIENT
    control(requests, sandbox, "faults", partner=name)
    assert adapter.lookup(request).kind == ACCEPTED
    assert len(orders(requests, sandbox, partner=name)) == 2


@pytest.mark.parametrize("key", KEYS)
def test_bad_data_is_permanent_with_readable_field_messages(key, partner_request, sandbox):
    """422 → PERMANENT naming each field ours and theirs, with the partner's words."""
    spec = PARTNERS[PARTNER_NAMES[key]]
    request = partner_request(key, request_values=dict(position=position(side="middle",
                                                                         venting=9)))
    outcome = get_adapter(key).submit(request)
    assert (outcome.kind, outcome.http_status) == (PERMANENT, 422)
    box, names = spec["container"], spec["fields"]
    sides = ", ".join(spec["sides"].values())
    assert f"side ({box}.{names['side']}): required, one of: {sides}" in outcome.message
    assert f"vent ({box}.{names['venting']}): a number of millimetres from 0 to 4" in outcome.message
    assert outcome.message.startswith("HTTP 422 validation_failed: The order has invalid fields.")


@pytest.mark.parametrize("key", KEYS)
def test_the_same_key_with_another_order_is_a_permanent_conflict(key, partner_request, sandbox):
    """409 → PERMANENT, naming the order the key belongs to."""
    adapter, request = get_adapter(key), partner_request(key)
    number = adapter.submit(request).external_number
    outcome = adapter.submit(dataclasses.replace(request, reference="B-2026-000043"))
    assert (outcome.kind, outcome.http_status) == (PERMANENT, 409)
    assert "idempotency_conflict" in outcome.message and number in outcome.message


@pytest.mark.parametrize("key", KEYS)
def test_wrong_credentials_are_permanent_and_no_secret_is_in_a_message(key, partner_request, sandbox):
    """A wrong password or key → PERMANENT (401), the secret quoted nowhere."""
    wrong = {"password": "Falsch-123", "api_key": "Falsch-123"}
    outcomes = [get_adapter(key).submit(partner_request(key, secrets=wrong)),
                get_adapter(key).lookup(partner_request(key, secrets=wrong))]
    assert [(o.kind, o.http_status) for o in outcomes] == [(PERMANENT, 401)] * 2
    assert not any("Falsch-123" in o.message for o in outcomes)
    assert orders(requests, sandbox) == []


@pytest.mark.parametrize("key", LOGIN_KEYS)
def test_an_expired_token_means_one_new_login_and_the_request_again(key, partner_request, sandbox):
    """The remembered token or session expires: 401, one new login, the submit repeated."""
    adapter = get_adapter(key)
    logged_in_first(adapter, lambda: partner_request(key))
    assert control(requests, sandbox, "tokens/expire")["expired"] == 1
    assert adapter.submit(partner_request(key)).kind == ACCEPTED
    login = PARTNERS[PARTNER_NAMES[key]]["auth"]["login"]
    steps = [("login" if e["path"].endswith(login) else e["method"], e["status"])
             for e in received(requests, sandbox, partner=PARTNER_NAMES[key])]
    assert steps == [("login", 200 if key != "audia_easy_order_portal" else 303),
                     ("POST", 201), ("POST", 401),
                     ("login", 200 if key != "audia_easy_order_portal" else 303), ("POST", 201)]


@pytest.mark.parametrize("key", LOGIN_KEYS)
def test_a_login_that_gets_no_answer_is_transient(key, partner_request, sandbox):
    """Nothing of the order was sent when the login fails to answer: TRANSIENT, not AMBIGUOUS."""
    control(requests, sandbox, "faults", partner=PARTNER_NAMES[key], drop_rate=1)
    outcome = get_adapter(key).submit(partner_request(key))
    assert outcome.kind == TRANSIENT and outcome.message.startswith("Login at 127.0.0.1 failed")


def test_the_portal_hands_the_cart_page_to_the_ui(partner_request, sandbox):
    """The portal's cart: ACCEPTED as ordered with the cart number and the continue_url as
    details["portal_url"], which opens the cart in a browser once signed in."""
    request = partner_request("audia_easy_order_portal")
    outcome = get_adapter("audia_easy_order_portal").submit(request)
    assert (outcome.kind, outcome.status, outcome.external_number) == (ACCEPTED, ORDERED,
                                                                      "AWP-000001")
    link = outcome.details["portal_url"]
    assert link == f"{sandbox}/audia/portal/cart/AWP-000001"
    with requests.Session() as browser:
        page = browser.post(f"{sandbox}/audia/portal/login", timeout=5, data=dict(
            username="10001", password="sandbox", next="/audia/portal/cart/AWP-000001"))
        assert page.url == link and "Warenkorb AWP-000001" in page.text
    login = received(requests, sandbox, partner="audia-portal")[0]
    assert login["body"] == {"username": "10001", "password": "***"}


def test_no_connection_is_transient(partner_request):
    """Nothing listens on the port: TRANSIENT, whatever the call."""
    from webapp.devrun import free_port

    request = partner_request("dreve_smartorder", base_url=f"http://127.0.0.1:{free_port()}")
    adapter = get_adapter("dreve_smartorder")
    assert adapter.submit(request).kind == TRANSIENT
    assert "could not connect" in adapter.submit(request).message
    assert adapter.lookup(request).kind == TRANSIENT


@pytest.mark.parametrize("status, kind", [(502, TRANSIENT), (400, PERMANENT), (404, PERMANENT)])
def test_answers_that_are_not_json_do_not_crash(status, kind, partner_request, html_server):
    """An HTML error page (a proxy, a wrong URL) → an outcome naming the HTTP status."""
    request = partner_request("audia_easy_order", base_url=f"{html_server}/{status}")
    outcome = get_adapter("audia_easy_order").submit(request)
    assert (outcome.kind, outcome.http_status) == (kind, status)
    assert outcome.message == f"The partner answered HTTP {status} without a readable error."


def test_a_2xx_without_a_number_is_ambiguous_for_a_submit(partner_request, html_server):
    """201 with an unreadable body: the partner may have the order, so ask by key."""
    request = partner_request("hoerluchs_partner_order", base_url=f"{html_server}/201")
    assert get_adapter("hoerluchs_partner_order").submit(request).kind == AMBIGUOUS
    assert get_adapter("hoerluchs_partner_order").lookup(request).kind == PERMANENT


def test_missing_settings_are_permanent_before_anything_is_sent(partner_request, sandbox):
    """No URL, no username and no customer number, no password, no API key → PERMANENT."""
    cases = [("audia_easy_order", dict(base_url=""), None, {}, "no valid server URL"),
             ("audia_easy_order", dict(username=""), None, dict(customer_number=""),
              "no username"),
             ("egger_order_system", {}, {}, {}, "no password"),
             ("egger_erp_order", {}, {"password": "sandbox"}, {}, "no API key")]
    for key, config, secrets, values, words in cases:
        outcome = get_adapter(key).submit(partner_request(key, secrets=secrets,
                                                          request_values=values, **config))
        assert outcome.kind == PERMANENT and words in outcome.message
    assert received(requests, sandbox) == []


def test_an_empty_username_falls_back_to_the_branchs_customer_number(partner_request, sandbox):
    """The customer login is the customer number; without one the branch's is used."""
    request = partner_request("egger_erp_order", username="",
                              request_values=dict(customer_number="10001"))
    assert get_adapter("egger_erp_order").submit(request).kind == ACCEPTED
    assert orders(requests, sandbox)[0]["account"] == "10001"


def test_max_duration_covers_the_timeouts_and_a_second_login(partner_request):
    """(connect + read) once, or three times where a login can come in between, plus margin;
    the portal without timeout fields waits 5 + 30 s."""
    assert get_adapter("dreve_smartorder").max_duration(partner_request("dreve_smartorder")) == 9
    assert get_adapter("egger_order_system").max_duration(
        partner_request("egger_order_system")) == 23
    portal = partner_request("audia_easy_order_portal", connect_timeout=None, read_timeout=None)
    assert get_adapter("audia_easy_order_portal").max_duration(portal) == 35 * 3 + 2


def test_retry_after_reads_seconds_and_dates():
    """Retry-After: seconds or an HTTP date; garbage → None."""
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_credentials_that_no_header_can_carry_are_permanent(partner_request, sandbox):
    """An API key with a line break, a customer number with characters outside Latin-1 (both
    go in headers) → the request cannot be built: PERMANENT, nothing sent, nothing quoted."""
    for key, secrets, config in (
            ("hoerluchs_partner_order", {"api_key": "sandbox-key\r\nX-Evil: 1"}, {}),
            ("egger_erp_order", None, {"username": "Kunde 😀"})):
        outcome = get_adapter(key).submit(partner_request(key, secrets=secrets, **config))
        assert outcome.kind == PERMANENT, (key, outcome)
        assert "could not be built" in outcome.message and "Evil" not in outcome.message
    assert orders(requests, sandbox) == []
