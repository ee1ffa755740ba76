"""Plain helpers the tests share: configuration, logging in, servers, data and readers.

Fixtures live in conftest.py files (the shared ones in tests/conftest.py) and build on these.
A test module imports shared helpers from here, never from another test module or from
another package's conftest.py."""
import contextlib
import datetime
import os
import signal
import threading
import time

from flask import g
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from webapp.changelog.models import ChangeLogEntry
from webapp.companies.models import CustomerNumber
from webapp.devrun import descendants
from webapp.documents.models import DocumentTemplate
from webapp.extensions import db
from webapp.ordering import services as ordering
from webapp.ordering.models import Order
from webapp.outbound.models import Outbound
from webapp.processes.models import EarMouldPosition, Process, ProcessStep
from webapp.users.models import User
from webapp.users.sessions import live_sessions, start_session

PASSWORD = "Geheim-123"
PG_URL = os.environ.get("TEST_DATABASE_URL")
# The operator's outbound settings of the tests (webapp/outbound_policy.py): the partner
# sandbox, the mail servers and the directory servers listen on loopback over plain http,
# allowed explicitly as `make run` allows its sandbox. Nothing else internal; no program (a
# test lists its own in ALLOWED_PROGRAMS).
LOOPBACK = {"OUTBOUND_HTTP_HOSTS": ["127.0.0.1", "localhost"],
            "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.0/8", "::1/128"]}


def make_config(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEYS": "test-encryption-key",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SERVER_NAME": None,
        **LOOPBACK,
    }
    config.update(overrides)
    return config


# --- logging in ---------------------------------------------------------------------------

