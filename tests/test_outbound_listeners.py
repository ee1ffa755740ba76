"""The outbound engine's listeners (handlers.listen): called once when a row of their kind
ends, done or failed, never on a retry; what a listener adds commits with the row's result;
a listener that fails is undone alone, and the result is kept."""
from datetime import timedelta

import pytest

from tests.factories import fresh, make_config
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.org.models import Branch
from webapp.outbound import engine, handlers
from webapp.outbound.handlers import (
    ACCEPTED, PERMANENT, TRANSIENT, Handler, Outcome, listen, register,
)
from webapp.outbound.models import DONE, FAILED, PENDING, Outbound


class Answering(Handler):
    kind = "test_listened"
    repeat_is_safe = True

    def __init__(self):
        self.script = []

    def prepare(self, row):
        return row.id

    def max_duration(self, request):
        return 1

    def submit(self, request, report):
        return self.script.pop(0)


@pytest.fixture
def app_config(tmp_path):
    return make_config(tmp_path, OUTBOUND_RETRY_BASE_SECONDS=0.01,
                       OUTBOUND_RETRY_CAP_SECONDS=0.02)


@pytest.fixture
def handler(app, monkeypatch):
    """The kind and its listeners for this test only; jobs are not enqueued (no Redis)."""
    monkeypatch.setattr(engine, "enqueue_after_commit", lambda *args, **kwargs: None)
    monkeypatch.setattr(handlers, "_LISTENERS", {})
    with app.app_context():
        yield register(Answering())


def started():
    row, _created = engine.start(Answering.kind, "thing", 1)
    db.session.commit()
    return row.id


def deliver(row_id):
    row = fresh(Outbound, row_id)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    engine.deliver(row_id)
    return fresh(Outbound, row_id)


def test_a_listener_hears_each_end_once_and_commits_with_it(handler):
    """A retry is no end; the row's end is heard once, with the row as stored, and what the
    listener added is committed with the result."""
    heard = []

    def remember(row):
        heard.append((row.id, row.state))
        db.session.add(Branch(name=f"Gehört {row.id}", short_code=f"H{row.id}"))

    listen(Answering.kind, "remember", remember)
    handler.script = [Outcome(TRANSIENT, message="busy"), Outcome(ACCEPTED)]
    first = started()
    assert deliver(first).state == PENDING and heard == []
    assert deliver(first).state == DONE
    handler.script = [Outcome(PERMANENT, message="no")]
    second = started()
    assert deliver(second).state == FAILED
    assert heard == [(first, DONE), (second, FAILED)]
    db.session.rollback()
    assert {b.name for b in db.session.scalars(db.select(Branch))} == {
        f"Gehört {first}", f"Gehört {second}"}


def test_a_failing_listener_costs_the_row_nothing(handler, caplog):
    """The listener's work is rolled back alone and logged; the row's result and the other
    listeners' work stay."""
    def broken(row):
        db.session.add(Branch(name="Halb", short_code="HALB"))
        db.session.flush()
        raise RuntimeError("listener bug")

    listen(Answering.kind, "broken", broken)
    listen(Answering.kind, "fine", lambda row: db.session.add(Branch(name="Ganz",
                                                                     short_code="GANZ")))
    handler.script = [Outcome(ACCEPTED)]
    row = deliver(started())
    assert row.state == DONE and row.finished_at is not None
    assert [b.name for b in db.session.scalars(db.select(Branch))] == ["Ganz"]
    assert "a listener failed" in caplog.text
