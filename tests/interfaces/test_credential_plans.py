"""Zugangsdaten planmäßig ändern, against real servers: an SMTP service (aiosmtpd with
STARTTLS and AUTH) whose planned password passes its test, and a Dreve SmartOrder service
against the partner sandox served over HTTPS whose planned password the sandbox refuses, so
the change is rolled back and alerted (e-mail through the chain's SMTP service, a
notification) naming the failing step. The clock of the plans is injected; the worker, Redis
and the servers are real. A plan a killed worker left in swapping or testing is resolved once.
Secrets never appear in the change log, the outbound rows or the job arguments."""
import email
import email.policy
import json
import logging
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import update
from werkzeug.serving import make_server

from sandbox import create_sandbox_app
from tests.factories import HX, SMTP_RAW, ear_mould_raw, fresh, make_config
from tests.mailserver import (  # noqa: F401  (fixtures)
    CHAIN_PASSWORD, CHAIN_USER, certificates, inbox, smtp_server,
)
from webapp.changelog.models import ChangeLogEntry
from webapp.extensions import db
from webapp.interfaces import credential_plans, services
from webapp.interfaces.models import ServiceSecret
from webapp.interfaces.credential_plan_models import (
    DONE, PLANNED, ROLLED_BACK, SWAPPING, TESTING, CredentialPlan,
)
from webapp.models_base import utcnow
from webapp.notifications import services as notifications
from webapp.outbound import engine
from webapp.outbound.models import FAILED, IN_FLIGHT, Outbound, OutboundAttempt
from webapp.probes import AUTH, AUTH_FAILED, REASON_TEXTS, STEP_LABELS

pytestmark = pytest.mark.redis

USER, PASSWORD = CHAIN_USER, CHAIN_PASSWORD
OLD = "alt-geheim-3"
SANDBOX_PASSWORD, WRONG = "sandbox", "falsch-neu-9"
SECRETS = (PASSWORD, OLD, WRONG)


@pytest.fixture(scope="module")
def https_sandbox(certificates):
    """The partner sandbox on a TLS server signed by the test CA."""
    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True,
                         ssl_context=certificates.server_context())
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05),
                              daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):
    return make_config(tmp_path, REDIS_URL=redis_url, BABEL_DEFAULT_LOCALE="en",
                       OUTBOUND_CA_FILE=str(certificates.ca_file),
                       OUTBOUND_RETRY_BASE_SECONDS=0.05, OUTBOUND_RETRY_CAP_SECONDS=0.2,
                       OUTBOUND_LEASE_MARGIN_SECONDS=1)


def smtp_raw(smtp_server, password):
    return {**SMTP_RAW, "host": "127.0.0.1", "port": str(smtp_server.port), "username": USER,
            "password": password, "sender_address": "zentrale@kette.example.org"}


@pytest.fixture
def admin_mail(world):
    """The admin hears about interface failures, in German."""
    world.admin.email, world.admin.notify_interface_failures = "anna@kette.example.org", True
    world.admin.preferred_language = "de"
    db.session.commit()
    return world.admin


def stuttgart_mail(world, make_service, smtp_server, password):
    """Stuttgart's SMTP service with `password`, beside the chain's (the alerts' way out)."""
    make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kette", usage_server=True)
    return make_service("smtp", smtp_raw(smtp_server, password), name="Mail ST",
                        branch_id=world.st.id, usage_server=True)


def plan_for(service, actor, secrets, now, minutes=2):
    """A plan `minutes` after `now` (the injected clock), committed."""
    due = credential_plans.local_time(now + timedelta(minutes=minutes))
    plan, _changed = credential_plans.save_plan(actor, service, secrets, due, now=now)
    db.session.commit()
    return plan


