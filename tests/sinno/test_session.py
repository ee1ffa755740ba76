"""Anmelden and Abmelden of the SiNNO-App service from the editor, against the sandbox: the
login gets a token, tests the connection and says since when it is logged in; a wrong
Firmen-Nr. is refused clearly; SiNNO being down is retried with a message and nothing
logged in twice; a branch without a business-office e-mail address is refused with a link
to it; Abmelden asks first; the token never shows up anywhere a person or a log can see."""
import logging
import time

import requests

from tests.factories import control, fresh
from tests.sinno.conftest import action, runs, sandbox_state, sinno_received
from webapp.extensions import db
from webapp.outbound.models import DONE, FAILED, PENDING, Outbound, OutboundAttempt
from webapp.sinno import session
from webapp.sinno.models import LOGGED_IN, LOGGED_OUT, SinnoLogin

import pytest

pytestmark = pytest.mark.redis


def _login_row(service):
    return db.session.scalar(db.select(SinnoLogin).where(SinnoLogin.service_id == service.id))


def test_login_gets_a_token_tests_the_connection_and_shows_since_when(
        sinno, world, client, auth, csrf, work):
    """Anmelden sends ClientID and Firmen-Nr. with both business offices' addresses, then
    checks the account with the token; the editor says "Angemeldet seit" with the company."""
    auth.login(world.admin)
    response = action(client, csrf, sinno.app, "login")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert work()
    [row] = runs(session.KIND)
    assert row.state == DONE and row.sealed is None and row.exclusive_key is None
    entries = sinno_received(sinno.url)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/sinno/v1/auth/login", 201), ("GET", "/sinno/v1/account", 200)]
    assert entries[0]["body"] == {"contacts": [
        {"branch": str(world.st.id), "name": "Stuttgart", "email": "st@hoerwelt.example"},
        {"branch": str(world.ul.id), "name": "Ulm", "email": "ul@hoerwelt.example"}]}
    assert entries[0]["headers"]["X-Company-Number"] == "4711"
    assert entries[0]["idempotency_key"] == row.idempotency_key
    login = _login_row(sinno.app)
    assert login.state == LOGGED_IN and login.company_name == "Sandbox-Hörakustik"
    [company] = sandbox_state(sinno.url)
    assert company["logged_in"] and company["session_id"] == login.session_id
    editor = client.get(f"/interfaces/{sinno.app.id}").get_data(as_text=True)
    assert "Angemeldet seit" in editor and "Sandbox-Hörakustik" in editor
    assert "Angemeldet als Sandbox-Hörakustik; der Verbindungstest war erfolgreich." in editor
    # Logged in already: a second Anmelden is refused, not a second login.
    again = action(client, csrf, sinno.app, "login")
    assert again.status_code == 422 and "bereits angemeldet" in again.get_data(as_text=True)
    assert len(runs(session.KIND)) == 1


def test_a_double_click_starts_one_login(sinno, world, client, auth, csrf):
    """Two clicks before the worker ran: the second gets the running login back."""
    auth.login(world.admin)
    assert action(client, csrf, sinno.app, "login").status_code == 200
    second = action(client, csrf, sinno.app, "login")
    assert second.status_code == 200 and "Läuft" in second.get_data(as_text=True)
    assert len(runs(session.KIND)) == 1


def test_a_wrong_company_number_is_refused_with_a_clear_message(
        offices, make_service, sandbox, world, client, auth, csrf, work):
    """Firmen-Nr. unknown to SiNNO: the run fails at once (no retry) and says so; nothing
    is logged in on either side."""
    service = make_service("sinno_app", {"server": f"{sandbox}/sinno/v1", "client_id": "winpro",
                                         "company_number": "9999"}, name="SiNNO-App")
    auth.login(world.admin)
    assert action(client, csrf, service, "login").status_code == 200
    assert work()
    [row] = runs(session.KIND)
    assert row.state == FAILED and row.attempts == 1
    assert "ClientID oder die Firmen-Nr. ist nicht bekannt" in row.last_error
    assert "unknown_company" in row.last_error
    status = client.get(f"/interfaces/{service.id}/actions/login/status").get_data(as_text=True)
    assert "Nicht angemeldet: SiNNO hat die Anmeldung abgelehnt" in status
    assert _login_row(service) is None
    assert sandbox_state(sandbox) == [] or not sandbox_state(sandbox)[0]["logged_in"]


