"""Benchmark of order delivery: orders placed with services.place_order ("Bestellen") and
delivered by real `flask worker` processes to the partner sandbox over HTTP, measured against
no-op RQ jobs run by the same workers in the same run; then the same orders again with the
sandbox failing and workers killed with SIGKILL mid-run, checked for exactly one order per key.

    .venv/bin/python -m bench.orders                          # SQLite in a temporary folder
    .venv/bin/python -m bench.orders --orders 200 --workers 2 --kills 1
    BENCH_DATABASE_URL=postgresql://… .venv/bin/python -m bench.orders   # an EMPTY database

Everything runs on 127.0.0.1, each server in its own process group: Redis (the embedded
binary, nothing on disk), the sandbox (`python -m sandbox`) and the workers, all stopped on
exit, on an error, on Ctrl-C and on SIGTERM. Exit status 1 when a check fails.
See bench/README.md for the figures.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench import percentile
from webapp.ordering.models import CANCELLED, CONFIRMED, DELIVERED, DONE, FAILED, ORDERED

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY, ENCRYPTION_KEYS = "bench-secret-key", "bench-encryption-key"
# The workers' settings (SCHNITTSTELLEN_<key>): retries in seconds rather than minutes, and
# the reconciler's grace period short, since the benchmark runs it every RECONCILE_EVERY
# seconds instead of once a minute.
# The sandbox listens on 127.0.0.1 over plain http: allowed explicitly, as `make run` does.
SANDBOX_ALLOWED = {"OUTBOUND_HTTP_HOSTS": ["127.0.0.1"],
                   "OUTBOUND_ALLOWED_NETWORKS": ["127.0.0.1/32"]}
WORKER_SETTINGS = {"ORDER_RETRY_BASE_SECONDS": "0.5", "ORDER_RETRY_CAP_SECONDS": "4",
                   "ORDER_LEASE_MARGIN_SECONDS": "2", "ORDER_RECONCILE_GRACE_SECONDS": "5",
                   **{key: json.dumps(value) for key, value in SANDBOX_ALLOWED.items()}}
RECONCILE_EVERY = 2.0
PARTNER = "dreve"
FINAL = (DONE, FAILED, CANCELLED)  # outbound states
HAS_NUMBER = (ORDERED, CONFIRMED, DELIVERED)  # order statuses once the partner has it


@dataclass
class Phase:
    name: str
    count: int
    seconds: float  # first "Bestellen" (enqueue) to the last acknowledgement (job end)
    latencies: list  # seconds, per item
    placing_seconds: float = 0.0
    checks: list = field(default_factory=list)  # (ok, text)
    notes: list = field(default_factory=list)

    @property
    def rate(self):
        return self.count / self.seconds if self.seconds else 0.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1000, help="orders per phase")
    parser.add_argument("--workers", type=int, default=4, help="`flask worker` processes")
    parser.add_argument("--placers", type=int, default=4,
                        help="threads placing orders, as staff in several branches would")
    parser.add_argument("--error-rate", type=float, default=0.3, help="faulty phase: 503s")
    parser.add_argument("--timeout-rate", type=float, default=0.02,
                        help="faulty phase: submits recorded but not answered in time")
    parser.add_argument("--drop-rate", type=float, default=0.02,
                        help="faulty phase: submits recorded, then the connection shut")
    parser.add_argument("--kills", type=int, default=2,
                        help="faulty phase: workers killed with SIGKILL (and restarted)")
    parser.add_argument("--deadline", type=float, default=240, help="seconds per phase, at most")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (database, worker and sandbox logs)")
    args = parser.parse_args(argv)
    phases = run(args)
    print(report(phases, args))
    return 0 if all(ok for phase in phases for ok, _text in phase.checks) else 1


# --- the processes ---------------------------------------------------------------------------

class Children:
    """Child processes, each in its own process group. kill() is SIGKILL for the group and
    for everything below it: RQ puts a work-horse into a group of its own."""

    def __init__(self, folder):
        self.folder = folder
        self.processes = []

    def start(self, name, argv, env):
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                       stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes.append(process)
        return process

    def kill(self, process):
        from webapp.devrun import descendants

        below = descendants(process.pid)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(10)

    def stop_all(self):
        """SIGTERM to every group (a worker finishes its job), then SIGKILL for the rest —
        including what they started in groups of their own (RQ's work-horses and scheduler),
        which would otherwise outlive their worker."""
        from webapp.devrun import descendants

        below = {pid for process in self.processes if process.poll() is None
                 for pid in descendants(process.pid)}
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            if process.poll() is None:
                self.kill(process)
        while below and time.monotonic() < deadline:
            below = {pid for pid in below if _alive(pid)}
            time.sleep(0.05)
        for pid in below:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _alive(pid):
    """Whether `pid` still runs (a zombie waiting for its parent does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _raise_interrupt(_signum, _frame):
    raise KeyboardInterrupt


@contextmanager
def stack(args):
    """A temporary folder, Redis, the sandbox and `args.workers` workers; yields a Stack."""
    from webapp.devrun import free_port, redis_argv
    from webapp.queue import connect

    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    with _folder(args.keep) as folder:
        children = Children(folder)
        try:
            redis_port, sandbox_port = free_port(), free_port()
            (folder / "redis").mkdir()
            children.start("redis", redis_argv(redis_port, folder / "redis", persist=False),
                           dict(os.environ))
            children.start("sandbox", [sys.executable, "-m", "sandbox", "--port",
                                       str(sandbox_port)], dict(os.environ))
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            sandbox_url = f"http://127.0.0.1:{sandbox_port}"
            database_url = (os.environ.get("BENCH_DATABASE_URL")
                            or f"sqlite:///{folder / 'bench.db'}")
            client = connect(redis_url)
            try:
                _wait("Redis", client.ping)
                _wait("the sandbox", lambda: requests.get(f"{sandbox_url}/_sandbox/health",
                                                          timeout=2).ok)
                yield Stack(args, folder, children, client, redis_url, sandbox_url,
                            database_url)
            finally:
                client.close()
        finally:
            children.stop_all()
            signal.signal(signal.SIGTERM, previous)


@contextmanager
def _folder(keep):
    if keep:
        folder = Path(tempfile.mkdtemp(prefix="schnittstellen-bench-orders-"))
        print(f"bench: files in {folder}", file=sys.stderr)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="schnittstellen-bench-orders-") as name:
        yield Path(name)


def _wait(what, ready, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {what} did not come up")
        time.sleep(0.1)


class Stack:
    def __init__(self, args, folder, children, redis, redis_url, sandbox_url, database_url):
        self.args, self.folder, self.children = args, folder, children
        self.redis, self.redis_url = redis, redis_url
        self.sandbox_url, self.database_url = sandbox_url, database_url
        self.workers = []  # the current process of each worker slot
        self.started = 0
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("SCHNITTSTELLEN_")}
        self.env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=SECRET_KEY,
                        ENCRYPTION_KEYS=ENCRYPTION_KEYS, PYTHONUNBUFFERED="1",
                        SCHNITTSTELLEN_INSTANCE_PATH=str(folder / "instance"),
                        **{f"SCHNITTSTELLEN_{k}": v for k, v in WORKER_SETTINGS.items()})

    def start_worker(self):
        self.started += 1
        return self.children.start(
            f"worker-{self.started}",
            [sys.executable, "-m", "flask", "--app", "app", "worker"], self.env)

    def start_workers(self):
        """Start the workers and wait until every one of them has registered with Redis."""
        from rq import Worker

        self.workers = [self.start_worker() for _ in range(self.args.workers)]
        pids = {process.pid for process in self.workers}
        _wait("the workers", lambda: pids <= {w.pid for w in Worker.all(connection=self.redis)})

    def scheduler_worker(self):
        """The worker slot whose process runs RQ's scheduler (it holds the lock), or None."""
        name = self.redis.get("rq:scheduler-lock:default")
        pid = name and self.redis.hget(f"rq:scheduler:{name.decode()}", "pid")
        if not pid:
            return None
        parent = _parent_of(int(pid))
        return next((i for i, p in enumerate(self.workers) if p.pid == parent), None)

    def worker_mid_call(self, prefer=None, wait=10.0):
        """The slot of a worker whose horse is calling the partner right now (its attempt is
        written and 'started'): `prefer` if it gets there within `wait` seconds, else any.
        None when no worker was mid-call."""
        from webapp.extensions import db
        from webapp.ordering.models import STARTED, OutboundAttempt

        deadline, found = time.monotonic() + wait, None
        while time.monotonic() < deadline:
            horses = db.session.scalars(db.select(OutboundAttempt.worker)
                                        .where(OutboundAttempt.outcome == STARTED)).all()
            parents = {_parent_of(int(horse.rsplit(":", 1)[1])) for horse in horses}
            slots = {i for i, process in enumerate(self.workers) if process.pid in parents}
            if prefer in slots or (slots and prefer is None):
                return prefer if prefer in slots else min(slots)
            found = found if found is not None else min(slots, default=None)
            time.sleep(0.005)
        return found

    def kill_and_restart(self, index):
        process = self.workers[index]
        self.children.kill(process)
        self.workers[index] = self.start_worker()
        return process.pid

    def faults(self, **settings):
        requests.post(f"{self.sandbox_url}/_sandbox/faults",
                      json={"partner": PARTNER, **settings}, timeout=10).raise_for_status()

    def sandbox_orders(self):
        return requests.get(f"{self.sandbox_url}/_sandbox/orders", params={"partner": PARTNER},
                            timeout=60).json()["orders"]

    def sandbox_received(self):
        return requests.get(f"{self.sandbox_url}/_sandbox/received",
                            params={"partner": PARTNER}, timeout=60).json()["received"]