def assert_no_secret_anywhere(queue):
    entries = db.session.scalars(db.select(ChangeLogEntry)).all()
    rows = db.session.scalars(db.select(Outbound)).all()
    attempts = db.session.scalars(db.select(OutboundAttempt)).all()
    said = json.dumps([entry.changes for entry in entries]
                      + [[row.progress, row.last_error, row.sealed, row.requested_by]
                         for row in rows] + [a.message for a in attempts], default=str)
    said += " ".join(str(job.args) for job in queue.jobs)
    for secret in SECRETS:
        assert secret not in said


def actions_logged(service):
    return [entry.action for entry in db.session.scalars(
        db.select(ChangeLogEntry).where(ChangeLogEntry.entity_id == service.id,
                                        ChangeLogEntry.entity_type == services.ENTITY)
        .order_by(ChangeLogEntry.id))]


def test_a_planned_smtp_password_is_swapped_at_its_time_and_passes(
        world, make_service, smtp_server, queue, work, inbox):
    """Before its time the tick leaves the plan alone; at its time the password is swapped,
    "Verbindung testen" runs against the real SMTP server and passes: the plan is done, the
    new password stays, the change log says planned / changed / passed without a value."""
    service = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail Kette",
                           usage_server=True)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": PASSWORD}, now)
    assert credential_plans.run_due(now=now + timedelta(minutes=1))["swapped"] == 0
    assert fresh(CredentialPlan, plan.id).state == PLANNED
    assert services.stored_secret(fresh(type(service), service.id), "password") == OLD

    assert credential_plans.run_due(now=now + timedelta(minutes=3))["swapped"] == 1
    assert fresh(CredentialPlan, plan.id).state == TESTING
    assert work()
    plan = fresh(CredentialPlan, plan.id)
    assert plan.state == DONE and plan.open_key is None
    assert plan.new_secrets is None and plan.previous_secrets is None
    assert services.stored_secret(fresh(type(service), service.id), "password") == PASSWORD
    test_run = db.session.get(Outbound, plan.test_run_id)
    assert test_run.state == "done" and test_run.requested_by == "System"
    assert actions_logged(service) == ["create", "plan", "plan_swap", "plan_done"]
    assert credential_plans.run_due(now=now + timedelta(minutes=5)) == {
        "swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    assert not inbox  # nothing to alert
    assert_no_secret_anywhere(queue)


def test_a_planned_partner_password_the_sandbox_refuses_is_rolled_back_and_alerted(
        world, make_service, smtp_server, https_sandbox, admin_mail, queue, work, inbox,
        client, auth):
    """A Dreve SmartOrder password planned for two minutes ahead: swapped, its test fails at
    Anmeldung against the sandbox over HTTPS, the previous password is back, the service
    warns in the editor and the list, and the admin gets one e-mail (through the chain's
    SMTP service) and one notification naming the failing step."""
    make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kette", usage_server=True)
    service = make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{https_sandbox}/dreve",
        password=SANDBOX_PASSWORD), name="Dreve ST", branch_id=world.st.id, usage_server=True)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": WRONG}, now)
    assert credential_plans.run_due(now=now + timedelta(minutes=2))["swapped"] == 1
    assert services.stored_secret(fresh(type(service), service.id), "password") == WRONG
    assert work()

    plan = fresh(CredentialPlan, plan.id)
    assert plan.state == ROLLED_BACK
    assert (plan.failed_step, plan.failed_reason) == (AUTH, AUTH_FAILED)
    assert services.stored_secret(fresh(type(service), service.id), "password") == \
        SANDBOX_PASSWORD
    assert actions_logged(service) == ["create", "plan", "plan_swap", "plan_back"]

    (message,) = inbox
    assert message.rcpt_tos == ["anna@kette.example.org"]
    mail = email.message_from_bytes(message.content, policy=email.policy.default)
    body = mail.get_body().get_content()
    with force_locale("de"):
        step, reason = str(STEP_LABELS[AUTH]), str(REASON_TEXTS[AUTH_FAILED])
    assert step == "Anmeldung" and step in body and reason in body and "Dreve ST" in body

    with client.application.test_request_context():
        (shown,) = notifications.latest(world.admin)
    assert "Dreve ST" in shown.text and str(STEP_LABELS[AUTH]) in shown.text
    assert shown.url.endswith(f"/interfaces/{service.id}")

    auth.login(world.admin)
    editor = client.get(f"/interfaces/{service.id}").get_data(as_text=True)
    assert "was rolled back" in editor and str(STEP_LABELS[AUTH]) in editor
    assert "Credential change rolled back" in client.get("/interfaces/").get_data(as_text=True)
    for secret in SECRETS + (SANDBOX_PASSWORD,):
        assert secret not in editor
    assert credential_plans.run_due(now=now + timedelta(minutes=9))["resolved"] == 0
    assert len(inbox) == 1
    assert_no_secret_anywhere(queue)


