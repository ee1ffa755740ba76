"""Audoora's "Jetzt registrieren" and "Registrierung aktualisieren" from the service editor,
against the sandbox portal over real HTTP, through the real Redis and an in-process worker:
the preview shows what will go, exactly that goes and nothing else, the branches come back,
a refresh is due after a user or branch is added, a portal that is down is retried without
registering anything twice."""
import json
import re
import time

import pytest
import requests

from tests.factories import HX, control, fresh, make_config, received
from webapp.audoora import registration
from webapp.audoora.models import AudooraRegistration
from webapp.extensions import db
from webapp.org.models import Branch
from webapp.outbound.models import DONE, FAILED, PENDING, Outbound

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_RETRY_BASE_SECONDS=0.05,
                       OUTBOUND_RETRY_CAP_SECONDS=0.2, OUTBOUND_LEASE_MARGIN_SECONDS=1,
                       OUTBOUND_MAX_ATTEMPTS=4)


@pytest.fixture
def audoora(world, make_service, sandbox, auth):
    """The chain's Audoora service pointing at the sandbox portal, Stuttgart with its
    address, Maria with e-mail and phone; the admin logged in."""
    world.st.street, world.st.postal_code, world.st.city = "Königstr. 1", "70173", "Stuttgart"
    world.manager.email, world.manager.phone = "maria@example.org", "0711 123"
    db.session.commit()
    auth.login(world.admin)
    return make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "zentrale@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora")


def _expected(world):
    st, ul = str(world.st.id), str(world.ul.id)
    return {
        "contact_email": "zentrale@example.org",
        "branches": [{"ref": st, "name": "Stuttgart", "street": "Königstr. 1",
                      "postal_code": "70173", "city": "Stuttgart"},
                     {"ref": ul, "name": "Ulm"}],
        "users": [{"ref": str(world.admin.id), "name": "Anna Admin", "admin": True},
                  {"ref": str(world.manager.id), "name": "Maria Manager",
                   "email": "maria@example.org", "phone": "0711 123", "admin": False,
                   "branches": [st]},
                  {"ref": str(world.staff.id), "name": "Sam", "admin": False, "branches": [st]},
                  {"ref": str(world.ul_staff.id), "name": "Uli", "admin": False,
                   "branches": [ul]}],
        "customer_numbers": [{"company": "Dreve", "branch": st, "number": "DRV-ST-1"}],
    }


def _url(service, action):
    return f"/interfaces/{service.id}/actions/{action}"


def _preview(client, csrf, service, action="register"):
    response = client.post(_url(service, action), data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _confirm(client, csrf, service, page, action="register"):
    fingerprint = re.search(r'"fingerprint": "([0-9a-f]{64})"', page).group(1)
    return client.post(_url(service, action), headers=HX, data={
        "csrf_token": csrf(), "confirmed": "1", "fingerprint": fingerprint})


def _runs(service):
    return db.session.scalars(db.select(Outbound).where(
        Outbound.kind == registration.KIND, Outbound.subject_id == service.id)
        .order_by(Outbound.id)).all()


def _portal(sandbox):
    return requests.get(f"{sandbox}/_sandbox/audoora/registrations",
                        timeout=5).json()["registrations"]


def test_registration_sends_exactly_the_previewed_data_and_shows_the_branches_back(
        world, audoora, client, csrf, sandbox, work):
    """The preview lists every record with counts and starts nothing; the confirmation
    sends exactly the documented body (no password, login, role or customer data) once;
    the editor then says since when it is registered and lists the portal's branches."""
    page = _preview(client, csrf, audoora)
    for text in ("Filialen (2)", "Benutzer (4)", "Kundennummern bei Partnerfirmen (1)",
                 "Maria Manager", "maria@example.org", "0711 123", "Königstr. 1, 70173 Stuttgart",
                 "DRV-ST-1", "Keine Passwörter"):
        assert text in page, text
    assert _runs(audoora) == [] and received(requests, sandbox, partner="audoora") == []

    response = _confirm(client, csrf, audoora, page)
    assert response.status_code == 200 and "An Audoora senden" not in response.get_data(
        as_text=True)
    assert work()
    run = fresh(Outbound, _runs(audoora)[0].id)
    assert run.state == DONE and run.sealed is None and run.exclusive_key is None

    entries = received(requests, sandbox, partner="audoora")
    # After registering, the partner list is fetched (audoora.partners).
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/audoora/api/v1/registration", 201),
        ("GET", "/audoora/api/v1/partners", 200)]
    assert entries[0]["body"] == _expected(world)
    assert entries[0]["headers"]["Authorization"] == "***"
    assert entries[0]["idempotency_key"] == run.idempotency_key
    sent = json.dumps(entries[0]["body"]).lower()
    for absent in ("password", "sandbox", "10001", "role", "erika", "muster", "username"):
        assert absent not in sent, absent

    stored = db.session.scalar(db.select(AudooraRegistration))
    assert stored.registration_id == "AUDR-000001" and stored.sent == _expected(world)
    editor = client.get(f"/interfaces/{audoora.id}").get_data(as_text=True)
    assert "Registriert seit" in editor and "AUDR-000001" in editor
    assert "Stuttgart <span class=\"meta\">(AUDF-0001)</span>" in editor
    assert "Aktualisierung fällig" not in editor
    assert "Registriert: AUDR-000001, 2 Filialen" in editor
    # Registering again is refused: the refresh is the way on.
    again = client.post(_url(audoora, "register"), data={"csrf_token": csrf()}, headers=HX)
    assert again.status_code == 422 and \
        "bereits registriert" in again.get_data(as_text=True)


