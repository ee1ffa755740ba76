"""Logging in every process: one line per request with its id and user, text or JSON, and no
secret ever — a password sent in a request is not in the captured logs."""
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import event

from tests.factories import PASSWORD, make_config
from webapp.config import ROOT
from webapp.extensions import db
from webapp.logs import redact

SECRET = "Streng-Geheim-4711"


@pytest.fixture
def app_config(tmp_path, request):
    return make_config(tmp_path, LOG_LEVEL="DEBUG", **getattr(request, "param", {}))


def test_a_secret_sent_in_requests_never_reaches_the_log(client, auth, make_user, capsys):
    """A wrong password, a password in a query string and a right one: the log has each
    request with its id, the user once logged in, and the secret nowhere."""
    make_user("berta", password=SECRET)
    capsys.readouterr()
    client.post("/login", data={"username": "berta", "password": SECRET + "x",
                                "csrf_token": auth.csrf_token()})
    client.get(f"/login?password={SECRET}&token={SECRET}")
    response = client.post("/login", data={"username": "berta", "password": SECRET,
                                           "csrf_token": auth.csrf_token()})
    assert response.status_code == 303
    client.get("/", headers={"X-Request-Id": "proxy-request-0001"})
    logged = capsys.readouterr().err
    assert "POST /login 422" in logged and "POST /login 303" in logged
    assert "[proxy-request-0001 berta] GET / 200" in logged
    assert SECRET not in logged


@pytest.mark.parametrize("app_config", [{"LOG_FORMAT": "json"}], indirect=True)
def test_json_lines_carry_request_id_and_user(client, admin, capsys):
    """LOG_FORMAT=json: one object per line; the response names the request id it logged."""
    capsys.readouterr()
    response = client.get("/", headers={"X-Request-Id": "abcdef-1234"})
    assert response.headers["X-Request-Id"] == "abcdef-1234"
    entries = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    request_line = [e for e in entries if e["logger"] == "webapp.request"][-1]
    assert request_line["message"].startswith("GET / 200")
    assert (request_line["request_id"], request_line["user"]) == ("abcdef-1234", "admin")


def test_the_request_line_names_the_user_without_loading_it_again(client, admin, app, capsys):
    """The request line is written after the commit, which expires the user: it names the
    user noted at the login check, and the page reads the users table only with the login
    session (one statement), not once more for the log."""
    statements = []

    def note(_connection, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    capsys.readouterr()
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert client.get("/interfaces/help").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert " admin] GET /interfaces/help 200" in capsys.readouterr().err
    assert len([s for s in statements if "FROM users" in s or "JOIN users" in s]) == 1


def test_a_forged_request_id_is_replaced(client):
    """A request id that does not look like one (a log injection) is replaced by our own."""
    response = client.get("/health", headers={"X-Request-Id": "x] admin] FAKE LINE"})
    assert len(response.headers["X-Request-Id"]) == 32


def test_password_like_pairs_are_masked():
    """A message that carries key=value pairs of secrets is masked before it is written."""
    assert redact(f"bind failed password={SECRET} user=x") == "bind failed password=*** user=x"
    assert SECRET not in redact(f'{{"api_key": "{SECRET}", "Authorization": "Bearer {SECRET}"}}')


def test_a_command_logs_with_the_configured_level_and_format(tmp_path):
    """`flask` commands (the worker among them) log through the same configuration."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHNITTSTELLEN_")}
    env.update(SECRET_KEY="s" * 40, ENCRYPTION_KEYS="e" * 40, LOG_FORMAT="json", LOG_LEVEL="INFO",
               DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
               SCHNITTSTELLEN_INSTANCE_PATH=str(tmp_path / "instance"))
    result = subprocess.run(
        [sys.executable, "-c", "from webapp import create_app; import logging;"
         "create_app(); logging.getLogger('webapp.probe').info('token=%s', 'abc123secret')"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    entry = json.loads(result.stderr.strip().splitlines()[-1])
    assert entry["logger"] == "webapp.probe" and entry["message"] == "token=***"
