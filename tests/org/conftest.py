import contextlib

import pytest
from sqlalchemy import event

from webapp.extensions import db


class _Counter:
    count = 0


@pytest.fixture
def count_queries(app):
    """Counts SQL statements executed on the app's engine inside the `with` block."""

    @contextlib.contextmanager
    def counting():
        counter = _Counter()

        def before(*_args, **_kwargs):
            counter.count += 1

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