def test_a_plan_left_in_swapping_is_swapped_once_after_its_lease(world, make_service,
                                                                  smtp_server, queue, work):
    """A worker killed after claiming (before the swap's commit) left the plan in swapping
    and the service untouched: within the lease nothing happens; after it the next tick
    swaps, once, however often it ticks."""
    service = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail Kette",
                           usage_server=True)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": PASSWORD}, now)
    db.session.execute(update(CredentialPlan).where(CredentialPlan.id == plan.id).values(
        state=SWAPPING, claimed_by="dead-worker", lease_until=now + timedelta(minutes=3)))
    db.session.commit()
    assert credential_plans.run_due(now=now + timedelta(minutes=2))["swapped"] == 0
    assert services.stored_secret(fresh(type(service), service.id), "password") == OLD

    assert credential_plans.run_due(now=now + timedelta(minutes=4))["swapped"] == 1
    assert credential_plans.run_due(now=now + timedelta(minutes=10))["swapped"] == 0
    assert work()
    assert fresh(CredentialPlan, plan.id).state == DONE
    assert actions_logged(service).count("plan_swap") == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Outbound)) == 1


def test_a_plan_whose_test_was_interrupted_is_resolved_once(world, make_service, smtp_server,
                                                            admin_mail, queue, work, inbox):
    """The swap committed, then the worker running the test died mid-call: the engine's
    reconciler runs the test again, the plan is rolled back once (one rollback entry, one
    alert e-mail), and later ticks find nothing to do."""
    service = stuttgart_mail(world, make_service, smtp_server, PASSWORD)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": WRONG}, now)
    assert credential_plans.run_due(now=now + timedelta(minutes=3))["swapped"] == 1
    plan = fresh(CredentialPlan, plan.id)
    # The test's worker claimed it, wrote its attempt and died.
    db.session.execute(update(Outbound).where(Outbound.id == plan.test_run_id).values(
        state=IN_FLIGHT, claimed_by="dead", lease_until=utcnow() - timedelta(seconds=1)))
    db.session.add(OutboundAttempt(outbound_id=plan.test_run_id, action="submit"))
    db.session.commit()
    queue.connection.flushall()  # and Redis lost every job
    assert credential_plans.run_due(now=now + timedelta(minutes=4)) == {
        "swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    assert engine.reconcile() == 1
    assert work()
    plan = fresh(CredentialPlan, plan.id)
    assert plan.state == ROLLED_BACK and plan.failed_step == AUTH
    assert services.stored_secret(fresh(type(service), service.id), "password") == PASSWORD
    assert credential_plans.run_due(now=now + timedelta(minutes=6))["resolved"] == 0
    assert actions_logged(service).count("plan_back") == 1
    assert len(inbox) == 1


def its_test_failed(plan):
    """The plan's test ended failed at Anmeldung, its listener never ran (committed)."""
    plan = fresh(CredentialPlan, plan.id)
    db.session.execute(update(Outbound).where(Outbound.id == plan.test_run_id).values(
        state=FAILED, progress={"ok": False, "steps": [
            {"step": AUTH, "state": "failed", "reason": AUTH_FAILED, "detail": "535"}]}))
    db.session.commit()
    return plan


def test_a_plan_whose_ended_test_went_unresolved_is_resolved_by_the_tick_once(
        world, make_service, smtp_server, queue):
    """The test ended but its plan stayed in testing (its listener failed): the tick
    resolves it from the test's result — the previous value back — once."""
    service = make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kette",
                           usage_server=True)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": WRONG}, now)
    credential_plans.run_due(now=now + timedelta(minutes=3))
    plan = its_test_failed(plan)
    assert credential_plans.run_due(now=now + timedelta(minutes=4))["resolved"] == 1
    assert credential_plans.run_due(now=now + timedelta(minutes=5))["resolved"] == 0
    assert fresh(CredentialPlan, plan.id).state == ROLLED_BACK
    assert services.stored_secret(fresh(type(service), service.id), "password") == PASSWORD
    assert actions_logged(service).count("plan_back") == 1


