"""A real HTTPS server for the web probe (werkzeug's, with the test CA's certificate for
127.0.0.1, in a thread), the same app over plain http, the loopback Policy, and sockets that
refuse or stay silent."""
import contextlib
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.factories import LOOPBACK, serving
from webapp.outbound_policy import Policy

USER, PASSWORD = "filiale", "Pw-of-the-Probe-4711"
API_KEY = "Key-of-the-Probe-0815"
# Ends the slow route's wait when the module's server stops.
RELEASE = threading.Event()


@Request.application
def api(request):
    """/ 200; /private HTTP Basic; /keyed an X-Api-Key header; /broken 500; /slow answers
    after a while; anything else 404."""
    if request.path == "/":
        return Response("ok")
    if request.path == "/private":
        login = request.authorization
        if login and login.type == "basic" and (login.username, login.password) == (USER,
                                                                                      PASSWORD):
            return Response("hello")
        return Response("login first", 401, {"WWW-Authenticate": 'Basic realm="probe"'})
    if request.path == "/keyed":
        if request.headers.get("X-Api-Key") == API_KEY:
            return Response("hello")
        return Response("wrong key", 403)
    if request.path == "/broken":
        return Response("it broke", 500)
    if request.path == "/slow":
        RELEASE.wait(10)
        return Response("late")
    return Response("no such page", 404)


@pytest.fixture
def policy():
    return Policy.from_config(LOOPBACK)


@contextlib.contextmanager
def _serve_tls(context):
    server = make_server("127.0.0.1", 0, api, threaded=True, ssl_context=context)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05),
                              daemon=True)
    thread.start()
    try:
        yield server.port
    finally:
        RELEASE.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
        RELEASE.clear()


@pytest.fixture(scope="module")
def https_url(certs):
    """The API over HTTPS with a certificate for 127.0.0.1 and localhost."""
    with _serve_tls(certs.server_context()) as port:
        yield f"https://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def wrong_host_url(certs):
    """The API over HTTPS with a certificate for wrong.example."""
    with _serve_tls(certs.server_context(wrong_host=True)) as port:
        yield f"https://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def http_url():
    """The API over plain http (allowed by the policy for 127.0.0.1)."""
    with serving(api) as url:
        yield url


