"""The sandbox over real HTTP (sandbox_server in tests/conftest.py), emptied before every
test; clients talk to it with `requests`."""
import base64

import pytest
import requests

from sandbox import PARTNERS

ACCOUNT = dict(username="10001", password="sandbox", api_key="sandbox-key")


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture
def sandbox(sandbox_server, http):
    """The sandbox's URL, reset before and after the test (which also wakes held requests)."""
    http.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()
    yield sandbox_server
    http.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()


class Partner:
    """A minimal client of one partner protocol, as docs/partners/ describes it."""

    def __init__(self, name, url, http, **account):
        self.name, self.spec, self.http = name, PARTNERS[name], http
        self.account = dict(ACCOUNT, **account)
        self.base = url + self.spec["prefix"]
        self.orders = f"{self.base}/{self.spec['collection']}"
        self._token = None

    def auth_headers(self):
        auth, a = self.spec["auth"], self.account
        if auth["kind"] == "basic":
            raw = f"{a['username']}:{a['password']}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        if auth["kind"] == "api_key":
            return {auth["header"]: a["api_key"], auth["account_header"]: a["username"]}
        if self._token is None:
            response = self.login()
            response.raise_for_status()
            self._token = (response.cookies[auth["cookie"]] if auth["kind"] == "session"
                           else response.json()[auth["token_field"]])
        if auth["kind"] == "session":
            return {"Cookie": f"{auth['cookie']}={self._token}"}
        return {"Authorization": f"Bearer {self._token}"}

    def login(self):
        auth = self.spec["auth"]
        if auth["kind"] == "session":
            # A form post, as a browser sends it; the session cookie comes with the 303.
            return self.http.post(self.base + auth["login"], timeout=5, allow_redirects=False,
                                  data=dict(username=self.account["username"],
                                            password=self.account["password"]))
        return self.http.post(self.base + auth["login"], timeout=5, json={
            auth["user_field"]: self.account["username"],
            auth["password_field"]: self.account["password"]})

    def body(self, reference="V-1", **values):
        """An order body in this partner's field names, from canonical values."""
        canonical = dict(side="left", style="Vollschale", material="Silikon 40 Shore",
                         venting=1.0, colour="transparent", notes="Bitte eilig",
                         impression_ref="ABD-4711")
        canonical.update(values)
        names = self.spec["fields"]
        mould = {names[k]: (self.spec["sides"].get(v, v) if k == "side" else v)
                 for k, v in canonical.items() if v is not None}
        return {self.spec["reference"]: reference, self.spec["container"]: mould}

    def submit(self, key, body=None, headers=None, timeout=5):
        return self.http.post(self.orders, json=body or self.body(), timeout=timeout,
                              headers={"Idempotency-Key": key, **self.auth_headers(),
                                       **(headers or {})})

    def status(self, number, timeout=5):
        return self.http.get(f"{self.orders}/{number}", headers=self.auth_headers(),
                             timeout=timeout)

    def lookup(self, key, timeout=5):
        return self.http.get(f"{self.orders}/by-key/{key}", headers=self.auth_headers(),
                             timeout=timeout)

    def number(self, response):
        return response.json()[self.spec["number_field"]]


@pytest.fixture
def partner(sandbox, http):
    def make(name, **account):
        return Partner(name, sandbox, http, **account)
    return make
