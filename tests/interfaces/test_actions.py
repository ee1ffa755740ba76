"""The catalogue's actions on the service editor: "Verbindung testen" of an SMTP service
against a real SMTP server (aiosmtpd with STARTTLS and AUTH, trusting the test CA), run as an
outbound operation through the real Redis and an in-process RQ worker.

What a person sees: the button disabled and busy while the test runs, the steps as they
happen, the failing step named in words, the last result with its age, the run history.
What must never happen: two runs for one double click, a secret in the page, the job's
arguments, the row or the history, an action that pretends to run."""
import json
from datetime import timedelta

import pytest

from tests.factories import HX, SMTP_RAW, fresh, make_config
from tests.mailserver import start_smtp
from tests.probes.tls import make_certificates
from tests.translated import de
from webapp.extensions import db
from webapp.interfaces import actions
from webapp.models_base import utcnow
from webapp.outbound import engine
from webapp.outbound.models import DONE, FAILED, IN_FLIGHT, INTERRUPTED, Outbound, OutboundAttempt

pytestmark = pytest.mark.redis

USER, PASSWORD = "filiale@example.org", "richtig-geheim"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def smtp_server(certificates):
    """A real SMTP server on loopback: STARTTLS with the test CA's certificate, AUTH/PLAIN
    only once encrypted."""
    controller = start_smtp(certificates, USER, PASSWORD)
    yield controller
    controller.stop()


@pytest.fixture
def smtp_messages(smtp_server):
    """What the server received during this test."""
    smtp_server.handler.messages.clear()
    return smtp_server.handler.messages


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_CA_FILE=str(certificates.ca_file),
                       OUTBOUND_RETRY_BASE_SECONDS=0.05, OUTBOUND_RETRY_CAP_SECONDS=0.2,
                       OUTBOUND_LEASE_MARGIN_SECONDS=1)


@pytest.fixture
def admin(world, auth):
    """The world's administrator, logged in."""
    auth.login(world.admin)
    return world.admin


@pytest.fixture
def smtp_service(make_service, smtp_server):
    raw = {**SMTP_RAW, "host": "127.0.0.1", "port": str(smtp_server.port), "username": USER,
           "password": "falsch"}
    return make_service("smtp", raw, name="Postausgang")


def _form(service, csrf, **changes):
    """The editor's form as the browser posts it (secrets empty: keep the stored one)."""
    data = {**SMTP_RAW, "host": "127.0.0.1", "port": service.values["port"], "username": USER,
            "password": "", "name": service.name, "version": service.version,
            "csrf_token": csrf()}
    data.update(changes)
    return data


def _test_url(service, suffix=""):
    return f"/interfaces/{service.id}/actions/test{suffix}"


def _runs(service):
    return db.session.scalars(db.select(Outbound).where(
        Outbound.subject_type == "service", Outbound.subject_id == service.id)
        .order_by(Outbound.id)).all()


def test_wrong_password_fails_at_authentication_then_the_right_one_passes(
        admin, client, csrf, smtp_service, work):
    """The Done-when of issue 10: the saved (wrong) password fails at step Anmeldung with
    "Anmeldung fehlgeschlagen"; the right one typed into the form — not saved — passes, and
    the editor shows the last result with its age."""
    response = client.post(_test_url(smtp_service), data=_form(smtp_service, csrf), headers=HX)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'disabled aria-busy="true"' in page and 'hx-trigger="every 1s"' in page
    assert work()
    run = _runs(smtp_service)[-1]
    assert run.state == FAILED and run.sealed is None and run.exclusive_key is None
    steps = {step["step"]: step for step in run.progress["steps"]}
    assert [steps[s]["state"] for s in ("resolve", "connect", "tls", "auth")] == [
        "ok", "ok", "ok", "failed"]
    assert steps["auth"]["reason"] == "auth_failed" and steps["request"]["state"] == "skipped"
    # The run's error and attempt (the operations page shows them as stored) are worded by
    # the worker in the default language, the server's technical detail quoted.
    failure = de("Failed at step %(step)s: %(reason)s", step=de("Authentication"),
                 reason=de("Login failed"))
    assert failure == "Fehlgeschlagen bei Schritt Anmeldung: Anmeldung fehlgeschlagen"
    assert run.last_error == f"{failure} ({steps['auth']['detail']})"
    assert [attempt.message for attempt in run.attempt_log] == [run.last_error]

    status = client.get(_test_url(smtp_service, "/status"), headers=HX).get_data(as_text=True)
    assert "Anmeldung fehlgeschlagen" in status and "Fehlgeschlagen bei Schritt Anmeldung" in status
    assert "every 1s" not in status and 'aria-busy' not in status

    response = client.post(_test_url(smtp_service),
                           data=_form(smtp_service, csrf, password=PASSWORD), headers=HX)
    assert response.status_code == 200
    assert work()
    run = _runs(smtp_service)[-1]
    assert run.state == DONE and run.progress["ok"] is True
    assert [s["state"] for s in run.progress["steps"]] == ["ok"] * 5
    assert [attempt.message for attempt in run.attempt_log] == [
        de("Passed: every step succeeded.")]
    editor = client.get(f"/interfaces/{smtp_service.id}").get_data(as_text=True)
    assert "Bestanden" in editor and "gerade eben" in editor  # the result and its age
    # The typed password was not saved: the service still has the wrong one.
    assert actions.services.stored_secret(fresh(type(smtp_service), smtp_service.id),
                                          "password") == "falsch"


