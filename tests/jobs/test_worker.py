"""`flask worker` as operators run it: a separate process forking a work-horse per job."""
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from webapp.auth.models import LoginAttempt
from webapp.devrun import ROOT
from webapp.extensions import db
from webapp.models_base import utcnow

pytestmark = pytest.mark.redis


def test_worker_command_runs_periodic_prune_in_a_forked_horse(app, redis_url, tmp_path):
    """`flask worker --burst` ticks, enqueues the periodic prune and runs it in a forked
    work-horse against the database: old login attempts are gone."""
    with app.app_context():
        db.session.add_all([
            LoginAttempt(username="anna", address="::1", at=utcnow() - timedelta(days=60)),
            LoginAttempt(username="anna", address="::1", at=utcnow()),
        ])
        db.session.commit()
        database_url = db.engine.url.render_as_string(hide_password=False)
        db.engine.dispose()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHNITTSTELLEN_")}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url,
               SECRET_KEY=app.config["SECRET_KEY"], ENCRYPTION_KEYS=app.config["ENCRYPTION_KEYS"],
               SCHNITTSTELLEN_INSTANCE_PATH=str(tmp_path / "instance"))
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--burst"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "periodic-prune-login-attempts" in result.stdout + result.stderr
    with app.app_context():
        remaining = db.session.scalars(db.select(LoginAttempt)).all()
        assert len(remaining) == 1 and remaining[0].at > utcnow() - timedelta(days=1)
