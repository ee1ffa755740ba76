"""Running outbound operations: claim the row, call the kind's handler, record the attempt,
decide what comes next. Jobs run it; nothing here reads `request`, and nothing here knows a
domain: each kind registers a Handler (handlers.py) that builds its request, calls, and
applies the result to its subject.

Why it cannot lose or double an operation:
- **Claim by conditional UPDATE.** Only a row that is due (pending, next attempt reached) or
  whose lease ran out (its worker died) can be claimed; two workers racing for one row get
  rowcount 1 and 0. The lease is longer than one call can take.
- **An attempt is written before the call** (outcome "started") and committed. A later claim
  that finds a started attempt knows its worker died mid-call: the partner may have the work,
  so the next step is a lookup by idempotency key, never a blind resend. Handlers that cannot
  look up end in FAILED for a person to check instead — unless a repeat is harmless
  (`repeat_is_safe`, e.g. a connection test), in which case the run simply starts again.
- **Every call carries the row's idempotency key**, the same for every retry and resend.
- **Results are written only by the claim's owner** (`claimed_by = token`); a worker that
  overran its lease records its attempt but leaves the row to the new owner.
- **Redis only wakes workers.** Every retry is a row state plus a delayed job; if Redis loses
  the job, `reconcile()` re-enqueues every due row that has no live job.
"""
import logging
import random
import uuid
from datetime import timedelta

import redis
from flask import current_app
from flask_babel import gettext as _
from rq.job import Job, JobStatus
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..extensions import db
from ..models_base import utcnow
from ..queue import enqueue_after_commit, get_redis
from .handlers import (
    ACCEPTED, AMBIGUOUS, HANDOFF, NOT_FOUND, PERMANENT, TRANSIENT, CannotRun, Outcome,
    handler_for, listeners, registered,
)
from .models import DONE, FAILED, IN_FLIGHT, INTERRUPTED, PENDING, STARTED, Outbound, OutboundAttempt

log = logging.getLogger(__name__)

# Jobs that will still run; a 'started' job of a pending row is a job whose worker died.
# Not 'scheduled': the reconciler looks only at rows overdue by the grace period, and a
# delayed job that late has lost its scheduler. RQ runs one scheduler, in one worker; when
# that worker is killed, its lock keeps the others from taking over for minutes.
WAITING = {JobStatus.QUEUED, JobStatus.DEFERRED}


