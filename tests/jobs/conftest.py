"""Job tests run against the session's real Redis, emptied for each test."""
import signal

import pytest
from rq import SimpleWorker

from tests.factories import make_config
from webapp.queue import get_queue


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def queue(app):
    with app.app_context():
        queue = get_queue()  # on the app's own Redis client
    yield queue
    queue.connection.close()


@pytest.fixture
def work(app, queue):
    """Run the queued jobs in this process, as `flask worker --burst` would in a fork."""
    def work():
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with app.app_context():
                SimpleWorker([queue], connection=queue.connection).work(burst=True)
        finally:
            # RQ installs its own handlers; give pytest back its Ctrl-C.
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    return work
