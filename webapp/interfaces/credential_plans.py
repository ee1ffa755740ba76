"""Zugangsdaten planmäßig ändern: new values for a service's secret fields, put in place at a
planned time, tested at once, and taken back when the test fails.

- **Planning** (editor, administrator or whoever may edit the service): the new values are
  encrypted at rest (CredentialPlan.new_secrets) and never shown; the change log says only
  "geplant". Until its time the plan can be changed and cancelled.
- **The swap** runs from the periodic tick (jobs.credential_plans.tick, every minute), never
  from a job carrying the plan: the database decides, so a flushed Redis loses nothing. A
  plan is claimed by a conditional UPDATE (planned → swapping, with a lease); the secrets
  are swapped, the previous ones kept encrypted in the plan, the connection test started and
  the plan moved to testing **in one transaction**. A worker killed before that commit left
  the service untouched and the plan in swapping: once the lease ran out the next tick
  claims it again and swaps. One killed after it left the plan in testing.
- **The test** is "Verbindung testen" with the saved values (an outbound row of the
  service_action kind, in the service's run history). When it ends, the outbound listener
  resolves the plan in the transaction that stores the result: passed → done; failed → the
  previous values back, the service marked, an alert by e-mail (the chain's SMTP service)
  and in the app naming the failing step. A tick that finds a plan in testing whose test
  ended unresolved resolves it; one whose test is gone starts another. Each resolution is a
  conditional UPDATE (testing → done / rolled_back): a plan is resolved once.
- **A value that cannot be decrypted** (its key was removed from ENCRYPTION_KEYS) ends the
  plan as rolled back with the reason, and alerts as a failed test does, instead of raising
  at every tick: planned or current values at the swap leave the service untouched; previous
  values after a failed test leave the new ones in place.
- **Anything else going wrong with one plan** (a bug, data no step expected, the database
  refusing a statement) is that plan's alone: the tick rolls its work back, logs the plan's
  id with the error's type and where it arose (never its message, which may quote values),
  sets the plan aside for a lease and goes on with the next one. The plan is tried again
  once the lease ran out, behind the plans that have not failed, so one broken plan never
  holds up the others due in the same minute.
"""
import json
import logging
import traceback
import uuid
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, or_, update

from ..changelog import services as changelog
from ..crypto import SecretUnreadable
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..i18n import ui_language
from ..models_base import utcnow
from ..notifications import services as notifications
from ..org.models import Branch
from ..org.services import chain_timezone
from ..outbound import engine
from ..outbound.handlers import CannotRun, Handler
from ..outbound.models import DONE as RUN_DONE
from ..outbound.models import FAILED as RUN_FAILED
from ..outbound.models import Outbound
from ..permissions import reads_branch
from ..probes import FAILED as STEP_FAILED
from ..probes import REASON_TEXTS, STEP_LABELS
from ..records import flush_unique, read
from ..users.models import User
from . import actions, catalogue, health_checks, services
from .credential_plan_models import (
    CANCELLED, DONE, OPEN, PLANNED, ROLLED_BACK, SWAPPING, TESTING, CredentialPlan,
)
from .values import InvalidValues, _string_problem

log = logging.getLogger(__name__)

SUBJECT = "credential_plan"
ALERT_KIND, ALERT_ACTION = "credential_plan_alert", "mail"
NOTIFICATION = "credential_plan"
# Change-log actions of a service (changelog.display names them).
PLAN, PLAN_EDIT, PLAN_CANCEL = "plan", "plan_edit", "plan_stop"
PLAN_SWAP, PLAN_PASS, PLAN_BACK = "plan_swap", "plan_done", "plan_back"
DUE_FIELD = "planned_for"   # the change log's field of the planned time
# Longer than one swap can take (a few statements); a swap still running is never taken over.
LEASE = timedelta(minutes=2)
BATCH = 100

