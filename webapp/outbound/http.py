"""One JSON-over-HTTPS call to a partner, as the outbound kinds make it (docs/partners/):
the outbound host checked by the operator's policy, no redirects, and what happened read as
an Outcome — no connection is transient (nothing left us), no answer ambiguous (it may have
arrived: look up by key), and an answer is judged by the caller's `answer(response, host)`,
usually `accepting(...)`, with `refused` for what is not the expected answer: 429 and 5xx
transient (honouring Retry-After), other statuses permanent with the partner's code, message
and field errors. The partner's error format: {"error": {"code", "message", "fields"}}.

Outcome messages are stored as the attempt's and the row's text and shown as stored (as the
engine's own are): they are worded through gettext, so a worker writes them in the
installation's default language (German) and a run started in a request in its reader's."""
import ssl
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
import urllib3
from flask_babel import gettext as _

from .. import outbound_policy
from .handlers import ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT, Outcome

TIMEOUTS = (5.0, 30.0)


def retry_after(value):
    """Seconds from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def not_sent(error):
    """Whether a requests error happened before the request left us: no connection, no name,
    no TLS handshake. Anything later may have reached the partner."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError) or not error.args:
        return False
    reason = getattr(error.args[0], "reason", error.args[0])  # MaxRetryError wraps the cause
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.ConnectTimeoutError,
                               urllib3.exceptions.SSLError))


def tls_failure(error):
    """What went wrong in the TLS handshake of a requests error, in words, or None for any
    other error: the server's certificate not trusted (or naming another host) — signed, say,
    by an internal CA that is not in OUTBOUND_CA_FILE — or the handshake failing otherwise."""
    if not isinstance(error, requests.exceptions.SSLError):
        return None
    reason = getattr(error.args[0], "reason", None) if error.args else None  # MaxRetryError's
    causes = (*getattr(reason, "args", ()), getattr(reason, "__context__", None))
    if any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes):
        return _("the server's certificate is not trusted")
    return _("the TLS connection failed")


def json_object(response):
    """The answer's JSON object, or None (no JSON, or not an object)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def refused(response, host):
    """The Outcome of an answer that is not what was asked for. details: the partner's error
    `code` and the whole `answer` (some refusals name what exists, e.g. an order id)."""
    status = response.status_code
    data = json_object(response) or {}
    error = data.get("error") if isinstance(data.get("error"), dict) else {}
    code = error.get("code", "")
    text = error.get("message") or _("without a readable error")
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
    with the body as details["answer"]; a 2xx we cannot read (another body, a proxy's HTML
    page) is AMBIGUOUS — the write may have worked, so the engine asks by key before sending
    again; anything else is refused()."""
    def answer(response, host):
        data = json_object(response) or {}
        if 200 <= response.status_code < 300:
            if accept(data):
                return Outcome(ACCEPTED, http_status=response.status_code,
                               details={"answer": data})
            return Outcome(AMBIGUOUS, http_status=response.status_code,
                           message=_("%(host)s: HTTP %(status)s with an answer that could "
                                     "not be read", host=host, status=response.status_code))
        return refused(response, host)
    return answer


def call(policy, base, method, url, headers, answer, timeouts=TIMEOUTS, **kwargs):
    """(response or None, Outcome) of one call to `url` below the partner's `base`."""
    host = urlsplit(base).hostname or base
    try:
        policy.check_url(base)
    except outbound_policy.Refused as refusal:
        return None, Outcome(PERMANENT, message=not_connected(refusal))
    try:
        with policy.session() as session:
            response = session.request(method, url, headers=headers, timeout=timeouts,
                                       allow_redirects=False, **kwargs)
    except outbound_policy.Refused as refusal:
        return None, Outcome(PERMANENT, message=not_connected(refusal))
    except requests.RequestException as error:
        if not_sent(error):
            tls = tls_failure(error)
            return None, Outcome(TRANSIENT, message=(
                _("%(host)s: could not connect (%(cause)s)", host=host, cause=tls) if tls
                else _("%(host)s: could not connect", host=host)))
        if isinstance(error, requests.Timeout):
            return None, Outcome(AMBIGUOUS, message=_("%(host)s: no answer in time",
                                                      host=host))
        return None, Outcome(AMBIGUOUS, message=_("%(host)s: the connection was closed",
                                                  host=host))
    return response, answer(response, host)


def not_connected(refusal):
    """The operator's policy refused the address (outbound_policy.Refused), in words."""
    return _("Not connected to %(where)s: %(reason)s Nothing was sent.",
             where=refusal.target, reason=outbound_policy.REASONS[refusal.reason])
