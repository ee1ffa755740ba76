""""Verbindung testen" for the HTTPS ordering partners of docs/partners/: the same login an
order would use (HTTP Basic, an API key with the account header, a bearer token from the JSON
login, the portal's session cookie), then one harmless request of the partner's protocol —
the lookup of an idempotency key that cannot exist, whose right answer is 404 "no such
order". A test that passes has shown that the address, the encryption, the credentials and
the partner's API all work; nothing is ordered. Every request goes through the policy's
sessions, as the orders' do, so the test trusts exactly the CAs an order trusts.

Registered per interface type with interfaces.actions.register_tester by the app factory.
"""
import uuid

import requests
from requests.auth import AuthBase

from ..interfaces.actions import TestRequest
from ..probes import AUTH_FAILED, NO_CREDENTIALS, SERVER_ERROR, TIMEOUT, StepFailed, web
from .adapters.https import PROTOCOLS, timeouts


class _Login(AuthBase):
    """Logs in when the GET is prepared (bearer token or session cookie) and sends what the
    login gave. A refused login fails the AUTH step."""

    def __init__(self, protocol, policy, base, username, password, timeout):
        self.protocol, self.policy, self.base = protocol, policy, base
        self.username, self.password, self.timeout = username, password, timeout

    def __call__(self, prepared):
        p = self.protocol
        if p.auth == "session":
            send = dict(data={"username": self.username, "password": self.password})
        else:
            send = dict(json={p.user_field: self.username, p.password_field: self.password})
        try:
            with self.policy.session() as session:
                response = session.post(self.base + p.login_path, timeout=self.timeout,
                                        allow_redirects=False, **send)
        except requests.Timeout:
            raise StepFailed(TIMEOUT, "the login got no answer in time") from None
        status = response.status_code
        if status in (401, 403):
            raise StepFailed(AUTH_FAILED, f"the login was refused (HTTP {status})")
        if status >= 500:
            raise StepFailed(SERVER_ERROR, f"the login answered HTTP {status}")
        if p.auth == "session":
            token = response.cookies.get(p.token_field) if status < 400 else None
            header = ("Cookie", f"{p.token_field}={token}")
        else:
            try:
                token = response.json().get(p.token_field) if status == 200 else None
            except ValueError:
                token = None
            header = ("Authorization", f"Bearer {token}")
        if not token:
            raise StepFailed(AUTH_FAILED, f"the login gave no token (HTTP {status})")
        prepared.headers[header[0]] = header[1]
        return prepared


def tester_for(protocol):
    """A tester (interfaces.actions.register_tester) of one partner protocol."""
    def tester(value, secret, policy):
        base = (value(protocol.url_field) or "").strip().rstrip("/")
        connect, read = timeouts(protocol, {key: value(key) for key in
                                            ("connect_timeout", "read_timeout")})
        username = (value("username") or "").strip()
        if protocol.auth == "basic":
            auth = (username, secret("password") or "")
        elif protocol.auth == "api_key":
            auth = {protocol.key_header: secret("api_key") or "",
                    protocol.account_header: username}
        elif not username or not secret("password"):
            auth = _Missing()
        else:
            auth = _Login(protocol, policy, base, username, secret("password"), (connect, read))
        url = f"{base}{protocol.collection}/by-key/connection-test-{uuid.uuid4().hex}"
        return TestRequest(web.https, dict(url=url, policy=policy, timeout=max(connect, read),
                                           auth=auth, expect=(404,)),
                           timeout=connect + 2 * read)
    return tester


class _Missing(AuthBase):
    def __call__(self, prepared):
        raise StepFailed(NO_CREDENTIALS, "the customer login or the password is not set")


def testers():
    """{interface key: tester} for every HTTPS partner."""
    return {key: tester_for(protocol) for key, protocol in PROTOCOLS.items()}
