"""The nightly refresh of Audoora registrations, with real components: the session's Redis,
an in-process RQ worker and the sandbox portal over HTTP.

What must hold: with the chain's setting on, a registration that is due is refreshed once a
night after 03:00 (the database decides, not Redis), sending what a person's refresh sends;
with the setting off, or nothing due, nothing is sent."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.factories import HX, fresh, make_config, received
from webapp.audoora import nightly, partners, registration
from webapp.audoora.models import AudooraRegistration
from webapp.extensions import db
from webapp.org.models import Chain
from webapp.org.services import get_chain
from webapp.outbound.models import DONE, Outbound
from webapp.queue import enqueue_now

pytestmark = pytest.mark.redis

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url)


def this_night():
    """The day whose 03:00 (Berlin) was the last: the rows the jobs write carry the real
    time, so the test's nights must not lie after it (between 00:00 and 03:00 the last
    night began yesterday)."""
    return (datetime.now(BERLIN) - timedelta(hours=3)).date()


def at(day, hour, minute):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(
        timezone.utc)


@pytest.fixture
def registered(world, make_service, sandbox, work):
    """The chain's Audoora service, registered with the sandbox portal (and its partner list
    fetched); then Nina joins, so a refresh is due. The chain's nightly refresh is off."""
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")
    sent = registration.body(service)
    registration.start(world.admin, service, registration.REGISTER,
                       {"fingerprint": registration.fingerprint(sent)})
    db.session.commit()
    work()
    assert registration.state(service)["state"] == registration.REGISTERED
    return service


def _nina(make_user):
    make_user("nina", name="Nina Neu", role="staff", email="nina@example.org")


def _refreshes(service):
    return db.session.scalars(db.select(Outbound).where(
        Outbound.kind == registration.KIND, Outbound.action == registration.REFRESH,
        Outbound.subject_id == service.id).order_by(Outbound.id)).all()


def _switch(on):
    get_chain().audoora_auto_refresh = on
    db.session.commit()


def test_a_due_registration_is_refreshed_once_a_night_after_three(
        world, registered, make_user, sandbox, work, queue):
    """Before 03:00 nothing; at 03:00 the refresh starts as "Automatisch" and sends Nina;
    the partner list is fetched after it. A change later that night waits, even after Redis
    lost every key, and goes out the next night."""
    _nina(make_user)
    _switch(True)
    day = this_night()
    assert nightly.start_nightly_refreshes(at(day, 2, 59)) == []
    [row] = nightly.start_nightly_refreshes(at(day, 3, 0))
    db.session.commit()
    assert row.requested_by == "Automatisch" and row.action == registration.REFRESH
    work()
    assert fresh(Outbound, row.id).state == DONE
    put = [e for e in received(requests, sandbox, partner="audoora") if e["method"] == "PUT"]
    assert len(put) == 1 and "Nina Neu" in [u["name"] for u in put[0]["body"]["users"]]
    assert put[0]["body"] == registration.body(registered)
    stored = db.session.scalar(db.select(AudooraRegistration))
    assert stored.revision == 2 and registration.state(registered)["due"] is False
    fetches = db.session.scalars(db.select(Outbound).where(
        Outbound.kind == partners.KIND).order_by(Outbound.id)).all()
    assert [f.requested_by for f in fetches] == ["Anna Admin", "Automatisch"]

    make_user("otto", name="Otto Spät")
    queue.connection.flushall()
    assert nightly.start_nightly_refreshes(at(day, 23, 59)) == []
    assert nightly.start_nightly_refreshes(at(day + timedelta(days=1), 2, 0)) == []
    [later] = nightly.start_nightly_refreshes(at(day + timedelta(days=1), 3, 5))
    db.session.commit()
    assert len(_refreshes(registered)) == 2 and later.requested_by == "Automatisch"


def test_nothing_is_refreshed_while_the_setting_is_off_or_nothing_is_due(
        world, registered, make_user, work):
    """Off (the default): a due registration waits for a person. On, but nothing changed:
    nothing is sent. A disabled service is left alone."""
    assert get_chain().audoora_auto_refresh is False
    day = this_night()
    _switch(True)
    assert nightly.start_nightly_refreshes(at(day, 4, 0)) == []
    _nina(make_user)
    _switch(False)
    assert nightly.start_nightly_refreshes(at(day, 4, 0)) == []
    _switch(True)
    registered.enabled = False
    db.session.commit()
    assert nightly.start_nightly_refreshes(at(day, 4, 0)) == []
    assert _refreshes(registered) == []


def test_a_refresh_a_person_started_is_not_doubled(world, registered, make_user):
    """While a person's refresh waits for the worker, the night starts none beside it."""
    _nina(make_user)
    _switch(True)
    sent = registration.body(registered)
    registration.start(world.admin, registered, registration.REFRESH,
                       {"fingerprint": registration.fingerprint(sent)})
    db.session.commit()
    assert nightly.start_nightly_refreshes(at(this_night(), 3, 30)) == []
    assert [r.requested_by for r in _refreshes(registered)] == ["Anna Admin"]


def _zone_past_three():
    """A time zone in which it is now between 03:00 and 22:00, so the real clock is past
    tonight's time (there is always one among the whole-hour offsets)."""
    now = datetime.now(timezone.utc)
    for offset in range(-12, 15):
        name = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
        if 3 <= now.astimezone(ZoneInfo(name)).hour < 22:
            return name
    raise AssertionError("no time zone past 03:00")


def test_the_periodic_job_refreshes_through_the_worker(world, registered, make_user, sandbox,
                                                       queue, work):
    """jobs.audoora.refresh_registrations, as the ticker enqueues it, starts the refresh
    and the worker sends it; enqueued again the same night it starts nothing."""
    _nina(make_user)
    get_chain().timezone = _zone_past_three()
    _switch(True)
    enqueue_now("jobs.audoora.refresh_registrations",
                job_id="periodic-audoora-auto-refresh", queue=queue)
    work()
    [row] = _refreshes(registered)
    assert fresh(Outbound, row.id).state == DONE
    enqueue_now("jobs.audoora.refresh_registrations",
                job_id="periodic-audoora-auto-refresh", queue=queue)
    work()
    assert len(_refreshes(registered)) == 1
    assert [e["method"] for e in received(requests, sandbox, partner="audoora")
            if e["path"].endswith("/registration")] == ["POST", "PUT"]


def test_the_chain_setting_is_saved_by_an_administrator(world, client, auth):
    """Filialkette → Audoora: the switch, off by default, is saved like the other settings."""
    auth.login(world.admin)
    page = client.get("/chain").get_data(as_text=True)
    assert "Audoora-Registrierung nachts automatisch aktualisieren" in page
    assert 'name="audoora_auto_refresh"' in page and "checked" not in page.split(
        'name="audoora_auto_refresh"')[1].split(">")[0]
    response = client.post("/chain", headers=HX, data={
        "name": "Testkette", "timezone": "Europe/Berlin", "version": "1",
        "health_check_time": "02:00", "health_alert_after": "3",
        "audoora_auto_refresh": "y", "csrf_token": auth.csrf_token()})
    assert response.status_code == 200
    chain = db.session.get(Chain, 1)
    db.session.refresh(chain)
    assert chain.audoora_auto_refresh is True