def test_sinno_down_is_retried_with_a_message_and_logs_in_once(
        sinno, world, client, auth, csrf, work):
    """503 from SiNNO: the run waits with "nicht erreichbar … versucht es erneut", nothing
    is logged in meanwhile; once SiNNO is back the retry logs in — one session at SiNNO."""
    control(requests, sinno.url, "faults", partner="sinno", error_rate=1)
    auth.login(world.admin)
    action(client, csrf, sinno.app, "login")
    work()
    row = fresh(Outbound, runs(session.KIND)[0].id)
    assert row.state == PENDING and "503" in row.last_error
    status = client.get(f"/interfaces/{sinno.app.id}/actions/login/status").get_data(as_text=True)
    assert "SiNNO ist gerade nicht erreichbar" in status and "Läuft" in status
    assert _login_row(sinno.app) is None
    control(requests, sinno.url, "faults", partner="sinno")
    deadline = time.monotonic() + 10
    while fresh(Outbound, row.id).state != DONE:
        assert time.monotonic() < deadline, "the retry never came"
        time.sleep(0.3)
        work()
    row = fresh(Outbound, row.id)
    assert row.state == DONE and row.attempts == 2
    assert _login_row(sinno.app).state == LOGGED_IN
    logins = [e for e in sinno_received(sinno.url) if e["path"] == "/sinno/v1/auth/login"]
    assert [e["status"] for e in logins] == [503, 201]
    assert {e["idempotency_key"] for e in logins} == {row.idempotency_key}


def _logins_and_logouts(url):
    return [(e["path"].rsplit("/v1", 1)[1], e["status"]) for e in sinno_received(url)]


def test_a_failed_connection_test_ends_the_login_at_sinno(sinno, world, client, auth, csrf,
                                                          work):
    """SiNNO gives a login but refuses the account check (403): the run fails at once and
    logs the login out again, so no login stays open at SiNNO; the run says so."""
    control(requests, sinno.url, "sinno/account", company_number="4711", status="locked")
    auth.login(world.admin)
    assert action(client, csrf, sinno.app, "login").status_code == 200
    assert work()
    [row] = runs(session.KIND)
    assert row.state == FAILED and row.attempts == 1
    assert _logins_and_logouts(sinno.url) == [
        ("/auth/login", 201), ("/account", 403), ("/auth/logout", 200)]
    assert not sandbox_state(sinno.url)[0]["logged_in"]
    assert "account_locked" in row.last_error
    assert "Die Anmeldung bei SiNNO wurde wieder beendet." in row.last_error
    assert _login_row(sinno.app) is None
    status = client.get(f"/interfaces/{sinno.app.id}/actions/login/status").get_data(as_text=True)
    assert "Nicht angemeldet" in status and "wieder beendet" in status


def test_a_connection_test_failing_at_the_last_attempt_ends_the_login(sinno, world, app,
                                                                     work):
    """SiNNO is unreachable for the account check on the last attempt (a transient failure
    until then keeps the login for the retry): giving up logs the login out again."""
    app.config["OUTBOUND_MAX_ATTEMPTS"] = 1
    # Seeded: the login passes, the account check gets 503, the logout passes.
    control(requests, sinno.url, "faults", partner="sinno", error_rate=0.5, seed=0)
    session.start(world.admin, sinno.app, session.LOGIN, None)
    db.session.commit()
    assert work()
    [row] = runs(session.KIND)
    assert row.state == FAILED and "Die Anmeldung bei SiNNO wurde wieder beendet." in \
        row.last_error
    assert _logins_and_logouts(sinno.url) == [
        ("/auth/login", 201), ("/account", 503), ("/auth/logout", 200)]
    assert not sandbox_state(sinno.url)[0]["logged_in"]


