"""Plain helpers the tests share: configuration, logging in, servers, data factories.

Fixtures live in conftest.py files and build on these; test modules import from here (never
from a conftest.py or another test module)."""
import contextlib
import os
import threading

from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

PASSWORD = "Geheim-123"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def make_config(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEYS": "test-encryption-key",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


# --- logging in ---------------------------------------------------------------------------

class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username="admin", password=PASSWORD):
        return self.client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": self.csrf_token()})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf_token()})

    def csrf_token(self):
        """A valid token for this client's session, as a page would embed it."""
        response = self.client.get("/login")
        assert response.status_code in (200, 302)
        with self.client.session_transaction() as sess:
            token = sess.get("csrf_token")
        if token is None:
            return ""
        app = self.client.application
        serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token")
        return serializer.dumps(token)


# --- servers ------------------------------------------------------------------------------

@contextlib.contextmanager
def serving(app):
    """A WSGI app on werkzeug's threaded server on a free loopback port: yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05),
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
