"""One call to Audoora's portal (docs/partners/audoora.md), as every kind of Audoora work
makes it: outbound.http's call with HTTP Basic (the service's access data) and the run's
idempotency key."""
import base64

# TIMEOUTS, accepting and refused are Audoora's too: its handlers name them through here.
from ..outbound.http import TIMEOUTS, accepting, call as http_call, refused  # noqa: F401


def call(request, method, url, answer, **kwargs):
    """(response or None, Outcome). `request` carries base, username, password, key (the
    idempotency key) and policy."""
    raw = f"{request.username}:{request.password}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(raw).decode(),
               "Idempotency-Key": request.key, "Accept": "application/json"}
    return http_call(request.policy, request.base, method, url, headers, answer, **kwargs)
