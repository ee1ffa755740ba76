"""A real `flask worker` killed with SIGKILL while SiNNO holds its answer back — during
Anmelden and during a staff answer. SiNNO did the work, the worker never heard; the next
worker asks SiNNO by the idempotency key instead of sending again: neither lost nor done
twice."""
from datetime import timedelta

import pytest
import requests

from tests.factories import control, fresh, make_config, wait_for
from tests.factories import kill_worker
from tests.sinno.conftest import APP_RAW, sandbox_state, sinno_received
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.models import DONE, IN_FLIGHT, INTERRUPTED, Outbound
from webapp.sinno import activation, api, chat, session
from webapp.sinno.models import LOGGED_IN, SENT, SinnoLogin, SinnoMessage

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def _hold_answers(url):
    """SiNNO does the work, then holds its answer back far longer than the worker lives."""
    control(requests, url, "faults", partner="sinno", timeout_rate=1, timeout_ms=60000)


def _recover(row_id, flask_worker):
    """The dead worker's lease runs out (instead of waiting for it); a new worker and the
    reconciler take the row to its end."""
    row = fresh(Outbound, row_id)
    assert row.state == IN_FLIGHT
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    flask_worker()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    wait_for(lambda: fresh(Outbound, row_id).state == DONE, 30, every=0.1,
             what="the run to end")
    row = fresh(Outbound, row_id)
    assert [(a.action, a.outcome) for a in row.attempt_log] == [
        ("submit", INTERRUPTED), ("lookup", "accepted")]
    assert row.attempt_log[0].worker != row.attempt_log[1].worker
    return row


def test_a_worker_killed_during_login_neither_loses_it_nor_logs_in_twice(
        offices, make_service, sandbox, world, flask_worker):
    service = make_service("sinno_app", {"server": f"{sandbox}/sinno/v1", **APP_RAW},
                           name="SiNNO-App")
    row, created = session.start(world.admin, service, session.LOGIN, None)
    db.session.commit()
    assert created
    _hold_answers(sandbox)
    first = flask_worker()
    wait_for(lambda: [e["outcome"] for e in sinno_received(sandbox)] == ["timeout"], 30,
             what="SiNNO to hold the login's answer")
    kill_worker(first)
    control(requests, sandbox, "faults", partner="sinno")
    assert db.session.scalar(db.select(SinnoLogin)) is None

    row = _recover(row.id, flask_worker)
    entries = sinno_received(sandbox)
    assert [(e["method"], e["path"].replace(row.idempotency_key, "<key>"), e["outcome"])
            for e in entries] == [
        ("POST", "/sinno/v1/auth/login", "timeout"),
        ("GET", "/sinno/v1/auth/login/by-key/<key>", "answered"),
        ("GET", "/sinno/v1/account", "answered")]
    [company] = sandbox_state(sandbox)
    login = db.session.scalar(db.select(SinnoLogin))
    assert login.state == LOGGED_IN and company["session_id"] == login.session_id == "SSES-000001"
    assert row.exclusive_key is None and row.sealed is None
    assert engine.reconcile(now=utcnow() + timedelta(minutes=10)) == 0


def test_a_worker_killed_during_an_answer_neither_loses_it_nor_sends_it_twice(
        offices, make_service, sandbox, world, flask_worker, work):
    service = make_service("sinno_app", {"server": f"{sandbox}/sinno/v1", **APP_RAW},
                           name="SiNNO-App")
    session.start(world.admin, service, session.LOGIN, None)
    db.session.commit()
    work()
    world.customer.mobile, world.customer.email = "+49 170 5550001", "erika@example.org"
    db.session.commit()
    activation.activate(world.admin, world.customer)
    db.session.commit()
    work()
    assert api.is_logged_in(service.id)

    message = chat.answer(world.staff, world.customer, "Ihr Hörgerät ist fertig.")
    db.session.commit()
    row = db.session.scalar(db.select(Outbound).where(Outbound.kind == chat.ANSWER_KIND))
    _hold_answers(sandbox)
    first = flask_worker()
    wait_for(lambda: any(e["outcome"] == "timeout" and e["path"] == "/sinno/v1/chat/messages"
                         for e in sinno_received(sandbox)), 30,
             what="SiNNO to hold the answer's answer")
    kill_worker(first)
    control(requests, sandbox, "faults", partner="sinno")
    assert fresh(SinnoMessage, message.id).partner_id is None

    row = _recover(row.id, flask_worker)
    sent = [(m["direction"], m["text"]) for m in sandbox_state(sandbox)[0]["messages"]]
    assert sent == [("shop", "Ihr Hörgerät ist fertig.")]
    message = fresh(SinnoMessage, message.id)
    assert message.state == SENT and message.partner_id == "SMSG-000001"
    # One delivery per answer, for good: the key stays with the row.
    assert row.exclusive_key == f"sinno_message:{message.id}"