def test_a_branch_without_business_office_email_is_refused_with_a_link_to_it(
        sinno, world, client, auth, csrf):
    """Ulm's business office has no e-mail address: Anmelden is refused (422), nothing
    starts, and the editor links to Ulm's e-mail field."""
    world.ul.office_email = ""
    db.session.commit()
    auth.login(world.admin)
    response = action(client, csrf, sinno.app, "login")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Die Geschäftsstelle von Ulm hat keine E-Mail-Adresse" in body
    assert f'href="/branches/{world.ul.id}#office_email"' in body
    assert runs(session.KIND) == []
    editor = client.get(f"/interfaces/{sinno.app.id}").get_data(as_text=True)
    assert f'href="/branches/{world.ul.id}#office_email"' in editor
    # A branch service needs only its own branch's address.
    world.ul.office_email = "ul@hoerwelt.example"
    world.st.office_email = ""
    db.session.commit()
    assert session.missing_office_email(sinno.app) == [world.st]


def test_logout_asks_first_then_logs_out_and_leaves_the_service_logged_out(
        logged_in, world, client, auth, csrf, work):
    """Abmelden shows the manual's warning and starts nothing; confirmed, it ends the login
    at SiNNO, drops the token and the editor says it is logged out."""
    auth.login(world.admin)
    asked = action(client, csrf, logged_in.app, "logout")
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Nach dem Abmelden haben alle Kunden keinen Zugang mehr" in body
    assert "Jetzt abmelden" in body and '"confirmed": "1"' in body
    assert len(runs(session.KIND)) == 1  # the login only
    editor = client.get(f"/interfaces/{logged_in.app.id}").get_data(as_text=True)
    assert "hx-confirm" not in editor.split('id="action-logout-button"')[1].split("</span>")[0]

    done = action(client, csrf, logged_in.app, "logout", confirmed="1")
    assert done.status_code == 200
    assert work()
    row = runs(session.KIND)[-1]
    assert (row.action, row.state) == ("logout", DONE)
    login = fresh(SinnoLogin, _login_row(logged_in.app).id)
    assert login.state == LOGGED_OUT and login.logged_out_at is not None
    assert db.session.scalar(db.select(SinnoLogin.token)) is None
    assert not sandbox_state(logged_in.url)[0]["logged_in"]
    editor = client.get(f"/interfaces/{logged_in.app.id}").get_data(as_text=True)
    assert "Abgemeldet seit" in editor and "Angemeldet seit" not in editor
    assert "Abgemeldet. Kunden erreichen ihre Daten in der SiNNO-App nicht mehr." in editor


def test_the_token_is_never_rendered_or_logged(logged_in, world, client, auth, csrf, work,
                                               caplog, queue):
    """The token SiNNO gave is stored encrypted and appears nowhere else: not in the
    editor, its status, history and change log, not in the rows, attempts or job
    arguments, not in the log — also through a logout."""
    caplog.set_level(logging.DEBUG)
    login = _login_row(logged_in.app)
    token = login.token
    assert token and len(token) > 20
    raw = db.session.execute(db.text("SELECT token FROM sinno_logins")).scalar()
    assert raw and token not in raw
    auth.login(world.admin)
    action(client, csrf, logged_in.app, "logout", confirmed="1")
    assert work()
    pages = [client.get(url).get_data(as_text=True) for url in (
        f"/interfaces/{logged_in.app.id}", f"/interfaces/{logged_in.app.id}/actions/login/status",
        f"/interfaces/{logged_in.app.id}/actions/login/history",
        f"/interfaces/{logged_in.app.id}/actions/logout/history",
        f"/interfaces/{logged_in.app.id}/history", "/changelog/")]
    for text in pages:
        assert token not in text
    for row in db.session.scalars(db.select(Outbound)):
        assert token not in repr((row.progress, row.last_error, row.sealed, row.job_id))
    for attempt in db.session.scalars(db.select(OutboundAttempt)):
        assert token not in (attempt.message or "")
    for key in queue.connection.keys("rq:job:*"):
        assert token.encode() not in repr(queue.connection.hgetall(key)).encode()
    assert token not in caplog.text
    assert all(e["headers"].get("Authorization") in (None, "***")
               for e in sinno_received(logged_in.url))
