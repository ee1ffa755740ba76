"""Audoora's portal in the sandbox over real HTTP, as docs/partners/audoora.md describes it:
registration idempotent by key, refresh, lookup by key, partner list, the labs' faults, and a
record of what arrived with the credentials masked."""
import json
import re

import pytest

from tests.factories import control, received
from webapp.devrun import ROOT

AUTH = ("10001", "sandbox")
BODY = {
    "contact_email": "zentrale@example.org",
    "branches": [{"ref": "1", "name": "Filiale Mitte", "street": "Hauptstr. 1",
                  "postal_code": "10115", "city": "Berlin"}],
    "users": [{"ref": "7", "name": "Anna Admin", "email": "anna@example.org", "admin": True,
               "branches": ["1"]}],
    "customer_numbers": [{"company": "Dreve Otoplastik GmbH", "branch": "1", "number": "D-1"}],
}


def _url(sandbox, path=""):
    return f"{sandbox}/audoora/api/v1/registration{path}"


def _register(http, sandbox, key="key-1", body=BODY, method="post", auth=AUTH):
    return http.request(method, _url(sandbox), json=body, auth=auth, timeout=5,
                        headers={"Idempotency-Key": key})


def test_registration_is_idempotent_by_key_and_lists_the_branches_back(sandbox, http):
    """201 with the portal's ids of our branches; the same key and body again is a replay,
    another body under it a conflict, a new key for a registered account is refused."""
    first = _register(http, sandbox)
    assert first.status_code == 201
    answer = first.json()
    assert answer["registration_id"] == "AUDR-000001" and answer["revision"] == 1
    assert answer["branches"] == [{"ref": "1", "name": "Filiale Mitte", "portal_id": "AUDF-0001"}]
    again = _register(http, sandbox)
    assert again.status_code == 200 and again.headers["Idempotency-Replayed"] == "true"
    assert again.json()["registration_id"] == "AUDR-000001" and again.json()["replay"] is True
    other = dict(BODY, contact_email="andere@example.org")
    assert _register(http, sandbox, body=other).json()["error"]["code"] == "idempotency_conflict"
    refused = _register(http, sandbox, key="key-2")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "already_registered"
    regs = http.get(f"{sandbox}/_sandbox/audoora/registrations", timeout=5).json()
    assert [(r["revision"], r["body"]) for r in regs["registrations"]] == [(1, BODY)]


def test_refresh_replaces_the_data_and_lookup_by_key_finds_each_answer(sandbox, http):
    """PUT before registering → 404 not_registered; after it → revision 2 with the new
    branch; GET by-key answers what each key did, 404 for a key never seen."""
    assert _register(http, sandbox, method="put").json()["error"]["code"] == "not_registered"
    _register(http, sandbox)
    body = dict(BODY, branches=[*BODY["branches"], {"ref": "2", "name": "Filiale Süd"}])
    refreshed = _register(http, sandbox, key="key-2", body=body, method="put")
    assert refreshed.status_code == 200 and refreshed.json()["revision"] == 2
    assert [b["portal_id"] for b in refreshed.json()["branches"]] == ["AUDF-0001", "AUDF-0002"]
    found = http.get(_url(sandbox, "/by-key/key-1"), auth=AUTH, timeout=5)
    assert found.json()["revision"] == 1 and found.json()["status"] == "registered"
    assert http.get(_url(sandbox, "/by-key/nope"), auth=AUTH, timeout=5).status_code == 404
    assert http.get(_url(sandbox), auth=AUTH, timeout=5).json()["revision"] == 2


@pytest.mark.parametrize("change, field", [
    ({"users": [{"ref": "7", "name": "A", "admin": False, "password": "x"}]},
     "users[0].password"),
    ({"users": [{"ref": "7", "name": "A", "admin": False, "phone": ""}]}, "users[0].phone"),
    ({"customer_numbers": [{"company": "X", "branch": "9", "number": "1"}]},
     "customer_numbers[0].branch"),
    ({"customers": []}, "customers"),
])
def test_unknown_and_empty_fields_are_refused(sandbox, http, change, field):
    """Anything beyond the documented fields, and empty values, are 422 with the field named;
    nothing is registered."""
    response = _register(http, sandbox, body=dict(BODY, **change))
    assert response.status_code == 422 and field in response.json()["error"]["fields"]
    assert http.get(_url(sandbox), auth=AUTH, timeout=5).status_code == 404


def test_credentials_faults_and_the_record(sandbox, http):
    """Wrong password → 401; the 'audoora' fault switch answers 503 with Retry-After before
    anything is registered; the record masks the Authorization header."""
    assert _register(http, sandbox, auth=("10001", "wrong")).status_code == 401
    control(http, sandbox, "faults", partner="audoora", error_rate=1)
    busy = _register(http, sandbox)
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
    assert http.get(_url(sandbox), auth=AUTH, timeout=5).status_code == 503
    control(http, sandbox, "faults", partner="audoora")
    assert _register(http, sandbox).status_code == 201
    entries = received(http, sandbox, partner="audoora")
    assert [e["status"] for e in entries] == [401, 503, 503, 201]
    assert {e["headers"]["Authorization"] for e in entries} == {"***"}
    assert entries[-1]["body"] == BODY and entries[-1]["idempotency_key"] == "key-1"


def test_partner_list(sandbox, http):
    """GET /partners lists the companies the portal forwards to, with Basic auth."""
    partners = http.get(f"{sandbox}/audoora/api/v1/partners", auth=AUTH, timeout=5).json()
    assert {"id": "dreve", "name": "Dreve Otoplastik GmbH"} in partners["partners"]


def test_the_documented_registration_example_is_accepted(sandbox, http):
    """The register example of docs/partners/audoora.md, sent as written, registers."""
    text = (ROOT / "docs" / "partners" / "audoora.md").read_text()
    block = re.search(r"```http\nPOST /api/v1/registration\n.*?\n\n(\{.*?\n\})\n```", text, re.S)
    response = _register(http, sandbox, body=json.loads(block.group(1)))
    assert response.status_code == 201, response.text
