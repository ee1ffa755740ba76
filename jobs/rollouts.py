"""Roll-outs to many branches (webapp/interfaces/rollouts.py). The job carries the roll-out's
id only; its steps in the database decide what is still to do, so a job run twice, late, or
after a Redis flush applies each branch once."""
from webapp.interfaces import rollouts

from . import app_context


def run(rollout_id):
    """Apply the roll-out's pending branches in order, each in its own transaction."""
    with app_context():
        return rollouts.run(rollout_id)


def reconcile():
    """Periodic (every minute): wake the roll-outs a killed worker or a lost job left
    running. Returns their ids."""
    with app_context():
        return rollouts.reconcile()