def test_a_refresh_is_due_after_a_user_or_branch_is_added_and_sends_them(
        world, audoora, client, csrf, sandbox, work, make_user, make_branch):
    """After registering, adding a user and a branch makes the editor say a refresh is due
    and list them; the refresh sends the current data with them, and then nothing is due."""
    _confirm(client, csrf, audoora, _preview(client, csrf, audoora))
    assert work()
    make_user("neu", name="Nina Neu", role="staff", email="nina@example.org")
    make_branch("Esslingen", "ES")
    state = registration.state(audoora)
    assert state["state"] == registration.REFRESH_DUE
    assert {(c["what"], c["change"], c["name"]) for c in state["changes"]} == {
        ("user", "added", "Nina Neu"), ("branch", "added", "Esslingen")}
    editor = client.get(f"/interfaces/{audoora.id}").get_data(as_text=True)
    assert "Aktualisierung fällig" in editor
    assert "Benutzer Nina Neu: hinzugefügt" in editor
    assert "Filiale Esslingen: hinzugefügt" in editor

    page = _preview(client, csrf, audoora, "refresh_registration")
    assert "Nina Neu" in page and "Benutzer (5)" in page and "Filialen (3)" in page
    _confirm(client, csrf, audoora, page, "refresh_registration")
    assert work()
    entries = received(requests, sandbox, partner="audoora")
    assert [(e["method"], e["status"]) for e in entries] == [
        ("POST", 201), ("GET", 200), ("PUT", 200), ("GET", 200)]  # GET: the partner list
    assert any(u["name"] == "Nina Neu" and u["email"] == "nina@example.org"
               for u in entries[2]["body"]["users"])
    assert [b["name"] for b in entries[2]["body"]["branches"]] == ["Stuttgart", "Ulm",
                                                                   "Esslingen"]
    assert [r["revision"] for r in _portal(sandbox)] == [2]
    assert registration.state(audoora)["state"] == registration.REGISTERED
    editor = client.get(f"/interfaces/{audoora.id}").get_data(as_text=True)
    assert "Aktualisierung fällig" not in editor and "(AUDF-0003)" in editor


def test_a_change_between_preview_and_confirmation_is_refused(world, audoora, client, csrf,
                                                               make_user):
    """What the admin confirmed is what goes: a user added after the preview → 422 asking
    to look again, nothing started."""
    page = _preview(client, csrf, audoora)
    make_user("spaet", name="Sven Spät")
    response = _confirm(client, csrf, audoora, page)
    assert response.status_code == 422 and "Vorschau" in response.get_data(as_text=True)
    assert _runs(audoora) == []


