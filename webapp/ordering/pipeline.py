"""Delivering an order to its partner: claim the outbound row, call the adapter, record the
attempt, decide what comes next. jobs/orders.py runs it; nothing here reads `request`.

Why it cannot lose or double an order:
- **Claim by conditional UPDATE.** Only a row that is due (pending, next attempt reached) or
  whose lease ran out (its worker died) can be claimed; two workers racing for one row get
  rowcount 1 and 0. The lease is longer than one adapter call can take.
- **An attempt is written before the call** (outcome "started") and committed. A later claim
  that finds a started attempt knows its worker died mid-call: the partner may have the order,
  so the next step is a lookup by idempotency key, never a blind resend. Adapters that cannot
  look up (command, e-mail) send the order to Fehler for a person to check instead.
- **Every send carries the row's idempotency key**, the same for every retry and for
  "Erneut senden": a partner that got it before answers with the same external number.
- **Results are written only by the claim's owner** (`claimed_by = token`); a worker that
  overran its lease records its attempt but leaves the row to the new owner.
- **Redis only wakes workers.** Every retry is a row state plus a delayed job; if Redis loses
  the job, `reconcile()` re-enqueues every due row that has no live job.
"""
import logging
import random
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import redis
from flask import current_app
from flask_babel import gettext as _
from rq.job import Job, JobStatus
from sqlalchemy import and_, or_, update

from .. import outbound_policy, programs
from ..extensions import db
from ..interfaces.resolver import resolve, resolve_for_company, secret_for
from ..models_base import utcnow
from ..org.services import get_chain
from ..queue import enqueue_after_commit, get_redis
from . import routing
from .adapters import base, get_adapter
from .models import (
    CONFIRMED, CREATED, DELIVERED, DONE, ERROR, FAILED, IN_FLIGHT, INTERRUPTED, ORDERED,
    PENDING, STARTED, Order, Outbound, OutboundAttempt,
)
from .services import SUBMIT_JOB, submit_job_id

log = logging.getLogger(__name__)

# Status order, so a late or repeated answer never moves an order backwards.
PROGRESS = {CREATED: 0, ORDERED: 1, CONFIRMED: 2, DELIVERED: 3}
# Jobs that will still run; a 'started' job of a pending row is a job whose worker died.
# Not 'scheduled': the reconciler looks only at rows overdue by the grace period, and a
# delayed job that late has lost its scheduler. RQ runs one scheduler, in one worker; when
# that worker is killed, its lock keeps the others from taking over for minutes.
WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED}


class Unroutable(Exception):
    """The order cannot be delivered as configured (service gone, company unassigned)."""


