"""Every partner protocol of docs/partners/ over real HTTP: submit, replay, conflict, status,
lookup by idempotency key, auth failures and bad data."""
import pytest
import requests

from sandbox import PARTNERS
from tests.factories import control, orders, received

NAMES = sorted(PARTNERS)


@pytest.mark.parametrize("name", NAMES)
def test_submit_answers_with_an_external_number_and_replays_the_same_key(name, partner, sandbox, http):
    """A new key → 201 with a number; the same key and body → 200, same number, flagged replay."""
    client = partner(name)
    first = client.submit("key-1")
    assert first.status_code == 201, first.text
    number = client.number(first)
    assert number.startswith(PARTNERS[name]["number_prefix"] + "-") and len(number) == 10
    assert first.json()["replay"] is False
    assert first.json()["status"] == PARTNERS[name]["statuses"][0]
    assert first.headers["Location"].endswith(f"/{number}")

    again = client.submit("key-1")
    assert again.status_code == 200
    assert client.number(again) == number and again.json()["replay"] is True
    assert again.headers["Idempotency-Replayed"] == "true"

    other = client.submit("key-2")
    assert other.status_code == 201 and client.number(other) != number
    assert len(orders(http, sandbox, partner=name)) == 2
    assert len([e for e in received(http, sandbox, partner=name)
                if e["method"] == "POST" and e["path"].endswith(PARTNERS[name]["collection"])]) == 3


@pytest.mark.parametrize("name", NAMES)
def test_same_key_with_another_body_is_a_conflict(name, partner, sandbox, http):
    """Same key, different body → 409 with an error body naming the existing order."""
    client = partner(name)
    number = client.number(client.submit("key-1"))
    conflict = client.submit("key-1", client.body(reference="V-2"))
    assert conflict.status_code == 409
    error = conflict.json()["error"]
    assert error["code"] == "idempotency_conflict" and error["message"]
    assert error[PARTNERS[name]["number_field"]] == number
    assert len(orders(http, sandbox, partner=name)) == 1


@pytest.mark.parametrize("name", NAMES)
def test_status_progresses_on_queries_and_lookup_by_key_finds_the_order(name, partner):
    """received → confirmed → shipped after two queries each, in the partner's own words."""
    client = partner(name)
    number = client.number(client.submit("key-1"))
    words = PARTNERS[name]["statuses"]
    seen = [client.status(number).json()["status"] for _ in range(2)]
    seen += [client.lookup("key-1").json()["status"] for _ in range(2)]
    assert seen == [words[0], words[1], words[1], words[2]]
    found = client.lookup("key-1")
    assert found.status_code == 200 and client.number(found) == number
    assert found.json()["idempotency_key"] == "key-1"
    missing = client.lookup("no-such-key")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.status("XXX-999999").status_code == 404


def test_a_control_call_advances_an_order(partner, sandbox, http):
    """POST /_sandbox/orders/<partner>/<number>/advance sets the status without queries."""
    client = partner("dreve")
    number = client.number(client.submit("key-1"))
    assert control(http, sandbox, f"orders/dreve/{number}/advance", status="shipped")["status"] == "shipped"
    assert client.status(number).json()["status"] == "SHIPPED"


