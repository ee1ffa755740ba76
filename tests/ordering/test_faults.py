"""Faults, with real components only: the partner sandbox failing over real HTTP (503 with
Retry-After, refusals, timeouts, dropped connections), RQ's scheduler waking retries, Redis
emptied under the pipeline, and a real `flask worker` killed with SIGKILL mid-call. Whatever
happens, an order reaches the partner exactly once per idempotency key."""
from datetime import timedelta

import pytest
from rq import SimpleWorker

import jobs.orders
from tests.factories import (
    attempts_of, ear_mould_raw, fresh, kill_worker, order_one, wait_for,
)
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.ordering import pipeline, services
from webapp.ordering.models import (
    DONE, ERROR, FAILED, IN_FLIGHT, ORDERED, PENDING, STARTED, Order,
)
from webapp.queue import connect

pytestmark = pytest.mark.redis

BASE, CAP = 0.05, 0.2  # ORDER_RETRY_BASE_SECONDS / _CAP_SECONDS of the ordering app_config


@pytest.fixture
def app_config(app_config, redis_url):
    """The ordering config (fast retries, short lease margin) plus the test's Redis."""
    return {**app_config, "REDIS_URL": redis_url}


@pytest.fixture
def dreve(world, make_service, sandbox):
    """Dreve SmartOrder (HTTP Basic) at the sandbox; one-second timeouts."""
    return make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve",
        connect_timeout="1", read_timeout="1"), name="Dreve ST", branch_id=world.st.id)


def run_jobs_until(work, order, done, timeout=15):
    """Run the worker (with RQ's scheduler) until `done(order)`; retries are woken only by
    their delayed jobs, as in production."""
    def step():
        work()
        return done(fresh(Order, order.id))
    return wait_for(step, timeout, every=0.05, what="the order to move on")


def deliver_when_due(order, count):
    """Take the row `count` steps, each as soon as it is due: pipeline.deliver directly,
    without waiting for the scheduler's whole seconds. Returns the delay the pipeline had
    chosen before each step (next attempt − end of the attempt before)."""
    delays = []
    for _ in range(count):
        outbound = wait_for(lambda: _due(order), 5, what="the row to be due")
        delays.append((outbound.next_attempt_at
                       - outbound.attempt_log[-1].finished_at).total_seconds())
        assert pipeline.deliver(outbound.id) in ("retry", "failed", "accepted")
    return delays


def _due(order):
    outbound = fresh(Order, order.id).outbound
    return outbound if outbound.next_attempt_at <= utcnow() else None


# --- transient: 503 with Retry-After ----------------------------------------------------------

def test_backoff_is_capped_exponential_with_jitter_and_honours_retry_after():
    """backoff(): attempt n waits between half and all of min(cap, base·2^(n-1)), spread
    (jitter) rather than fixed; Retry-After is a floor, itself capped."""
    config = {"ORDER_RETRY_BASE_SECONDS": 2, "ORDER_RETRY_CAP_SECONDS": 300}
    for attempt in range(1, 12):
        full = min(300, 2 * 2 ** (attempt - 1))
        delays = [pipeline.backoff(attempt, config=config) for _ in range(200)]
        assert all(full / 2 <= delay <= full for delay in delays), attempt
        assert max(delays) - min(delays) > full / 10, attempt
    assert all(30 <= pipeline.backoff(1, retry_after=30, config=config) <= 30 for _ in range(50))
    assert pipeline.backoff(1, retry_after=3600, config=config) == 300