def test_a_double_click_starts_one_run_and_the_button_stays_busy(admin, client, csrf,
                                                                 smtp_service, queue):
    """Two posts before a worker ran (a double click, or two admins): one row, one job, and
    both answers show the same running test with the button disabled."""
    first = client.post(_test_url(smtp_service), data=_form(smtp_service, csrf), headers=HX)
    second = client.post(_test_url(smtp_service), data=_form(smtp_service, csrf), headers=HX)
    assert first.status_code == second.status_code == 200
    assert len(_runs(smtp_service)) == 1
    assert len(queue.get_job_ids()) == 1
    assert 'disabled aria-busy="true"' in second.get_data(as_text=True)


def test_no_secret_in_page_job_row_or_history(admin, client, csrf, smtp_service, queue, work):
    """A typed password travels sealed: not in the job's arguments, not in the row's readable
    columns, not in any answer; and the stored one is never rendered."""
    response = client.post(_test_url(smtp_service),
                           data=_form(smtp_service, csrf, password=PASSWORD), headers=HX)
    (job_id,) = queue.get_job_ids()
    job = queue.fetch_job(job_id)
    assert PASSWORD not in repr(job.args) + repr(job.kwargs)
    assert PASSWORD.encode() not in queue.connection.hgetall(job.key).get(b"data", b"")
    run = _runs(smtp_service)[-1]
    assert run.sealed and PASSWORD not in run.sealed
    assert PASSWORD not in response.get_data(as_text=True)
    work()
    run = fresh(Outbound, run.id)
    assert run.sealed is None
    texts = [json.dumps(run.progress), run.last_error] + [a.message for a in run.attempt_log]
    for url in (_test_url(smtp_service, "/status"), _test_url(smtp_service, "/history"),
                f"/interfaces/{smtp_service.id}"):
        texts.append(client.get(url, headers=HX).get_data(as_text=True))
    assert not any(secret in text for text in texts for secret in (PASSWORD, "falsch"))


def test_history_lists_who_when_outcome_duration_and_message(admin, client, csrf, smtp_service,
                                                            work):
    client.post(_test_url(smtp_service), data=_form(smtp_service, csrf), headers=HX)
    work()
    client.post(_test_url(smtp_service), data=_form(smtp_service, csrf, password=PASSWORD),
                headers=HX)
    work()
    page = client.get(_test_url(smtp_service, "/history"), headers=HX).get_data(as_text=True)
    assert page.count("<tr>") == 3  # the head and two runs
    assert page.index("Bestanden") < page.index("Fehlgeschlagen")  # newest first
    assert page.count(admin.name) == 2 and " s</td>" in page
    # The link's own address (a new tab, no JavaScript): a whole page with the same table,
    # its title and heading, leading back to the service.
    whole = client.get(_test_url(smtp_service, "/history")).get_data(as_text=True)
    assert '<html lang="de"' in whole and "<main" in whole
    assert "<title>Verlauf: " in whole
    assert f"· {smtp_service.name} · Schnittstellen</title>" in whole
    assert whole.count("<h1>Verlauf: ") == 1 and "<h4" not in whole
    assert f'href="/interfaces/{smtp_service.id}"' in whole
    assert whole.count("<tr>") == 3 and whole.index("Bestanden") < whole.index("Fehlgeschlagen")


def test_invalid_form_values_are_named_and_nothing_starts(admin, client, csrf, smtp_service):
    response = client.post(_test_url(smtp_service), data=_form(smtp_service, csrf, port="x"),
                           headers=HX)
    assert response.status_code == 422
    assert "Port" in response.get_data(as_text=True)
    assert _runs(smtp_service) == []


