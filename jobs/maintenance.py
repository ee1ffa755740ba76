"""Housekeeping jobs, run periodically by the workers (see webapp/schedule.py). A job has no
request: it commits its own unit of work."""
import logging

from webapp.auth.services import prune_login_attempts as prune_attempts
from webapp.changelog.services import prune as prune_entries
from webapp.extensions import db
from webapp.submissions import prune as prune_submissions
from webapp.users.sessions import prune_sessions

from . import app_context

log = logging.getLogger(__name__)


def prune_login_attempts():
    """Delete login attempts older than the throttling needs, login sessions ended or unused
    for as long, and old one-time form tokens; returns how many attempts."""
    with app_context():
        count, sessions, tokens = prune_attempts(), prune_sessions(), prune_submissions()
        db.session.commit()
    log.info("Pruned %d old login attempts, %d old login sessions and %d old form tokens",
             count, sessions, tokens)
    return count


def prune_change_log():
    """Delete change-log entries older than three years; returns how many."""
    with app_context():
        count = prune_entries()
        db.session.commit()
    log.info("Pruned %d old change-log entries", count)
    return count