def _parent_of(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


# --- the data ---------------------------------------------------------------------------------

def make_app(stack):
    """The app the benchmark places orders with: the same database, Redis and keys as the
    workers (a dict config, so nothing is read from the environment or instance/)."""
    from webapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": stack.database_url, "SECRET_KEY": SECRET_KEY,
                       "ENCRYPTION_KEYS": ENCRYPTION_KEYS, "REDIS_URL": stack.redis_url,
                       "BABEL_DEFAULT_LOCALE": "en", **SANDBOX_ALLOWED})


@dataclass
class Seeded:
    staff_id: int
    lab_id: int
    template_id: int
    customer_id: int
    branch_id: int


def seed(stack):
    """Schema, a branch, an admin and a staff member, the lab Dreve with the branch's customer
    number, its ordering service pointing at the sandbox, and the Otoplastik template."""
    from webapp.companies.models import Company, CustomerNumber
    from webapp.customers.models import Customer
    from webapp.extensions import db
    from webapp.interfaces import services as interface_services
    from webapp.org.models import Branch, Chain
    from webapp.processes.models import ORDER_SERVICE, ProcessTemplate, TemplateStep
    from webapp.users.models import User

    if db.inspect(db.engine).get_table_names():
        raise SystemExit("bench: the database is not empty; BENCH_DATABASE_URL must name an "
                         "empty database (the benchmark fills it).")
    db.create_all()
    branch = Branch(name="Bench Filiale", short_code="BEN", city="Stuttgart",
                    office_email="filiale@example.org")
    admin = User(username="bench-admin", name="Bench Admin", role="admin")
    lab = Company(name="Dreve", is_lab=True, is_supplier=True,
                  order_email="bestellung@dreve.example.org")
    # No nightly connection tests: the workers' ticker would start one of the Dreve service
    # after 2 am, work that is not the orders the benchmark measures.
    db.session.add_all([Chain(id=1, name="Hörwelt Bench", timezone="Europe/Berlin",
                              health_check_time=""), branch, admin, lab])
    db.session.flush()
    staff = User(username="bench-staff", name="Bench Staff", role="staff", branches=[branch])
    template = ProcessTemplate(name="Otoplastik", process_type="ear_mould", steps=[
        TemplateStep(position=1, name="Abdrucknahme"),
        TemplateStep(position=2, name="Bestellservice", kind=ORDER_SERVICE)])
    customer = Customer(number="K-000001", branch=branch, first_name="Erika",
                        last_name="Muster", city="Stuttgart")
    db.session.add_all([staff, template, customer,
                        CustomerNumber(company_id=lab.id, branch_id=branch.id, number="10001")])
    db.session.commit()
    interface_services.create_service(admin, "dreve_smartorder", {
        "name": "Dreve (Sandbox)", "branch_id": branch.id}, {
        "companies": [str(lab.id)], "supplier": str(lab.id),
        "base_url": f"{stack.sandbox_url}/{PARTNER}", "username": "10001",
        "password": "sandbox", "api_key": "sandbox-key", "connect_timeout": "1",
        "read_timeout": "2"})
    db.session.commit()  # services flush; outside a request the caller commits
    return Seeded(staff.id, lab.id, template.id, customer.id, branch.id)