# --- a plan whose work fails for another reason (a bug, data no step expected) ----------------

def stored_as(plan, **values):
    """Overwrite the plan's encrypted columns with `values`, as a bug or a hand-made edit
    might have left them: readable, but not the JSON object the plan writes."""
    db.session.execute(update(CredentialPlan).where(CredentialPlan.id == plan.id)
                       .values(**values))
    db.session.commit()


def test_a_plan_that_fails_is_set_aside_and_the_others_due_with_it_go_on(
        world, make_service, smtp_server, queue, caplog):
    """Two plans whose stored values are not what a plan writes: one raises in the swap
    (its new values cut off), one in settling its ended test (its previous values a list).
    Each error ended the whole tick, so the third plan due in the same minute was never
    swapped. Now each fails alone — rolled back, logged with its id and without a value,
    counted — the third is swapped, and the two are tried again once their lease ran out,
    and go through when their data is right."""
    def mail(name, branch, password=OLD):
        return make_service("smtp", smtp_raw(smtp_server, password), name=name,
                            branch_id=branch.id if branch else None, usage_server=True)

    settling_service, broken_service = mail("Mail UL", world.ul), mail("Mail Kette", None)
    good_service = mail("Mail ST", world.st)
    now = utcnow()
    settling = plan_for(settling_service, world.admin, {"password": WRONG}, now, minutes=1)
    assert credential_plans.run_due(now=now + timedelta(minutes=1))["swapped"] == 1
    settling = its_test_failed(settling)
    stored_as(settling, previous_secrets=json.dumps(["password"]))
    broken = plan_for(broken_service, world.admin, {"password": PASSWORD}, now)
    stored_as(broken, new_secrets=json.dumps({"password": PASSWORD})[:-3])
    good = plan_for(good_service, world.admin, {"password": PASSWORD}, now)
    caplog.set_level(logging.INFO)

    assert credential_plans.run_due(now=now + timedelta(minutes=3)) == {
        "swapped": 1, "resolved": 0, "retested": 0, "failed": 2}
    assert fresh(CredentialPlan, good.id).state == TESTING
    assert services.stored_secret(fresh(type(good_service), good_service.id),
                                  "password") == PASSWORD
    # The broken plans' work was rolled back: the claim holds, nothing else happened.
    assert fresh(CredentialPlan, broken.id).state == SWAPPING
    assert services.stored_secret(fresh(type(broken_service), broken_service.id),
                                  "password") == OLD
    assert actions_logged(broken_service) == ["create", "plan"]
    assert fresh(CredentialPlan, settling.id).state == TESTING
    assert "plan_back" not in actions_logged(settling_service)
    failures = [record.getMessage() for record in caplog.records
                if record.levelno == logging.ERROR]
    assert len(failures) == 2
    assert failures[0].startswith(f"Credential plan {broken.id}: the swap raised "
                                  "JSONDecodeError")
    assert failures[1].startswith(f"Credential plan {settling.id}: settling its test raised "
                                  "AttributeError")
    for secret in SECRETS:
        assert secret not in caplog.text

    # Within their lease the tick leaves them; after it, it tries them again.
    assert credential_plans.run_due(now=now + timedelta(minutes=4))["failed"] == 0
    assert credential_plans.run_due(now=now + timedelta(minutes=6))["failed"] == 2
    stored_as(broken, new_secrets=json.dumps({"password": PASSWORD}))
    stored_as(settling, previous_secrets=json.dumps({"password": OLD}))
    assert credential_plans.run_due(now=now + timedelta(minutes=9)) == {
        "swapped": 1, "resolved": 1, "retested": 0, "failed": 0}
    assert fresh(CredentialPlan, broken.id).state == TESTING
    assert fresh(CredentialPlan, settling.id).state == ROLLED_BACK
    assert services.stored_secret(fresh(type(settling_service), settling_service.id),
                                  "password") == OLD
    assert_no_secret_anywhere(queue)