def test_transient_errors_are_retried_by_the_scheduler_until_the_partner_answers(
        world, dreve, control, work):
    """error_rate 1: each attempt is a 503 with Retry-After; it is recorded, and the retry is
    scheduled no sooner than Retry-After allows (capped) and woken by RQ's scheduler — never
    before it is due. Back at error_rate 0 the next retry is Bestellt; the sandbox stored
    exactly one order, and every request carried the same key."""
    control.faults("dreve", error_rate=1)
    order = order_one(world, world.dreve)
    due = []

    def failed_three_times(order):
        if order.outbound.next_attempt_at not in due and order.outbound.state == PENDING:
            due.append(order.outbound.next_attempt_at)
        return len(order.outbound.attempt_log) >= 3

    run_jobs_until(work, order, failed_three_times)
    control.faults("dreve")
    run_jobs_until(work, order, lambda o: o.status == ORDERED)

    outbound = fresh(Order, order.id).outbound
    assert attempts_of(order) == [("submit", "transient", 503)] * 3 + [("submit", "accepted", 201)]
    assert "503" in outbound.attempt_log[0].message and outbound.last_error == ""
    assert due == sorted(due) and len(due) == 3
    for attempt, next_at, later in zip(outbound.attempt_log, due, outbound.attempt_log[1:]):
        # Retry-After: 1 from the sandbox, capped at CAP: the delay is exactly the cap.
        assert CAP - 0.01 <= (next_at - attempt.finished_at).total_seconds() <= CAP + 0.1
        assert later.started_at >= next_at
    (stored,) = control.orders("dreve")
    posts = control.received("dreve", method="POST")
    assert [p["status"] for p in posts] == [503, 503, 503, 201]
    assert {p["idempotency_key"] for p in posts} == {stored["idempotency_key"]} == {
        outbound.idempotency_key}


def test_gives_up_after_max_attempts_then_erneut_senden_delivers_with_the_same_key(
        app, world, dreve, control, work):
    """After ORDER_MAX_ATTEMPTS transient failures the order is Fehler with the last answer
    and no retry is scheduled; 'Erneut senden' then delivers it with the same key — one order
    at the partner. (Retries are driven by deliver() as soon as they are due.)"""
    app.config["ORDER_MAX_ATTEMPTS"] = 3
    control.faults("dreve", error_rate=1)
    order = order_one(world, world.dreve)
    work()
    deliver_when_due(order, 2)

    order = fresh(Order, order.id)
    key = order.outbound.idempotency_key
    assert order.status == ERROR and order.outbound.state == FAILED
    assert order.error_message.startswith("Gave up after 3 attempts. Last answer: HTTP 503")
    assert attempts_of(order) == [("submit", "transient", 503)] * 3

    control.faults("dreve")
    services.resend(world.staff, order)
    db.session.commit()  # the request's unit of work
    work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED and order.outbound.idempotency_key == key
    (stored,) = control.orders("dreve")
    assert stored["idempotency_key"] == key and order.external_number == stored["number"]
    assert {p["idempotency_key"] for p in control.received("dreve", method="POST")} == {key}


# --- permanent: the partner refuses ---------------------------------------------------------------

def test_refused_order_data_is_fehler_with_the_partners_message_and_no_retry(
        world, dreve, control, queue, work):
    """422: a position without impression reference, which the lab requires — Fehler at
    once with the partner's field message; nothing scheduled, nothing stored at the partner."""
    order = order_one(world, world.dreve, impression_ref="")
    work()
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and order.outbound.state == FAILED
    assert order.error_message == ("HTTP 422 validation_failed: The order has invalid fields. "
                                   "impression reference (otoplastic.impressionScanId): required")
    assert attempts_of(order) == [("submit", "permanent", 422)]
    assert queue.scheduled_job_registry.count == 0 and control.orders() == []


@pytest.mark.parametrize("interface_key, company, prefix, message", [
    ("dreve_smartorder", "dreve", "dreve", "HTTP 401 unauthorized"),
    ("egger_order_system", "egger", "egger", "refused (HTTP 401)"),
], ids=["basic", "bearer-login"])
def test_wrong_password_is_fehler_without_retry(world, make_service, sandbox, control, queue,
                                                work, interface_key, company, prefix, message):
    """A wrong password (HTTP Basic: 401 on the order; bearer: the login refused) is
    permanent: Fehler with the partner's answer, one attempt, no retry."""
    company = getattr(world, company)
    make_service(interface_key, ear_mould_raw(company, supplier=company,
                                              base_url=f"{sandbox}/{prefix}", password="falsch"),
                 name="Lab ST", branch_id=world.st.id)
    order = order_one(world, company)
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and message in order.error_message
    assert "falsch" not in order.error_message
    assert [(a, o) for a, o, _status in attempts_of(order)] == [("submit", "permanent")]
    assert queue.scheduled_job_registry.count == 0 and control.orders() == []


# --- ambiguous: sent, but no answer ---------------------------------------------------------------