def backoff(attempt, retry_after=None, base_delay=2, cap=300):
    """Seconds until the next try after `attempt` failed transiently: capped exponential with
    "equal jitter" (half fixed, half random), never less than the partner's Retry-After."""
    delay = min(cap, base_delay * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        delay = max(delay, min(cap, float(retry_after)))
    return delay


# --- starting --------------------------------------------------------------------------------

def start(kind, subject_type, subject_id, action="", exclusive_key=None, requested_by="",
          sealed=None, progress=None):
    """A new pending operation, its job enqueued after the commit. With `exclusive_key`, at
    most one row holds the key: when another does, nothing is created and that row is
    returned instead. Returns (row, created). `sealed` (a str) is stored encrypted and given
    to the handler as `unseal(row)`; it never goes into the job's arguments."""
    handler = handler_for(kind)
    row = Outbound(kind=kind, subject_type=subject_type, subject_id=subject_id, action=action,
                   exclusive_key=exclusive_key, idempotency_key=str(uuid.uuid4()),
                   state=PENDING, next_attempt_at=utcnow(), requested_by=(requested_by or "")[:120],
                   sealed=crypto.encrypt(sealed) if sealed is not None else None,
                   progress=progress or {})
    if exclusive_key is not None:
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            held = db.session.scalar(db.select(Outbound).where(
                Outbound.exclusive_key == exclusive_key))
            if held is None:
                raise
            return held, False
    else:
        db.session.add(row)
        db.session.flush()
    row.job_id = handler.job_id(row.id, 0)
    enqueue_after_commit(handler.job, row.id, job_id=row.job_id)
    return row, True


def unseal(row):
    """The sealed inputs of a row (None when there are none)."""
    return crypto.decrypt(row.sealed) if row.sealed else None


def wake(row, suffix):
    """Enqueue the row's job again after the commit (a resend), under a fresh job id."""
    handler = handler_for(row.kind)
    row.job_id = handler.job_id(row.id, suffix)
    enqueue_after_commit(handler.job, row.id, job_id=row.job_id)
    return row.job_id


def rerun(row, from_states=(FAILED,), new_key=False, **values):
    """Put an ended row back to pending by a conditional UPDATE ("Erneut senden", or a
    kind's next run on the same row) and enqueue its job after the commit. True when this
    call did it; False when the row was not in `from_states` (someone else is running it).

    By default the row keeps its idempotency key, so a partner that got the last call
    answers with what it made, and a row that may have arrived (needs_lookup) is asked by
    key first. `new_key` is for a different request on the same row: never while the last
    call may have arrived."""
    now = utcnow()
    where = [Outbound.id == row.id, Outbound.state.in_(from_states)]
    changes = dict(state=PENDING, next_attempt_at=now, attempts=0, last_error="",
                   lease_until=None, claimed_by=None, finished_at=None, **values)
    if new_key:
        where.append(Outbound.needs_lookup.is_(False))
        changes["idempotency_key"] = str(uuid.uuid4())
    done = db.session.execute(update(Outbound).where(*where).values(**changes)
                              .execution_options(synchronize_session=False)).rowcount
    if not done:
        return False
    db.session.refresh(row)  # the UPDATE went past the session's copy
    wake(row, f"s{int(now.timestamp() * 1000)}")
    return True


def report_progress(row_id, progress):
    """Store what a person watching should see now (committed at once, outside the call's
    lack of a transaction). Only the claim's owner calls it; the row may have moved on."""
    db.session.execute(update(Outbound).where(Outbound.id == row_id, Outbound.state == IN_FLIGHT)
                       .values(progress=progress).execution_options(synchronize_session=False))
    db.session.commit()


# --- one run -------------------------------------------------------------------------------

def deliver(outbound_id, worker=""):
    """Claim the row and take it one step further: a lookup, a call, or both. Returns what
    happened ("accepted", "retry", "failed", "handoff", "not_due", "claimed", "finished")."""
    now = utcnow()
    row = db.session.get(Outbound, outbound_id)
    if row is None or row.state not in (PENDING, IN_FLIGHT):
        return "finished"
    if row.state == PENDING and row.next_attempt_at > now:
        return "not_due"
    if row.state == IN_FLIGHT and row.lease_until and row.lease_until > now:
        return "claimed"
    handler = handler_for(row.kind)
    settings = handler.settings(current_app.config)
    problem = request = None
    try:
        request = handler.prepare(row)
    except CannotRun as error:
        problem = str(error)
    except Exception as error:  # noqa: BLE001 - a bug must end the row, not loop in the reconciler
        log.exception("Outbound %s (%s): prepare failed", outbound_id, handler.kind)
        db.session.rollback()
        row = db.session.get(Outbound, outbound_id)
        problem = _("The work could not be prepared (%(error)s).", error=type(error).__name__)
    lease = (handler.max_duration(request) if request is not None else 0) + settings.lease_margin
    token = uuid.uuid4().hex
    if not _claim(outbound_id, token, now, lease):
        db.session.rollback()
        return "claimed"
    interrupted = db.session.execute(
        update(OutboundAttempt)
        .where(OutboundAttempt.outbound_id == outbound_id, OutboundAttempt.outcome == STARTED)
        .values(outcome=INTERRUPTED, finished_at=now,
                message=_("The worker stopped during this attempt; its result is unknown."))
        .execution_options(synchronize_session=False)).rowcount
    if interrupted and not handler.repeat_is_safe:
        db.session.execute(update(Outbound).where(Outbound.id == outbound_id)
                           .values(needs_lookup=True)
                           .execution_options(synchronize_session=False))
    db.session.commit()
    row = db.session.get(Outbound, outbound_id)
    if problem is not None:
        return _fail(handler, row, token, None, problem)

    if row.needs_lookup:
        if not handler.can_lookup(request):
            # The question goes to a person, who checks and then resends or cancels: a flag
            # left set would block both.
            return _fail(handler, row, token, None, handler.unknown_after_interruption(),
                         needs_lookup=False)
        attempt, outcome = _call(handler, row, "lookup", request, worker)
        if outcome.kind == ACCEPTED:
            return _accept(handler, row, token, attempt, outcome)
        if outcome.kind == NOT_FOUND:
            # Never arrived: safe to call (with the same key, which is safe either way).
            _record(attempt, outcome)
            row.needs_lookup = False
            db.session.commit()
        elif outcome.kind in (TRANSIENT, AMBIGUOUS):
            return _retry(handler, settings, row, token, attempt, outcome)
        else:
            return _fail(handler, row, token, attempt, outcome.message, outcome)

    attempt, outcome = _call(handler, row, "submit", request, worker)
    if outcome.kind == ACCEPTED:
        return _accept(handler, row, token, attempt, outcome)
    if outcome.kind == HANDOFF:
        return _handoff(handler, row, token, attempt, outcome)
    if outcome.kind == TRANSIENT:
        return _retry(handler, settings, row, token, attempt, outcome)
    if outcome.kind == AMBIGUOUS:
        if handler.can_lookup(request):
            return _retry(handler, settings, row, token, attempt, outcome, needs_lookup=True)
        if handler.repeat_is_safe:
            return _retry(handler, settings, row, token, attempt, outcome)
        return _fail(handler, row, token, attempt,
                     handler.unknown_after_no_answer(outcome.message), outcome)
    return _fail(handler, row, token, attempt, outcome.message, outcome)


def _claim(outbound_id, token, now, lease_seconds):
    due = or_(and_(Outbound.state == PENDING, Outbound.next_attempt_at <= now),
              and_(Outbound.state == IN_FLIGHT, Outbound.lease_until < now))
    return db.session.execute(
        update(Outbound).where(Outbound.id == outbound_id, due)
        .values(state=IN_FLIGHT, claimed_by=token, attempts=Outbound.attempts + 1,
                lease_until=now + timedelta(seconds=lease_seconds),
                started_at=db.func.coalesce(Outbound.started_at, now))
        .execution_options(synchronize_session=False)).rowcount == 1


def _call(handler, row, action, request, worker):
    """Write the attempt (committed before the call), then call the handler without an open
    transaction. A handler bug counts as 'no answer' where the partner can be asked."""
    attempt = OutboundAttempt(outbound_id=row.id, action=action, worker=worker[:64])
    db.session.add(attempt)
    db.session.commit()
    attempt_id, row_id = attempt.id, row.id
    method = handler.lookup if action == "lookup" else handler.submit
    try:
        outcome = method(request, lambda progress: report_progress(row_id, progress))
    except Exception as error:  # noqa: BLE001 - any failure must end in a recorded outcome
        log.exception("Outbound %s (%s) failed on %s", row_id, handler.kind, action)
        kind = AMBIGUOUS if handler.can_lookup(request) and action == "submit" else PERMANENT
        outcome = Outcome(kind, message=_("Internal error in the interface adapter (%(error)s).",
                                          error=type(error).__name__))
    return db.session.get(OutboundAttempt, attempt_id), outcome


def _record(attempt, outcome):
    if attempt is None:
        return
    attempt.outcome, attempt.finished_at = outcome.kind, utcnow()
    attempt.http_status, attempt.exit_code = outcome.http_status, outcome.exit_code
    attempt.message = outcome.message[:1000]


def _settle(handler, row, token, attempt, outcome, final, **values):
    """Record the attempt and move the row — only if this run still owns the claim. A final
    state releases a held exclusive key unless the kind keeps it, and drops sealed inputs."""
    _record(attempt, outcome)
    if final:
        values.update(finished_at=utcnow(), sealed=None)
        if not handler.keeps_exclusive_key:
            values["exclusive_key"] = None
    owned = db.session.execute(
        update(Outbound).where(Outbound.id == row.id, Outbound.claimed_by == token,
                               Outbound.state == IN_FLIGHT)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)).rowcount == 1
    if not owned:
        log.warning("Outbound %s: lease lost before the result was stored; the new owner "
                    "resolves it by key", row.id)
    else:
        db.session.refresh(row)
    return owned


