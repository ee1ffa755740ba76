"""Periodic jobs: the ticker enqueues each job once per interval, however many workers tick."""
import threading
import time

import pytest
from rq import Queue

from webapp.schedule import PERIODIC, Periodic, Ticker, tick
from webapp.queue import connect

pytestmark = pytest.mark.redis
EVERY_MINUTE = (Periodic("test-prune", "jobs.maintenance.prune_login_attempts", 60),)


def test_racing_tickers_enqueue_once_per_interval(app, queue, work, redis_url):
    """Two workers ticking at the same moment enqueue the job once; again only after the
    interval has passed."""
    # Two workers: each has its own connection.
    queues = [Queue(queue.name, connection=connect(redis_url)) for _ in range(2)]
    barrier = threading.Barrier(len(queues))
    results = [None] * len(queues)

    def race(index):
        barrier.wait()
        results[index] = tick(queues[index], EVERY_MINUTE)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(queues))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[], ["test-prune"]]
    assert queue.job_ids == ["periodic-test-prune"]
    # Within the interval nobody enqueues it again; the claim expires with the interval.
    assert 0 < queue.connection.ttl("periodic:test-prune") <= 60
    assert tick(queues[0], EVERY_MINUTE) == [] and tick(queues[1], EVERY_MINUTE) == []

    work()
    assert queue.count == 0
    # The interval has passed (no waiting on the clock on a loaded machine): the claim is gone.
    queue.connection.delete("periodic:test-prune")
    assert tick(queues[1], EVERY_MINUTE) == ["test-prune"]
    assert tick(queues[0], EVERY_MINUTE) == []
    assert queue.job_ids == ["periodic-test-prune"]
    for own in queues:
        own.connection.close()


def test_ticker_thread_ticks_until_stopped(app, queue, redis_url):
    """The worker's ticker thread enqueues due jobs on its own and stops when asked."""
    ticker = Ticker(Queue(queue.name, connection=connect(redis_url)), every=0.05,
                    periodic=EVERY_MINUTE)
    ticker.start()
    deadline = time.monotonic() + 5
    while queue.count == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    ticker.stop()
    assert not ticker.is_alive()
    assert queue.job_ids == ["periodic-test-prune"]
    ticker.queue.connection.close()


def test_registry_names_importable_jobs():
    """Every periodic job points at a function that exists, with a sane interval."""
    import importlib

    for job in PERIODIC:
        module, name = job.func.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name))
        assert job.interval >= 60
