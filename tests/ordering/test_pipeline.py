"""Delivering orders through real jobs: 'Bestellen' enqueues, an RQ worker (in-process
SimpleWorker on the real Redis) runs jobs.orders.submit, the adapter talks to the partner sandbox
over HTTP, a local program, or a real SMTP server. One test per kind of adapter, plus the claim
(two deliveries racing for one row) and recovery of an attempt whose worker died."""
import json
import sys
import threading
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.factories import attempts_of, ear_mould_raw, fresh, order_one
from webapp.devrun import free_port
from webapp.extensions import db
from webapp.interfaces import services as interface_services
from webapp.models_base import utcnow
from webapp.ordering import pipeline, services
from webapp.ordering.adapters import get_adapter
from webapp.ordering.models import (
    CANCELLED, CREATED, DONE, ERROR, FAILED, IN_FLIGHT, ORDERED, STARTED, Order, Outbound,
    OutboundAttempt,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(app_config, redis_url):
    """The ordering config (fast retries, short lease margin) plus the test's Redis."""
    return {**app_config, "REDIS_URL": redis_url}


def partner_service(make_service, world, interface_key, company, sandbox, prefix, **extra):
    return make_service(interface_key, ear_mould_raw(company, supplier=company,
                                                     base_url=f"{sandbox}/{prefix}", **extra),
                        name=f"{interface_key} ST", branch_id=world.st.id)


# --- HTTPS partners ---------------------------------------------------------------------------

def test_bestellen_delivers_through_the_job_to_bestellt(world, make_service, sandbox, control,
                                                       work):
    """Both positions go out as jobs: each order is Bestellt with the sandbox's number, one
    submit attempt (accepted, HTTP 201) is recorded, and the sandbox got each order exactly
    once, with our idempotency key and our order number as reference."""
    partner_service(make_service, world, "dreve_smartorder", world.dreve, sandbox, "dreve")
    orders = services.place_order(world.staff, world.process, world.dreve.id)
    db.session.commit()  # the request's unit of work
    assert work()

    stored = {o["idempotency_key"]: o for o in control.orders("dreve")}
    posts = control.received("dreve", method="POST")
    assert len(stored) == len(posts) == 2
    for order in orders:
        order = fresh(Order, order.id)
        key = order.outbound.idempotency_key
        assert order.status == ORDERED and order.error_message == ""
        assert order.external_number == stored[key]["number"]
        assert order.external_number.startswith("DRV-") and order.locked
        assert order.external_status == "NEW"
        assert order.outbound.state == DONE and order.outbound.finished_at is not None
        assert attempts_of(order) == [("submit", "accepted", 201)]
        assert stored[key]["body"]["customerReference"] == order.number
        (post,) = [p for p in posts if p["idempotency_key"] == key]
        assert post["status"] == 201 and post["body"]["customerReference"] == order.number
        assert post["headers"]["Authorization"] == "***"  # sent, and never shown


def test_bearer_partner_logs_in_and_again_after_the_token_expired(world, make_service, sandbox,
                                                                 control, work):
    """Egger (bearer token): the first order logs in, then orders; after the sandbox expired
    every token the next order gets 401, logs in once more and is Bestellt too."""
    partner_service(make_service, world, "egger_order_system", world.egger, sandbox, "egger")
    first = order_one(world, world.egger)
    work()
    requests_made = [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"])
                     for r in control.received("egger")]
    assert requests_made == [("POST", "anmeldung", 200), ("POST", "bestellungen", 201)]

    control.expire_tokens()
    second = order_one(world, world.egger, side="right")
    work()
    for order in (first, second):
        order = fresh(Order, order.id)
        assert order.status == ORDERED and order.external_number.startswith("EGG-")
        assert attempts_of(order) == [("submit", "accepted", 201)]
    later = [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"])
             for r in control.received("egger")][2:]
    assert later == [("POST", "bestellungen", 401), ("POST", "anmeldung", 200),
                     ("POST", "bestellungen", 201)]
    assert len(control.orders("egger")) == 2


def test_audia_portal_puts_the_order_into_the_cart_and_keeps_the_portal_link(
        world, make_service, sandbox, control, work):
    """Audia Easy Order Web-Portal: form login, the order goes into the portal's cart; the
    order is Bestellt with the cart number and details.portal_url opens that cart."""
    make_service("audia_easy_order_portal", {
        "companies": [str(world.hoerluchs.id)], "supplier": str(world.wholesaler.id),
        "portal_url": f"{sandbox}/audia/portal", "username": "10001", "password": "sandbox"},
        name="Audia Portal ST", branch_id=world.st.id)
    order = order_one(world, world.hoerluchs)
    work()

    order = fresh(Order, order.id)
    (cart,) = control.orders("audia-portal")
    assert order.status == ORDERED and order.external_number == cart["number"]
    assert cart["idempotency_key"] == order.outbound.idempotency_key
    assert cart["body"]["reference"] == order.number
    assert order.details["portal_url"] == f"{sandbox}/audia/portal/cart/{cart['number']}"
    assert attempts_of(order) == [("submit", "accepted", 201)]


# --- Kommandozeilenbefehl -------------------------------------------------------------------

def command_script(tmp_path, body):
    """An executable Python program in tmp_path that logs each run to runs.log first."""
    script = tmp_path / "bestellen.py"
    script.write_text(f"#!{sys.executable}\n"
                      "import json, sys\n"
                      f"with open({str(tmp_path / 'runs.log')!r}, 'a') as log:\n"
                      "    log.write(' '.join(sys.argv[1:]) + '\\n')\n" + body)
    script.chmod(0o755)
    return script


def runs(tmp_path):
    log = tmp_path / "runs.log"
    return log.read_text().splitlines() if log.exists() else []


ORDERING_PROGRAM = """
order = json.load(open(sys.argv[2], encoding="utf-8"))
print(json.dumps({"ok": True, "order_number": "LAB-" + order["reference"],
                  "status": "angenommen", "message": "Key " + order["idempotency_key"]}))
"""


@pytest.fixture
def command_service(app, world, make_service, tmp_path):
    """make(body): Stuttgart's command-line service running a script with `body`, which the
    operator allows (ALLOWED_PROGRAMS)."""
    def make(body):
        script = command_script(tmp_path, body)
        app.config["ALLOWED_PROGRAMS"] = [{"path": str(script), "label": "Laborprogramm"}]
        return make_service("ear_mould_command", {
            "companies": [str(world.hoerluchs.id)], "supplier": str(world.wholesaler.id),
            "program": str(script), "arguments": "--auftrag {auftragsdatei}",
            "timeout": "10", "output_format": "json"}, name="Laborprogramm", branch_id=world.st.id)
    return make


def test_command_program_places_the_order_and_reports_its_number(world, command_service,
                                                                tmp_path, work):
    """Kommandozeilenbefehl: the program gets the order file (our number and key inside) and
    its JSON answer makes the order Bestellt with its number; exit code 0 is recorded."""
    command_service(ORDERING_PROGRAM)
    order = order_one(world, world.hoerluchs)
    work()

    order = fresh(Order, order.id)
    assert order.status == ORDERED and order.external_number == f"LAB-{order.number}"
    assert order.external_status == "angenommen"
    (attempt,) = order.outbound.attempt_log
    assert (attempt.action, attempt.outcome, attempt.exit_code) == ("submit", "accepted", 0)
    assert attempt.message == f"Key {order.outbound.idempotency_key}"
    (run,) = runs(tmp_path)
    assert run.startswith("--auftrag ") and run.endswith(".json")


def test_failing_program_is_fehler_with_exit_code_and_stderr(world, command_service, tmp_path,
                                                            work):
    """A program that exits 3 with a message on stderr: Fehler with exit code and that
    message, in the order and in the attempt; it is not run again."""
    command_service("sys.stderr.write('Labor nicht erreichbar: Leitung belegt\\n')\n"
                    "sys.exit(3)\n")
    order = order_one(world, world.hoerluchs)
    work()
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and order.outbound.state == FAILED
    assert "exit code 3" in order.error_message
    assert "Labor nicht erreichbar: Leitung belegt" in order.error_message
    (attempt,) = order.outbound.attempt_log
    assert (attempt.outcome, attempt.exit_code) == ("permanent", 3)
    assert "Labor nicht erreichbar" in attempt.message
    assert len(runs(tmp_path)) == 1


def test_the_worker_refuses_a_program_no_longer_on_the_operators_list(app, world,
                                                                      command_service,
                                                                      tmp_path, work):
    """The operator took the program off ALLOWED_PROGRAMS after the service was set up: the
    order goes to Fehler saying so, and the program never runs."""
    command_service(ORDERING_PROGRAM)
    app.config["ALLOWED_PROGRAMS"] = [{"path": "/usr/bin/true", "label": "Something else"}]
    order = order_one(world, world.hoerluchs)
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and order.outbound.state == FAILED
    assert "not (or no longer) on the operator's list of allowed programs" in order.error_message
    assert runs(tmp_path) == []


def test_an_order_to_a_service_on_127_0_0_1_is_refused_unless_allowed(app, world, make_service,
                                                                      sandbox, control, work):
    """The service points at the sandbox on 127.0.0.1 (allowed when it was saved); then the
    operator allows no loopback any more: the order goes to Fehler and the sandbox got
    nothing. The worker reads the policy when it runs, not when the service was saved."""
    partner_service(make_service, world, "dreve_smartorder", world.dreve, sandbox, "dreve")
    app.config.update(OUTBOUND_HTTP_HOSTS=[], OUTBOUND_ALLOWED_NETWORKS=[])
    order = order_one(world, world.dreve)
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and order.outbound.state == FAILED
    assert "Use an https address." in order.error_message
    assert control.received("dreve") == []

    app.config.update(OUTBOUND_HTTP_HOSTS=["127.0.0.1"])  # http, but no loopback network
    second = order_one(world, world.dreve)
    work()
    second = fresh(Order, second.id)
    assert second.status == ERROR and second.error_message.startswith(
        "Not connected to 127.0.0.1: Loopback, link-local and private addresses are refused")
    assert control.received("dreve") == []


# --- Standard Bestellprozess ------------------------------------------------------------------

class Mailbox:
    """An aiosmtpd handler keeping every envelope it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free loopback port: (port, mailbox)."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


def standard_service(world, make_service, delivery):
    return make_service("ear_mould_standard_order", {
        "companies": [str(world.hoerluchs.id)], "supplier": str(world.egger.id),
        "delivery": delivery, "order_template": "Bestellschein Otoplastik",
        "subject": "Otoplastikbestellung"}, name="Standard ST", branch_id=world.st.id)


def test_standard_process_emails_the_order_form_once_to_the_supplier(world, make_service,
                                                                    smtp_server, work):
    """Standard Bestellprozess by e-mail: the chain's SMTP service hands the order form to a
    real SMTP server; it arrives once, at the supplier's order e-mail address, with the
    order number in subject and text, and the order is Bestellt."""
    port, mailbox = smtp_server
    interface_services.create_service(world.admin, "smtp", {"name": "Postausgang"}, {
        "host": "127.0.0.1", "port": str(port), "encryption": "none",
        "sender_address": "bestellung@hoerwelt.example.org", "timeout": "10"})
    standard_service(world, make_service, "email")
    order = order_one(world, world.hoerluchs)
    work()
    work()

    order = fresh(Order, order.id)
    assert order.error_message == ""
    assert order.status == ORDERED and order.handoff == ""
    assert attempts_of(order) == [("submit", "accepted", None)]
    (envelope,) = mailbox.envelopes
    assert envelope.rcpt_tos == [world.egger.order_email] == ["bestellung@egger.example.org"]
    assert envelope.mail_from == "bestellung@hoerwelt.example.org"
    content = envelope.content.decode()
    assert f"Bestellung {order.number}" in content and "Otoplastikbestellung" in content
    assert order.details["recipient"] == world.egger.order_email


def test_print_fax_is_handed_to_a_person_and_stays_erstellt(world, make_service, work):
    """Standard Bestellprozess 'Zum Drucken/Faxen vormerken': no partner is called; the order
    stays Erstellt, marked print_fax, until someone confirms it went out."""
    standard_service(world, make_service, "print_fax")
    order = order_one(world, world.hoerluchs)
    work()

    order = fresh(Order, order.id)
    assert order.status == CREATED and order.handoff == "print_fax"
    assert order.outbound.state == DONE and order.external_number == ""
    assert attempts_of(order) == [("submit", "handoff", None)]
    assert "document_html" not in order.details
    services.mark_ordered(world.staff, order)
    db.session.commit()  # the request's unit of work
    assert fresh(Order, order.id).status == ORDERED


# --- the claim ---------------------------------------------------------------------------------

def test_two_deliveries_racing_for_one_row_submit_it_once(app, world, make_service, sandbox,
                                                         control):
    """Two deliver() calls for the same row, in two threads with their own app contexts and
    database connections, started together: one claims and submits, the other is refused
    by the conditional UPDATE (or, should it come late, finds the row done) — one submit
    attempt, one request at the partner. Repeated for a few rows."""
    partner_service(make_service, world, "dreve_smartorder", world.dreve, sandbox, "dreve")
    control.faults("dreve", latency_ms=500)  # the winner is still calling when the loser tries
    orders = [order_one(world, world.dreve, side=side) for side in ("left", "right", "left")]
    losers = []
    for order in orders:
        outbound_id = order.outbound.id
        barrier = threading.Barrier(2)
        results = []

        def deliver(name):
            with app.app_context():
                barrier.wait(5)
                results.append(pipeline.deliver(outbound_id, worker=name))

        threads = [threading.Thread(target=deliver, args=(f"thread-{n}",)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(results) in (["accepted", "claimed"], ["accepted", "finished"])
        losers += [result for result in results if result != "accepted"]
        assert attempts_of(order) == [("submit", "accepted", 201)]
        key = fresh(Order, order.id).outbound.idempotency_key
        assert len(control.received("dreve", method="POST")) == orders.index(order) + 1
        assert [o["idempotency_key"] for o in control.orders("dreve")][-1] == key
    assert len(control.orders("dreve")) == 3
    assert "claimed" in losers  # the race did happen, while the winner was calling


# --- an attempt whose worker died -----------------------------------------------------------------

def die_during_the_call(order, lease_left):
    """Leave the row as a worker leaves it when killed mid-call: claimed, the attempt written
    and 'started', the lease running out in `lease_left` seconds."""
    outbound = fresh(Order, order.id).outbound
    outbound.state, outbound.attempts = IN_FLIGHT, 1
    outbound.claimed_by, outbound.lease_until = "dead-worker", utcnow() + timedelta(
        seconds=lease_left)
    db.session.add(OutboundAttempt(outbound_id=outbound.id, action="submit", worker="host:1"))
    db.session.commit()
    return outbound


@pytest.mark.parametrize("arrived", [True, False], ids=["arrived", "never-arrived"])
def test_interrupted_attempt_is_resolved_by_key_before_any_resend(world, make_service, sandbox,
                                                                  control, queue, work,
                                                                  arrived):
    """A row whose worker died mid-call: while the lease runs, nobody touches it; once it
    has run out the reconciler re-enqueues it, the next delivery marks the attempt
    interrupted and asks the partner by key. If the order had arrived, its number is taken
    and nothing is sent again; if not, it is submitted (same key). One order either way."""
    partner_service(make_service, world, "dreve_smartorder", world.dreve, sandbox, "dreve")
    order = order_one(world, world.dreve)
    queue.empty()  # the dead worker had taken the job
    outbound = die_during_the_call(order, lease_left=60)
    if arrived:  # what the dead worker's request did before it died
        sent = get_adapter("dreve_smartorder").submit(pipeline.build_request(order, outbound))
        assert sent.kind == "accepted"

    assert pipeline.deliver(outbound.id) == "claimed"
    assert pipeline.reconcile(now=utcnow() + timedelta(seconds=30)) == 0
    assert attempts_of(order) == [("submit", STARTED, None)]

    outbound = fresh(Outbound, outbound.id)
    outbound.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert pipeline.reconcile() == 1
    work()

    order = fresh(Order, order.id)
    (stored,) = control.orders("dreve")
    assert order.status == ORDERED and order.external_number == stored["number"]
    assert stored["idempotency_key"] == order.outbound.idempotency_key
    expected = [("submit", "interrupted", None), ("lookup", "accepted", 200)]
    if not arrived:
        expected[1:] = [("lookup", "not_found", 404), ("submit", "accepted", 201)]
    assert attempts_of(order) == expected
    assert len(control.received("dreve", method="POST")) == 1
    assert not order.outbound.needs_lookup


def test_interrupted_command_goes_to_fehler_instead_of_running_again(world, command_service,
                                                                     tmp_path, queue, work):
    """A program cannot be asked whether it placed the order: an interrupted attempt turns
    into Fehler ('cannot tell whether the order arrived') without running it again. The
    person who checked may then cancel, or send again, which runs it once more."""
    command_service(ORDERING_PROGRAM)
    order = order_one(world, world.hoerluchs)
    queue.empty()
    die_during_the_call(order, lease_left=-1)
    assert pipeline.reconcile() == 1
    work()

    order = fresh(Order, order.id)
    assert order.status == ERROR and order.outbound.state == FAILED
    assert "cannot tell whether the order arrived" in order.error_message
    assert [a.outcome for a in order.outbound.attempt_log] == ["interrupted"]
    assert runs(tmp_path) == []

    services.resend(world.staff, order)
    db.session.commit()  # the request's unit of work
    work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED and order.external_number == f"LAB-{order.number}"
    assert len(runs(tmp_path)) == 1


def test_interrupted_command_order_can_be_cancelled_after_checking(world, command_service,
                                                                   queue, work):
    """After Fehler for an interrupted program run, 'Stornieren' is possible: the person
    has checked with the lab, nothing is waiting to be cleared up."""
    command_service(ORDERING_PROGRAM)
    order = order_one(world, world.hoerluchs)
    queue.empty()
    die_during_the_call(order, lease_left=-1)
    pipeline.reconcile()
    work()
    order = fresh(Order, order.id)
    assert order.status == ERROR
    services.cancel(world.staff, order)
    db.session.commit()  # the request's unit of work
    assert fresh(Order, order.id).status == CANCELLED


def test_program_gets_the_order_file_with_number_key_and_position(world, command_service,
                                                                 tmp_path, work):
    """The order file a program gets carries our order number, the idempotency key and the
    position in canonical terms (docs/partners/command-line.md)."""
    command_service(f"import shutil\nshutil.copy(sys.argv[2], {str(tmp_path / 'order.json')!r})\n"
                    + ORDERING_PROGRAM)
    order = order_one(world, world.hoerluchs)
    work()

    order = fresh(Order, order.id)
    assert order.status == ORDERED
    data = json.loads((tmp_path / "order.json").read_text())
    assert data["reference"] == order.number
    assert data["idempotency_key"] == order.outbound.idempotency_key
    assert data["position"]["side"] == "left" and data["position"]["impression_ref"] == "ABD-L-1"


# --- status after ordering ----------------------------------------------------------------------

def test_status_queries_move_an_order_forward_never_back(world, make_service, sandbox, control,
                                                          work):
    """The periodic status job asks the lab: Bestellt → Bestätigt → Geliefert with the partner's
    word; an older answer never moves the order back, and finished orders are not asked."""
    import requests

    from jobs.orders import refresh_statuses

    partner_service(make_service, world, "dreve_smartorder", world.dreve, sandbox, "dreve")
    order = order_one(world, world.dreve)
    work()
    number = fresh(Order, order.id).external_number

    def advance(status):
        requests.post(f"{sandbox}/_sandbox/orders/dreve/{number}/advance",
                      json={"status": status}, timeout=5).raise_for_status()

    advance("confirmed")
    assert refresh_statuses() == 1
    assert (fresh(Order, order.id).status, fresh(Order, order.id).external_status) == (
        "confirmed", "IN_PRODUCTION")
    advance("shipped")
    refresh_statuses()
    assert fresh(Order, order.id).status == "delivered"
    asked = len(control.received("dreve", method="GET"))
    assert refresh_statuses() == 0 and len(control.received("dreve", method="GET")) == asked


def test_an_order_follows_its_company_to_another_service(world, make_service, sandbox, control):
    """The company's assignment moved after "Bestellen" (the branch's service was switched
    off): the job delivers through the chain's service and the order names it; merely
    building a request (e.g. for the order form) changes nothing."""
    branch_service = partner_service(make_service, world, "dreve_smartorder", world.dreve,
                                     sandbox, "dreve")
    make_service("audia_easy_order", ear_mould_raw(world.dreve, supplier=world.dreve,
                                                   base_url=f"{sandbox}/audia"),
                 name="Audia chain")
    order = order_one(world, world.dreve)
    assert order.service_name == "dreve_smartorder ST"
    branch_service.enabled = False
    db.session.commit()

    pipeline.build_request(order, order.outbound, with_secrets=False)
    assert fresh(Order, order.id).service_name == "dreve_smartorder ST"
    assert pipeline.deliver(order.outbound.id) == "accepted"
    order = fresh(Order, order.id)
    assert (order.service_name, order.interface_key, order.status) == (
        "Audia chain", "audia_easy_order", ORDERED)
    assert len(control.orders("audia")) == 1 and control.orders("dreve") == []
