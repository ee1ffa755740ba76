"""The nightly re-test and the alerts of the health board, with real components: the session's
Redis, an in-process RQ worker, and a real SMTP server (aiosmtpd with STARTTLS and AUTH,
trusting the test CA) that both the connection tests and the alert e-mails talk to.

What must hold: a day's nightly run starts once (the database decides, not Redis) and tests
exactly the active server-side services whose test runs on the server; an alert goes out
after N failed tests in a row — once, to those who asked and read the branch, in their
language, through the chain's SMTP service — and once more on recovery; no secret anywhere."""
import email
import email.policy
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.factories import SMTP_RAW, fresh, make_config
from tests.mailserver import (  # noqa: F401  (fixtures)
    CHAIN_PASSWORD, CHAIN_USER, certificates, inbox, smtp_server,
)
from webapp.extensions import db
from webapp.interfaces import actions, health_checks
from webapp.interfaces.health_models import FAILING, RECOVERED, HealthNotice, HealthRun
from webapp.org.services import get_chain
from webapp.outbound import engine
from webapp.outbound.models import DONE, FAILED, Outbound
from webapp.queue import enqueue_now

pytestmark = pytest.mark.redis

USER, PASSWORD = CHAIN_USER, CHAIN_PASSWORD
WRONG = "falsch-geheim-3"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def app_config(tmp_path, redis_url, certificates):
    return make_config(tmp_path, REDIS_URL=redis_url, OUTBOUND_CA_FILE=str(certificates.ca_file),
                       OUTBOUND_RETRY_BASE_SECONDS=0.05, OUTBOUND_RETRY_CAP_SECONDS=0.2,
                       OUTBOUND_LEASE_MARGIN_SECONDS=1)


def smtp_raw(smtp_server, password):
    return {**SMTP_RAW, "host": "127.0.0.1", "port": str(smtp_server.port), "username": USER,
            "password": password, "sender_address": "zentrale@kette.example.org",
            "sender_name": "Hörwelt Zentrale"}


@pytest.fixture
def services(world, make_service, smtp_server):
    """The chain's mail server (right password: it sends the alerts), Stuttgart's (wrong
    password: its tests fail at Anmeldung), and services the nightly run must leave alone:
    Ulm's client-side one, a planned and a disabled one. The chain tests them at 02:00."""
    get_chain().health_check_time = "02:00"
    chain = make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kette",
                         usage_server=True)
    st = make_service("smtp", smtp_raw(smtp_server, WRONG), name="Mail ST",
                      branch_id=world.st.id, usage_server=True)
    ul = make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail UL",
                      branch_id=world.ul.id, usage_server=False, usage_client=True)
    planned = make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kasse ST",
                           workstation_id=world.st_till.id, usage_server=True,
                           start_date=(datetime.now(BERLIN) + timedelta(days=9)).date())
    disabled = make_service("smtp", smtp_raw(smtp_server, PASSWORD), name="Mail Kasse UL",
                            workstation_id=world.ul_till.id, usage_server=True, enabled=False)
    return dict(chain=chain, st=st, ul=ul, planned=planned, disabled=disabled)


def connection_tests_of(service):
    return db.session.scalars(db.select(Outbound).where(
        Outbound.subject_type == "service", Outbound.subject_id == service.id,
        Outbound.action == "test").order_by(Outbound.id)).all()


