"""Verwaltung → Betrieb against real components: the worker list from a real `flask worker`
running a real job, a failed order shown with its reason and sent again through the sandbox,
the groups of outbound work and their constant query count, the chart's numbers against its
table, and the start page's orders per reader."""
import re
import uuid
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest

from tests.factories import ear_mould_raw, fresh, make_config, order_one, wait_for
from tests.ordering.conftest import SandboxControl
from webapp.extensions import db
from webapp.models_base import utcnow
from webapp.ordering.models import CREATED, ERROR, ORDERED, Order
from webapp.outbound.models import (
    DONE, FAILED, IN_FLIGHT, INTERRUPTED, PENDING, Outbound, OutboundAttempt,
)

pytestmark = pytest.mark.redis


@pytest.fixture
def app_config(tmp_path, redis_url):
    return make_config(tmp_path, REDIS_URL=redis_url, ORDER_RETRY_BASE_SECONDS=0.05,
                       ORDER_RETRY_CAP_SECONDS=0.2, ORDER_LEASE_MARGIN_SECONDS=1)


@pytest.fixture
def dreve(world, make_service, sandbox):
    """Dreve SmartOrder at the sandbox, for Stuttgart."""
    return make_service("dreve_smartorder", ear_mould_raw(
        world.dreve, supplier=world.dreve, base_url=f"{sandbox}/dreve"),
        name="Dreve ST", branch_id=world.st.id)


def faults(sandbox, **settings):
    """The sandbox's Dreve answers with these faults from now on (none: as it should)."""
    SandboxControl(sandbox).faults("dreve", **settings)


def section(body, group):
    """The HTML of one group of outbound work on the page."""
    found = re.search(rf'<section id="group-{group}".*?</section>', body, re.S)
    assert found, f"no group {group}"
    return found[0]