def test_plans_that_keep_failing_go_behind_the_others(world, make_service, smtp_server,
                                                      queue, monkeypatch):
    """With room for one plan per tick (BATCH), a plan that failed is tried again behind the
    plans that have not: one due later is swapped, and one whose test ended is resolved,
    at the next tick however often the broken ones fail."""
    def mail(name, branch):
        return make_service("smtp", smtp_raw(smtp_server, OLD), name=name,
                            branch_id=branch.id if branch else None, usage_server=True)

    services_ = [mail("Mail Kette", None), mail("Mail ST", world.st), mail("Mail UL", world.ul)]
    now = utcnow()
    # Two plans in testing whose tests ended: the first (older) one cannot be settled.
    stuck, waiting = (plan_for(service, world.admin, {"password": WRONG}, now, minutes=1)
                      for service in services_[:2])
    assert credential_plans.run_due(now=now + timedelta(minutes=1))["swapped"] == 2
    stuck, waiting = its_test_failed(stuck), its_test_failed(waiting)
    stored_as(stuck, previous_secrets=json.dumps(["password"]))
    monkeypatch.setattr(credential_plans, "BATCH", 1)
    assert credential_plans.run_due(now=now + timedelta(minutes=2))["failed"] == 1
    assert credential_plans.run_due(now=now + timedelta(minutes=3))["resolved"] == 1
    assert fresh(CredentialPlan, waiting.id).state == ROLLED_BACK

    # A plan that cannot be swapped, due before another.
    broken = plan_for(services_[2], world.admin, {"password": PASSWORD}, now, minutes=4)
    stored_as(broken, new_secrets="{")
    assert credential_plans.run_due(now=now + timedelta(minutes=5))["failed"] == 2  # + stuck
    later = plan_for(services_[1], world.admin, {"password": PASSWORD}, now, minutes=5)
    # Both are due, the broken one longer: the one never tried goes first.
    assert credential_plans.run_due(now=now + timedelta(minutes=8)) == {
        "swapped": 1, "resolved": 0, "retested": 0, "failed": 0}
    assert fresh(CredentialPlan, later.id).state == TESTING
    assert credential_plans.run_due(now=now + timedelta(minutes=9))["failed"] == 1
    assert fresh(CredentialPlan, broken.id).state == SWAPPING


# --- a value that cannot be decrypted (a key gone from ENCRYPTION_KEYS) ---------------------

def written_with_a_lost_key(app, statement):
    """Run `statement` with a key this installation no longer has: what it encrypts can
    never be decrypted here again."""
    keys = app.config["ENCRYPTION_KEYS"]
    app.config["ENCRYPTION_KEYS"] = "a-key-that-was-removed-from-encryption-keys"
    try:
        db.session.execute(statement)
        db.session.commit()
    finally:
        app.config["ENCRYPTION_KEYS"] = keys