def at(day, hour, minute=0):
    """A moment of `day` (a date) at hour:minute in Berlin, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN) \
        .astimezone(timezone.utc)


# --- the nightly re-test --------------------------------------------------------------------

def test_the_nightly_run_starts_once_a_day_after_its_time(world, services, queue):
    """Before the chain's time nothing starts; after it the active server-side services get a
    test as "System"; a second tick the same day, even after Redis lost every key, starts
    nothing; the next day starts again."""
    day = datetime.now(BERLIN).date()
    assert health_checks.start_nightly_run(at(day, 1, 59)) is None
    run = health_checks.start_nightly_run(at(day, 2, 0))
    db.session.commit()
    assert run.tests == 2 and run.day == day
    started = [row for service in services.values() for row in connection_tests_of(service)]
    assert sorted(row.subject_id for row in started) == sorted(
        [services["chain"].id, services["st"].id])
    assert {row.requested_by for row in started} == {"System"}
    assert sorted(queue.job_ids) == sorted(row.job_id for row in started)

    queue.connection.flushall()
    assert health_checks.start_nightly_run(at(day, 23, 59)) is None
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Outbound)) == 2

    tomorrow = day + timedelta(days=1)
    run = health_checks.start_nightly_run(at(tomorrow, 3, 0))
    db.session.commit()
    # The day's tests were still waiting: each service keeps its one run (exclusive key).
    assert run.tests == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Outbound)) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(HealthRun)) == 2


def test_an_unsaved_claim_leaves_the_day_to_the_next_tick(world, services):
    """A tick that dies before its commit claimed nothing: the next one starts the day."""
    day = datetime.now(BERLIN).date()
    assert health_checks.start_nightly_run(at(day, 2, 30)) is not None
    db.session.rollback()
    assert db.session.scalar(db.select(HealthRun)) is None
    assert health_checks.start_nightly_run(at(day, 2, 35)).tests == 2


def test_no_nightly_run_without_a_time(world, services):
    """An empty time in the chain's settings switches the nightly tests off."""
    get_chain().health_check_time = ""
    db.session.commit()
    assert health_checks.start_nightly_run(at(datetime.now(BERLIN).date(), 23, 0)) is None


def test_the_periodic_job_runs_the_tests_through_the_worker(world, services, queue, work,
                                                             inbox):
    """jobs.health.tick, as the ticker enqueues it, starts the tests; the worker runs them
    against the real server: the chain's passes, Stuttgart's fails at Anmeldung. A test is
    no alert yet (one failure of three), and no mail is sent."""
    get_chain().health_check_time = "00:00"
    db.session.commit()
    enqueue_now("jobs.health.tick", job_id="periodic-interface-health", queue=queue)
    work()
    [chain_test] = connection_tests_of(fresh(type(services["chain"]), services["chain"].id))
    [st_test] = connection_tests_of(services["st"])
    assert chain_test.state == DONE and chain_test.progress["ok"] is True
    assert st_test.state == FAILED
    assert {s["step"]: s["state"] for s in st_test.progress["steps"]}["auth"] == "failed"
    assert db.session.scalar(db.select(HealthNotice)) is None and inbox == []


# --- alerts -----------------------------------------------------------------------------------

@pytest.fixture
def readers(world):
    """Who hears of failures in Stuttgart: the admin (German) and Stuttgart's manager
    (English). Not: Sam (Stuttgart, did not ask), Uli (asked, but reads only Ulm)."""
    for user, address, notify, language in (
            (world.admin, "anna@kette.example.org", True, "de"),
            (world.manager, "maria@kette.example.org", True, "en"),
            (world.staff, "sam@kette.example.org", False, "de"),
            (world.ul_staff, "uli@kette.example.org", True, "de")):
        user.email, user.notify_interface_failures = address, notify
        user.preferred_language = language
    db.session.commit()
    return world


def run_test(service, actor, work, raw=None):
    row, created = actions.start(actor, service, "test", raw)
    db.session.commit()
    assert created
    work()
    return fresh(Outbound, row.id)


def mails(inbox):
    return [(envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                          policy=email.policy.default))
            for envelope in inbox]


