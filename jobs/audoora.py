"""Audoora jobs (webapp/audoora/nightly.py). The periodic tick takes no ids: the outbound
rows in the database say whether a service was refreshed automatically tonight, so a tick
that runs twice, late, or after a Redis flush refreshes each service once a night."""
from webapp.audoora import nightly
from webapp.extensions import db

from . import app_context


def refresh_registrations():
    """Periodic (every few minutes): when the chain asks for it, start tonight's refresh of
    every Audoora registration that is due; returns how many it started."""
    with app_context():
        started = nightly.start_nightly_refreshes()
        # One commit: the refreshes' rows, their jobs enqueued after it.
        db.session.commit()
        return len(started)