class AuthActions:
    """Logging in and out on one test client (the `auth` fixture's is `client`)."""

    def __init__(self, client):
        self.client = client

    def login(self, user="admin", password=PASSWORD):
        """Log in through the login form as `user` (a username): the response. A User object
        (the `world` fixture's, which have no password: hashing would cost more than most
        tests) is put into the session directly instead, as a successful login leaves it: with
        a login session of its own."""
        if isinstance(user, User):
            # An app context of its own: its database session commits only the login session,
            # not what the test holds in the one it has open.
            with self.client.application.app_context():
                logged_in = db.session.get(User, user.id)
                start_session(logged_in, "127.0.0.1", "")
                db.session.commit()
                user_id = logged_in.get_id()
            with self.client.session_transaction() as session:
                session["_user_id"] = user_id
                session["_fresh"] = True
            # Tests that hold an app context open would keep Flask-Login's cached user.
            g.pop("_login_user", None)
            return None
        return self.client.post("/login", data={"username": user, "password": password,
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


def logged_in_client(app, username, password=PASSWORD):
    """A second browser, logged in on its own."""
    other = app.test_client()
    assert AuthActions(other).login(username, password).status_code == 303
    assert other.get("/").status_code == 200
    return other


# --- reading what the database holds ------------------------------------------------------

def count(app, model):
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(model))


def get_user(app, user_id):
    with app.app_context():
        user = db.session.get(User, user_id)
        if user is not None:
            db.session.expunge(user)
        return user


def live_sessions_of(app, user_id):
    """How many live login sessions the user has."""
    with app.app_context():
        return len(live_sessions(db.session.get(User, user_id)))


def log_entries(app):
    """The change log, oldest first: (action, entity type, changes)."""
    with app.app_context():
        return [(e.action, e.entity_type, e.changes) for e in db.session.scalars(
            db.select(ChangeLogEntry).order_by(ChangeLogEntry.id))]


def numbers_of(app, company_id):
    """A company's customer numbers: {branch id: number}."""
    with app.app_context():
        rows = db.session.execute(db.select(CustomerNumber.branch_id, CustomerNumber.number)
                                  .where(CustomerNumber.company_id == company_id)).all()
        return dict(rows)


# --- servers ------------------------------------------------------------------------------

@contextlib.contextmanager
def serving(app, ssl_context=None):
    """A WSGI app on werkzeug's threaded server on a free loopback port: yields its URL
    (https with `ssl_context`, e.g. certificates.server_context(): a partner whose
    certificate the test kit's CA signed)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=ssl_context)
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05),
                              daemon=True)
    thread.start()
    try:
        yield f"{'https' if ssl_context else 'http'}://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- the partner sandbox's control API (docs/partners/README.md) --------------------------

def control(http, url, path, **payload):
    response = http.post(f"{url}/_sandbox/{path}", json=payload, timeout=5)
    response.raise_for_status()
    return response.json()


def received(http, url, **params):
    return http.get(f"{url}/_sandbox/received", params=params, timeout=5).json()["received"]


def orders(http, url, **params):
    return http.get(f"{url}/_sandbox/orders", params=params, timeout=5).json()["orders"]


# --- interface services -------------------------------------------------------------------

TODAY = datetime.date(2026, 3, 2)
SMTP_RAW = {"host": "mail.example.org", "port": "587", "encryption": "starttls",
            "sender_address": "filiale@example.org"}


def ear_mould_raw(*companies, supplier=None, base_url="https://lab.example.org", **extra):
    """Field input of an HTTPS ear-mould service ordering for `companies`."""
    raw = {"companies": [str(c.id) for c in companies], "base_url": base_url,
           "username": "10001", "password": "sandbox", "api_key": "sandbox-key",
           "connect_timeout": "2", "read_timeout": "2"}
    if supplier is not None:
        raw["supplier"] = str(supplier.id)
    raw.update(extra)
    return raw


def add_documents(*names, kind="card_layout"):
    """Document templates of these names (Stammdaten → Dokumentvorlagen), committed: a card
    service's templates must name existing ones."""
    db.session.add_all(DocumentTemplate(name=name, kind=kind, content="{{ name }}",
                                        updated_by="test") for name in names)
    db.session.commit()


def card_order_raw(*rows, **extra):
    """Field input of a customer-card service ("card_order") with its templates: each of
    `rows` is {cell: raw value} over a weekly customer card sent to the ordering branch
    with the layout "Karte GOLD"; cells are posted as templates-<n>-<cell>."""
    raw = {"base_url": "https://cards.example.org", **extra}
    for number, row in enumerate(rows or ({"name": "GOLD"},)):
        cells = {"ship_to": "ordering_branch", "shipping_interval": "weekly",
                 "card_template": "Karte GOLD", "card_type": "chip",
                 "card_kind": "customer_card", **row}
        raw.update({f"templates-{number}-{key}": value for key, value in cells.items()})
    return raw


HX = {"HX-Request": "true"}
DREVE_PASSWORD = "Pw-sehr-geheim-7"


def dreve_form(world, token, **overrides):
    """The Dreve SmartOrder form as a browser posts it (Otoplastikbestellung)."""
    data = {"csrf_token": token, "name": "Dreve Stuttgart", "branch_id": str(world.st.id),
            "usage_server": "y", "enabled": "y", "start_date": "",
            "companies": str(world.dreve.id), "supplier": "",
            "base_url": "https://order.dreve.example", "username": "K-1001",
            "password": DREVE_PASSWORD, "api_key": "", "connect_timeout": "10",
            "read_timeout": "30"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- ordering -----------------------------------------------------------------------------

def new_process(customer, template, branch, sides=("left", "right")):
    """A process copied from `template` with one position per side (not committed)."""
    process = Process(customer=customer, branch=branch, template=template,
                      process_type=template.process_type, title=template.name,
                      steps=[ProcessStep(position=s.position, name=s.name, kind=s.kind)
                             for s in template.steps],
                      positions=[EarMouldPosition(side=side, style="Vollschale",
                                                  material="Silikon 40 Shore", venting=1.0,
                                                  colour="transparent",
                                                  impression_ref=f"ABD-{side[0].upper()}-1")
                                 for side in sides])
    db.session.add(process)
    db.session.flush()
    return process


def wait_for(condition, timeout=10.0, every=0.02, what="the condition"):
    """Poll `condition` until it returns something truthy (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def fresh(model, id_):
    """`model` #id as the database has it now (workers write through other sessions)."""
    db.session.expire_all()
    return db.session.get(model, id_)


def connection_test_run(client, csrf, work, service):
    """"Verbindung testen" of `service` from its editor (the client logged in as someone who
    may), run by the in-process worker: the run's row as the database has it."""
    response = client.post(f"/interfaces/{service.id}/actions/test",
                           data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200
    assert work()
    (row,) = db.session.scalars(db.select(Outbound).where(Outbound.subject_id == service.id,
                                                          Outbound.subject_type == "service"))
    return fresh(Outbound, row.id)


def order_one(world, company, supplier=None, side="left", **position):
    """'Bestellen' for a new process of Erika Muster with one position (`position`: values
    other than the defaults, e.g. impression_ref=""): the order."""
    process = new_process(world.customer, world.template, world.st, sides=(side,))
    for name, value in position.items():
        setattr(process.positions[0], name, value)
    db.session.commit()
    (order,) = ordering.place_order(world.staff, process, company.id,
                                    supplier.id if supplier else None)
    db.session.commit()  # the request's unit of work: the delivery job is enqueued on commit
    return order


def attempts_of(order):
    """The order's attempts as the database has them: (action, outcome, HTTP status)."""
    return [(a.action, a.outcome, a.http_status)
            for a in fresh(Order, order.id).outbound.attempt_log]


def kill_worker(process):
    """SIGKILL to the worker's process group and to its work-horse, which RQ puts into a
    group of its own: nothing of the worker survives to finish the call."""
    horses = descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in horses:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait(10)
