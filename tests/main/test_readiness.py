"""/ready and `flask doctor` against a real Redis, a registered RQ worker (and a real `flask
worker` stopped as systemd stops it) and the ticker: 200 when all is well, 503 naming the
reason when Redis is down, no worker lives, the ticker stopped or outbound work is overdue."""
import signal
import uuid
from datetime import timedelta

import pytest
from rq import Worker
from sqlalchemy.engine import make_url

from tests.factories import PG_URL, make_config, wait_for
from webapp import create_app
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.outbound.models import PENDING, Outbound
from webapp.queue import connect, get_queue
from webapp.schedule import tick


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


@pytest.fixture
def worker(app, redis_url):
    """A real RQ worker registered on the queues, as `flask worker` registers (not working)."""
    worker = Worker(app.config["RQ_QUEUES"], connection=connect(redis_url))
    worker.register_birth()
    worker.heartbeat()
    yield worker
    worker.register_death()
    worker.connection.close()


@pytest.fixture
def ticked(app):
    """The periodic-job ticker ran once, as every worker's does each minute."""
    with app.app_context():
        queue = get_queue()
        tick(queue, periodic=())
        queue.connection.close()


def test_ready_when_everything_runs(client, worker, ticked):
    """Database, Redis, a live worker and a recent tick: 200, without a login."""
    response = client.get("/ready")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok"
    assert set(response.json["checks"]) == {"database", "redis", "workers", "scheduler", "outbound"}


def test_not_ready_without_a_worker(client, ticked):
    """No worker registered: 503 and the reason says so."""
    response = client.get("/ready")
    assert response.status_code == 503
    assert "no live worker" in response.json["reason"]
    assert response.json["checks"]["redis"]["ok"]


def test_not_ready_when_the_worker_is_gone(client, worker, ticked):
    """A worker that stopped (its registration removed) no longer counts."""
    worker.register_death()
    assert client.get("/ready").status_code == 503


def test_not_ready_when_redis_is_down(tmp_path, _pg_schema):
    """Redis not listening: 503 naming Redis, and workers and ticker as unknown."""
    app = create_app(make_config(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    with app.app_context():
        db.create_all()
    response = app.test_client().get("/ready")
    assert response.status_code == 503
    assert response.json["reason"].startswith("redis: unreachable")
    assert not response.json["checks"]["workers"]["ok"]
    with app.app_context():
        db.engine.dispose()


def test_not_ready_when_the_ticker_stopped(client, worker):
    """Workers registered but no tick since Redis started: periodic work is not enqueued."""
    response = client.get("/ready")
    assert response.status_code == 503
    assert "scheduler: has never ticked" in response.json["reason"]


def test_not_ready_with_overdue_outbound_work(app, client, worker, ticked):
    """An outbound row due for longer than READY_MAX_OVERDUE_SECONDS: 503 with its age;
    a row just due is fine."""
    with app.app_context():
        db.session.add(Outbound(kind="order_submit", subject_type="order", subject_id=1,
                                idempotency_key="just-due", state=PENDING,
                                next_attempt_at=utcnow() - timedelta(seconds=5)))
        db.session.commit()
    assert client.get("/ready").status_code == 200
    with app.app_context():
        db.session.add(Outbound(kind="order_submit", subject_type="order", subject_id=2,
                                idempotency_key="stuck", state=PENDING,
                                next_attempt_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    response = client.get("/ready")
    assert response.status_code == 503
    assert "outbound: oldest overdue operation waits for 360" in response.json["reason"]


def test_doctor_all_green_after_upgrade(tmp_path, redis_url, monkeypatch):
    """On a migrated database with Redis, a worker and the ticker, `flask doctor` passes;
    without a worker it fails and says how to start one."""
    app = create_app(make_config(tmp_path, REDIS_URL=redis_url,
                                 SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'doctor.db'}",
                                 SECRET_KEY="doctor-secret-key-of-more-than-32-characters"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    missing = runner.invoke(args=["doctor"])
    assert missing.exit_code == 1
    assert "FAIL  workers" in missing.output and "flask --app app worker" in missing.output
    worker = Worker(app.config["RQ_QUEUES"], connection=connect(redis_url))
    worker.register_birth()
    worker.heartbeat()
    with app.app_context():
        tick(get_queue(), periodic=())
    result = runner.invoke(args=["doctor"])
    worker.register_death()
    worker.connection.close()
    assert result.exit_code == 0, result.output
    for name in ("keys", "database", "migrations", "redis", "workers", "scheduler", "outbound"):
        assert f"ok    {name}" in result.output
    assert "All checks passed." in result.output


def test_doctor_names_a_database_behind_the_migrations(app, runner, redis_url):
    """A database made without the migrations: doctor says to run `flask db upgrade`."""
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "FAIL  migrations" in result.output and "db upgrade" in result.output


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")
def test_doctor_refuses_a_postgresql_database_that_is_not_utf8(tmp_path):
    """Searches fold umlauts and tell ASCII values by their byte length: on a LATIN1
    database (what createdb gives under a Latin-1 locale) "öko" would quietly miss
    "Öko-Akustik"; doctor says so."""
    import psycopg

    server = make_url(PG_URL)
    name = f"doctor_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE \"{name}\" ENCODING 'LATIN1' TEMPLATE template0 "
                           "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        app = create_app(make_config(tmp_path, SQLALCHEMY_DATABASE_URI=server.set(
            database=name).render_as_string(hide_password=False)))
        result = app.test_cli_runner().invoke(args=["doctor", "--before-start"])
        with app.app_context():
            db.engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    assert result.exit_code == 1
    assert "FAIL  encoding      the database is LATIN1" in result.output
    assert "createdb -E UTF8 -T template0" in result.output


def test_not_ready_once_a_real_worker_stopped(client, flask_worker, tmp_path):
    """`flask worker` as operators run it: /ready is 200 while it runs (it ticks as it
    starts); stopped as systemd stops it (SIGTERM) and exited, /ready is 503 naming it."""
    process = flask_worker(tick=None, fast=False)
    ready = wait_for(lambda: (response := client.get("/ready")).status_code == 200 and response,
                     timeout=15, every=0.2, what="/ready to see the worker")
    assert ready.json["checks"]["workers"]["ok"]
    # RQ registers the worker before it handles SIGTERM (a SIGTERM then kills it outright,
    # leaving its registration); once it has run a job, it handles it.
    wait_for(lambda: "Job OK (periodic-" in (tmp_path / "worker-0.log").read_text(), timeout=10,
             every=0.1, what="the worker to run the periodic jobs it enqueued")
    process.send_signal(signal.SIGTERM)
    assert process.wait(15) == 0  # a warm shutdown: it deregisters itself
    response = client.get("/ready")
    assert response.status_code == 503
    assert response.json["reason"].startswith("workers: no live worker")
    assert not response.json["checks"]["workers"]["ok"] and response.json["checks"]["redis"]["ok"]