def test_timeout_is_resolved_by_a_lookup_by_key(world, dreve, control, work):
    """timeout_rate 1 and a 1 s read timeout: the partner records the order but we get no
    answer — the row needs a lookup; the next run (woken by the scheduler) asks by key and
    takes the partner's number. Exactly one order and one POST at the partner."""
    control.faults("dreve", timeout_rate=1, timeout_ms=3000)
    order = order_one(world, world.dreve)
    work()
    outbound = fresh(Order, order.id).outbound
    assert attempts_of(order) == [("submit", "ambiguous", None)]
    assert outbound.needs_lookup and outbound.state == PENDING
    assert "no answer in time" in outbound.last_error

    control.faults("dreve")
    run_jobs_until(work, order, lambda o: o.status == ORDERED)
    order = fresh(Order, order.id)
    (stored,) = control.orders("dreve")
    assert order.external_number == stored["number"] and not order.outbound.needs_lookup
    assert attempts_of(order) == [("submit", "ambiguous", None), ("lookup", "accepted", 200)]
    assert len(control.received("dreve", method="POST")) == 1


def test_dropped_connections_back_off_and_resolve_by_key(world, dreve, control, work):
    """drop_rate 1: the submit is recorded and the connection shut — ambiguous; the lookups
    are dropped too and retried with growing, jittered delays (no Retry-After: half to all
    of min(cap, base·2^(n-1))); once answered, the lookup finds the one order."""
    control.faults("dreve", drop_rate=1)
    order = order_one(world, world.dreve)
    work()
    delays = deliver_when_due(order, 3)
    control.faults("dreve")
    delays += deliver_when_due(order, 1)

    order = fresh(Order, order.id)
    (stored,) = control.orders("dreve")
    assert order.locked and order.external_number == stored["number"]
    assert attempts_of(order) == ([("submit", "ambiguous", None)]
                                  + [("lookup", "transient", None)] * 3
                                  + [("lookup", "accepted", 200)])
    for attempt, delay in enumerate(delays, start=1):
        full = min(CAP, BASE * 2 ** (attempt - 1))
        assert full / 2 - 0.01 <= delay <= full, (attempt, delay)
    assert delays[2] > delays[0]
    log = fresh(Order, order.id).outbound.attempt_log
    assert all(b.started_at >= a.finished_at + timedelta(seconds=delay)
               - timedelta(milliseconds=10) for a, b, delay in zip(log, log[1:], delays))
    assert len(control.received("dreve", method="POST")) == 1


def test_gave_up_while_unanswered_then_erneut_senden_finds_the_order_by_key(
        app, world, dreve, control, work):
    """Timeouts until ORDER_MAX_ATTEMPTS: Fehler, though the partner has the order. 'Erneut
    senden' asks by key first and takes its number — no second POST, no second order."""
    app.config["ORDER_MAX_ATTEMPTS"] = 2
    control.faults("dreve", timeout_rate=1, timeout_ms=3000)
    order = order_one(world, world.dreve)
    work()
    deliver_when_due(order, 1)
    order = fresh(Order, order.id)
    assert order.status == ERROR and order.error_message.startswith("Gave up after 2 attempts")
    assert attempts_of(order) == [("submit", "ambiguous", None), ("lookup", "transient", None)]

    control.faults("dreve")
    services.resend(world.staff, order)
    db.session.commit()  # the request's unit of work
    work()
    order = fresh(Order, order.id)
    (stored,) = control.orders("dreve")
    assert order.locked and order.external_number == stored["number"]
    assert attempts_of(order)[-1] == ("lookup", "accepted", 200)
    assert len(control.received("dreve", method="POST")) == 1


# --- Redis loses its jobs ----------------------------------------------------------------------

def flush_redis(redis_url):
    """As if Redis restarted empty: every queued, scheduled and finished job is gone."""
    client = connect(redis_url)
    client.flushall()
    client.close()


def test_redis_emptied_before_any_worker_ran_loses_no_order(world, dreve, control, queue, work,
                                                           redis_url):
    """FLUSHALL after 'Bestellen': the worker finds nothing to do; the reconciler (its grace
    period passed) re-enqueues both rows and each order is delivered exactly once."""
    orders = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    flush_redis(redis_url)
    assert queue.count == 0 and not work()

    assert pipeline.reconcile() == 0  # within the grace period: their own jobs may still come
    later = utcnow() + timedelta(seconds=31)
    assert pipeline.reconcile(now=later) == 2
    work()
    assert pipeline.reconcile(now=later + timedelta(seconds=1)) == 0
    stored = {o["idempotency_key"]: o["number"] for o in control.orders("dreve")}
    for order in orders:
        order = fresh(Order, order.id)
        assert order.status == ORDERED
        assert stored[order.outbound.idempotency_key] == order.external_number
    assert len(stored) == len(control.received("dreve", method="POST")) == 2


