"""A registration whose real `flask worker` is killed with SIGKILL while the portal holds
the answer back: the portal registered it, the worker never heard. The next worker asks the
portal by the idempotency key instead of sending again: neither lost nor registered twice."""
from datetime import timedelta

import pytest
import requests

from tests.factories import control, fresh, make_config, received, wait_for
from tests.factories import kill_worker
from webapp.audoora import partners, registration
from webapp.audoora.models import AudooraRegistration
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.models import DONE, IN_FLIGHT, INTERRUPTED, Outbound

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def test_a_worker_killed_during_registration_neither_loses_it_nor_registers_twice(
        world, make_service, sandbox, flask_worker):
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    sent = registration.body(service)
    row, created = registration.start(world.admin, service, registration.REGISTER,
                                      {"fingerprint": registration.fingerprint(sent)})
    db.session.commit()
    assert created
    # The portal registers, then holds its answer back far longer than the worker lives.
    control(requests, sandbox, "faults", partner="audoora", timeout_rate=1, timeout_ms=60000)
    first = flask_worker()
    wait_for(lambda: [e["outcome"] for e in received(requests, sandbox, partner="audoora")]
             == ["timeout"], 30, what="the portal to hold the registration's answer")
    kill_worker(first)
    control(requests, sandbox, "faults", partner="audoora")
    row = fresh(Outbound, row.id)
    assert row.state == IN_FLIGHT
    assert db.session.scalar(db.select(AudooraRegistration)) is None
    # Time passes: the dead worker's lease runs out (instead of waiting for it).
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()

    flask_worker()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    wait_for(lambda: fresh(Outbound, row.id).state == DONE, 30, every=0.1,
             what="the registration to end")
    row = fresh(Outbound, row.id)
    assert [(a.action, a.outcome) for a in row.attempt_log] == [
        ("submit", INTERRUPTED), ("lookup", "accepted")]
    assert row.attempt_log[0].worker != row.attempt_log[1].worker
    # Then the partner list is fetched (audoora.partners): let it end, too.
    wait_for(lambda: db.session.scalar(db.select(Outbound).where(
        Outbound.kind == partners.KIND, Outbound.state == DONE)) is not None, 30, every=0.1,
        what="the partner list to be fetched")
    entries = received(requests, sandbox, partner="audoora")
    api = "/audoora/api/v1"
    assert [(e["method"], e["path"].replace(row.idempotency_key, "<key>"), e["outcome"])
            for e in entries] == [
        ("POST", f"{api}/registration", "timeout"),
        ("GET", f"{api}/registration/by-key/<key>", "answered"),
        ("GET", f"{api}/partners", "answered")]
    registrations = requests.get(f"{sandbox}/_sandbox/audoora/registrations",
                                 timeout=5).json()["registrations"]
    assert [(r["revision"], r["body"]) for r in registrations] == [(1, sent)]
    stored = db.session.scalar(db.select(AudooraRegistration))
    assert stored.registration_id == registrations[0]["registration_id"]
    assert stored.fingerprint == registration.fingerprint(sent)
    assert row.exclusive_key is None and row.sealed is None
    assert engine.reconcile(now=utcnow() + timedelta(minutes=10)) == 0
