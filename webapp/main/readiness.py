"""Is the installation ready to do its work? The checks of /ready and `flask doctor`: the
database, Redis, a live worker, the periodic-job ticker, and outbound work left overdue.
Each answers a Check; none raises. /health stays cheaper: the web process and its database."""
from dataclasses import dataclass

import redis
from flask import current_app
from sqlalchemy import text

from .. import queue
from ..extensions import db
from ..models_base import utcnow
from ..outbound.models import IN_FLIGHT, PENDING, Outbound
from ..queue import get_redis
from ..schedule import last_tick


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what is wrong and what to do; never a secret


def database():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return Check("database", False, f"unreachable: {type(error).__name__}")
    return Check("database", True, db.engine.url.get_backend_name())


def redis_server():
    try:
        get_redis().ping()
    except redis.exceptions.RedisError as error:
        return Check("redis", False, f"unreachable: {error}")
    return Check("redis", True, "answers")


def workers():
    """At least one RQ worker whose heartbeat is recent (a dead one's key lingers a while)."""
    try:
        found = queue.workers(current_app.config["READY_WORKER_HEARTBEAT_SECONDS"])
    except redis.exceptions.RedisError as error:
        return Check("workers", False, f"unknown, Redis unreachable: {error}")
    alive = [worker for worker in found if worker.alive]
    if not alive:
        return Check("workers", False, "no live worker: start `flask --app app worker` "
                                       "(systemctl start schnittstellen-worker@1)")
    return Check("workers", True, f"{len(alive)} alive")


def scheduler():
    """The ticker every worker runs has enqueued periodic jobs lately."""
    limit = current_app.config["READY_TICK_MAX_AGE_SECONDS"]
    try:
        at = last_tick(get_redis())
    except redis.exceptions.RedisError as error:
        return Check("scheduler", False, f"unknown, Redis unreachable: {error}")
    if at is None:
        return Check("scheduler", False, "has never ticked: no worker has run since Redis started")
    age = (utcnow() - at).total_seconds()
    if age > limit:
        return Check("scheduler", False, f"last tick {age:.0f} s ago (more than {limit} s)")
    return Check("scheduler", True, f"last tick {age:.0f} s ago")


def overdue_outbound():
    """The oldest outbound operation that should have run by now: due and pending, or in
    flight with its lease run out. Older than READY_MAX_OVERDUE_SECONDS: work is stuck."""
    limit = current_app.config["READY_MAX_OVERDUE_SECONDS"]
    now = utcnow()
    try:
        candidates = [
            db.session.scalar(db.select(Outbound.next_attempt_at).where(
                Outbound.state == PENDING, Outbound.next_attempt_at <= now)
                .order_by(Outbound.next_attempt_at).limit(1)),
            db.session.scalar(db.select(Outbound.lease_until).where(
                Outbound.state == IN_FLIGHT, Outbound.lease_until <= now)
                .order_by(Outbound.lease_until).limit(1)),
        ]
    except Exception as error:  # noqa: BLE001 - the database check reports it
        db.session.rollback()
        return Check("outbound", False, f"unknown: {type(error).__name__}")
    since = min((moment for moment in candidates if moment is not None), default=None)
    if since is None:
        return Check("outbound", True, "nothing overdue")
    age = (now - _aware(since)).total_seconds()
    if age > limit:
        return Check("outbound", False, f"oldest overdue operation waits for {age:.0f} s "
                                        f"(more than {limit} s): are the workers running?")
    return Check("outbound", True, f"oldest due operation waits for {age:.0f} s")


READY = (database, redis_server, workers, scheduler, overdue_outbound)


def ready():
    """Every check of /ready, in order."""
    return [check() for check in READY]


def _aware(moment):
    """SQLite hands back naive UTC datetimes, RQ sometimes too."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)
