"""Background jobs, one module per family. Jobs take ids, reload state and are idempotent."""
from contextlib import contextmanager

from flask import current_app, has_app_context

_app = None


@contextmanager
def app_context():
    """The app context a job runs in: the one `flask worker` (or a test) pushed, or, under a
    bare `rq worker`, an app built on first use. Never built at import time."""
    global _app
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        from webapp import create_app

        _app = create_app()
    with _app.app_context():
        yield _app