def test_actions_that_are_not_built_say_so_and_refuse_to_run(admin, client, csrf,
                                                            make_service):
    """Every declared action of the generic webhook appears on its editor; "Testnachricht
    senden" (its protocol is not built) is disabled with the reason, and a crafted post is
    refused with the reason and without a row."""
    service = make_service("webhook_notification",
                           {"webhook_url": "https://hooks.example.org/schnittstellen"},
                           name="Webhook")
    page = client.get(f"/interfaces/{service.id}").get_data(as_text=True)
    for label in ("Verbindung testen", "Testnachricht senden"):
        assert f">{label}</button>" in page
    assert 'id="action-send_test_message-reason">Noch nicht verfügbar' in page
    # Its test has no server address to test either: both buttons disabled.
    assert page.count("disabled aria-describedby=\"action-") == 2
    response = client.post(f"/interfaces/{service.id}/actions/send_test_message",
                           data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 422
    assert "Noch nicht verfügbar" in response.get_data(as_text=True)
    assert client.post(f"/interfaces/{service.id}/actions/nonsense",
                       data={"csrf_token": csrf()}, headers=HX).status_code == 404
    assert _runs(service) == []


def test_staff_and_posts_without_csrf_are_refused(world, auth, client, csrf, smtp_service):
    auth.login(world.staff)
    response = client.post(_test_url(smtp_service), data=_form(smtp_service, csrf), headers=HX)
    assert response.status_code == 403
    auth.login(world.admin)
    data = _form(smtp_service, csrf)
    del data["csrf_token"]
    assert client.post(_test_url(smtp_service), data=data, headers=HX).status_code == 403
    assert _runs(smtp_service) == []


# --- the engine's guarantees for a kind that is not an order ---------------------------------

def _started(service, actor):
    row, created = actions.start(actor, service, "test")
    db.session.commit()
    assert created
    return row.id


def test_a_worker_killed_during_a_test_neither_loses_it_nor_runs_it_twice(world, smtp_service,
                                                                        queue, work):
    """The worker died mid-call (a started attempt, an IN_FLIGHT row whose lease ran out):
    the reconciler wakes it, the next claim marks the attempt interrupted and runs the test
    once more — a test is safe to repeat — and it ends with exactly one finished attempt."""
    row_id = _started(smtp_service, world.admin)
    queue.empty()
    row = fresh(Outbound, row_id)
    row.state, row.attempts, row.claimed_by = IN_FLIGHT, 1, "dead-worker"
    row.lease_until = utcnow() - timedelta(seconds=1)
    db.session.add(OutboundAttempt(outbound_id=row_id, action="submit", worker="host:1"))
    db.session.commit()
    # The new worker's own periodic reconcile (queued by the dead worker's ticker) may
    # re-enqueue the row first; either way it is recovered once, as what follows shows.
    assert engine.reconcile() in (0, 1)
    assert work()
    row = fresh(Outbound, row_id)
    assert row.state == FAILED and not row.needs_lookup  # wrong password: a real result
    assert [a.outcome for a in row.attempt_log] == [INTERRUPTED, "permanent"]
    assert engine.reconcile(now=utcnow() + timedelta(minutes=5)) == 0


def test_a_flushed_redis_loses_no_test(world, smtp_service, queue, work):
    """Redis lost the job: within the grace period the reconciler leaves the row alone, after
    it the row is enqueued again and runs once."""
    row_id = _started(smtp_service, world.admin)
    queue.connection.flushall()
    assert engine.reconcile() == 0
    assert engine.reconcile(now=utcnow() + timedelta(seconds=31)) == 1
    assert work()
    row = fresh(Outbound, row_id)
    assert row.state == FAILED and len(row.attempt_log) == 1


# --- "Test-E-Mail senden" -----------------------------------------------------------------

def test_the_test_email_reaches_the_person_who_asked(admin, client, csrf, smtp_service, work,
                                                     smtp_messages):
    """With the right password typed into the form, one message goes through the real server
    (STARTTLS, AUTH) to the administrator's address; the run says where it went."""
    admin.email = "anna@example.org"
    db.session.commit()
    response = client.post(_test_url(smtp_service).replace("/test", "/send_test_email"),
                           data=_form(smtp_service, csrf, password=PASSWORD), headers=HX)
    assert response.status_code == 200
    assert work()
    run = _runs(smtp_service)[-1]
    assert run.state == DONE, (run.last_error, run.progress)
    assert run.progress == {"ok": True, "sent_to": "anna@example.org"}
    (message,) = smtp_messages
    assert message.rcpt_tos == ["anna@example.org"] and message.mail_from == SMTP_RAW[
        "sender_address"]
    page = client.get(f"/interfaces/{smtp_service.id}").get_data(as_text=True)
    assert "Test-E-Mail an anna@example.org gesendet." in page


def test_a_refused_test_email_says_why(admin, client, csrf, smtp_service, work, smtp_messages):
    client.post(_test_url(smtp_service).replace("/test", "/send_test_email"),
                data=_form(smtp_service, csrf), headers=HX)  # the stored wrong password
    assert work()
    run = _runs(smtp_service)[-1]
    assert run.state == FAILED and smtp_messages == []
    page = client.get(f"/interfaces/{smtp_service.id}").get_data(as_text=True)
    assert "Nicht gesendet:" in page and "535" in page and "falsch" not in page
