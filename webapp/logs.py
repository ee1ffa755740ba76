"""Logging for every process (web, worker, commands; create_app calls init_app): the level
from LOG_LEVEL, lines as text or JSON (LOG_FORMAT), each with the request id and the user, and
one line per request. Secrets stay out: requests are logged without query string or body,
and what looks like `password=…` in a message is masked before it is written."""
import json
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request

log = logging.getLogger("webapp.request")

REQUEST_ID_HEADER = "X-Request-Id"
# A request id the proxy sends (deploy/caddy, deploy/nginx) is kept if it looks like one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# key=value / "key": "value" pairs whose value must never reach a log.
_SECRET_PAIR = re.compile(
    r"(?i)\b(password|passwort|passwd|secret|token|api[_-]?key|contract[_-]?key|authorization"
    r"|bind[_-]?password|csrf[_-]?token)(['\"]?\s*[:=]\s*['\"]?)(?:Bearer\s+|Basic\s+)?[^\s'\",;&]+")


def redact(text):
    """`text` with the values of password-like pairs masked."""
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class _Context(logging.Filter):
    """Adds request_id and user to every record (\"-\" outside a request)."""

    def filter(self, record):
        record.request_id, record.user = "-", "-"
        if has_request_context():
            record.request_id = g.get("request_id", "-")
            # Only a user Flask-Login has loaded already: logging must not query the database.
            # The name noted when the login was checked first: the request line is written
            # after the commit, which expires the user, and reading its name then loaded the
            # user again — a statement on every page (issue 15).
            user = g.get("_login_user")
            record.user = g.get("log_user") or getattr(user, "username", None) or "-"
        return True


def note_user(name):
    """The name of the user this request is logged in as, for the log lines."""
    g.log_user = name


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(user)s] %(message)s")

    def format(self, record):
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector."""

    def format(self, record):
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-"), "user": getattr(record, "user", "-")}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (systemd's journal, a test's
    capture), not to the one at start-up."""

    def __init__(self):
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def init_app(app):
    """Configure the process's root logger (once per process, replaced by a later app) and
    log each request with its id."""
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    if level not in logging.getLevelNamesMapping():
        raise RuntimeError(f"LOG_LEVEL {level!r} is not a logging level (DEBUG, INFO, WARNING, ERROR)")
    kind = str(app.config.get("LOG_FORMAT") or "text").lower()
    if kind not in ("text", "json"):
        raise RuntimeError(f"LOG_FORMAT {kind!r}: use text or json")
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.addFilter(_Context())
    handler.setFormatter(JsonFormatter() if kind == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Their INFO lines are noise (every connection of every outbound call).
    for name in ("urllib3", "paramiko", "asyncio"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    app.before_request(_start)
    app.after_request(_finish)


def _start():
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    g.request_started = time.monotonic()


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
    if request.endpoint != "static":
        # The path only: a query string could carry what nobody should read in a log.
        elapsed = (time.monotonic() - g.get("request_started", time.monotonic())) * 1000
        log.info("%s %s %s %.0f ms", request.method, request.path, response.status_code, elapsed)
    return response