def test_an_alert_after_three_failures_and_once_more_on_recovery(readers, services, work,
                                                                   inbox, smtp_server):
    """Two failures: nothing. The third: one 'failing' notice and one mail to each reader
    who asked (the admin in German, the manager in English), sent through the chain's mail
    server with its login. A fourth failure says nothing new. The first pass: a 'recovered'
    notice and one mail each. No password in any notice or mail."""
    world, st = readers, services["st"]
    for _ in range(2):
        assert run_test(st, world.admin, work).state == FAILED
    assert db.session.scalar(db.select(HealthNotice)) is None and inbox == []

    run_test(st, world.admin, work)
    [notice] = db.session.scalars(db.select(HealthNotice)).all()
    assert (notice.kind, notice.service_id, notice.branch_id, notice.failures) == (
        FAILING, st.id, world.st.id, 3)
    assert (notice.step, notice.reason) == ("auth", "auth_failed")
    assert notice.streak_id == connection_tests_of(st)[0].id
    sent = {to[0]: message for to, message in mails(inbox)}
    assert sorted(sent) == ["anna@kette.example.org", "maria@kette.example.org"]
    german, english = sent["anna@kette.example.org"], sent["maria@kette.example.org"]
    assert german["Subject"] == "Schnittstelle gestört: Mail ST (Stuttgart)"
    assert german["From"] == "Hörwelt Zentrale <zentrale@kette.example.org>"
    body = german.get_body(("plain",)).get_content()
    assert "3-mal in Folge fehlgeschlagen" in body and "Anmeldung fehlgeschlagen" in body
    assert english["Subject"] == "Interface failing: Mail ST (Stuttgart)"
    assert "Login failed" in english.get_body(("plain",)).get_content()
    alerts = db.session.scalars(db.select(Outbound).where(Outbound.kind == "health_alert")).all()
    assert {row.state for row in alerts} == {DONE} and len(alerts) == 2
    assert {row.exclusive_key for row in alerts} == {
        f"health_notice:{notice.id}:mail:{world.admin.id}",
        f"health_notice:{notice.id}:mail:{world.manager.id}"}

    run_test(st, world.admin, work)
    assert len(inbox) == 2 and db.session.scalar(
        db.select(db.func.count()).select_from(HealthNotice)) == 1

    # The right password typed into the editor's form: the test passes.
    passed = run_test(st, world.admin, work, raw=smtp_raw(smtp_server, PASSWORD))
    assert passed.state == DONE
    recovered = db.session.scalar(db.select(HealthNotice).where(HealthNotice.kind == RECOVERED))
    assert (recovered.streak_id, recovered.failures) == (notice.streak_id, 4)
    later = {to[0]: message for to, message in mails(inbox[2:])}
    assert sorted(later) == ["anna@kette.example.org", "maria@kette.example.org"]
    assert later["anna@kette.example.org"]["Subject"] == (
        "Schnittstelle funktioniert wieder: Mail ST (Stuttgart)")
    assert later["maria@kette.example.org"]["Subject"] == (
        "Interface working again: Mail ST (Stuttgart)")

    for envelope in inbox:
        assert PASSWORD.encode() not in envelope.content and WRONG.encode() not in envelope.content
    for row in db.session.scalars(db.select(HealthNotice)):
        assert WRONG not in repr(vars(row)) and PASSWORD not in repr(vars(row))

    run_test(st, world.admin, work)  # another pass: nothing to say
    assert len(inbox) == 4


def test_a_replayed_result_says_nothing_twice(readers, services, work, inbox):
    """The listener seeing the same failed test again, and the engine handed a finished
    alert row again, add no notice, no alert row and no mail."""
    world, st = readers, services["st"]
    get_chain().health_alert_after = 1
    db.session.commit()
    row = run_test(st, world.admin, work)
    assert len(inbox) == 2
    before = db.session.scalar(db.select(db.func.count()).select_from(Outbound))
    health_checks.on_test_finished(row)
    db.session.commit()
    alert = db.session.scalar(db.select(Outbound).where(Outbound.kind == "health_alert"))
    assert engine.deliver(alert.id) == "finished"
    work()
    assert db.session.scalar(db.select(db.func.count()).select_from(Outbound)) == before
    assert db.session.scalar(db.select(db.func.count()).select_from(HealthNotice)) == 1
    assert len(inbox) == 2


def test_without_the_chains_mail_server_the_notice_still_shows(readers, services, work,
                                                                inbox, client, auth):
    """No chain-level SMTP service: the alert mails fail with the reason, the notice is on
    the board for those who read the branch."""
    world = readers
    services["chain"].enabled = False
    get_chain().health_alert_after = 1
    db.session.commit()
    run_test(services["st"], world.admin, work)
    alerts = db.session.scalars(db.select(Outbound).where(Outbound.kind == "health_alert")).all()
    assert len(alerts) == 2 and {row.state for row in alerts} == {FAILED}
    assert inbox == []
    auth.login(world.manager)
    body = client.get("/interfaces/health").get_data(as_text=True)
    assert "Mail ST" in body and "Login failed" in body  # the manager reads English
