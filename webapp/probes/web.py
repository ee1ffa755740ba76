"""Connection test of a web API (a partner's base URL), step by step: RESOLVE → CONNECT (TCP)
→ TLS (handshake with verification; skipped for http://, which the policy allows only for the
hosts the operator lists) → AUTH → REQUEST (one harmless GET).

Both the TLS step and the GET trust what the policy's sessions trust, as every send does: the
system's CAs plus the operator's CA file (Policy.ca_file, OUTBOUND_CA_FILE).

The GET is sent once, through the policy's guarded session, and answers both AUTH and
REQUEST: AUTH is "ok" only when the credentials were demonstrably accepted (an answer below
400), "failed" on 401/403, and skipped as "not verified" when the answer says nothing about
them (no answer, a 404, a 5xx), which REQUEST then reports.
"""
import socket
import ssl
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from ..outbound_policy import MESSAGES, Refused
from . import (
    AUTH, AUTH_FAILED, BAD_ANSWER, CONNECT, INVALID, NO_CREDENTIALS, NOT_ALLOWED, REQUEST,
    RESOLVE, SERVER_ERROR, TIMEOUT, TLS, UNREACHABLE, Probe, StepFailed, classify,
    refused_request, tls_context, tls_detail,
)

DEFAULT_PORTS = dict(https=443, http=80)
REJECTED = (401, 403)


def https(url, policy, timeout=10, report=None, auth=None, path="", expect=()):
    """Test a web API: a Result with the five steps. `path` is appended to the URL's path
    for the GET. `auth`: None (AUTH skipped), a (username, password) pair for HTTP Basic, a
    dict of headers (an API key and the headers naming the account, e.g. {"X-Api-Key": key,
    "X-Partner-Id": "10001"}), or any requests auth callable (takes and returns the
    PreparedRequest, e.g. for a bearer token; one that logs in first raises
    StepFailed(AUTH_FAILED, …) when the login is refused, which fails AUTH). `expect`:
    statuses that are the right answer to this GET although ≥ 400, e.g. 404 for a lookup of
    a key that cannot exist: they pass AUTH and REQUEST."""
    def body(probe):
        with probe.step(RESOLVE) as step:
            parts, port = _parse(url)
            step.detail = _resolve(policy, url, parts.hostname, port)
        with probe.step(CONNECT) as step:
            sock = policy.connect(parts.hostname, port, timeout)
            step.detail = "{} port {}".format(*sock.getpeername()[:2])
        with sock:
            if parts.scheme == "https":
                with probe.step(TLS) as step:
                    step.detail = _handshake(sock, parts.hostname, policy.ca_file)
            else:
                probe.skip(TLS, "plain http, allowed for this host by the operator")
        try:
            sender, credentials = _auth(auth)
        except StepFailed as problem:
            with probe.step(AUTH):
                raise problem from None
        target = parts._replace(path=parts.path.rstrip("/") + "/" + path.lstrip("/")).geturl() \
            if path else url
        response, error = _get(policy, target, timeout, sender)
        status = response.status_code if response is not None else None
        if isinstance(error, StepFailed) and error.reason in (AUTH_FAILED, NO_CREDENTIALS):
            with probe.step(AUTH):  # the login before the GET was refused
                raise error
        if auth is None:
            probe.skip(AUTH, "no credentials configured")
        elif status in REJECTED:
            with probe.step(AUTH):
                raise StepFailed(AUTH_FAILED, _status(response))
        elif status is not None and (status < 400 or status in expect):
            with probe.step(AUTH) as step:
                step.detail = f"{credentials} accepted"
        else:
            probe.skip(AUTH, "not verified: " + (_status(response) if status else "no answer"))
        with probe.step(REQUEST) as step:
            if error is not None:
                raise error
            step.detail = (f"{_status(response)}, the expected answer" if status in expect
                           else _judge(response))
    return Probe(report).run(body)