def new_processes(seeded, count):
    """`count` open Otoplastik processes with one position each (not timed); their ids."""
    from webapp.extensions import db
    from webapp.processes.models import EarMouldPosition, Process, ProcessStep, ProcessTemplate

    template = db.session.get(ProcessTemplate, seeded.template_id)
    processes = [Process(customer_id=seeded.customer_id, branch_id=seeded.branch_id,
                         template=template, process_type=template.process_type,
                         title=template.name,
                         steps=[ProcessStep(position=s.position, name=s.name, kind=s.kind)
                                for s in template.steps],
                         positions=[EarMouldPosition(
                             side="left" if number % 2 else "right", style="Vollschale",
                             material="Silikon 40 Shore", venting=1.0, colour="transparent",
                             impression_ref=f"ABD-{number:06d}")])
                 for number in range(count)]
    db.session.add_all(processes)
    db.session.commit()
    return [process.id for process in processes]


def place_orders(app, seeded, process_ids, placers, note):
    """'Bestellen' for every process, from `placers` threads with their own app contexts
    (and database sessions); returns the seconds it took, or raises the first error."""
    from webapp.extensions import db
    from webapp.ordering import services
    from webapp.processes.models import Process
    from webapp.users.models import User

    errors = []

    def place(chunk):
        try:
            with app.app_context():
                staff = db.session.get(User, seeded.staff_id)
                for process_id in chunk:
                    services.place_order(staff, db.session.get(Process, process_id),
                                         seeded.lab_id, note=note)
                    db.session.commit()  # one "Bestellen" request: its jobs go out on commit
        except Exception as error:  # noqa: BLE001 - reported below, the run fails
            errors.append(error)

    threads = [threading.Thread(target=place, args=(process_ids[i::placers],))
               for i in range(placers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.monotonic() - started


def outcome_of(note):
    """[(order, outbound)] of the orders placed with `note`."""
    from webapp.extensions import db
    from webapp.ordering.models import Order, Outbound

    db.session.expire_all()
    return db.session.execute(
        db.select(Order, Outbound).select_from(Order).join(Order.outbound)
        .where(Order.note == note).order_by(Order.id)).all()


# --- the phases ---------------------------------------------------------------------------------

def run(args):
    """Baseline, healthy orders, faulty orders; always stops every process. Returns [Phase]."""
    from webapp.extensions import db

    with stack(args) as s:
        app = make_app(s)
        with app.app_context():
            seeded = seed(s)
            db.engine.dispose()
        s.start_workers()
        phases = [noop_phase(s, args)]
        print(f"{phases[-1].name}: {phases[-1].rate:.1f}/s", file=sys.stderr)
        with app.app_context():
            phases.append(order_phase(s, app, seeded, args, "orders, sandbox healthy",
                                      "bench:healthy"))
            print(f"{phases[-1].name}: {phases[-1].rate:.1f}/s", file=sys.stderr)
            s.faults(error_rate=args.error_rate, timeout_rate=args.timeout_rate,
                     timeout_ms=5000, drop_rate=args.drop_rate, seed=1)
            name = (f"orders, sandbox failing {args.error_rate:.0%} (+ {args.timeout_rate:.0%} "
                    f"timeouts, {args.drop_rate:.0%} drops), {args.kills} × SIGKILL")
            phases.append(order_phase(s, app, seeded, args, name, "bench:faulty",
                                      kills=args.kills))
            print(f"{phases[-1].name}: {phases[-1].rate:.1f}/s", file=sys.stderr)
            phases[-1].checks.append(_check_all_stored(s, 2 * args.orders))
            db.session.remove()
            db.engine.dispose()
        return phases


def noop_phase(s, args):
    """RQ's own rate with these workers: `args.orders` no-op jobs, enqueued one by one as the
    app enqueues its jobs, timed from the first enqueue to the end of the last job."""
    from rq import Queue
    from rq.job import Job

    queue = Queue("default", connection=s.redis)
    ids = [f"bench-noop-{number}" for number in range(args.orders)]
    for job_id in ids:
        queue.enqueue("bench.jobs.noop", job_id=job_id)
    _wait_until(lambda: queue.count == 0 and all(
        job is not None and job.ended_at for job in Job.fetch_many(ids, connection=s.redis)),
        args.deadline, "the no-op jobs")
    jobs = Job.fetch_many(ids, connection=s.redis)
    first = min(job.enqueued_at for job in jobs)
    last = max(job.ended_at for job in jobs)
    return Phase("no-op jobs (baseline)", len(jobs), (last - first).total_seconds(),
                 [(job.ended_at - job.enqueued_at).total_seconds() for job in jobs],
                 checks=[(all(job.get_status() == "finished" for job in jobs),
                          f"{len(jobs)} no-op jobs finished")])


def order_phase(s, app, seeded, args, name, note, kills=0):
    """Place `args.orders` orders while the workers deliver them; with `kills`, SIGKILL a
    worker (the one running RQ's scheduler first) at even steps of progress, and restart it."""
    process_ids = new_processes(seeded, args.orders)
    placing = {}

    def place():
        try:
            placing["seconds"] = place_orders(app, seeded, process_ids, args.placers, note)
        except Exception as error:  # noqa: BLE001 - ends the run below
            placing["error"] = error

    placer = threading.Thread(target=place)
    placer.start()
    marks = [args.orders * (k + 1) / (kills + 1) for k in range(kills)]
    killed, last_reconcile = [], 0.0
    deadline = time.monotonic() + args.deadline
    while True:
        done = _done_so_far(note)
        if marks and done >= marks[0]:
            marks.pop(0)
            # First the worker running RQ's scheduler (the worst case for retries), then
            # others; each preferably while its horse is calling the partner.
            prefer = s.scheduler_worker() if not killed else None
            index = s.worker_mid_call(prefer, wait=5 if prefer is not None else 10)
            mid_call = index is not None and prefer in (None, index)
            if prefer is not None:
                index = prefer
            elif index is None:
                index = len(killed) % len(s.workers)
            killed.append((index, s.kill_and_restart(index), done, index == prefer, mid_call))
        if kills and time.monotonic() - last_reconcile > RECONCILE_EVERY:
            # The periodic reconciler, more often than the workers' one-minute ticker.
            _enqueue_reconcile(s)
            last_reconcile = time.monotonic()
        if "error" in placing:
            raise SystemExit(f"bench: placing orders failed: {placing['error']!r}")
        if not placer.is_alive() and done >= args.orders:
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    placer.join()
    rows = outcome_of(note)
    finished = [(order, outbound) for order, outbound in rows if outbound.finished_at]
    latencies = [(outbound.finished_at - order.ordered_at).total_seconds()
                 for order, outbound in finished]
    seconds = float("nan")
    if finished:
        first = min(order.ordered_at for order, _outbound in rows)
        seconds = (max(outbound.finished_at for _order, outbound in finished)
                   - first).total_seconds()
    phase = Phase(name, len(rows), seconds, latencies, placing.get("seconds", float("nan")))
    phase.notes += [f"SIGKILL to worker pid {pid}"
                    f"{', which ran RQ scheduler,' if scheduler else ''}"
                    f"{' mid-call' if mid_call else ''} with {at} of {args.orders} orders "
                    "delivered; restarted" for _index, pid, at, scheduler, mid_call in killed]
    phase.checks += _check_orders(s, rows, args.orders)
    phase.notes += _attempt_summary(s, rows)
    return phase


def _done_so_far(note):
    from webapp.extensions import db
    from webapp.ordering.models import Order, Outbound

    return db.session.scalar(
        db.select(db.func.count()).select_from(Order).join(Order.outbound)
        .where(Order.note == note, Outbound.state.in_(FINAL)))


def _enqueue_reconcile(s):
    from rq import Queue

    from webapp.queue import enqueue_now

    enqueue_now("jobs.outbound.reconcile", job_id="bench-reconcile",
                queue=Queue("default", connection=s.redis))


def _wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        time.sleep(0.1)


# --- the checks -----------------------------------------------------------------------------

def _check_orders(s, rows, expected):
    """Every order Bestellt with the sandbox's number for its key; one sandbox order per key."""
    keys = {outbound.idempotency_key: order for order, outbound in rows}
    delivered = [order for order, _outbound in rows
                 if order.status in HAS_NUMBER and order.external_number]
    stored = [o for o in s.sandbox_orders() if o["idempotency_key"] in keys]
    stored_keys = [o["idempotency_key"] for o in stored]
    matching = [o for o in stored if keys[o["idempotency_key"]].external_number == o["number"]]
    return [
        (len(rows) == expected, f"{len(rows)} of {expected} orders placed"),
        (len(delivered) == expected,
         f"{len(delivered)} of {expected} orders Bestellt (external number set)"),
        (len(stored) == expected and len(set(stored_keys)) == len(stored_keys),
         f"the sandbox holds {len(stored)} orders for the {expected} keys, "
         f"{len(stored_keys) - len(set(stored_keys))} keys twice"),
        (len(matching) == expected,
         f"{len(matching)} external numbers are the sandbox's number for the order's key"),
    ]


def _check_all_stored(s, expected):
    orders = s.sandbox_orders()
    keys = [o["idempotency_key"] for o in orders]
    return (len(orders) == expected and len(set(keys)) == expected,
            f"the sandbox holds {len(orders)} orders in all ({expected} expected), "
            f"{len(keys) - len(set(keys))} keys twice")


def _attempt_summary(s, rows):
    from collections import Counter

    from webapp.extensions import db
    from webapp.ordering.models import OutboundAttempt

    ids = [outbound.id for _order, outbound in rows]
    counts = Counter(db.session.execute(
        db.select(OutboundAttempt.action, OutboundAttempt.outcome)
        .where(OutboundAttempt.outbound_id.in_(ids))).all())
    keys = {outbound.idempotency_key for _order, outbound in rows}
    received = s.sandbox_received()
    posts = Counter((r["status"], r["outcome"]) for r in received
                    if r["method"] == "POST" and r.get("idempotency_key") in keys)
    lookups = Counter((r["status"], r["outcome"]) for r in received if r["method"] == "GET"
                      and "/by-key/" in r["path"] and r["path"].rsplit("/", 1)[1] in keys)
    return [
        "attempts: " + ", ".join(f"{action} {outcome} {n}"
                                 for (action, outcome), n in sorted(counts.items())),
        "the sandbox received for these keys: " + ", ".join(
            f"{method} {status} {outcome} {n}"
            for method, found in (("POST", posts), ("lookup", lookups))
            for (status, outcome), n in sorted(found.items())),
    ]


# --- the report -----------------------------------------------------------------------------

def report(phases, args):
    """A Markdown table (rate, ratio to the no-op baseline, p50/p99 latency), then notes and
    checks per phase."""
    baseline = phases[0].rate if phases else 0
    lines = [f"{args.orders} per phase, {args.workers} `flask worker` processes, "
             f"{args.placers} placing threads", "",
             "| phase | items | seconds | per second | ratio to no-op | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for phase in phases:
        ratio = phase.rate / baseline if baseline else float("nan")
        lines.append(f"| {phase.name} | {phase.count} | {phase.seconds:.1f} | {phase.rate:.1f} | "
                     f"{ratio:.2f} | {percentile(phase.latencies, 0.5) * 1000:.0f} | "
                     f"{percentile(phase.latencies, 0.99) * 1000:.0f} |")
    lines += ["", "Latency: no-op jobs from enqueue to the end of the job; orders from "
              "'Bestellen' (Order.ordered_at) to the partner's acknowledgement "
              "(Outbound.finished_at)."]
    for phase in phases:
        lines += ["", f"{phase.name}:"]
        if phase.placing_seconds:
            lines.append(f"  placing took {phase.placing_seconds:.1f} s "
                         f"({phase.count / phase.placing_seconds:.1f} orders/s)")
        lines += [f"  {note}" for note in phase.notes]
        lines += [f"  [{'ok' if ok else 'FAILED'}] {text}" for ok, text in phase.checks]
    return "\n".join(lines)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("bench: interrupted; every process stopped", file=sys.stderr)
        sys.exit(130)
