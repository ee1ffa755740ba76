"""The outbound engine on its own, with a kind registered by the test whose calls answer as
scripted: what the engine promises every kind — retries with backoff until the kind's limit,
the exclusive key held while a run goes on (and kept by kinds that keep it), sealed inputs
readable by the handler and gone when the row ends, a result written only by the claim's
owner, and no row left behind for the reconciler. Orders and connection tests have their own
suites (tests/ordering, tests/interfaces/test_actions.py) over real partners and servers."""
from datetime import timedelta

import pytest

from tests.factories import fresh, make_config
from tests.translated import de
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.handlers import (
    ACCEPTED, AMBIGUOUS, PERMANENT, TRANSIENT, Handler, Outcome, register, registered,
)
from webapp.outbound.models import DONE, FAILED, IN_FLIGHT, PENDING, Outbound

pytestmark = pytest.mark.redis


class Scripted(Handler):
    """Answers each call with the next scripted outcome and remembers what it was given."""

    kind = "test_scripted"
    repeat_is_safe = True

    def __init__(self):
        self.script, self.calls, self.results = [], [], []

    def prepare(self, row):
        return {"sealed": engine.unseal(row), "row": row.id}

    def max_duration(self, request):
        return 1

    def submit(self, request, report):
        report({"step": len(self.calls) + 1})
        self.calls.append(request)
        return self.script.pop(0)

    def accepted(self, row, outcome):
        self.results.append(("accepted", row.id))

    def failed(self, row, message, outcome):
        self.results.append(("failed", message))


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.01,
                       OUTBOUND_RETRY_CAP_SECONDS=0.02, OUTBOUND_MAX_ATTEMPTS=3)


@pytest.fixture
def handler(app):
    """The scripted kind, registered for this test, inside the app's context."""
    previous = registered().get(Scripted.kind)
    with app.app_context():
        yield register(Scripted())
    if previous is not None:
        register(previous)


def start(**options):
    row, created = engine.start(Scripted.kind, "thing", 1, **options)
    db.session.commit()
    assert created
    return row.id


def run_until_final(row_id, limit=10):
    for _ in range(limit):
        row = fresh(Outbound, row_id)
        if row.state not in (PENDING, IN_FLIGHT):
            return row
        row.next_attempt_at = utcnow() - timedelta(seconds=1)  # skip the backoff's wait
        db.session.commit()
        engine.deliver(row_id)
    raise AssertionError("the row did not end")


def test_transient_answers_are_retried_until_the_kind_gives_up(handler):
    handler.script = [Outcome(TRANSIENT, message="busy", retry_after=0.01)] * 3
    row = run_until_final(start())
    assert row.state == FAILED and row.attempts == 3
    # Stored in the app's language (German): a job has no user to ask.
    assert row.last_error == de("Gave up after %(count)s attempts. Last answer: %(message)s",
                                count=3, message="busy")
    assert [a.outcome for a in row.attempt_log] == [TRANSIENT] * 3
    assert handler.results == [("failed", row.last_error)]


def test_no_answer_is_run_again_when_a_repeat_is_harmless(handler):
    handler.script = [Outcome(AMBIGUOUS, message="no answer"), Outcome(ACCEPTED)]
    row = run_until_final(start())
    assert row.state == DONE and [a.outcome for a in row.attempt_log] == [AMBIGUOUS, ACCEPTED]
    assert not row.needs_lookup and row.progress == {"step": 2}


class Lookup(Scripted):
    """A kind the partner can answer by key: no answer means "ask first"."""

    kind = "test_lookup"
    repeat_is_safe = False

    def can_lookup(self, request):
        return True

    def lookup(self, request, report):
        self.calls.append(("lookup", request))
        return self.script.pop(0)


def test_giving_up_after_no_answer_keeps_asking_first(app):
    """The last call got no answer, then the kind gave up: the row fails but still says it
    may have arrived, so a resend under the same key asks first and nothing may send under
    a new key (an order twice)."""
    handler = register(Lookup())
    handler.script = [Outcome(TRANSIENT, message="busy"),
                      Outcome(TRANSIENT, message="busy again"),
                      Outcome(AMBIGUOUS, message="no answer")]
    with app.app_context():
        started, _created = engine.start(Lookup.kind, "thing", 1)
        db.session.commit()
        row = run_until_final(started.id)
        assert row.state == FAILED and row.attempts == 3 and row.needs_lookup


class Broken(Scripted):
    """A kind whose code cannot make sense of what the partner answered."""

    kind = "test_broken"

    def accepted(self, row, outcome):
        row.progress = {"half": "written"}
        raise OverflowError("a date far beyond what the code handles")


def test_an_answer_that_cannot_be_applied_fails_the_row_instead_of_looping(app):
    """The partner accepted, but applying its answer raised: the row ends failed with the
    reason (what accepted() half wrote is rolled back), the subject is told, and the
    reconciler has nothing to take up again."""
    handler = register(Broken())
    handler.script = [Outcome(ACCEPTED)]
    with app.app_context():
        started, _created = engine.start(Broken.kind, "thing", 1)
        db.session.commit()
        row = run_until_final(started.id)
        assert row.state == FAILED and "OverflowError" in row.last_error
        assert row.progress != {"half": "written"}
        assert handler.results == [("failed", row.last_error)]
        assert engine.reconcile(now=utcnow() + timedelta(hours=1)) == 0


def test_the_exclusive_key_admits_one_run_and_is_released_at_the_end(handler):
    first = start(exclusive_key="thing:1:go")
    again, created = engine.start(Scripted.kind, "thing", 1, exclusive_key="thing:1:go")
    assert not created and again.id == first
    handler.script = [Outcome(PERMANENT, message="no")]
    assert run_until_final(first).exclusive_key is None
    assert start(exclusive_key="thing:1:go") != first


def test_sealed_inputs_reach_the_handler_encrypted_and_are_dropped(handler):
    handler.script = [Outcome(ACCEPTED)]
    row_id = start(sealed="Geheim-123")
    assert "Geheim-123" not in fresh(Outbound, row_id).sealed
    row = run_until_final(row_id)
    assert handler.calls[0]["sealed"] == "Geheim-123" and row.sealed is None


def test_a_result_is_written_only_by_the_claims_owner(handler):
    """A worker that overran its lease records its attempt but leaves the row to the new
    owner: the row keeps the new claim, the handler is not told."""
    row_id = start()

    class Overrun(Outcome):
        pass

    def steal(request, report):
        db.session.execute(db.update(Outbound).where(Outbound.id == row_id)
                           .values(claimed_by="another-worker"))
        db.session.commit()
        return Overrun(ACCEPTED)

    handler.submit = steal
    assert engine.deliver(row_id) == "accepted"
    row = fresh(Outbound, row_id)
    assert row.state == IN_FLIGHT and row.claimed_by == "another-worker"
    assert row.attempt_log[0].outcome == ACCEPTED and handler.results == []


def test_the_reconciler_leaves_finished_and_waiting_rows_alone(handler, queue):
    handler.script = [Outcome(ACCEPTED)]
    done = run_until_final(start()).id
    waiting = start()  # its job is queued in Redis
    assert engine.reconcile(now=utcnow() + timedelta(minutes=5)) == 0
    queue.empty()  # Redis lost it
    assert engine.reconcile(now=utcnow() + timedelta(minutes=5)) == 1
    assert fresh(Outbound, done).state == DONE and fresh(Outbound, waiting).state == PENDING
