"""A connection test whose real `flask worker` is killed with SIGKILL mid-call: the run is
neither lost nor finished twice. The mail server accepts the connection and never greets, so
the worker is blocked inside the test when it dies."""
import socket
import threading
from datetime import timedelta

import pytest

from tests.factories import SMTP_RAW, fresh, make_config, wait_for
from tests.factories import kill_worker
from webapp.extensions import db
from webapp.interfaces import actions
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.models import FAILED, IN_FLIGHT, INTERRUPTED, STARTED, Outbound

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def silent_server():
    """Accepts connections and never says a word (holds them until the test ends)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held, stop = [], threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    server.close()


def test_a_worker_killed_during_a_test_neither_loses_it_nor_finishes_it_twice(
        world, make_service, silent_server, flask_worker):
    service = make_service("smtp", {**SMTP_RAW, "host": "127.0.0.1", "port": str(silent_server),
                                    "encryption": "none", "timeout": "3"}, name="Stumm")
    row, created = actions.start(world.admin, service, "test")
    db.session.commit()
    assert created
    first = flask_worker()
    wait_for(lambda: [a.outcome for a in fresh(Outbound, row.id).attempt_log] == [STARTED], 30,
             what="the worker to be inside the test")
    kill_worker(first)
    row = fresh(Outbound, row.id)
    assert row.state == IN_FLIGHT
    # Time passes: the dead worker's lease runs out (instead of waiting for it).
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    flask_worker()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    wait_for(lambda: fresh(Outbound, row.id).state == FAILED, 30, every=0.1,
             what="the test to end")
    row = fresh(Outbound, row.id)
    assert [a.outcome for a in row.attempt_log] == [INTERRUPTED, "permanent"]
    assert row.attempt_log[0].worker != row.attempt_log[1].worker
    assert row.exclusive_key is None and row.sealed is None
    failed = next(step for step in row.progress["steps"] if step["state"] == "failed")
    assert (failed["step"], failed["reason"]) == ("connect", "timeout")
    assert engine.reconcile(now=utcnow() + timedelta(minutes=10)) == 0
