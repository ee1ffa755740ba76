"""Card batches (webapp/cards/batching.py). The periodic tick takes no ids: the batches in
the database decide what is sent, so a tick that runs twice, late, or after a Redis flush
sends each interval's cards once."""
from webapp.cards import batching

from . import app_context


def tick():
    """Periodic (every few minutes): start the batches whose interval ended; returns how
    many."""
    with app_context():
        return len(batching.collect())