RUNNING = _l("The planned change is being carried out now; it can no longer be changed.")
NOT_PLANNED = _l("There is no planned change to cancel.")
IN_FUTURE = _l("Enter a time in the future.")
REQUIRED_TIME = _l("Enter the date and time of the change.")
ONE_VALUE = _l("Enter at least one new value.")
RACED = _l("Someone planned a change of this service at the same moment. Reload and check.")
# CredentialPlan.failed_reason of a plan ended because a value could not be decrypted.
UNREADABLE_NEW, UNREADABLE_CURRENT, UNREADABLE_PREVIOUS = (
    "unreadable_new", "unreadable_current", "unreadable_previous")
UNREADABLE = {
    UNREADABLE_NEW: _l("The planned values cannot be decrypted (key missing). The service was "
                       "left unchanged; plan the change again."),
    UNREADABLE_CURRENT: _l("The service's current values cannot be decrypted (key missing), so "
                           "they could not be kept for a rollback. The service was left "
                           "unchanged; enter its credentials in the editor instead."),
    UNREADABLE_PREVIOUS: _l("The connection test failed at %(step)s, and the previous values "
                            "cannot be decrypted (key missing), so the new values stay in "
                            "place. Enter working credentials in the editor."),
}


def chain_zone():
    return ZoneInfo(chain_timezone())


def local_time(moment):
    """An aware UTC moment as the chain's local naive time (for the form and the log)."""
    return moment.astimezone(chain_zone()).replace(tzinfo=None)


# --- who may, and what --------------------------------------------------------------------

def plannable_fields(actor, service):
    """The secret FieldSpecs of the service's type that `actor` may plan new values for
    (branch managers keep what only administrators change)."""
    try:
        interface = catalogue.get_interface(service.interface_key)
    except KeyError:
        return []
    locked = services.locked_fields(actor, interface)
    return [spec for spec in interface.secret_fields if spec.key not in locked]


def may_plan(actor, service):
    """Whether `actor` may plan, change and cancel credential changes of `service`."""
    return services.can_edit_service(actor, service) and bool(plannable_fields(actor, service))


def _require(actor, service):
    if not may_plan(actor, service):
        raise PermissionDenied(_l("You may not change the credentials of this service."))


def open_plan(service):
    return db.session.scalar(db.select(CredentialPlan).where(
        CredentialPlan.service_id == service.id, CredentialPlan.state.in_(OPEN)))


# Built once (the editor asks on every request): a statement built per call cost more to
# build and to look up in SQLAlchemy's cache than to run (issue 15).
_SHOWN_PLAN = (db.select(CredentialPlan)
               .where(CredentialPlan.service_id == bindparam("service_id"),
                      or_(CredentialPlan.state.in_(OPEN),
                          and_(CredentialPlan.state.in_((DONE, ROLLED_BACK)),
                               CredentialPlan.acknowledged_at.is_(None))))
               .order_by(CredentialPlan.id.desc()).limit(1))


def shown_plan(service):
    """What the service shows: its open plan, else its last ended one nobody has hidden."""
    return db.session.scalar(_SHOWN_PLAN, {"service_id": service.id})


# Every list page asks: built once (building it took longer than running it, issue 15).
_ROLLED_BACK = (db.select(CredentialPlan.service_id, CredentialPlan.failed_step,
                          CredentialPlan.failed_reason)
                .where(CredentialPlan.service_id.in_(bindparam("ids", expanding=True)),
                       CredentialPlan.state == ROLLED_BACK,
                       CredentialPlan.acknowledged_at.is_(None))
                .order_by(CredentialPlan.id))


def credential_warnings(service_ids):
    """The list's warnings: {service id: why} for those among `service_ids` whose planned
    change was rolled back and not yet seen to, in one query. `why` is "" after a failed
    test, else why the plan ended unreadable (unreadable_in_words)."""
    if not service_ids:
        return {}
    ended = read(_ROLLED_BACK, {"ids": list(service_ids)})
    return {service_id: unreadable_in_words(step, reason)
            for service_id, step, reason in ended}  # the latest plan of a service wins


def step_in_words(step, reason):
    """(step label, reason text) of a failed test, in the current language."""
    return (str(STEP_LABELS.get(step, step)) if step else "",
            str(REASON_TEXTS.get(reason, reason)) if reason else "")


def unreadable_in_words(step, reason):
    """Why a plan ended because a value could not be decrypted, in the current language; ""
    for every other ending."""
    text = UNREADABLE.get(reason)
    return str(text) % {"step": step_in_words(step, "")[0] or "?"} if text else ""