def _parse(url):
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        raise StepFailed(INVALID, "the URL's port is not valid") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise StepFailed(INVALID, "not an https:// (or http://) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise StepFailed(INVALID, "credentials belong in the login fields, not in the URL")
    return parts, port or DEFAULT_PORTS[parts.scheme]


def _resolve(policy, url, host, port):
    """The checked addresses of host, for the step's detail; the URL stays out of the detail
    (its query could hold a key)."""
    try:
        policy.check_url(url)
        found = policy.resolve(host, port)
    except Refused as error:
        raise StepFailed(NOT_ALLOWED, MESSAGES[error.reason].format(target=host)) from None
    return ", ".join(dict.fromkeys(sockaddr[0] for *_kind, sockaddr in found))


def _handshake(sock, host, ca_file):
    with tls_context(ca_file).wrap_socket(sock, server_hostname=host) as tls:
        return tls_detail(tls)


class _Headers(AuthBase):
    """Sets fixed headers (an API key and its account header) on each request."""

    def __init__(self, headers):
        self.headers = dict(headers)

    def __call__(self, request):
        request.headers.update(self.headers)
        return request


def _auth(auth):
    """(requests auth, how the credentials are described in a detail: never a secret)."""
    if auth is None:
        return None, ""
    if isinstance(auth, (tuple, list)):
        if len(auth) != 2:
            raise StepFailed(INVALID, "HTTP Basic takes a username and a password")
        username, password = auth
        if not username or not password:
            raise StepFailed(NO_CREDENTIALS, "username or password not set")
        # As UTF-8 (RFC 7617's charset): requests would encode a str as Latin-1 and fail on €.
        return (HTTPBasicAuth(str(username).encode(), str(password).encode()),
                f"HTTP Basic login as {username}")
    if isinstance(auth, dict):
        if not auth or not all(auth.values()):
            raise StepFailed(NO_CREDENTIALS, "a header value is not set")
        return _Headers(auth), "headers " + ", ".join(auth)
    if callable(auth):
        return auth, "credentials"
    raise StepFailed(INVALID, f"unknown kind of credentials: {type(auth).__name__}")


def _get(policy, url, timeout, auth):
    """(response, None) or (None, the exception REQUEST reports)."""
    try:
        with policy.session() as session:
            # stream: only the status and headers are read, never a large body.
            response = session.get(url, timeout=(timeout, timeout), auth=auth, stream=True)
            response.close()
            return response, None
    except Refused as error:  # a redirect the operator does not allow, or the CA file gone
        return None, refused_request(error, "the redirect's target")
    except requests.Timeout:
        return None, StepFailed(TIMEOUT, f"no answer within {timeout} s")
    except requests.RequestException as error:
        return None, StepFailed(*_network(error))
    except StepFailed as error:  # an auth callable's login was refused
        return None, error
    except Exception as error:  # noqa: BLE001 - REQUEST reports it (e.g. a header that cannot be sent)
        return None, error


def _network(error):
    """(reason, detail) of a requests error, from the socket or TLS error beneath it; its
    own text is not used, since it repeats the URL."""
    seen, todo = set(), [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (ssl.SSLError, socket.gaierror, ConnectionRefusedError,
                                TimeoutError)):
            return classify(current)
        todo += [value for value in (getattr(current, "reason", None), current.__cause__,
                                     current.__context__, *current.args)
                 if isinstance(value, BaseException)]
    if isinstance(error, requests.ConnectionError):
        return UNREACHABLE, "the connection failed"
    return BAD_ANSWER, type(error).__name__


def _status(response):
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def _judge(response):
    status = response.status_code
    if status in REJECTED:  # only reached without credentials
        raise StepFailed(NO_CREDENTIALS, f"{_status(response)}: the server asks for a login")
    if status >= 500:
        raise StepFailed(SERVER_ERROR, _status(response))
    if status >= 400:
        raise StepFailed(BAD_ANSWER, _status(response))
    return _status(response)
