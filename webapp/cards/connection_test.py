""""Verbindung testen" of the card service (docs/partners/cards.md): with a contract and key,
the lookup of a batch key that cannot exist, whose right answer is 404 — the address, the
encryption, the contract and key and the provider's API all work, and nothing is ordered;
before the contract exists (it comes after "Informationen anfordern"), the lookup of a
contact request key, which needs no contract."""
import uuid

from ..interfaces.actions import TestRequest
from ..probes import web

TIMEOUTS = (5.0, 15.0)


def tester(value, secret, policy):
    base = (value("base_url") or "").strip().rstrip("/")
    contract, key = (value("contract_number") or "").strip(), secret("contract_key") or ""
    probe = f"connection-test-{uuid.uuid4().hex}"
    if contract and key:
        url, auth = (f"{base}/api/v1/batches/by-key/{probe}",
                     {"X-Card-Contract": contract, "X-Card-Key": key})
    else:
        url, auth = f"{base}/api/v1/info-requests/by-key/{probe}", None
    return TestRequest(web.https, dict(url=url, policy=policy, timeout=max(TIMEOUTS),
                                       auth=auth, expect=(404,)),
                       timeout=TIMEOUTS[0] + 2 * TIMEOUTS[1])
