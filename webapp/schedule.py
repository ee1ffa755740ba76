"""Periodic jobs: the schedule (dotted paths of the job functions in jobs/, so this module
imports none of them) and the ticker every worker runs. RQ's own cron is still beta, so every worker runs a small ticker instead:
on each tick it tries `SET periodic:<name> NX EX <interval>` and enqueues the job only if it
won the key. However many workers run, each periodic job is enqueued once per interval."""
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

import redis

from .queue import enqueue_now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # dotted path, imported by the worker that runs it
    interval: int  # seconds


PERIODIC = (
    Periodic("prune-login-attempts", "jobs.maintenance.prune_login_attempts", 24 * 3600),
    Periodic("prune-change-log", "jobs.maintenance.prune_change_log", 24 * 3600),
    # The safety net for outbound work: lost jobs and dead workers are recovered within a
    # minute or so (interval plus the ticker's period).
    Periodic("reconcile-outbound", "jobs.outbound.reconcile", 60),
    Periodic("refresh-order-statuses", "jobs.orders.refresh_statuses", 15 * 60),
    # Starts the day's nightly connection tests once the chain's time for them has passed;
    # the day's row in the database, not this interval, makes it once a day.
    Periodic("interface-health", "jobs.health.tick", 5 * 60),
    # Planned credential changes whose time has come, and plans a killed worker left half
    # way; the plan rows in the database, not this interval, make each change once.
    Periodic("credential-plans", "jobs.credential_plans.tick", 60),
    # Roll-outs a killed worker or a lost job left running, once their lease ran out; the
    # steps in the database, not this interval, make each branch's change once.
    Periodic("rollouts", "jobs.rollouts.reconcile", 60),
    # Refreshes due Audoora registrations once a night when the chain asks for it; the
    # outbound rows in the database, not this interval, make it once a night.
    Periodic("audoora-auto-refresh", "jobs.audoora.refresh_registrations", 5 * 60),
    # An Audoora cart is kept for 6 hours (seed 002); ended within about 5 minutes of that.
    Periodic("expire-audoora-carts", "jobs.audoora_carts.expire", 5 * 60),
    # Card orders go out per template interval (daily, weekly, monthly) in the chain's time
    # zone; the batches in the database make each interval's batch once.
    Periodic("card-batches", "jobs.cards.tick", 5 * 60),
    # SiNNO's chat every two to three minutes (this interval plus the ticker's minute) while
    # its account is logged in; a message is stored once however often it is fetched.
    Periodic("sinno-chat-sync", "jobs.sinno.sync_chats", 2 * 60),
)


LAST_TICK_KEY = "periodic:last-tick"


def last_tick(connection):
    """When any worker's ticker last ran (UTC), None if none has since Redis started."""
    value = connection.get(LAST_TICK_KEY)
    return datetime.fromtimestamp(float(value), timezone.utc) if value else None


def tick(queue, periodic=PERIODIC):
    """Enqueue each periodic job whose interval key this call won; returns their names."""
    won = []
    try:
        # /ready and `flask doctor` tell from this whether periodic work is still enqueued.
        queue.connection.set(LAST_TICK_KEY, str(time.time()), ex=24 * 3600)
    except redis.exceptions.RedisError as error:
        log.warning("Periodic tick skipped (%s)", error)
        return won
    for job in periodic:
        try:
            if not queue.connection.set(f"periodic:{job.name}", "1", nx=True, ex=job.interval):
                continue
        except redis.exceptions.RedisError as error:
            log.warning("Periodic tick skipped (%s)", error)
            return won
        won.append(job.name)
        log.info("Enqueueing periodic job %s", job.name)
        enqueue_now(job.func, job_id=f"periodic-{job.name}", queue=queue)
    return won


class Ticker(threading.Thread):
    """Calls tick() every `every` seconds until stop(). Runs beside RQ's work loop, which
    blocks in BLPOP and has no hook for timed work. The queue must have its own Redis
    client: the worker's forked work-horses never touch it."""

    def __init__(self, queue, every=60, periodic=PERIODIC):
        super().__init__(name="periodic-ticker", daemon=True)
        self.queue, self.every, self.periodic = queue, every, periodic
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(self.every):
            tick(self.queue, self.periodic)

    def stop(self):
        self._stop_event.set()
        self.join(timeout=5)