def panel(actor, service):
    """What the editor shows of planned credential changes, or None where the service has no
    secrets the actor may change and nothing to show."""
    allowed = may_plan(actor, service)
    plan = shown_plan(service) if services.can_edit_service(actor, service) else None
    if plan is None and not allowed:
        return None
    labels = {spec.key: spec.text("label", ui_language())
              for spec in catalogue.get_interface(service.interface_key).secret_fields}
    step, reason = step_in_words(plan.failed_step, plan.failed_reason) if plan else ("", "")
    return dict(plan=plan, may_plan=allowed, may_change=allowed and plan is not None
                and plan.state == PLANNED,
                fields=[labels.get(key, key) for key in (plan.fields if plan else [])],
                due=local_time(plan.due_at) if plan else None, step=step, reason=reason,
                unreadable=unreadable_in_words(plan.failed_step, plan.failed_reason)
                if plan else "",
                zone=chain_timezone())


# --- planning ------------------------------------------------------------------------------

def save_plan(actor, service, raw, due_local, now=None):
    """Plan new values (`raw`: {secret field key: typed value}; empty = unchanged) for
    `due_local` (a naive datetime in the chain's time zone), or change the open plan.
    Returns (plan, changed). InvalidValues beside the fields; DomainError once it runs."""
    _require(actor, service)
    now = now or utcnow()
    plan = open_plan(service)
    if plan is not None and plan.state != PLANNED:
        raise DomainError(RUNNING)
    errors = {}
    due_at = None
    if due_local is None:
        errors["due_at"] = REQUIRED_TIME
    else:
        due_at = due_local.replace(tzinfo=chain_zone()).astimezone(timezone.utc)
        if due_at <= now:
            errors["due_at"] = IN_FUTURE
    fields = plannable_fields(actor, service)
    entered = {}
    for spec in fields:
        value = raw.get(spec.key) or ""
        if not value:
            continue
        problem = _string_problem(spec, value)
        if problem is not None:
            errors[spec.key] = problem
        else:
            entered[spec.key] = value
    planned = json.loads(plan.new_secrets or "{}") if plan is not None else {}
    if not entered and not planned and fields:
        errors.setdefault(fields[0].key, ONE_VALUE)
    if errors:
        raise InvalidValues(errors)
    merged = {**planned, **entered}
    secret_items = [{"field": key, "secret": True, "planned": True} for key in sorted(entered)]
    due_text = local_time(due_at).strftime("%Y-%m-%d %H:%M")
    if plan is None:
        _acknowledge(service)
        plan = CredentialPlan(service_id=service.id, open_key=f"service:{service.id}",
                              state=PLANNED, due_at=due_at, fields=sorted(merged),
                              new_secrets=json.dumps(merged), planned_by=actor.name,
                              planned_by_id=getattr(actor, "id", None))
        db.session.add(plan)
        flush_unique(plan, conflict=RACED)
        changelog.record(actor, PLAN, services.ENTITY, service,
                         [{"field": DUE_FIELD, "old": None, "new": due_text}, *secret_items],
                         branch=service.scope_branch)
        return plan, True
    items = list(secret_items)
    old_text = local_time(plan.due_at).strftime("%Y-%m-%d %H:%M")
    if old_text != due_text:
        items.insert(0, {"field": DUE_FIELD, "old": old_text, "new": due_text})
    if not items:
        return plan, False
    # Only a plan still waiting changes: the tick may have claimed it a moment ago.
    moved = db.session.execute(
        update(CredentialPlan).where(CredentialPlan.id == plan.id,
                                     CredentialPlan.state == PLANNED)
        .values(due_at=due_at, fields=sorted(merged), new_secrets=json.dumps(merged),
                planned_by=actor.name, planned_by_id=getattr(actor, "id", None),
                updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise DomainError(RUNNING)
    db.session.refresh(plan)
    changelog.record(actor, PLAN_EDIT, services.ENTITY, service, items,
                     branch=service.scope_branch)
    return plan, True


def cancel_plan(actor, service, now=None):
    """Cancel the service's plan while it waits; its new values are dropped."""
    _require(actor, service)
    plan = open_plan(service)
    if plan is None:
        raise DomainError(NOT_PLANNED)
    moved = db.session.execute(
        update(CredentialPlan).where(CredentialPlan.id == plan.id,
                                     CredentialPlan.state == PLANNED)
        .values(state=CANCELLED, open_key=None, new_secrets=None,
                finished_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise DomainError(RUNNING)
    changelog.record(actor, PLAN_CANCEL, services.ENTITY, service,
                     [{"field": DUE_FIELD, "old": local_time(plan.due_at)
                       .strftime("%Y-%m-%d %H:%M"), "new": None}],
                     branch=service.scope_branch)
    db.session.flush()
    return plan


def acknowledge(actor, service):
    """Hide the result of the service's last planned change (and its warning)."""
    _require(actor, service)
    return _acknowledge(service)


def _acknowledge(service):
    return db.session.execute(
        update(CredentialPlan).where(CredentialPlan.service_id == service.id,
                                     CredentialPlan.state.in_((DONE, ROLLED_BACK)),
                                     CredentialPlan.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow()).execution_options(synchronize_session=False)).rowcount


# --- the worker's side ------------------------------------------------------------------------

def run_due(now=None):
    """The periodic tick: swap the plans whose time has come (and those a killed worker left
    in swapping), and resolve those whose test ended unresolved. Commits per plan; a plan
    whose work fails is set aside (_isolated) and the tick goes on with the next. Returns
    {"swapped": n, "resolved": n, "retested": n, "failed": n}."""
    now = now or utcnow()
    counts = {"swapped": 0, "resolved": 0, "retested": 0, "failed": 0}
    due = db.session.scalars(
        db.select(CredentialPlan.id)
        .where(or_(and_(CredentialPlan.state == PLANNED, CredentialPlan.due_at <= now),
                   and_(CredentialPlan.state == SWAPPING, CredentialPlan.lease_until < now)))
        .order_by(*_SET_ASIDE_LAST).limit(BATCH)).all()
    db.session.rollback()
    for plan_id in due:
        outcome = _isolated("the swap", plan_id, now,
                            lambda plan_id=plan_id: "swapped" if swap(plan_id, now) else None)
        if outcome:
            counts[outcome] += 1
    # A plan in testing holds no lease, unless the tick set it aside: then it waits it out.
    testing = db.session.scalars(
        db.select(CredentialPlan.id)
        .where(CredentialPlan.state == TESTING,
               or_(CredentialPlan.lease_until.is_(None), CredentialPlan.lease_until < now))
        .order_by(*_SET_ASIDE_LAST).limit(BATCH)).all()
    for plan_id in testing:
        outcome = _isolated("settling its test", plan_id, now,
                            lambda plan_id=plan_id: _settle_testing(plan_id))
        if outcome:
            counts[outcome] += 1
    db.session.commit()
    return counts


# The tick's order: plans without a lease first (by due time), then by lease. A plan that
# failed was claimed or set aside a moment ago, so it goes behind the others: however many
# keep failing, they never fill the BATCH of those that would not.
_SET_ASIDE_LAST = (CredentialPlan.lease_until.is_not(None), CredentialPlan.lease_until,
                   CredentialPlan.due_at, CredentialPlan.id)


def _isolated(what, plan_id, now, work):
    """`work()` for one plan of the tick, whose failure is that plan's alone: an unexpected
    error rolls its transaction back, is logged with the plan's id (the error's type and
    traceback, not its message: a database error quotes the statement's values) and sets
    the plan aside for a lease, after which a tick tries it again. Returns what `work`
    returned, or "failed"."""
    try:
        return work()
    except Exception as error:  # noqa: BLE001 - one plan must not stop the tick
        db.session.rollback()
        log.error("Credential plan %s: %s raised %s; rolled back, tried again after %s\n%s",
                  plan_id, what, type(error).__name__, LEASE,
                  "".join(traceback.format_tb(error.__traceback__)).rstrip())
    try:
        db.session.execute(
            update(CredentialPlan)
            .where(CredentialPlan.id == plan_id, CredentialPlan.state.in_((SWAPPING, TESTING)))
            .values(lease_until=now + LEASE).execution_options(synchronize_session=False))
        db.session.commit()
    except Exception:  # noqa: BLE001 - the database itself may be what failed
        db.session.rollback()
        log.error("Credential plan %s: could not be set aside", plan_id)
    return "failed"


def swap(plan_id, now=None):
    """Claim the plan and swap its secrets, keep the previous ones, start the connection
    test and move it to testing, all in one transaction. True when this call did it."""
    now = now or utcnow()
    token = uuid.uuid4().hex
    claimed = db.session.execute(
        update(CredentialPlan)
        .where(CredentialPlan.id == plan_id,
               or_(and_(CredentialPlan.state == PLANNED, CredentialPlan.due_at <= now),
                   and_(CredentialPlan.state == SWAPPING, CredentialPlan.lease_until < now)))
        .values(state=SWAPPING, claimed_by=token, lease_until=now + LEASE)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if not claimed:
        return False
    plan = db.session.get(CredentialPlan, plan_id)
    service = plan.service
    try:
        new = json.loads(plan.new_secrets or "{}")
    except SecretUnreadable:
        return _end_unreadable(plan_id, token, UNREADABLE_NEW)
    try:
        previous = _current_values(service, new)
    except SecretUnreadable:
        return _end_unreadable(plan_id, token, UNREADABLE_CURRENT)
    changed = services.replace_secrets(service, new)
    if changed:
        service.version += 1
        service.updated_by = health_checks.SYSTEM_NAME
    run = _start_test(plan)
    moved = db.session.execute(
        update(CredentialPlan)
        .where(CredentialPlan.id == plan_id, CredentialPlan.state == SWAPPING,
               CredentialPlan.claimed_by == token)
        .values(state=TESTING, previous_secrets=json.dumps(previous), swapped_at=now,
                test_run_id=run.id, lease_until=None, claimed_by=None)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:  # the lease ran out and another tick took the plan over
        db.session.rollback()
        return False
    changelog.record(health_checks.SYSTEM, PLAN_SWAP, services.ENTITY, service,
                     [{"field": key, "secret": True} for key in changed],
                     branch=service.scope_branch)
    db.session.commit()
    log.info("Credential plan %s: service %s swapped (%s), testing", plan_id, service.id,
             ", ".join(changed) or "unchanged")
    return True


def _current_values(service, keys):
    """The service's values of `keys` (None where not set), kept to restore.
    SecretUnreadable when one cannot be decrypted."""
    rows = {secret.field_key: secret for secret in service.secrets}
    return {key: rows[key].value if key in rows else None for key in sorted(keys)}


def _end_unreadable(plan_id, token, reason):
    """End a claimed plan whose values cannot be decrypted, the service untouched: rolled
    back with the reason, alerted. It would fail the same way at every lease. False: nothing
    was swapped."""
    db.session.rollback()
    moved = db.session.execute(
        update(CredentialPlan).where(CredentialPlan.id == plan_id,
                                     CredentialPlan.state == SWAPPING,
                                     CredentialPlan.claimed_by == token)
        .values(state=ROLLED_BACK, failed_step="", failed_reason=reason,
                **_ended(utcnow()))
        .execution_options(synchronize_session=False)).rowcount
    if moved:
        plan = db.session.get(CredentialPlan, plan_id)
        db.session.refresh(plan)
        _alert(plan, plan.service)
        log.warning("Credential plan %s: a value cannot be decrypted (%s); ended, the "
                    "service untouched", plan_id, reason)
    db.session.commit()
    return False


def _ended(now):
    """What every ended plan drops."""
    return dict(open_key=None, new_secrets=None, previous_secrets=None, finished_at=now,
                claimed_by=None, lease_until=None)


def _start_test(plan):
    """'Verbindung testen' with the saved values, as System; its own exclusive key, so a test
    a person runs at the same moment (maybe with other values in the form) is not taken
    for the plan's."""
    row, _created = engine.start(actions.KIND, actions.SUBJECT, plan.service_id,
                                 action=actions.TEST,
                                 exclusive_key=f"{SUBJECT}:{plan.id}:{actions.TEST}",
                                 requested_by=health_checks.SYSTEM_NAME,
                                 progress={"steps": []})
    return row


def _settle_testing(plan_id):
    """A plan in testing, looked at by the tick: resolve it when its test ended (the worker
    that stored the result died before, or its listener failed), start a new test when its
    test is gone; leave it while the test runs (the engine's reconciler keeps it moving)."""
    plan = db.session.get(CredentialPlan, plan_id)
    run = db.session.get(Outbound, plan.test_run_id) if plan.test_run_id else None
    if run is not None and run.state in (RUN_DONE, RUN_FAILED):
        resolved = resolve(plan_id, run)
        db.session.commit()
        return "resolved" if resolved else None
    if run is not None:
        return None
    new_run = _start_test(plan)
    moved = db.session.execute(
        update(CredentialPlan).where(CredentialPlan.id == plan_id, CredentialPlan.state == TESTING,
                                     CredentialPlan.test_run_id == plan.test_run_id)
        .values(test_run_id=new_run.id).execution_options(synchronize_session=False)).rowcount
    if not moved:
        db.session.rollback()
        return None
    db.session.commit()
    return "retested"


def on_test_finished(row):
    """The outbound listener of service actions: a plan whose test this was is resolved in
    the transaction that stores the test's result."""
    if row.subject_type != actions.SUBJECT or row.action != actions.TEST:
        return
    plan_id = db.session.scalar(db.select(CredentialPlan.id).where(
        CredentialPlan.test_run_id == row.id, CredentialPlan.state == TESTING))
    if plan_id is not None:
        resolve(plan_id, row)


def resolve(plan_id, run):
    """End a plan in testing by its test `run`: done when it passed; else the previous values
    back, the failing step kept, the alerts started. The caller commits. True when this call
    resolved it (a conditional UPDATE: never twice)."""
    plan = db.session.get(CredentialPlan, plan_id)
    ended = _ended(utcnow())
    where = (CredentialPlan.id == plan_id, CredentialPlan.state == TESTING,
             CredentialPlan.test_run_id == run.id)
    service = plan.service
    if actions.passed(run):
        moved = db.session.execute(update(CredentialPlan).where(*where)
                                   .values(state=DONE, **ended)
                                   .execution_options(synchronize_session=False)).rowcount
        if moved:
            changelog.record(health_checks.SYSTEM, PLAN_PASS, services.ENTITY, service, [],
                             branch=service.scope_branch)
            log.info("Credential plan %s: the test passed", plan_id)
        return bool(moved)
    step, reason = failing_step(run)
    try:
        previous = json.loads(plan.previous_secrets or "{}")
    except SecretUnreadable:  # nothing to restore: the new values stay, and the plan says so
        previous, reason = None, UNREADABLE_PREVIOUS
    moved = db.session.execute(update(CredentialPlan).where(*where)
                               .values(state=ROLLED_BACK, failed_step=step, failed_reason=reason,
                                       **ended)
                               .execution_options(synchronize_session=False)).rowcount
    if not moved:
        return False
    if previous is None:
        db.session.flush()
        db.session.refresh(plan)
        _alert(plan, service)
        log.warning("Credential plan %s: the test failed at %s and the previous values "
                    "cannot be decrypted; the new values stay", plan_id, step or "?")
        return True
    changed = services.replace_secrets(service, previous)
    if changed:
        service.version += 1
        service.updated_by = health_checks.SYSTEM_NAME
    changelog.record(health_checks.SYSTEM, PLAN_BACK, services.ENTITY, service,
                     [{"field": key, "secret": True} for key in changed],
                     branch=service.scope_branch)
    db.session.flush()
    db.session.refresh(plan)
    _alert(plan, service)
    log.warning("Credential plan %s: the test failed at %s (%s); previous values restored",
                plan_id, step or "?", reason or "?")
    return True


def failing_step(run):
    """(step, reason) codes of a failed test's failing step; ("", "") when it could not run."""
    for item in (run.progress or {}).get("steps", []):
        if item.get("state") == STEP_FAILED:
            return item.get("step", "")[:20], (item.get("reason") or "")[:20]
    return "", ""


# --- alerts ----------------------------------------------------------------------------------

def _alert(plan, service):
    """Tell those who hear about interface failures and read the service's branch, and the
    planner: a notification each, and an e-mail each through the chain's SMTP service (one
    outbound row per plan and user, its key kept: never said twice)."""
    branch_id = service.scope_branch_id
    users = {user.id: user for user in health_checks.recipients(branch_id)}
    planner = db.session.get(User, plan.planned_by_id) if plan.planned_by_id else None
    if planner is not None and planner.active and reads_branch(planner, branch_id):
        users.setdefault(planner.id, planner)
    notifications.notify(list(users), NOTIFICATION, f"{SUBJECT}:{plan.id}", {
        "plan_id": plan.id, "service_id": service.id, "service_name": service.name,
        "step": plan.failed_step, "reason": plan.failed_reason})
    for user in users.values():
        if not user.email:
            continue
        engine.start(ALERT_KIND, SUBJECT, plan.id, action=ALERT_ACTION,
                     exclusive_key=f"{SUBJECT}:{plan.id}:{ALERT_ACTION}:{user.id}",
                     requested_by=health_checks.SYSTEM_NAME, progress={"recipient_id": user.id})


def describe(params):
    """The notification in the reader's language, leading to the service."""
    url = url_for("interfaces.edit_get", service_id=params.get("service_id"))
    why = unreadable_in_words(params.get("step"), params.get("reason"))
    if why:
        return _("The planned credential change of “%(service)s” failed: %(why)s",
                 service=params.get("service_name", ""), why=why), url
    step, reason = step_in_words(params.get("step"), params.get("reason"))
    text = _("The planned credential change of “%(service)s” was rolled back: its connection "
             "test failed at %(step)s (%(reason)s). The previous values are in place again.",
             service=params.get("service_name", ""), step=step or "?", reason=reason or "?")
    return text, url


def compose(plan):
    """(subject, text) of the alert e-mail in the current language; no secret."""
    service = plan.service
    branch = db.session.get(Branch, service.scope_branch_id) if service.scope_branch_id else None
    step, reason = step_in_words(plan.failed_step, plan.failed_reason)
    try:
        interface = catalogue.get_interface(service.interface_key).text("name", ui_language())
    except KeyError:
        interface = service.interface_key
    what = dict(service=service.name, interface=interface,
                place=branch.name if branch is not None else _("the whole chain"),
                when=local_time(plan.swapped_at or plan.due_at).strftime("%d.%m.%Y %H:%M"),
                who=plan.planned_by, step=step or "?", reason=reason or "?")
    footer = ["", _("You get this e-mail because your account asks to hear about interface "
                    "failures (My account), or because you planned the change.")]
    why = unreadable_in_words(plan.failed_step, plan.failed_reason)
    if why:
        subject = _("Planned credential change failed: %(service)s (%(place)s)", **what)
        lines = [_("The change of the credentials of %(service)s (%(interface)s, %(place)s) "
                   "planned by %(who)s for %(when)s failed.", **what), why, *footer]
        return subject, "\n".join(lines) + "\n"
    subject = _("Planned credential change rolled back: %(service)s (%(place)s)", **what)
    lines = [
        _("At %(when)s the new credentials of %(service)s (%(interface)s, %(place)s), planned "
          "by %(who)s, were put in place.", **what),
        _("The connection test that followed failed at step %(step)s: %(reason)s.", **what),
        _("The previous credentials were restored. Check the new ones with the partner, then "
          "plan the change again."),
        *footer,
    ]
    return subject, "\n".join(lines) + "\n"


class AlertMailHandler(Handler):
    """One alert e-mail about a rolled-back plan to one user, through the chain's SMTP
    service; the row keeps its key for good (one mail per plan and user)."""

    kind = ALERT_KIND
    keeps_exclusive_key = True

    def prepare(self, row):
        plan = db.session.get(CredentialPlan, row.subject_id)
        if plan is None:
            raise CannotRun(str(_l("The planned change was deleted.")))
        return health_checks.chain_mail(row, lambda: compose(plan), "credentials")

    def max_duration(self, request):
        return request.timeout + 5

    def submit(self, request, report):
        return request.send()


ALERT_HANDLER = AlertMailHandler()
