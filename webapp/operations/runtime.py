"""The background machinery as Redis has it: each RQ queue with its length, each worker
with its state, current job and last heartbeat, and the periodic-job ticker. The same
readings as /ready and `flask doctor` (queue.workers, schedule.last_tick), in words."""
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app
from flask_babel import lazy_gettext as _l
from rq import Queue

from .. import queue
from ..interfaces.action_display import age
from ..schedule import last_tick

WORKER_STATES = {
    "busy": _l("busy"),
    "idle": _l("idle"),
    "started": _l("started"),
    "suspended": _l("suspended"),
}


@dataclass(frozen=True)
class QueueState:
    name: str
    queued: int
    running: int
    scheduled: int
    failed: int


@dataclass(frozen=True)
class Runtime:
    queues: list
    workers: list
    beats: dict  # worker name → how long ago its last heartbeat was, in words
    state_labels: dict
    ticked_at: datetime | None
    ticked: str  # how long ago, in words
    problem: str  # Redis could not be read: why; else ""


def read():
    """Queues (those the app uses and any other Redis knows), workers by name, the ticker."""
    try:
        connection = queue.get_redis()
        names = list(current_app.config["RQ_QUEUES"])
        names += sorted(q.name for q in Queue.all(connection=connection) if q.name not in names)
        queues = []
        for name in names:
            found = Queue(name, connection=connection)
            queues.append(QueueState(
                name=name, queued=found.count, running=found.started_job_registry.count,
                scheduled=found.scheduled_job_registry.count,
                failed=found.failed_job_registry.count))
        workers = queue.workers(current_app.config["READY_WORKER_HEARTBEAT_SECONDS"],
                                connection=connection)
        ticked_at = last_tick(connection)
    except redis.exceptions.RedisError as error:
        return Runtime([], [], {}, WORKER_STATES, None, "",
                       str(_l("Redis cannot be reached: %(error)s", error=str(error))))
    beats = {worker.name: age(worker.last_heartbeat) for worker in workers}
    return Runtime(queues, workers, beats, WORKER_STATES, ticked_at, age(ticked_at), "")