def page(client):
    response = client.get("/operations/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- permissions -------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ("manager", "staff"))
def test_only_administrators_open_it(client, auth, world, csrf, who):
    """Betrieb is in the admin's Verwaltung menu only; the others get 403 for its pages and
    for Erneut senden, even with a valid CSRF token."""
    auth.login(getattr(world, who))
    assert client.get("/operations/").status_code == 403
    assert client.get("/operations/outbound?group=failed").status_code == 403
    assert 'href="/operations/"' not in client.get("/").get_data(as_text=True)
    token = csrf()
    response = client.post("/operations/outbound/1/resend", headers={"X-CSRFToken": token,
                                                                      "HX-Request": "true"})
    assert response.status_code == 403
    auth.login(world.admin)
    assert 'href="/operations/"' in client.get("/").get_data(as_text=True)


def test_resend_needs_the_csrf_token(client, auth, world):
    """A POST without the token is refused (403) and changes nothing, even for an admin."""
    row = add_row("order", 1, FAILED, outcome="permanent")
    db.session.commit()
    auth.login(world.admin)
    assert client.post(f"/operations/outbound/{row.id}/resend",
                       headers={"HX-Request": "true"}).status_code == 403
    assert fresh(Outbound, row.id).state == FAILED


# --- queues and workers --------------------------------------------------------------------

def test_a_real_worker_shows_its_current_job_and_heartbeat(app, client, auth, world, dreve,
                                                            sandbox, worker):
    """A real `flask worker` delivering an order the sandbox holds for a few seconds: the
    page lists it alive, busy, with the job's function (not its arguments) and a heartbeat,
    the queue, and the row in flight; afterwards the order is Bestellt."""
    faults(sandbox, latency_ms=4000)
    order = order_one(world, world.dreve)
    auth.login(world.admin)

    def busy():  # the job runs, and its claim is committed
        body = page(client)
        return body if ("jobs.orders.submit" in body
                        and order.number in section(body, "in_flight")) else None
    body = wait_for(busy, timeout=30, what="the worker to run the order's job")
    workers = re.search(r'<table class="list ops-workers">.*?</table>', body, re.S)[0]
    assert "Worker" in body and "lebt" in workers and "beschäftigt" in workers
    assert re.search(r"<code>jobs\.orders\.submit</code>", workers)
    assert "<time datetime=" in workers  # the last heartbeat
    assert "outbound" not in workers and f"({order.outbound.id}" not in workers
    assert '<th scope="row">default</th>' in body  # the queue
    faults(sandbox)
    wait_for(lambda: fresh(Order, order.id).status == ORDERED, timeout=30,
             what="the order to be Bestellt")


def test_without_a_worker_the_page_says_how_to_start_one(client, auth, world):
    """No worker registered: the worker table says so (and the page still renders)."""
    auth.login(world.admin)
    assert "flask --app app worker" in page(client)


# --- outbound work ---------------------------------------------------------------------------

def test_a_failed_order_shows_its_reason_and_erneut_senden_delivers_it(
        app, client, auth, csrf, world, dreve, sandbox, work):
    """The partner answers 503 until the order gives up: the row is in Fehlgeschlagen with
    the order's number, a link to it and the partner's answer. Erneut senden (htmx, CSRF)
    answers with the row, now due; the worker delivers it with the same key: Bestellt."""
    app.config["ORDER_MAX_ATTEMPTS"] = 1
    faults(sandbox, error_rate=1)
    order = order_one(world, world.dreve)
    work()
    order = fresh(Order, order.id)
    key, row_id = order.outbound.idempotency_key, order.outbound.id
    assert order.status == ERROR and order.outbound.state == FAILED

    auth.login(world.admin)
    failed = section(page(client), "failed")
    assert f'href="/orders/{order.id}">Bestellung {order.number}</a>' in failed
    assert "HTTP 503" in failed and "Erneut senden" in failed
    assert "Zurzeit keine." in section(page(client), "person")

    faults(sandbox)
    response = client.post(f"/operations/outbound/{row_id}/resend",
                           headers={"X-CSRFToken": csrf(), "HX-Request": "true"})
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    assert answer.startswith(f'<tr id="outbound-{row_id}">') and "Erneut gesendet." in answer
    assert "Erneut senden" not in answer  # due now, not failed
    assert fresh(Order, order.id).status == CREATED
    work()
    order = fresh(Order, order.id)
    assert order.status == ORDERED and order.outbound.idempotency_key == key
    assert order.outbound.state == DONE

    again = client.post(f"/operations/outbound/{row_id}/resend",
                        headers={"X-CSRFToken": csrf(), "HX-Request": "true"})
    assert again.status_code == 409 and 'role="alert"' in again.get_data(as_text=True)


def add_row(subject_type, subject_id, state, kind="order_submit", outcome=None, **values):
    """An outbound row as the engine leaves it, with its last attempt's outcome."""
    row = Outbound(kind=kind, subject_type=subject_type, subject_id=subject_id,
                   idempotency_key=str(uuid.uuid4()),
                   state=state, attempts=1 if outcome else 0, **values)
    db.session.add(row)
    db.session.flush()
    if outcome:
        db.session.add(OutboundAttempt(outbound_id=row.id, action="submit", outcome=outcome,
                                       message="m"))
    return row


def test_rows_are_grouped_by_what_they_need(client, auth, csrf, world, make_service, dreve):
    """Pending is due, claimed is in flight; a failed row whose last call may have arrived
    and cannot be asked waits for a person (no button, and the server refuses it); a
    refused one is failed, with the button; a failure followed by a newer run of the same
    work is history."""
    service = make_service("smtp", name="Mail Kette")
    order = order_one(world, world.dreve)
    db.session.delete(fresh(Order, order.id).outbound)  # no sandbox: a row of our making
    db.session.commit()
    add_row("service", service.id, PENDING, kind="service_action", action="test")
    add_row("service", service.id, IN_FLIGHT, kind="sinno_chat_sync", action="sync",
            lease_until=utcnow() + timedelta(minutes=1))
    person = add_row("order", order.id, FAILED, outcome=INTERRUPTED,
                     last_error="Check with the partner")
    add_row("customer", world.customer.id, FAILED, kind="sinno_customer", outcome="permanent",
            last_error="refused by SiNNO", action="on")
    old = add_row("service", service.id, FAILED, kind="card_info_request", outcome="permanent",
                  action="x", last_error="old failure")
    add_row("service", service.id, DONE, kind="card_info_request", outcome="accepted",
            action="x")
    db.session.commit()

    auth.login(world.admin)
    body = page(client)
    assert "Mail Kette" in section(body, "due") and "Mail Kette" in section(body, "in_flight")
    waiting = section(body, "person")
    assert f"Bestellung {order.number}" in waiting and "Erneut senden" not in waiting
    failed = section(body, "failed")
    assert "Erika" in failed and "refused by SiNNO" in failed
    assert "Erneut senden" not in failed  # SiNNO app access is switched on its own page
    assert "old failure" not in body and f'id="outbound-{old.id}"' not in body

    response = client.post(f"/operations/outbound/{person.id}/resend",
                           headers={"X-CSRFToken": csrf(), "HX-Request": "true"})
    assert response.status_code == 409
    assert fresh(Outbound, person.id).state == FAILED


def test_a_group_is_capped_with_a_link_to_all_and_queries_stay_constant(
        client, auth, world, make_service, count_queries):
    """Ten rows per group on the overview and a link to the rest; the overview and a group's
    page cost the same number of queries for 3 rows as for 30."""
    service = make_service("smtp", name="Mail Kette")
    auth.login(world.admin)

    def add(count, start):
        for index in range(start, start + count):
            add_row("service", service.id, FAILED, kind="card_info_request",
                    outcome="permanent", action=f"a{index}", last_error=f"failure {index}")
            add_row("order", 100000 + index, FAILED, outcome="permanent", last_error="no")
        db.session.commit()

    def cost(url):
        client.get(url)  # warm caches (the catalogue, the chain)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    add(3, 0)
    few = cost("/operations/"), cost("/operations/outbound?group=failed")
    add(27, 3)
    assert (cost("/operations/"), cost("/operations/outbound?group=failed")) == few
    body = page(client)
    failed = section(body, "failed")
    assert failed.count('<tr id="outbound-') == 10
    assert 'href="/operations/outbound?group=failed">Alle 60 anzeigen' in failed
    all_rows = client.get("/operations/outbound?group=failed&page=2").get_data(as_text=True)
    assert all_rows.count('<tr id="outbound-') == 10  # 50 per page
    assert '<h2 id="group-failed-heading">' in all_rows and 'rel="prev"' in all_rows


def test_unfinished_roll_outs_are_listed_and_queries_stay_constant(
        client, auth, world, make_service, count_queries):
    """Betrieb lists the roll-outs still running or stopped (with their branches' counts),
    not the finished ones, at the same cost for 3 as for 15."""
    from webapp.interfaces.rollout_models import Rollout, RolloutStep

    service = make_service("smtp", name="Mail Kette")
    auth.login(world.admin)

    def add(*states):
        made = []
        for state in states:
            rollout = Rollout(source_id=service.id, source_name="Mail Kette",
                              interface_key="smtp", state=state, created_by="test")
            rollout.steps = [RolloutStep(position=1, branch_id=world.st.id,
                                         branch_name="Stuttgart", action="create",
                                         state="failed" if state == "stopped" else "done"),
                             RolloutStep(position=2, branch_id=world.ul.id, branch_name="Ulm",
                                         action="create", state="pending")]
            db.session.add(rollout)
            made.append(rollout)
        db.session.commit()
        return made

    stopped, running, done = add("stopped", "running", "done")
    client.get("/operations/")
    with count_queries() as few:
        body = client.get("/operations/").get_data(as_text=True)
    assert f">{stopped.reference}</a>" in body and f">{running.reference}</a>" in body
    assert f">{done.reference}</a>" not in body
    assert "0 erledigt, 0 übersprungen, 1 fehlgeschlagen, 1 wartend" in body
    add(*["running"] * 12)
    with count_queries() as many:
        client.get("/operations/")
    assert many.count == few.count


# --- orders per day and lab ------------------------------------------------------------------

def test_the_chart_and_its_table_have_the_same_numbers(client, auth, world):
    """Orders counted per chain day (Europe/Berlin) and lab: each bar's title says what its
    table row says; an order at 23:30 UTC counts on the next Berlin day; the legend's totals
    add up."""
    now = datetime.now(timezone.utc)
    yesterday = (now - timedelta(days=1)).replace(hour=23, minute=30, second=0, microsecond=0) \
        - timedelta(days=1)
    made = [(world.dreve, yesterday), (world.dreve, yesterday), (world.egger, yesterday),
            (world.egger, now - timedelta(days=3)), (world.hoerluchs, now - timedelta(days=40))]
    for index, (company, created_at) in enumerate(made):
        db.session.add(Order(branch_id=world.st.id, supplier_id=company.id,
                             company_id=company.id, interface_key="x", service_name="x",
                             status=CREATED, number=f"B-T-{index}", updated_by="t",
                             created_at=created_at))
    db.session.commit()
    auth.login(world.admin)
    body = page(client)

    bars = {}
    for title in re.findall(r'<g class="bar"><title>(.*?)</title>', body):
        day, rest = unescape(title).split(": ", 1)
        bars[day] = rest
    assert len(bars) == 30
    table = re.search(r'<table class="list ops-orders-table">.*?</table>', body, re.S)[0]
    labs = [unescape(name) for name in re.findall(r'<th scope="col">(.*?)</th>', table)[1:-1]]
    assert labs == ["Dreve", "Egger"]  # the busiest first; none older than 30 days
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>(.*?)</tr>', table)
    assert len(rows) == 30
    for day, cells in rows:
        numbers = [int(n) for n in re.findall(r'<td class="number">(\d+)</td>', cells)]
        per_lab, total = numbers[:-1], numbers[-1]
        title = bars[unescape(day)]
        assert title.startswith(f"{total} Bestellungen")
        for lab, count in zip(labs, per_lab):
            assert (f"{lab} {count}" in title) == bool(count)
    berlin_day = [d for d, cells in rows if "<td class=\"number\">3</td>" in cells]
    assert len(berlin_day) == 1  # 23:30 UTC of the day before yesterday is one Berlin day
    assert "Dreve (2)" in body and "Egger (2)" in body


# --- the start page ---------------------------------------------------------------------------

def make_order(world, branch, status, number, message=""):
    order = Order(branch_id=branch.id, supplier_id=world.dreve.id, company_id=world.dreve.id,
                  interface_key="dreve_smartorder", service_name="Dreve", status=status,
                  number=number, error_message=message, updated_by="t",
                  process_id=world.process.id if branch is world.st else None,
                  ordered_at=utcnow())
    db.session.add(order)
    return order


def test_the_start_page_shows_each_reader_their_branches_orders(client, auth, world,
                                                              count_queries):
    """Staff and branch managers see their branches' orders in Fehler (with the reason)
    and those not yet Bestellt, never another branch's; administrators have Betrieb
    instead. The query count does not grow with the orders."""
    make_order(world, world.st, ERROR, "B-ST-ERR", "HTTP 401 unauthorized")
    make_order(world, world.st, CREATED, "B-ST-NEW")
    make_order(world, world.st, ORDERED, "B-ST-DONE")
    make_order(world, world.ul, ERROR, "B-UL-ERR", "Ulm's problem")
    db.session.commit()

    for user, mine, others in ((world.manager, ("B-ST-ERR", "B-ST-NEW"), ("B-UL-ERR",)),
                               (world.staff, ("B-ST-ERR", "B-ST-NEW"), ("B-UL-ERR",)),
                               (world.ul_staff, ("B-UL-ERR",), ("B-ST-ERR", "B-ST-NEW"))):
        auth.login(user)
        body = client.get("/").get_data(as_text=True)
        assert "Bestellungen mit Status Fehler" in body
        assert all(number in body for number in mine), user.username
        assert not any(number in body for number in others), user.username
        assert "B-ST-DONE" not in body
    auth.login(world.staff)
    assert "HTTP 401 unauthorized" in client.get("/").get_data(as_text=True)
    auth.login(world.admin)
    assert "Bestellungen mit Status Fehler" not in client.get("/").get_data(as_text=True)

    def more(count, start):
        for index in range(start, start + count):
            make_order(world, world.st, ERROR, f"B-MORE-{index}", "x")
            make_order(world, world.st, CREATED, f"B-WAIT-{index}")
        db.session.commit()

    # More than a page of each (with fewer, the pager needs no COUNT: one query less).
    more(5, 0)
    auth.login(world.staff)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    more(20, 5)
    client.get("/")
    with count_queries() as many:
        body = client.get("/").get_data(as_text=True)
    assert many.count == few.count
    assert 'href="/orders/?status=error">Alle 26 anzeigen' in body