def _accept(handler, row, token, attempt, outcome):
    if _settle(handler, row, token, attempt, outcome, True, state=DONE, needs_lookup=False,
               last_error=""):
        try:
            with db.session.begin_nested():
                handler.accepted(row, outcome)
        except Exception as error:  # noqa: BLE001 - an answer we cannot apply must not loop
            # The partner did it; what its answer says could not be applied here (unexpected
            # data). The row fails for a person to check, with the subject told so; sending
            # again would only bring the same answer.
            log.exception("Outbound %s (%s): the answer could not be applied", row.id,
                          handler.kind)
            message = _("The partner answered, but its answer could not be applied "
                        "(%(error)s). Check with the partner.", error=type(error).__name__)
            row.state, row.last_error = FAILED, message[:1000]
            try:
                with db.session.begin_nested():
                    handler.failed(row, message, outcome)
            except Exception:  # noqa: BLE001 - the row's state is what matters now
                log.exception("Outbound %s (%s): failed() failed too", row.id, handler.kind)
            _ended(row)
            db.session.commit()
            return "failed"
        _ended(row)
    db.session.commit()
    return "accepted"


def _handoff(handler, row, token, attempt, outcome):
    if _settle(handler, row, token, attempt, outcome, True, state=DONE, needs_lookup=False,
               last_error=""):
        handler.handed_off(row, outcome)
        _ended(row)
    db.session.commit()
    return "handoff"


