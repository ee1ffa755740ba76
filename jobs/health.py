"""Interface health jobs (webapp/interfaces/health_checks.py). The periodic tick takes no
ids: the day's HealthRun row in the database decides whether the nightly re-test starts, so a
tick that runs twice, late, or after a Redis flush starts a day's tests once."""
from webapp.extensions import db
from webapp.interfaces import health_checks

from . import app_context


def tick():
    """Periodic (every few minutes): start today's nightly connection tests once the chain's
    time for them has passed; returns how many tests it started (0 when not due or done)."""
    with app_context():
        run = health_checks.start_nightly_run()
        # One commit: the day's marker and its tests together, the tests' jobs after it.
        db.session.commit()
        return run.tests if run is not None else 0
