"""Enqueueing after commit against a real Redis."""
import logging
from datetime import timedelta

import pytest
from rq.job import Job, JobStatus

from webapp.auth.models import LoginAttempt
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.queue import enqueue_after_commit, enqueue_now, job_id_for

pytestmark = pytest.mark.redis
PRUNE = "jobs.maintenance.prune_login_attempts"


def _attempt(days_ago=0):
    return LoginAttempt(username="anna", address="127.0.0.1", at=utcnow() - timedelta(days=days_ago))


def test_job_is_enqueued_only_when_the_transaction_commits(app, queue):
    """Nothing reaches Redis before the commit; the job is there right after it."""
    with app.app_context():
        db.session.add(_attempt())
        enqueue_after_commit(PRUNE, job_id="prune-now")
        db.session.flush()
        assert queue.count == 0
        db.session.commit()
        assert queue.job_ids == ["prune-now"]


def test_rollback_drops_the_job(app, queue):
    """A rolled-back transaction enqueues nothing, not even with the next commit."""
    with app.app_context():
        db.session.add(_attempt())
        enqueue_after_commit(PRUNE, job_id="prune-now")
        db.session.rollback()
        db.session.add(_attempt())
        db.session.commit()
        assert queue.count == 0


def test_job_waits_for_the_outer_transaction_not_a_savepoint(app, queue):
    """Releasing a SAVEPOINT is not the commit: the job waits for the real one."""
    with app.app_context():
        db.session.add(_attempt())
        with db.session.begin_nested():
            enqueue_after_commit(PRUNE, job_id="prune-now")
        assert queue.count == 0
        db.session.commit()
        assert queue.job_ids == ["prune-now"]


def test_default_job_id_is_function_and_ids(app, queue):
    """One job per function and input: the id is derived from both."""
    with app.app_context():
        enqueue_after_commit(PRUNE, 7, "x")
        db.session.commit()
    assert queue.job_ids == ["maintenance_prune_login_attempts-7-x"] == [job_id_for(PRUNE, 7, "x")]


def test_duplicate_job_ids_do_not_duplicate_jobs(app, queue):
    """The same job id, enqueued twice in one commit and again later, is one queued job."""
    with app.app_context():
        enqueue_after_commit(PRUNE, job_id="prune-once")
        enqueue_after_commit(PRUNE, job_id="prune-once")
        db.session.commit()
        enqueue_after_commit(PRUNE, job_id="prune-once")
        db.session.commit()
    assert queue.job_ids == ["prune-once"]


def test_finished_job_does_not_block_its_id(app, queue, work):
    """Once a job has finished, the same id can wake a worker again."""
    with app.app_context():
        assert enqueue_now(PRUNE, job_id="prune-again", queue=queue) is not None
        work()
        assert Job.fetch("prune-again", connection=queue.connection).get_status() == JobStatus.FINISHED
        assert enqueue_now(PRUNE, job_id="prune-again", queue=queue) is not None
    assert queue.job_ids == ["prune-again"]


def test_redis_down_logs_a_warning_and_keeps_the_commit(app, caplog):
    """With Redis unreachable the commit succeeds and a warning is logged."""
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nobody listens there
    with app.app_context(), caplog.at_level(logging.WARNING, logger="webapp.queue"):
        db.session.add(_attempt())
        enqueue_after_commit(PRUNE, job_id="prune-later")
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)) == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "prune-later" in warnings[0].getMessage()
    assert "reconciler" in warnings[0].getMessage()


def test_worker_prunes_old_login_attempts(app, queue, work):
    """A SimpleWorker runs the prune job against the test database: old rows go."""
    with app.app_context():
        db.session.add_all([_attempt(days_ago=40), _attempt(days_ago=31), _attempt(days_ago=1)])
        enqueue_after_commit(PRUNE)
        db.session.commit()
    work()
    with app.app_context():
        job = Job.fetch(job_id_for(PRUNE), connection=queue.connection)
        assert job.get_status() == JobStatus.FINISHED
        assert job.return_value() == 2
        remaining = db.session.scalars(db.select(LoginAttempt)).all()
        assert [a.at.date() for a in remaining] == [(utcnow() - timedelta(days=1)).date()]