def backoff(attempt, retry_after=None, config=None):
    """Seconds until the next try after `attempt` failed transiently: capped exponential with
    "equal jitter" (half fixed, half random), never less than the partner's Retry-After."""
    config = config or current_app.config
    base_delay, cap = config["ORDER_RETRY_BASE_SECONDS"], config["ORDER_RETRY_CAP_SECONDS"]
    delay = min(cap, base_delay * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        delay = max(delay, min(cap, float(retry_after)))
    return delay


# --- building what the adapter gets ------------------------------------------------------

def _secrets(resolution):
    """The service's set secrets, read now: the adapter call runs without the database."""
    found = {spec.key: secret_for(resolution, spec.key)
             for spec in resolution.interface.secret_fields
             if resolution.fields[spec.key].is_set}
    return found.get


def _no_secret(_key):
    return None


def _party(record, name=None):
    if record is None:
        return None
    return base.Party(name=name or record.name, street=record.street or "",
                      postal_code=record.postal_code or "", city=record.city or "",
                      email=getattr(record, "email", "") or "", phone=record.phone or "")


def build_request(order, outbound, with_secrets=True):
    """The OrderRequest for `order`, routed as it is configured now (which may be another
    service than at "Bestellen": see follow_routing). Without secrets (every secret reads as
    None) for what people see, e.g. the printable order form. Changes nothing."""
    position = order.position
    if position is None:
        raise Unroutable(_("The ear-mould position of this order was deleted."))
    outbound_key = outbound.idempotency_key if outbound is not None else ""
    resolution = resolve_for_company(routing.GROUP, order.company_id,
                                             branch=order.branch_id)
    if resolution is None:
        raise Unroutable(_("No active ordering service has %(company)s in its company "
                           "assignment any more.", company=order.company.name))
    # Only the e-mail adapter needs the chain's SMTP service; nobody else gets its password.
    smtp = (resolve("smtp", branch=order.branch_id)
            if get_adapter(resolution.service.interface_key).sends_mail else None)
    customer = order.process.customer if order.process is not None else None
    supplier = order.supplier
    return base.OrderRequest(
        reference=order.number, idempotency_key=outbound_key,
        interface_key=resolution.service.interface_key, service_id=resolution.service.id,
        service_name=resolution.service.name, config=dict(resolution.values),
        secret=_secrets(resolution) if with_secrets else _no_secret,
        position=base.Position(
            side=position.side, style=position.style, material=position.material,
            impression_ref=position.impression_ref, venting=position.venting,
            colour=position.colour or "", notes=position.notes or ""),
        customer_number=supplier.customer_number_for(order.branch_id),
        supplier=_party(supplier), supplier_order_email=supplier.order_email or "",
        supplier_order_form=supplier.order_form or "",
        branch=base.Party(name=order.branch.name, street=order.branch.street,
                          postal_code=order.branch.postal_code, city=order.branch.city,
                          email=order.branch.office_email, phone=order.branch.office_phone),
        customer=_party(customer, customer.name if customer else None),
        process_type=order.process.process_type if order.process is not None else "",
        note=order.note or "",
        # In the chain's time zone (with its offset): the order form shows it to the lab.
        ordered_at=(order.ordered_at.astimezone(ZoneInfo(get_chain().timezone or "Europe/Berlin"))
                    .isoformat() if order.ordered_at else ""),
        smtp_config=dict(smtp.values) if smtp is not None else None,
        smtp_secret=_secrets(smtp) if smtp is not None and with_secrets else _no_secret,
        outbound=outbound_policy.from_config(current_app.config),
        allowed_programs=programs.allowed_paths(current_app.config),
    )


def follow_routing(order, request):
    """The company's assignment moved to another service since "Bestellen": the order is
    delivered through the new one, and says so (saved with the claim)."""
    if request.service_id != order.service_id:
        order.service_id = request.service_id
        order.interface_key, order.service_name = request.interface_key, request.service_name


# --- one delivery run ----------------------------------------------------------------------

def deliver(outbound_id, worker=""):
    """Claim the row and take it one step further: a lookup, a submit, or both. Returns what
    happened ("accepted", "retry", "failed", "handoff", "not_due", "claimed", "finished")."""
    config = current_app.config
    now = utcnow()
    outbound = db.session.get(Outbound, outbound_id)
    if outbound is None or outbound.state not in (PENDING, IN_FLIGHT):
        return "finished"
    if outbound.state == PENDING and outbound.next_attempt_at > now:
        return "not_due"
    if outbound.state == IN_FLIGHT and outbound.lease_until and outbound.lease_until > now:
        return "claimed"
    order = outbound.order
    problem = request = adapter = None
    try:
        request = build_request(order, outbound)
        adapter = get_adapter(request.interface_key)
        follow_routing(order, request)
    except Unroutable as error:
        problem = str(error)
    except KeyError:
        problem = _("No adapter exists for the interface %(key)s.", key=order.interface_key)
    lease = (adapter.max_duration(request) if adapter else 0) + config["ORDER_LEASE_MARGIN_SECONDS"]
    token = uuid.uuid4().hex
    if not _claim(outbound_id, token, now, lease):
        db.session.rollback()
        return "claimed"
    interrupted = db.session.execute(
        update(OutboundAttempt)
        .where(OutboundAttempt.outbound_id == outbound_id, OutboundAttempt.outcome == STARTED)
        .values(outcome=INTERRUPTED, finished_at=now,
                message="The worker stopped during this attempt; its result is unknown.")
        .execution_options(synchronize_session=False)).rowcount
    if interrupted:
        db.session.execute(update(Outbound).where(Outbound.id == outbound_id)
                           .values(needs_lookup=True)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    outbound = db.session.get(Outbound, outbound_id)
    if problem is not None:
        return _fail(outbound, token, None, problem)

    if outbound.needs_lookup:
        if not adapter.can_lookup:
            # The question goes to a person, who checks and then sends again or cancels:
            # a flag left set would block both (cancel refuses, a resend fails here again).
            return _fail(outbound, token, None, _(
                "An earlier attempt was interrupted and this interface cannot tell whether the "
                "order arrived. Check with the partner, then send again or cancel."),
                needs_lookup=False)
        attempt, outcome = _call(outbound, "lookup", adapter.lookup, request, worker)
        if outcome.kind == base.ACCEPTED:
            return _accept(outbound, token, attempt, outcome)
        if outcome.kind == base.NOT_FOUND:
            # Never arrived: safe to submit (with the same key, which is safe either way).
            _record(attempt, outcome)
            outbound.needs_lookup = False
            db.session.commit()
        elif outcome.kind in (base.TRANSIENT, base.AMBIGUOUS):
            return _retry(outbound, token, attempt, outcome)
        else:
            return _fail(outbound, token, attempt, outcome.message, outcome)

    attempt, outcome = _call(outbound, "submit", adapter.submit, request, worker)
    if outcome.kind == base.ACCEPTED:
        return _accept(outbound, token, attempt, outcome)
    if outcome.kind == base.HANDOFF:
        return _handoff(outbound, token, attempt, outcome)
    if outcome.kind == base.TRANSIENT:
        return _retry(outbound, token, attempt, outcome)
    if outcome.kind == base.AMBIGUOUS:
        if adapter.can_lookup:
            return _retry(outbound, token, attempt, outcome, needs_lookup=True)
        return _fail(outbound, token, attempt, _(
            "No answer from the partner (%(message)s); it is unknown whether the order arrived. "
            "Check with the partner, then send again or cancel.", message=outcome.message),
            outcome)
    return _fail(outbound, token, attempt, outcome.message, outcome)


def _claim(outbound_id, token, now, lease_seconds):
    due = or_(and_(Outbound.state == PENDING, Outbound.next_attempt_at <= now),
              and_(Outbound.state == IN_FLIGHT, Outbound.lease_until < now))
    return db.session.execute(
        update(Outbound).where(Outbound.id == outbound_id, due)
        .values(state=IN_FLIGHT, claimed_by=token, attempts=Outbound.attempts + 1,
                lease_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)).rowcount == 1


def _call(outbound, action, method, request, worker):
    """Write the attempt (committed before the call), then call the adapter without the
    database. An adapter bug counts as 'no answer' where the partner can be asked."""
    attempt = OutboundAttempt(outbound_id=outbound.id, action=action, worker=worker[:64])
    db.session.add(attempt)
    db.session.commit()
    attempt_id, can_lookup = attempt.id, type(method.__self__).can_lookup
    try:
        outcome = method(request)
    except Exception as error:  # noqa: BLE001 - any failure must end in a recorded outcome
        log.exception("Adapter %s failed on %s", request.interface_key, action)
        kind = base.AMBIGUOUS if can_lookup and action == "submit" else base.PERMANENT
        outcome = base.Outcome(kind, message=_("Internal error in the interface adapter (%(error)s).",
                                               error=type(error).__name__))
    return db.session.get(OutboundAttempt, attempt_id), outcome


def _record(attempt, outcome):
    if attempt is None:
        return
    attempt.outcome, attempt.finished_at = outcome.kind, utcnow()
    attempt.http_status, attempt.exit_code = outcome.http_status, outcome.exit_code
    attempt.message = outcome.message[:1000]


def _settle(outbound, token, attempt, outcome, **values):
    """Record the attempt and move the row — only if this run still owns the claim."""
    _record(attempt, outcome)
    owned = db.session.execute(
        update(Outbound).where(Outbound.id == outbound.id, Outbound.claimed_by == token,
                               Outbound.state == IN_FLIGHT)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not owned:
        log.warning("Outbound %s: lease lost before the result was stored; the new owner "
                    "resolves it by key", outbound.id)
    return owned


def _accept(outbound, token, attempt, outcome):
    order = outbound.order
    if _settle(outbound, token, attempt, outcome, state=DONE, finished_at=utcnow(),
               needs_lookup=False, last_error=""):
        status = outcome.status or ORDERED
        if PROGRESS.get(status, 1) >= PROGRESS.get(order.status, 0):
            order.status = status
        order.external_number = outcome.external_number or order.external_number
        order.external_status = outcome.external_status[:120]
        order.error_message = ""
        if outcome.details:
            order.details = {**(order.details or {}), **outcome.details}
        order.version += 1
    db.session.commit()
    return "accepted"


def _handoff(outbound, token, attempt, outcome):
    order = outbound.order
    if _settle(outbound, token, attempt, outcome, state=DONE, finished_at=utcnow(),
               needs_lookup=False, last_error=""):
        order.handoff = outcome.details.get("handoff", "print_fax")
        order.external_status = outcome.message[:120]
        order.details = {**(order.details or {}),
                         **{k: v for k, v in outcome.details.items() if k != "document_html"}}
        order.version += 1
    db.session.commit()
    return "handoff"


def _fail(outbound, token, attempt, message, outcome=None, **values):
    order = outbound.order
    outcome = outcome or base.Outcome(base.PERMANENT, message=message)
    if _settle(outbound, token, attempt, outcome, state=FAILED, finished_at=utcnow(),
               last_error=message[:1000], **values):
        order.status, order.error_message = ERROR, message[:1000]
        order.version += 1
    db.session.commit()
    return "failed"


def _retry(outbound, token, attempt, outcome, needs_lookup=None):
    config = current_app.config
    if outbound.attempts >= config["ORDER_MAX_ATTEMPTS"]:
        return _fail(outbound, token, attempt, _(
            "Gave up after %(count)s attempts. Last answer: %(message)s",
            count=outbound.attempts, message=outcome.message), outcome)
    delay = backoff(outbound.attempts, outcome.retry_after, config)
    job_id = submit_job_id(outbound.id, f"a{outbound.attempts}")
    values = dict(state=PENDING, next_attempt_at=utcnow() + timedelta(seconds=delay),
                  claimed_by=None, last_error=outcome.message[:1000], job_id=job_id)
    if needs_lookup is not None:
        values["needs_lookup"] = needs_lookup
    if _settle(outbound, token, attempt, outcome, **values):
        enqueue_after_commit(SUBMIT_JOB, outbound.id, job_id=job_id, delay=delay)
    db.session.commit()
    return "retry"


# --- recovery and status ------------------------------------------------------------------

def reconcile(now=None, limit=500):
    """Re-enqueue every row that should be moving but has no live job: pending rows overdue
    by the grace period whose job is not waiting in Redis (flushed, lost, or its worker
    died before claiming), and claimed rows whose lease ran out. Returns how many."""
    config = current_app.config
    now = now or utcnow()
    grace = timedelta(seconds=config["ORDER_RECONCILE_GRACE_SECONDS"])
    rows = db.session.scalars(
        db.select(Outbound)
        .where(or_(and_(Outbound.state == PENDING, Outbound.next_attempt_at <= now - grace),
                   and_(Outbound.state == IN_FLIGHT, Outbound.lease_until < now)))
        .order_by(Outbound.next_attempt_at).limit(limit)).all()
    if not rows:
        return 0
    try:
        alive = _waiting_jobs([row.job_id for row in rows if row.state == PENDING and row.job_id])
    except redis.exceptions.RedisError as error:
        log.warning("Reconciler cannot reach Redis (%s); trying again next time", error)
        db.session.rollback()
        return 0
    count = 0
    stamp = int(now.timestamp() * 1000)
    for row in rows:
        if row.state == PENDING and row.job_id in alive:
            continue
        row.job_id = submit_job_id(row.id, f"r{stamp}")
        enqueue_after_commit(SUBMIT_JOB, row.id, job_id=row.job_id)
        count += 1
    db.session.commit()
    if count:
        log.info("Reconciler re-enqueued %s outbound rows", count)
    return count


def _waiting_jobs(job_ids):
    if not job_ids:
        return set()
    jobs = Job.fetch_many(job_ids, connection=get_redis())
    return {job.id for job in jobs if job is not None and job.get_status(refresh=False) in WAITING}


def refresh_status(order_id):
    """Ask the partner for the status of an order it has (Bestellt → Bestätigt → Geliefert).
    Returns the new status, or None when nothing could be asked."""
    order = db.session.get(Order, order_id)
    if order is None or not order.external_number or order.status not in (ORDERED, CONFIRMED):
        return None
    try:
        request = build_request(order, order.outbound)
        adapter = get_adapter(request.interface_key)
    except (Unroutable, KeyError):
        return None
    if not adapter.can_lookup:
        return None
    number = order.external_number
    db.session.commit()  # no transaction open during the call
    try:
        outcome = adapter.status(request, number)
    except Exception:  # noqa: BLE001 - a status poll must never break the periodic job
        log.exception("Status query for order %s failed", order_id)
        return None
    order = db.session.get(Order, order_id)
    if outcome.kind == base.ACCEPTED:
        if outcome.status and PROGRESS.get(outcome.status, 0) > PROGRESS.get(order.status, 0):
            order.status = outcome.status
        order.external_status = (outcome.external_status or order.external_status)[:120]
        order.version += 1
        db.session.commit()
    return order.status


def orders_to_refresh(limit=200):
    return db.session.scalars(
        db.select(Order.id).where(Order.status.in_((ORDERED, CONFIRMED)),
                                  Order.external_number != "")
        .order_by(Order.updated_at).limit(limit)).all()