def test_portal_down_is_retried_with_a_clear_message_and_nothing_half_registered(
        world, audoora, client, csrf, sandbox, work):
    """503s: the run waits and says Audoora is not reachable and it tries again; nothing is
    stored on either side meanwhile. When the portal is back, the retry registers once."""
    control(requests, sandbox, "faults", partner="audoora", error_rate=1)
    _confirm(client, csrf, audoora, _preview(client, csrf, audoora))
    work()
    run = fresh(Outbound, _runs(audoora)[0].id)
    assert run.state == PENDING and "503" in run.last_error
    status = client.get(f"{_url(audoora, 'register')}/status").get_data(as_text=True)
    assert "Audoora ist gerade nicht erreichbar" in status and "automatisch" in status
    assert db.session.scalar(db.select(AudooraRegistration)) is None and _portal(sandbox) == []

    control(requests, sandbox, "faults", partner="audoora")
    deadline = time.monotonic() + 10
    while fresh(Outbound, run.id).state != DONE:
        assert time.monotonic() < deadline, "the retry never came"
        time.sleep(0.3)
        work()
    assert [r["revision"] for r in _portal(sandbox)] == [1]
    assert [(e["path"].rsplit("/", 1)[1], e["status"]) for e in received(
        requests, sandbox, partner="audoora")] == [
        ("registration", 503), ("registration", 201), ("partners", 200)]
    assert registration.state(audoora)["state"] == registration.REGISTERED


def test_portal_down_for_good_fails_with_the_answer_and_registers_nothing(
        world, audoora, client, csrf, sandbox, work):
    """After the last attempt the run fails, the editor shows the error state with the
    portal's answer, and neither side holds a registration."""
    control(requests, sandbox, "faults", partner="audoora", error_rate=1)
    _confirm(client, csrf, audoora, _preview(client, csrf, audoora))
    deadline = time.monotonic() + 20
    run = _runs(audoora)[0]
    while fresh(Outbound, run.id).state != FAILED:
        assert time.monotonic() < deadline, "the run never gave up"
        time.sleep(0.3)
        work()
    assert registration.state(audoora)["state"] == registration.ERROR
    editor = client.get(f"/interfaces/{audoora.id}").get_data(as_text=True)
    assert "Fehler" in editor and "Nach 4 Versuchen aufgegeben" in editor
    assert db.session.scalar(db.select(AudooraRegistration)) is None and _portal(sandbox) == []


def test_refresh_before_registering_and_staff_are_refused(world, audoora, client, csrf, auth):
    """No refresh without a registration; staff may not run or preview it (403)."""
    response = client.post(_url(audoora, "refresh_registration"),
                           data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 422 and "Zuerst registrieren" in response.get_data(
        as_text=True)
    auth.login(world.staff)
    assert client.post(_url(audoora, "register"), data={"csrf_token": csrf()},
                       headers=HX).status_code == 403
    assert _runs(audoora) == []


def test_the_branch_change_is_listed(world, audoora, client, csrf, work):
    """A changed branch address after registering is listed as changed."""
    _confirm(client, csrf, audoora, _preview(client, csrf, audoora))
    assert work()
    db.session.get(Branch, world.ul.id).city = "Ulm"
    db.session.commit()
    changes = registration.state(audoora)["changes"]
    assert changes == [dict(what="branch", change="changed", name="Ulm")]


def test_readers_who_may_not_send_see_the_state_but_not_the_names(
        world, audoora, client, csrf, work, auth, make_user):
    """A branch manager reads the chain's service: registered, refresh due, but not which
    users changed, and no preview."""
    _confirm(client, csrf, audoora, _preview(client, csrf, audoora))
    assert work()
    make_user("neu", name="Nina Neu")
    auth.login(world.manager)
    editor = client.get(f"/interfaces/{audoora.id}")
    assert editor.status_code == 200
    page = editor.get_data(as_text=True)
    assert "Registriert seit" in page and "Aktualisierung fällig" in page
    assert "Nina Neu" not in page
    assert client.post(_url(audoora, "refresh_registration"), data={"csrf_token": csrf()},
                       headers=HX).status_code == 403


def test_a_branch_manager_may_not_send_the_chain_even_from_their_branch_service(
        world, make_service, sandbox, client, csrf, auth):
    """The registration sends every branch and user: a branch manager who may edit their
    branch's Audoora service gets the reason instead of a preview, and nothing starts."""
    service = make_service("audoora_order", {
        "base_url": f"{sandbox}/audoora", "registration_email": "st@example.org",
        "username": "10001", "password": "sandbox"}, name="Audoora ST",
        branch_id=str(world.st.id))
    auth.login(world.manager)
    response = client.post(_url(service, "register"), data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 422
    assert "Nur Administratoren" in response.get_data(as_text=True)
    assert "Maria Manager" not in response.get_data(as_text=True)
    assert _runs(service) == []
