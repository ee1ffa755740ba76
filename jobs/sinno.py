"""SiNNO jobs (webapp/sinno/chat.py). The periodic tick takes no ids: it starts a sync of
every logged-in chat as outbound work, one at a time per chat service (the exclusive key),
and the sync stores each message once, so a tick that runs twice, late, or beside a person's
"Jetzt synchronisieren" stores and notifies nothing twice."""
from webapp.extensions import db
from webapp.sinno import chat

from . import app_context


def sync_chats():
    """Periodic (every two to three minutes): sync the chat of every logged-in SiNNO
    account; returns how many syncs it started."""
    with app_context():
        started = chat.start_due_syncs()
        # One commit: the syncs' rows, their jobs enqueued after it.
        db.session.commit()
        return len(started)
