"""SiNNO's app API in the sandbox over real HTTP, as docs/partners/sinno.md describes it:
the login idempotent by key and refused for an unknown Firmen-Nr., the token ending with the
logout, the chat in sequence with sends replayed by key, customers unique by mobile number,
a customer writing through the control API, the faults and a masked record."""
from tests.factories import control, received

API = "/sinno/v1"
CLIENT = {"X-Client-Id": "winpro", "X-Company-Number": "4711"}
CONTACTS = {"contacts": [{"branch": "1", "name": "Mitte", "email": "mitte@example.org"}]}


def _login(http, sandbox, key="login-1", headers=CLIENT, body=CONTACTS):
    return http.post(f"{sandbox}{API}/auth/login", json=body, timeout=5,
                     headers={**headers, "Idempotency-Key": key})


def _bearer(token, key=None):
    return {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}


def test_login_is_idempotent_by_key_and_refuses_an_unknown_company(sandbox, http):
    """201 with a token; the same key again gives the same token (a replay), another body
    under it is a conflict, the lookup by key answers it; wrong Firmen-Nr. or ClientID: 401."""
    first = _login(http, sandbox)
    assert first.status_code == 201
    token = first.json()["access_token"]
    again = _login(http, sandbox)
    assert again.status_code == 200 and again.json()["access_token"] == token
    assert again.headers["Idempotency-Replayed"] == "true"
    other = _login(http, sandbox, body={"contacts": [{"branch": "2", "name": "Süd",
                                                      "email": "sued@example.org"}]})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    found = http.get(f"{sandbox}{API}/auth/login/by-key/login-1", headers=CLIENT, timeout=5)
    assert found.json()["access_token"] == token and found.json()["replay"] is True
    assert http.get(f"{sandbox}{API}/auth/login/by-key/nope", headers=CLIENT,
                    timeout=5).status_code == 404
    wrong = _login(http, sandbox, key="login-2", headers={**CLIENT, "X-Company-Number": "1"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "unknown_company")
    client = _login(http, sandbox, key="login-3", headers={**CLIENT, "X-Client-Id": "x"})
    assert client.json()["error"]["code"] == "unknown_client"
    missing = _login(http, sandbox, key="login-4", body={"contacts": [
        {"branch": "1", "name": "Mitte", "email": ""}]})
    assert missing.status_code == 422 and "contacts[0].email" in missing.json()["error"]["fields"]


def test_the_token_works_until_the_logout_which_is_safe_to_repeat(sandbox, http):
    token = _login(http, sandbox).json()["access_token"]
    account = http.get(f"{sandbox}{API}/account", headers=_bearer(token), timeout=5)
    assert account.json()["company"] == {"number": "4711", "name": "Sandbox-Hörakustik"}
    out = http.post(f"{sandbox}{API}/auth/logout", headers=_bearer(token, "out-1"), timeout=5)
    assert out.status_code == 200 and out.json()["status"] == "logged_out"
    again = http.post(f"{sandbox}{API}/auth/logout", headers=_bearer(token, "out-2"), timeout=5)
    assert again.status_code == 200 and again.json()["logged_out_at"] == out.json()["logged_out_at"]
    ended = http.get(f"{sandbox}{API}/account", headers=_bearer(token), timeout=5)
    assert (ended.status_code, ended.json()["error"]["code"]) == (401, "session_ended")
    entries = received(http, sandbox, partner="sinno")
    assert {e["headers"].get("Authorization") for e in entries} <= {None, "***"}


def test_customers_chat_and_the_control_api(sandbox, http):
    """A customer activated (the code "sent"), a second one with the same mobile number
    refused; the customer writes, the shop answers once per key, fetched in sequence."""
    token = _login(http, sandbox).json()["access_token"]
    customer = {"customer_ref": "42", "first_name": "Erika", "last_name": "Muster",
                "mobile": "+49 170 5550001", "email": "erika@example.org"}
    made = http.post(f"{sandbox}{API}/customers", json=customer,
                     headers=_bearer(token, "c-1"), timeout=5)
    assert made.status_code == 201
    assert made.json()["activation_code_sent_to"] == {"sms": "+491705550001",
                                                     "email": "erika@example.org"}
    twin = http.post(f"{sandbox}{API}/customers", headers=_bearer(token, "c-2"), timeout=5,
                     json={**customer, "customer_ref": "43", "mobile": "0049 170 5550001",
                           "email": "twin@example.org"})
    assert (twin.status_code, twin.json()["error"]["code"]) == (409, "mobile_in_use")
    written = control(http, sandbox, "sinno/messages", mobile="+491705550001", text="Hallo")
    assert written["direction"] == "customer" and written["seq"] == 1
    body = {"customer_ref": "42", "text": "Guten Tag", "client_ref": "7"}
    sent = http.post(f"{sandbox}{API}/chat/messages", json=body,
                     headers=_bearer(token, "m-1"), timeout=5)
    replay = http.post(f"{sandbox}{API}/chat/messages", json=body,
                       headers=_bearer(token, "m-1"), timeout=5)
    assert sent.status_code == 201 and replay.json()["message_id"] == sent.json()["message_id"]
    page = http.get(f"{sandbox}{API}/chat/messages?after=0&limit=1", headers=_bearer(token),
                    timeout=5).json()
    assert [m["text"] for m in page["messages"]] == ["Hallo"] and page["more"] is True
    rest = http.get(f"{sandbox}{API}/chat/messages?after={page['last_seq']}",
                    headers=_bearer(token), timeout=5).json()
    assert [(m["text"], m["client_ref"]) for m in rest["messages"]] == [("Guten Tag", "7")]
    gone = http.delete(f"{sandbox}{API}/customers/42", headers=_bearer(token, "d-1"), timeout=5)
    assert gone.json()["status"] == "deactivated"
    assert http.get(f"{sandbox}{API}/customers/by-key/d-1", headers=_bearer(token),
                    timeout=5).json()["status"] == "deactivated"
    refused = http.post(f"{sandbox}/_sandbox/sinno/messages", timeout=5,
                        json={"mobile": "+491705550001", "text": "Noch da?"})
    assert refused.status_code == 404


def test_the_fault_switches_apply_to_sinno(sandbox, http):
    control(http, sandbox, "faults", partner="sinno", error_rate=1)
    down = _login(http, sandbox)
    assert down.status_code == 503 and down.headers["Retry-After"]
    control(http, sandbox, "faults", partner="sinno")
    assert _login(http, sandbox).status_code == 201