def test_planned_values_that_cannot_be_decrypted_end_the_plan_once_and_alert(
        app, world, make_service, smtp_server, admin_mail, queue, work, inbox, client, auth):
    """The plan's new values were encrypted with a key since removed: the tick raised at
    every lease and the plan stayed in swapping without a word. Now the plan ends (rolled
    back, the reason "cannot be decrypted"), the service is untouched, the planner hears it
    by notification and e-mail, and later ticks find nothing to do."""
    service = stuttgart_mail(world, make_service, smtp_server, OLD)
    version = service.version
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": PASSWORD}, now)
    written_with_a_lost_key(app, update(CredentialPlan).where(CredentialPlan.id == plan.id)
                            .values(new_secrets=json.dumps({"password": PASSWORD})))
    assert credential_plans.run_due(now=now + timedelta(minutes=3)) == {
        "swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    plan = fresh(CredentialPlan, plan.id)
    assert (plan.state, plan.failed_reason) == (ROLLED_BACK, credential_plans.UNREADABLE_NEW)
    assert plan.open_key is None and plan.new_secrets is None and plan.test_run_id is None
    service = fresh(type(service), service.id)
    assert services.stored_secret(service, "password") == OLD and service.version == version
    assert actions_logged(service) == ["create", "plan"]

    assert work()
    (message,) = inbox
    mail = email.message_from_bytes(message.content, policy=email.policy.default)
    assert "Die geplanten Werte können nicht entschlüsselt werden (Schlüssel fehlt)." in \
        mail.get_body().get_content()
    with client.application.test_request_context():
        (shown,) = notifications.latest(world.admin)
        why = credential_plans.unreadable_in_words("", credential_plans.UNREADABLE_NEW)
    assert "Mail ST" in shown.text and why in shown.text
    auth.login(world.admin)
    editor = client.get(f"/interfaces/{service.id}").get_data(as_text=True)
    assert "failed: " + why in editor
    # The list says it failed because values are unreadable, not that a test rolled it back.
    listing = client.get("/interfaces/").get_data(as_text=True)
    assert "Credential change failed: values unreadable" in listing
    assert f'title="{why}"' in listing and "Credential change rolled back" not in listing
    for later in (5, 10):
        assert credential_plans.run_due(now=now + timedelta(minutes=later)) == {
            "swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    work()
    assert len(inbox) == 1 and fresh(CredentialPlan, plan.id).state == ROLLED_BACK
    assert_no_secret_anywhere(queue)


def test_a_current_value_that_cannot_be_decrypted_leaves_the_service_untouched(
        app, world, make_service, smtp_server, queue):
    """The service's own password was written with a lost key, so it cannot be kept to
    restore: the plan ends without swapping, and says why."""
    service = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail Kette",
                           usage_server=True)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": PASSWORD}, now)
    written_with_a_lost_key(app, update(ServiceSecret).where(
        ServiceSecret.service_id == service.id, ServiceSecret.field_key == "password")
        .values(value=OLD))
    raw = "SELECT value FROM interface_service_secrets WHERE field_key = 'password'"
    stored = db.session.execute(db.text(raw)).scalar()
    credential_plans.run_due(now=now + timedelta(minutes=3))
    plan = fresh(CredentialPlan, plan.id)
    assert (plan.state, plan.failed_reason) == (ROLLED_BACK,
                                                credential_plans.UNREADABLE_CURRENT)
    assert db.session.execute(db.text(raw)).scalar() == stored
    assert credential_plans.run_due(now=now + timedelta(minutes=5))["swapped"] == 0


def test_previous_values_that_cannot_be_decrypted_end_a_failed_test_once(
        app, world, make_service, smtp_server, admin_mail, queue, work, inbox):
    """The test of the new password failed, and the previous values kept in the plan cannot
    be decrypted: the resolution raised in the listener and at every tick. Now the plan
    ends saying the new values stay in place, once, with one alert."""
    service = stuttgart_mail(world, make_service, smtp_server, PASSWORD)
    now = utcnow()
    plan = plan_for(service, world.admin, {"password": WRONG}, now)
    assert credential_plans.run_due(now=now + timedelta(minutes=3))["swapped"] == 1
    written_with_a_lost_key(app, update(CredentialPlan).where(CredentialPlan.id == plan.id)
                            .values(previous_secrets=json.dumps({"password": PASSWORD})))
    assert work()
    plan = fresh(CredentialPlan, plan.id)
    assert (plan.state, plan.failed_step, plan.failed_reason) == (
        ROLLED_BACK, AUTH, credential_plans.UNREADABLE_PREVIOUS)
    assert plan.previous_secrets is None
    assert services.stored_secret(fresh(type(service), service.id), "password") == WRONG
    assert credential_plans.run_due(now=now + timedelta(minutes=5)) == {
        "swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    work()
    (message,) = inbox
    body = email.message_from_bytes(message.content, policy=email.policy.default) \
        .get_body().get_content()
    assert "Anmeldung" in body and "bleiben die neuen Werte" in body


# --- the screens --------------------------------------------------------------------------

def test_planning_changing_and_cancelling_from_the_editor(world, make_service, smtp_server,
                                                           client, auth, csrf):
    """The dialog plans (a time in the past: 422 beside the field; nothing typed: 422), the
    editor shows when, who and which fields, never a value; changing the time and cancelling
    are logged; the change log says "planned" for the secret."""
    service = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail Kette",
                           usage_server=True)
    world.admin.preferred_language = "en"
    db.session.commit()
    auth.login(world.admin)
    url = f"/interfaces/{service.id}/credential-plan"
    assert client.get(url, headers=HX).status_code == 200
    past = credential_plans.local_time(utcnow() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    later = credential_plans.local_time(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data={"csrf_token": csrf(), "password": PASSWORD,
                                      "due_at": past}, headers=HX)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="plan-due-at-error"' in page and "in the future" in page and PASSWORD not in page
    response = client.post(url, data={"csrf_token": csrf(), "due_at": later}, headers=HX)
    assert response.status_code == 422 and "at least one new value" in response.get_data(
        as_text=True)
    assert db.session.scalar(db.select(CredentialPlan)) is None

    response = client.post(url, data={"csrf_token": csrf(), "password": PASSWORD,
                                      "due_at": later}, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == "#editor"
    editor = response.get_data(as_text=True)
    assert 'id="credential-plan-title"' in editor and "Anna Admin" in editor
    assert PASSWORD not in editor
    plan = db.session.scalar(db.select(CredentialPlan))
    assert plan.state == PLANNED and json.loads(plan.new_secrets) == {"password": PASSWORD}
    raw_row = db.session.execute(db.text("SELECT new_secrets FROM credential_plans")).scalar()
    assert PASSWORD not in raw_row  # encrypted at rest

    even_later = credential_plans.local_time(utcnow() + timedelta(days=2)) \
        .strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data={"csrf_token": csrf(), "due_at": even_later}, headers=HX)
    assert response.status_code == 200
    assert json.loads(fresh(CredentialPlan, plan.id).new_secrets) == {"password": PASSWORD}
    history = client.get(f"/interfaces/{service.id}/history", headers=HX).get_data(as_text=True)
    assert "planned" in history and PASSWORD not in history

    response = client.post(f"{url}/cancel", data={"csrf_token": csrf()}, headers=HX)
    assert response.status_code == 200
    plan = fresh(CredentialPlan, plan.id)
    assert plan.state == "cancelled" and plan.new_secrets is None
    assert actions_logged(service) == ["create", "plan", "plan_edit", "plan_stop"]
    assert services.stored_secret(fresh(type(service), service.id), "password") == OLD


def test_staff_may_not_plan_and_posts_need_csrf(world, make_service, smtp_server, client,
                                                 auth, csrf):
    """Staff get 403 on the form and every post; without the CSRF token a post is refused
    and nothing is planned."""
    service = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail ST",
                           branch_id=world.st.id, usage_server=True)
    url = f"/interfaces/{service.id}/credential-plan"
    later = credential_plans.local_time(utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    auth.login(world.staff)
    assert client.get(url).status_code == 403
    for target in (url, f"{url}/cancel", f"{url}/hide"):
        assert client.post(target, data={"csrf_token": csrf(), "password": PASSWORD,
                                         "due_at": later}).status_code == 403
    auth.login(world.admin)
    response = client.post(url, data={"password": PASSWORD, "due_at": later})
    assert response.status_code == 403  # the app's answer to a missing CSRF token
    assert db.session.scalar(db.select(CredentialPlan)) is None
    auth.login(world.manager)  # the branch's manager may
    assert client.get(url).status_code == 200


def test_the_list_tells_a_rolled_back_plan_from_one_ended_unreadable(
        world, make_service, smtp_server, client, auth):
    """A plan whose test failed is "zurückgenommen"; one whose stored values could not be
    decrypted was never tested and rolled nothing back: the list says it failed with
    unreadable values, as its notification and e-mail do, the reason in the badge's title."""
    failed_test, unreadable = (
        make_service("smtp", smtp_raw(smtp_server, OLD), name=name, branch_id=branch.id,
                     usage_server=True) for name, branch in (("Mail ST", world.st),
                                                             ("Mail UL", world.ul)))
    for service, step, reason in ((failed_test, AUTH, AUTH_FAILED),
                                  (unreadable, "", credential_plans.UNREADABLE_CURRENT)):
        db.session.add(CredentialPlan(service_id=service.id, state=ROLLED_BACK,
                                      due_at=utcnow(), fields=["password"],
                                      failed_step=step, failed_reason=reason))
    world.admin.preferred_language = "de"
    db.session.commit()
    auth.login(world.admin)
    rows = client.get("/interfaces/").get_data(as_text=True).split("<tr>")
    (st_row,) = [row for row in rows if "Mail ST" in row]
    (ul_row,) = [row for row in rows if "Mail UL" in row]
    assert "Zugangsdatenwechsel zurückgenommen" in st_row and "nicht lesbar" not in st_row
    assert "Zugangsdatenwechsel fehlgeschlagen: Werte nicht lesbar" in ul_row
    assert "zurückgenommen" not in ul_row
    assert 'title="Die aktuellen Werte der Schnittstelle können nicht entschlüsselt werden ' \
        '(Schlüssel fehlt)' in ul_row


def test_the_list_and_editor_take_the_same_statements_for_1_and_for_many_plans(
        world, make_service, smtp_server, client, auth, count_queries):
    """The list's warnings are one query however many services were rolled back, and the
    editor's plan panel one however many plans a service had."""
    def rolled_back(*services_, times=1):
        for service in services_:
            for _time in range(times):
                db.session.add(CredentialPlan(service_id=service.id, state=ROLLED_BACK,
                                              due_at=utcnow(), fields=["password"],
                                              failed_step=AUTH, failed_reason=AUTH_FAILED))
        db.session.commit()

    def editor():
        client.get(f"/interfaces/{chain.id}")
        with count_queries() as counter:
            page = client.get(f"/interfaces/{chain.id}").get_data(as_text=True)
        return counter.count, page.count("Credential change rolled back")

    chain = make_service("smtp", smtp_raw(smtp_server, OLD), name="Mail Kette", usage_server=True)
    rolled_back(chain)
    world.admin.preferred_language = "en"
    db.session.commit()
    auth.login(world.admin)
    small, warned = editor()
    assert warned == 1
    others = [make_service("smtp", smtp_raw(smtp_server, OLD), name=f"Mail {branch.name}",
                           branch_id=branch.id, usage_server=True)
              for branch in (world.st, world.ul)]
    rolled_back(chain, *others, times=6)
    big, warned = editor()
    assert warned == 3 and big == small
