"""Behind a reverse proxy: a real gunicorn with TRUSTED_PROXIES believes the proxy's
X-Forwarded-* headers, so login locks hit the client, not everybody; and the operator lifts a
lock from the command line."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from flask import request
from werkzeug.wrappers import Request

from tests.factories import PASSWORD, AuthActions, log_entries, make_config
from tests.translated import de_html
from webapp.config import ROOT
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.users.models import LoginSession

HOME, ATTACKER, PROXY_CLIENT = "192.0.2.10", "198.51.100.66", "10.0.0.5"
LOCKED = de_html("Too many failed attempts. Login is locked for a while; please try again later "
                 "or ask an administrator.")


@pytest.fixture
def app_config(tmp_path, request):
    """The usual configuration, with a test's own settings (parametrised indirectly)."""
    return make_config(tmp_path, **getattr(request, "param", {}))


@pytest.fixture
def gunicorn(app, tmp_path):
    """The app under gunicorn on a free port, on the test's database, with one trusted proxy."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               SECRET_KEY="proxy-test-secret", ENCRYPTION_KEYS="proxy-test-encryption",
               SCHNITTSTELLEN_INSTANCE_PATH=str(tmp_path / "instance"),
               SCHNITTSTELLEN_TRUSTED_PROXIES="1",
               SCHNITTSTELLEN_SESSION_COOKIE_SECURE="false")
    env.pop("SCHNITTSTELLEN_PROXY_FIX_X_FOR", None)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
             "app:app"], cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/health", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


def behind_proxy(url, client):
    """A browser whose requests reach gunicorn through a proxy that appends `client`."""
    session = requests.Session()
    session.headers.update({"X-Forwarded-For": client, "X-Forwarded-Proto": "https",
                            "X-Forwarded-Host": "schnittstellen.example",
                            # Flask-WTF checks the referrer of https requests, as a browser sends it.
                            "Referer": "https://schnittstellen.example/login"})
    page = session.get(url + "/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(username, password):
        return session.post(url + "/login", allow_redirects=False, data={
            "username": username, "password": password, "csrf_token": token})
    return login


def test_locks_hit_the_forwarded_client_through_gunicorn(app, gunicorn, make_user):
    """Five wrong passwords from one client behind the proxy lock the username for that
    client only: the owner behind the same proxy logs in, and the session names the owner's
    address, not the proxy's."""
    user_id = make_user("berta")
    attacker = behind_proxy(gunicorn, ATTACKER)
    for _ in range(5):
        assert attacker("berta", "Falsch-123").status_code == 422
    assert LOCKED in attacker("berta", PASSWORD).content
    owner = behind_proxy(gunicorn, HOME)
    assert owner("berta", PASSWORD).status_code == 303
    with app.app_context():
        assert db.session.scalars(db.select(LoginSession.address)
                                  .where(LoginSession.user_id == user_id)).all() == [HOME]


def test_forwarded_headers_are_ignored_without_trusted_proxies(app):
    """Without TRUSTED_PROXIES a client cannot claim another address, host or scheme."""
    with app.test_request_context("/", headers={"X-Forwarded-For": HOME,
                                                "X-Forwarded-Host": "evil.example",
                                                "X-Forwarded-Proto": "https"},
                                  environ_base={"REMOTE_ADDR": ATTACKER}):
        assert (request.remote_addr, request.host, request.scheme) == (ATTACKER, "localhost", "http")


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}], indirect=True)
def test_one_trusted_proxy_gives_the_public_url(app):
    """With one trusted proxy, links built for the outside (the OpenID Connect callback) name
    the public https host the proxy forwarded."""
    environ = {"REMOTE_ADDR": PROXY_CLIENT, "HTTP_X_FORWARDED_FOR": HOME,
               "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "schnittstellen.example"}
    seen = {}
    proxy_fix = app.wsgi_app
    inner = proxy_fix.app

    def probe(environ, start_response):
        seen.update(addr=environ["REMOTE_ADDR"], url=Request(environ).host_url)
        return inner(environ, start_response)
    proxy_fix.app = probe
    app.test_client().get("/health", environ_base=environ)
    assert seen == {"addr": HOME, "url": "https://schnittstellen.example/"}


def test_operator_lists_and_lifts_a_lock_on_the_command_line(app, runner, make_user):
    """`flask login-locks` lists a lock, `flask lift-login-lock ADDRESS -u NAME` lifts it,
    and the change log names the command."""
    make_user("berta")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ATTACKER
    actions = AuthActions(client)
    for _ in range(5):
        actions.login("berta", "Falsch-123")
    listed = runner.invoke(args=["login-locks"])
    assert f"berta @ {ATTACKER}" in listed.output
    lifted = runner.invoke(args=["lift-login-lock", ATTACKER, "-u", "berta"])
    assert lifted.exit_code == 0, lifted.output
    assert f"Lifted: berta @ {ATTACKER}" in lifted.output
    assert actions.login("berta", PASSWORD).status_code == 303
    assert ("update", "login_lock") in [entry[:2] for entry in log_entries(app)]
    again = runner.invoke(args=["lift-login-lock", ATTACKER, "-u", "berta"])
    assert again.exit_code != 0 and "No lock in force" in again.output
