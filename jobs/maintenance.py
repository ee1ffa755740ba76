"""Housekeeping jobs, run periodically by the workers (see jobs/schedule.py)."""
import logging

from . import app_context

log = logging.getLogger(__name__)


def prune_login_attempts():
    """Delete login attempts older than the throttling needs; returns how many."""
    from webapp.auth.services import prune_login_attempts as prune

    with app_context():
        count = prune()
    log.info("Pruned %d old login attempts", count)
    return count


def prune_change_log():
    """Delete change-log entries older than three years; returns how many."""
    from webapp.changelog.services import prune

    with app_context():
        count = prune()
    log.info("Pruned %d old change-log entries", count)
    return count
