"""One call to Audoora's portal (docs/partners/audoora.md), as every kind of Audoora work
makes it: the outbound host checked, HTTP Basic with the service's access data, the run's
idempotency key, no redirects; no connection is transient, no answer ambiguous, and an
answer is read by the caller's `answer(response, host)` — usually `accepting(...)`, with
`refused` for what is not the expected answer: 429 and 5xx transient (honouring
Retry-After), other statuses permanent with the portal's code, message and field errors."""
import base64
from urllib.parse import urlsplit

import requests

from .. import outbound_policy
from ..ordering.adapters.https import json_object, not_sent, retry_after
from ..outbound.handlers import ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT, Outcome

TIMEOUTS = (5.0, 30.0)


def refused(response, host):
    """The Outcome of an answer that is not what was asked for. details: the portal's error
    `code` and the whole `answer` (some refusals name what exists, e.g. an order id)."""
    status = response.status_code
    data = json_object(response) or {}
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    code, text = error.get("code", ""), error.get("message", "without a readable error")
    if status == 429 or status >= 500:
        return Outcome(TRANSIENT, http_status=status,
                       retry_after=retry_after(response.headers.get("Retry-After")),
                       message=f"{host}: HTTP {status} {code}".strip())
    fields = error.get("fields") if isinstance(error.get("fields"), dict) else {}
    detail = "; ".join(f"{key}: {value}" for key, value in list(fields.items())[:10])
    message = f"HTTP {status} {code}: {text}" + (f" ({detail})" if detail else "")
    return Outcome(PERMANENT, http_status=status, message=message,
                   details={"code": code, "answer": data})


def accepting(accept):
    """An `answer` for call(): a 2xx whose JSON body satisfies `accept(body)` is ACCEPTED
    with the body as details["answer"]; anything else is refused()."""
    def answer(response, host):
        data = json_object(response) or {}
        if 200 <= response.status_code < 300 and accept(data):
            return Outcome(ACCEPTED, http_status=response.status_code,
                           details={"answer": data})
        return refused(response, host)
    return answer


def call(request, method, url, answer, **kwargs):
    """(response or None, Outcome). `request` carries base, username, password, key (the
    idempotency key) and policy."""
    host = urlsplit(request.base).hostname or request.base
    try:
        request.policy.check_url(request.base)
    except outbound_policy.Refused as refusal:
        return None, Outcome(PERMANENT, message=f"Not connected: {refusal}. Nothing was sent.")
    raw = f"{request.username}:{request.password}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(raw).decode(),
               "Idempotency-Key": request.key, "Accept": "application/json"}
    try:
        with request.policy.session() as session:
            response = session.request(method, url, headers=headers, timeout=TIMEOUTS,
                                       allow_redirects=False, **kwargs)
    except outbound_policy.Refused as refusal:
        return None, Outcome(PERMANENT, message=f"Not connected: {refusal}. Nothing was sent.")
    except requests.RequestException as error:
        if not_sent(error):
            return None, Outcome(TRANSIENT, message=f"{host}: could not connect")
        return None, Outcome(AMBIGUOUS, message=f"{host}: no answer in time"
                             if isinstance(error, requests.Timeout)
                             else f"{host}: the connection was closed")
    return response, answer(response, host)