def test_redis_emptied_after_a_retry_was_scheduled_loses_no_order(world, dreve, control, queue,
                                                                  work, redis_url):
    """A 503 schedules a retry (a delayed job in Redis); FLUSHALL loses it. The reconciler
    re-enqueues the overdue row, which is delivered once; a live scheduled retry, by
    contrast, is left alone."""
    control.faults("dreve", error_rate=1)
    order = order_one(world, world.dreve)
    work()
    assert queue.scheduled_job_registry.get_job_ids() == [fresh(Order, order.id).outbound.job_id]
    assert pipeline.reconcile() == 0

    flush_redis(redis_url)
    control.faults("dreve")
    wait_for(lambda: fresh(Order, order.id).outbound.next_attempt_at <= utcnow(), 5)
    assert pipeline.reconcile(now=utcnow() + timedelta(seconds=31)) == 1
    work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED
    assert attempts_of(order) == [("submit", "transient", 503), ("submit", "accepted", 201)]
    (stored,) = control.orders("dreve")
    assert stored["number"] == order.external_number


def test_a_retry_whose_scheduler_is_gone_is_reenqueued_by_the_reconciler(app, world, dreve,
                                                                         control, work, queue):
    """RQ's scheduler runs in one worker; if that worker is killed, its lock keeps the others
    from scheduling for minutes and a retry job stays 'scheduled' in Redis. Once the row is
    overdue by the grace period the reconciler does not trust that job any more: it enqueues
    the row, a worker without a scheduler delivers it."""
    app.config["ORDER_RECONCILE_GRACE_SECONDS"] = 0.2
    control.faults("dreve", error_rate=1)
    order = order_one(world, world.dreve)
    work()
    control.faults("dreve")
    assert queue.scheduled_job_registry.count == 1  # … and no scheduler will move it
    wait_for(lambda: pipeline.reconcile() == 1, 5, every=0.05, what="the reconciler")
    with app.app_context():
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert fresh(Order, order.id).status == ORDERED
    assert len(control.orders("dreve")) == 1


# --- a real worker killed mid-call ------------------------------------------------------------

def test_worker_killed_mid_call_is_recovered_and_the_partner_has_one_order(
        world, make_service, sandbox, control, flask_worker):
    """SIGKILL to a real `flask worker` (its group and its work-horse) while
    the partner holds the submit unanswered and the attempt is 'started'. A fresh worker
    runs; once the lease has run out the reconciler re-enqueues the row, the attempt is
    marked interrupted, the partner is asked by key and the order is Bestellt with its
    number. The sandbox holds exactly one order for the key."""
    make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve", connect_timeout="1",
        read_timeout="2"), name="Dreve ST", branch_id=world.st.id)
    # Recorded by the partner, then held longer than we wait: the worker is mid-call.
    control.faults("dreve", timeout_rate=1, timeout_ms=20000)
    order = order_one(world, world.dreve)
    key = order.outbound.idempotency_key
    first = flask_worker()
    wait_for(lambda: control.received("dreve", method="POST"), 30, what="the submit")
    kill_worker(first)

    outbound = fresh(Order, order.id).outbound
    assert outbound.state == IN_FLIGHT and attempts_of(order) == [("submit", STARTED, None)]
    control.faults("dreve")
    flask_worker()
    # The reconciler as the worker's periodic job runs it, here as often as the test likes.
    wait_for(lambda: jobs.orders.reconcile() or fresh(Order, order.id).outbound.state != IN_FLIGHT,
             20, every=0.2, what="the lease to run out")
    wait_for(lambda: fresh(Order, order.id).status == ORDERED, 30, every=0.1,
             what="the order to be Bestellt")

    order = fresh(Order, order.id)
    stored = [o for o in control.orders("dreve") if o["idempotency_key"] == key]
    assert len(stored) == 1 and order.external_number == stored[0]["number"]
    assert attempts_of(order) == [("submit", "interrupted", None), ("lookup", "accepted", 200)]
    assert order.outbound.state == DONE and not order.outbound.needs_lookup
    # Two processes did it: the killed horse, then one of the fresh worker.
    assert order.outbound.attempt_log[0].worker != order.outbound.attempt_log[1].worker
