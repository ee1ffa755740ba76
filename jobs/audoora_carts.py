"""The Audoora cart's 6 hours (webapp/audoora/carts.py). Periodic and idempotent: it ends
the open carts past their time by a conditional UPDATE, so a run that comes twice, late, or
from two workers at once ends each cart once."""
from webapp.audoora import carts
from webapp.extensions import db

from . import app_context


def expire():
    """Periodic (every few minutes): end the carts whose 6 hours are over; returns how many."""
    with app_context():
        ended = carts.expire()
        db.session.commit()
        return ended