def _fail(handler, row, token, attempt, message, outcome=None, **values):
    outcome = outcome or Outcome(PERMANENT, message=message)
    if _settle(handler, row, token, attempt, outcome, True, state=FAILED,
               last_error=message[:1000], **values):
        handler.failed(row, message, outcome)
        _ended(row)
    db.session.commit()
    return "failed"


def _ended(row):
    """Tell the kind's listeners (handlers.listen) that `row` ended, each in a savepoint:
    one that fails is rolled back alone and logged, and the row's result still commits."""
    for listener in listeners(row.kind):
        try:
            with db.session.begin_nested():
                listener(row)
        except Exception:  # noqa: BLE001 - a listener must never cost the row its result
            log.exception("Outbound %s (%s): a listener failed", row.id, row.kind)


def _retry(handler, settings, row, token, attempt, outcome, needs_lookup=None):
    if row.attempts >= settings.max_attempts:
        # Giving up after a call that got no answer: it may have arrived, so the row keeps
        # saying so — a resend (same key) asks first, and nothing may send under a new key.
        extra = {"needs_lookup": True} if needs_lookup else {}
        return _fail(handler, row, token, attempt, _(
            "Gave up after %(count)s attempts. Last answer: %(message)s",
            count=row.attempts, message=outcome.message), outcome, **extra)
    delay = backoff(row.attempts, outcome.retry_after, settings.base_delay, settings.cap)
    job_id = handler.job_id(row.id, f"a{row.attempts}")
    values = dict(state=PENDING, next_attempt_at=utcnow() + timedelta(seconds=delay),
                  claimed_by=None, last_error=outcome.message[:1000], job_id=job_id)
    if needs_lookup is not None:
        values["needs_lookup"] = needs_lookup
    if _settle(handler, row, token, attempt, outcome, False, **values):
        handler.retrying(row, outcome)
        enqueue_after_commit(handler.job, row.id, job_id=job_id, delay=delay)
    db.session.commit()
    return "retry"


# --- recovery ------------------------------------------------------------------------------

def reconcile(now=None, limit=500):
    """Re-enqueue every row that should be moving but has no live job: pending rows overdue
    by their kind's grace period whose job is not waiting in Redis (flushed, lost, or its
    worker died before claiming), and claimed rows whose lease ran out. Every kind. Returns
    how many."""
    now = now or utcnow()
    config = current_app.config
    due = [and_(Outbound.kind == kind, Outbound.state == PENDING,
                Outbound.next_attempt_at <= now - timedelta(seconds=handler.settings(config).grace))
           for kind, handler in registered().items()]
    rows = db.session.scalars(
        db.select(Outbound)
        .where(or_(*due, and_(Outbound.state == IN_FLIGHT, Outbound.lease_until < now)))
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
        wake(row, f"r{stamp}")
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
