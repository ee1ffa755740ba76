"""Planned credential changes (webapp/interfaces/credential_plans.py). The periodic tick takes
no ids and carries no secret: the plan rows in the database decide what is due, so a tick
that runs twice, late, or after a Redis flush changes each service's credentials once."""
from webapp.interfaces import credential_plans

from . import app_context


def tick():
    """Periodic (every minute): swap the plans whose time has come, then test them; pick up
    plans a killed worker left half way. Returns the counts."""
    with app_context():
        return credential_plans.run_due()
