"""Fixtures for ordering: a chain with two branches, labs and a supplier, users of every role,
a customer with an Otoplastik process (template with 'Bestellservice') and two positions (the
partner sandbox over real HTTP is in tests/conftest.py). Everything is loaded into one app
context per test."""
from types import SimpleNamespace

import pytest
import requests

from tests.factories import make_config
from webapp.companies.models import Company, CustomerNumber
from webapp.customers.models import Customer
from webapp.extensions import db
from webapp.interfaces import services as interface_services
from webapp.org.models import Branch
from webapp.processes.models import (
    ORDER_SERVICE, EarMouldPosition, Process, ProcessStep, ProcessTemplate, TemplateStep,
)
from webapp.users.models import User


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, BABEL_DEFAULT_LOCALE="en", ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1)


def ear_mould_raw(*companies, supplier=None, base_url="https://lab.example.org", **extra):
    """Field input of an HTTPS ear-mould service ordering for `companies`."""
    raw = {"companies": [str(c.id) for c in companies], "base_url": base_url,
           "username": "10001", "password": "sandbox", "api_key": "sandbox-key",
           "connect_timeout": "2", "read_timeout": "2"}
    if supplier is not None:
        raw["supplier"] = str(supplier.id)
    raw.update(extra)
    return raw


@pytest.fixture
def world(app, make_branch):
    """Branches Stuttgart (ST) and Ulm (UL); labs Dreve, Egger, Hörluchs (also suppliers but
    Hörluchs), a wholesaler 'Hörgeräte Nord'; admin, ST manager, ST staff, UL staff; customer
    Erika Muster of ST with an open Otoplastik process and a left and a right position."""
    st, ul = make_branch("Stuttgart", "ST"), make_branch("Ulm", "UL")
    with app.app_context():
        st, ul = db.session.get(Branch, st), db.session.get(Branch, ul)
        users = {name: User(username=name, name=name.title(), role=role,
                            branches=[] if role == "admin" else branches)
                 for name, role, branches in (("admin", "admin", []),
                                              ("maria", "branch_manager", [st]),
                                              ("sam", "staff", [st]), ("uli", "staff", [ul]))}
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
            st=st, ul=ul, admin=users["admin"], manager=users["maria"], staff=users["sam"],
            ul_staff=users["uli"], dreve=companies["Dreve"], egger=companies["Egger"],
            hoerluchs=companies["Hörluchs"], wholesaler=companies["Hörgeräte Nord"],
            template=template, customer=customer, process=process)


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


@pytest.fixture
def make_service(world):
    """Create an ear-mould (or any) service as the admin: make_service(key, raw, **data)."""
    def make(interface_key, raw, **data):
        data.setdefault("name", interface_key)
        return interface_services.create_service(world.admin, interface_key, data, raw)
    return make


# --- delivery through real jobs (test_pipeline.py, test_faults.py) -------------------------
# Those modules add REDIS_URL to app_config; the fixtures below need it.

class SandboxControl:
    """The sandbox's control API (docs/partners/README.md) over HTTP."""

    def __init__(self, url):
        self.url = url

    def faults(self, partner="*", **settings):
        """Replace the fault settings of `partner` (omitted values are 0)."""
        requests.post(f"{self.url}/_sandbox/faults", json={"partner": partner, **settings},
                      timeout=5).raise_for_status()

    def orders(self, partner=None):
        return requests.get(f"{self.url}/_sandbox/orders", params={"partner": partner},
                            timeout=5).json()["orders"]

    def expire_tokens(self):
        """Invalidate every bearer token and portal session, as if they had expired."""
        requests.post(f"{self.url}/_sandbox/tokens/expire", timeout=5).raise_for_status()

    def received(self, partner=None, method=None):
        found = requests.get(f"{self.url}/_sandbox/received", params={"partner": partner},
                             timeout=5).json()["received"]
        return [r for r in found if method is None or r["method"] == method]


@pytest.fixture
def control(sandbox):
    return SandboxControl(sandbox)


@pytest.fixture
def queue(app):
    """The app's RQ queue on the session's real Redis (emptied for each test)."""
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


def wait_for(condition, timeout=10.0, every=0.02, what="the condition"):
    """Poll `condition` until it returns something truthy (returned) or `timeout` passes."""
    import time

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


def order_one(world, company, supplier=None, side="left"):
    """'Bestellen' for a new process of Erika Muster with one position: the order."""
    from webapp.ordering import services

    process = new_process(world.customer, world.template, world.st, sides=(side,))
    db.session.commit()
    (order,) = services.place_order(world.staff, process, company.id,
                                    supplier.id if supplier else None)
    return order


def attempts_of(order):
    """The order's attempts as the database has them: (action, outcome, HTTP status)."""
    from webapp.ordering.models import Order

    return [(a.action, a.outcome, a.http_status)
            for a in fresh(Order, order.id).outbound.attempt_log]
