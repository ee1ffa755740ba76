"""Redis and RQ plumbing: the app's Redis connection and enqueueing after a commit.

The database is the source of truth for outbound work; a job only wakes a worker. So an
enqueue that fails (Redis down, job already queued) is logged and otherwise ignored: the row
stays due and the reconciler enqueues it again.

Why jobs are enqueued from the session's `after_commit` event and not by an explicit call
after `db.session.commit()`: services own their commit ("one commit per request"), and a job
enqueued before that commit could run before its row is visible, or for a row that is then
rolled back. Queued jobs are kept on the session and sent only when the root transaction
commits; a rollback, or a session closed without commit, drops them. Callers cannot forget
the second step, and a job never outlives a rolled-back transaction.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import redis
from flask import current_app
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import configure_mappers

from .extensions import db

log = logging.getLogger(__name__)

_PENDING = "schnittstellen.pending_jobs"
# Statuses of a job record that no longer wakes anybody: a new job with its id replaces it.
_DONE = {JobStatus.FINISHED, JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED}


def connect(url, **options):
    """A Redis client for `url`. Short timeouts: a web request must not hang on a dead Redis."""
    options.setdefault("socket_connect_timeout", 2)
    options.setdefault("socket_timeout", 5)
    return redis.Redis.from_url(url, **options)


def get_redis(app=None):
    """The app's Redis client (from REDIS_URL), created on first use and kept on the app."""
    app = app or current_app._get_current_object()
    client = app.extensions.get("schnittstellen.redis")
    if client is None:
        url = app.config.get("REDIS_URL")
        if not url:
            raise redis.exceptions.ConnectionError(
                "REDIS_URL is not set (`make run` starts a Redis and sets it)")
        client = app.extensions["schnittstellen.redis"] = connect(url)
    return client


def get_queue(name=None, connection=None):
    """An RQ queue; by default the first of RQ_QUEUES on the app's Redis."""
    name = name or current_app.config["RQ_QUEUES"][0]
    return Queue(name, connection=connection or get_redis())


def job_id_for(func, *ids):
    """One in-flight job per function and input, e.g. 'orders_submit-42' for
    jobs.orders.submit(42) (RQ allows letters, digits, '_' and '-' in job ids)."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    return "-".join([path.removeprefix("jobs.").replace(".", "_"), *map(str, ids)])


def enqueue_now(func, *args, job_id, queue=None, delay=None, **options):
    """Enqueue `func(*args)` under a unique `job_id` — with `delay` (seconds) through RQ's
    scheduler instead. Returns the job, or None when a job with that id is already waiting
    or running, or Redis cannot be reached."""
    try:
        queue = queue if isinstance(queue, Queue) else get_queue(queue)
        if delay is not None:
            # RQ's scheduler keeps whole seconds: it drops the fraction of the due time, so
            # the job could run up to a second early — find its row not yet due and leave it
            # to the reconciler. Round up instead.
            when = datetime.now(timezone.utc) + timedelta(seconds=delay)
            if when.microsecond:
                when = when.replace(microsecond=0) + timedelta(seconds=1)
            return queue.enqueue_at(when, func, *args, job_id=job_id, **options)
        try:
            return queue.enqueue(func, *args, job_id=job_id, unique=True, **options)
        except DuplicateJobError:
            if not _drop_if_done(job_id, queue.connection):
                log.info("Job %s is already queued or running", job_id)
                return None
        # A finished or failed record was in the way; if another process enqueued in the
        # meantime, this is a duplicate again and its job does the work.
        return queue.enqueue(func, *args, job_id=job_id, unique=True, **options)
    except DuplicateJobError:
        log.info("Job %s is already queued or running", job_id)
    except redis.exceptions.RedisError as error:
        log.warning("Could not enqueue job %s (%s); its row stays due for the reconciler",
                    job_id, error)
    return None


def _drop_if_done(job_id, connection):
    """Delete the record of a finished or failed job; True when the id is free again."""
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        return True  # expired between the two calls
    if job.get_status(refresh=False) in _DONE:
        job.delete()
        return True
    return False


def enqueue_after_commit(func, *ids, job_id=None, queue=None, **options):
    """Enqueue `func(*ids)` once the current transaction commits; nothing on rollback.
    `func` is a function or its dotted path; the job id defaults to function + ids, so one
    input has one job in flight at a time. (Jobs added inside a SAVEPOINT that is rolled back
    are still sent when the outer transaction commits.)"""
    session = db.session()
    if not session.in_transaction():
        # Tie the job to a transaction, so that a rollback or close drops it.
        session.begin()
    session.info.setdefault(_PENDING, []).append(
        (func, ids, job_id or job_id_for(func, *ids), queue, options))


@event.listens_for(db.session, "after_commit")
def _send_pending(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the outer transaction may still roll back
    for func, ids, job_id, queue, options in session.info.pop(_PENDING, []):
        try:
            enqueue_now(func, *ids, job_id=job_id, queue=queue, **options)
        except Exception:  # noqa: BLE001 - the commit has happened; raising would lie about it
            log.exception("Could not enqueue job %s; its row stays due for the reconciler", job_id)


@event.listens_for(db.session, "after_transaction_end")
def _drop_pending(session, transaction):
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


@dataclass(frozen=True)
class WorkerState:
    """What Redis says about one RQ worker. `job` is the function of the job it runs, never
    its arguments; `alive`: its last heartbeat is at most the limit old."""
    name: str
    state: str  # RQ's: busy, idle, suspended, started, …
    queues: tuple
    job: str
    last_heartbeat: datetime | None
    alive: bool


def workers(heartbeat_limit, connection=None, now=None):
    """Every worker registered in Redis, by name (a dead one's key lingers a while: it is
    not `alive`). `heartbeat_limit` in seconds. Raises RedisError when Redis is down."""
    connection = connection or get_redis()
    now = now or datetime.now(timezone.utc)
    found = sorted(Worker.all(connection=connection), key=lambda worker: worker.name)
    job_ids = [worker.get_current_job_id() for worker in found]
    jobs = dict(zip(job_ids, Job.fetch_many([i for i in job_ids if i], connection=connection)))
    states = []
    for worker, job_id in zip(found, job_ids):
        job = jobs.get(job_id) if job_id else None
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=timezone.utc)  # RQ hands back naive UTC
        states.append(WorkerState(
            name=worker.name, state=str(worker.get_state() or ""),
            queues=tuple(queue.name for queue in worker.queues),
            job=_function_of(job) if job is not None else "", last_heartbeat=beat,
            alive=beat is not None and (now - beat).total_seconds() <= heartbeat_limit))
    return states


def _function_of(job):
    """The dotted name of a job's function; '' when its data cannot be read."""
    try:
        return job.func_name or ""
    except Exception:  # noqa: BLE001 - a job written by another version must not break a page
        return ""


class AppWorker(Worker):
    """RQ's forking worker. Each job runs in a forked work-horse inside the app context the
    `flask worker` command pushed; the fork's copy of the SQLAlchemy pool holds the parent's
    connections, so the horse starts with a fresh pool of its own. What the parent has not
    set up, every horse sets up again: the ORM's mappers are configured once, before the
    first fork."""

    def work(self, *args, **kwargs):
        configure_mappers()
        return super().work(*args, **kwargs)

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)
        super().main_work_horse(job, queue)