@pytest.mark.parametrize("name", NAMES)
def test_wrong_or_missing_credentials_are_401(name, partner, sandbox, http):
    """Wrong password / key / token → 401 with the common error body; nothing is stored."""
    spec = PARTNERS[name]
    client = partner(name, password="wrong", api_key="wrong")
    if spec["auth"]["kind"] in ("bearer", "session"):
        response = client.login()
        assert response.status_code == 401
        client._token = "not-a-token"
    response = client.submit("key-1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    bare = http.post(client.orders, json=client.body(), headers={"Idempotency-Key": "k"}, timeout=5)
    assert bare.status_code == 401
    assert orders(http, sandbox) == []


def test_a_token_of_one_partner_is_not_valid_at_another(partner):
    """Bearer tokens are per partner."""
    egger, otofaktur = partner("egger"), partner("otofaktur")
    otofaktur._token = egger.auth_headers()["Authorization"][7:]
    assert otofaktur.submit("key-1").status_code == 401


def test_an_unknown_customer_number_is_401(sandbox, http):
    """The right password under another customer number does not sign in."""
    from .conftest import Partner

    assert Partner("audia", sandbox, http, username="10002").submit("key-1").status_code == 401


@pytest.mark.parametrize("name", NAMES)
def test_bad_data_is_422_with_field_errors_in_the_partners_names(name, partner, http, sandbox):
    """Wrong side, missing material, vent out of range, unknown field → 422 listing each."""
    spec = PARTNERS[name]
    client = partner(name)
    body = client.body(side="middle", material=None, venting=9)
    body[spec["container"]]["sparkles"] = True
    response = client.submit("key-1", body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    box, fields = spec["container"], spec["fields"]
    assert set(error["fields"]) == {f"{box}.{fields['side']}", f"{box}.{fields['material']}",
                                    f"{box}.{fields['venting']}", f"{box}.sparkles"}
    assert orders(http, sandbox) == []


def test_missing_key_or_non_json_body_is_400(partner):
    """No Idempotency-Key, or a body that is not a JSON object → 400."""
    client = partner("hoerluchs")
    response = client.http.post(client.orders, json=client.body(), headers=client.auth_headers(),
                                timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    response = client.http.post(client.orders, data="nope", timeout=5, headers={
        "Idempotency-Key": "k", "Content-Type": "application/json", **client.auth_headers()})
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_request"


def test_received_keeps_everything_but_secrets(partner, sandbox, http):
    """The inspection endpoint lists duplicates too, and shows no password, key or token."""
    for name in NAMES:
        client = partner(name)
        client.submit("key-1")
        client.submit("key-1")
    entries = received(http, sandbox)
    text = str(entries)
    assert "sandbox-key" not in text and "'sandbox'" not in text
    assert all(not value.startswith(("Basic ", "Bearer ")) for e in entries
               for value in e["headers"].values())
    submits = [e for e in entries if e["idempotency_key"] == "key-1"]
    assert len(submits) == 2 * len(NAMES)
    assert [e["status"] for e in submits[:2]] == [201, 200]


def test_the_audia_portal_signs_in_with_a_form(sandbox, http):
    """The web portal's form login redirects to its start page; a wrong password is 401."""
    ok = http.post(f"{sandbox}/audia/portal/login", data=dict(username="10001", password="sandbox"),
                   timeout=5)
    assert ok.status_code == 200 and ok.url.endswith("/audia/portal/start")
    wrong = http.post(f"{sandbox}/audia/portal/login", data=dict(username="10001", password="x"),
                      timeout=5)
    assert wrong.status_code == 401
    assert "sandbox" not in str(received(http, sandbox, partner="audia-portal"))


def test_the_demo_chains_dreve_account_is_accepted(sandbox, http):
    """The demo chain's Dreve service (webapp/demo.py) can order from `make run`'s sandbox."""
    from .conftest import Partner

    client = Partner("dreve", sandbox, http, username="DRV-00001", password="Demo-Dreve-2026")
    assert client.submit("demo-1").status_code == 201
    assert Partner("audia", sandbox, http, username="DRV-00001",
                   password="Demo-Dreve-2026").submit("demo-1").status_code == 401


def test_accounts_can_be_configured_per_partner():
    """create_sandbox_app(accounts=...) replaces a partner's accounts."""
    from sandbox import create_sandbox_app

    app = create_sandbox_app({"accounts": {"audia": [dict(username="7", password="pw")]}})
    client = app.test_client()
    ok = client.post("/audia/portal/login", data=dict(username="7", password="pw"))
    assert ok.status_code == 303
    assert client.post("/audia/portal/login",
                       data=dict(username="10001", password="sandbox")).status_code == 401


@pytest.mark.parametrize("name", ["egger", "otofaktur", "audia-portal"])
def test_expiring_tokens_makes_the_next_request_401_until_a_new_login(name, partner, sandbox, http):
    """POST /_sandbox/tokens/expire invalidates bearer tokens and portal sessions."""
    client = partner(name)
    assert client.submit("key-1").status_code == 201
    assert control(http, sandbox, "tokens/expire")["expired"] == 1
    assert client.submit("key-1").status_code == 401
    client._token = None
    assert client.submit("key-1").status_code == 200


def test_the_portal_cart_opens_in_a_browser_after_sign_in(partner, sandbox, http):
    """continue_url: a browser without a session signs in first and lands on the cart, where
    completing the order moves the cart to "ordered"."""
    created = partner("audia-portal").submit("key-1").json()
    url = created["continue_url"]
    assert url == f"{sandbox}/audia/portal/cart/{created['cart_number']}"
    with requests.Session() as browser:
        page = browser.get(url, timeout=5)
        assert page.url.startswith(f"{sandbox}/audia/portal/login?next=")
        signed_in = browser.post(f"{sandbox}/audia/portal/login", timeout=5, data=dict(
            username="10001", password="sandbox", next=f"/audia/portal/cart/{created['cart_number']}"))
        assert signed_in.url == url and "in_cart" in signed_in.text
        done = browser.post(f"{url}/complete", timeout=5)
        assert done.url == url and "Status: ordered" in done.text
        other = browser.post(f"{sandbox}/audia/portal/login", timeout=5, data=dict(
            username="10001", password="sandbox", next="https://evil.example/"))
        assert other.url == f"{sandbox}/audia/portal/start"
