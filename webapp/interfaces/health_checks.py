"""Interface health in the background: the nightly re-test, and alerts about services whose
connection tests keep failing.

**Nightly re-test.** The periodic job jobs.health.tick runs every few minutes on whichever
worker wins the tick. Once the chain's `health_check_time` has passed on a day (the chain's
time zone), it starts "Verbindung testen" with the saved values, as the user "System", for
every active server-side service (usage_server) whose type's test runs on the server.
The day is claimed by inserting its HealthRun row (unique day) in the same transaction as the
tests: however many workers tick, whether Redis kept its keys or not, a day's run starts once;
a crash before the commit leaves the day unclaimed for the next tick. A day whose time passed
while no worker ran is caught up when one runs again that day. A service whose test is
already running keeps that run (the exclusive key "service:<id>:test").

**Alerts.** Every finished connection test — nightly, or started by a person on the editor —
is looked at in the transaction that stores its result (an outbound listener). A service's
failure streak is its failed tests since its last passed one; the streak's first test names
it. When a streak reaches the chain's `health_alert_after` (default 3), a "failing"
HealthNotice is written and an e-mail goes to every active user with
`notify_interface_failures` and an address who reads the service's branch; the first pass
after such a streak writes a "recovered" notice and mails again. A notice exists once per
streak and kind (unique constraint), each e-mail is its own outbound row holding the key
"health_notice:<id>:mail:<user>" for good: nothing is said twice, even when a test result is
replayed. The mails go out through the chain's own SMTP service (chain level), so an alert
about that very service may not arrive; its notice on the board does. Never a secret: notices
and mails name the service, its place, the failing step and the reason in words.
"""
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timezone
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import outbound_policy
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..i18n import ui_language
from ..models_base import utcnow
from ..org.models import Branch
from ..org.services import get_chain
from ..outbound import engine, mail
from ..outbound.handlers import CannotRun, Handler
from ..outbound.models import DONE, FAILED, Outbound
from ..permissions import ADMIN, reads_branch
from ..probes import FAILED as STEP_FAILED
from ..probes import REASON_TEXTS, STEP_LABELS
from ..users.models import User
from . import actions, catalogue, resolver, services
from .health_models import FAILING, RECOVERED, HealthNotice, HealthRun
from .models import InterfaceService

log = logging.getLogger(__name__)

SYSTEM_NAME = "System"
ALERT_KIND, ALERT_SUBJECT, ALERT_ACTION = "health_alert", "health_notice", "mail"
FINISHED = (DONE, FAILED)


@dataclass(frozen=True)
class SystemActor:
    """Who starts the nightly tests: shown as "System" in the run history, with an
    administrator's right to run any service's test."""

    name: str = SYSTEM_NAME
    role: str = ADMIN
    branch_ids: frozenset = frozenset()


SYSTEM = SystemActor()


# --- the nightly re-test ---------------------------------------------------------------------

def check_time(value):
    """The chain's "HH:MM" as a time, or None (empty or unreadable: no nightly run)."""
    try:
        return time.fromisoformat(value) if value else None
    except ValueError:
        return None


def start_nightly_run(now=None):
    """Start today's nightly re-test if its time has come and nobody started it yet; returns
    the HealthRun, or None. The caller commits (the tests are enqueued after the commit)."""
    now = now or datetime.now(timezone.utc)
    chain = get_chain()
    at = check_time(chain.health_check_time)
    if at is None:
        return None
    local = now.astimezone(ZoneInfo(chain.timezone or "Europe/Berlin"))
    if local.time().replace(tzinfo=None) < at:
        return None
    day = local.date()
    if db.session.scalar(db.select(HealthRun.id).where(HealthRun.day == day)) is not None:
        return None
    run = HealthRun(day=day, started_at=now, tests=0)
    db.session.add(run)
    try:
        # Not in a SAVEPOINT: on SQLite, pysqlite would commit the claim on its release, and
        # the day must stay unclaimed unless its tests are committed with it. Only reads
        # came before, so losing the race rolls back nothing else.
        db.session.flush()
    except IntegrityError:  # another worker claimed the day a moment ago
        db.session.rollback()
        return None
    for service in services_to_retest(day):
        try:
            actions.start(SYSTEM, service, actions.TEST)
        except (DomainError, PermissionDenied, LookupError) as error:
            log.warning("Nightly test of service %s not started: %s", service.id, error)
            continue
        run.tests += 1
    log.info("Nightly interface tests of %s: %s started", day, run.tests)
    return run


def services_to_retest(today):
    """The active server-side services whose type's connection test runs on the server."""
    found = db.session.scalars(
        db.select(InterfaceService)
        .where(InterfaceService.usage_server.is_(True), InterfaceService.enabled.is_(True))
        .order_by(InterfaceService.id)).all()
    return [service for service in found
            if services.is_active(service, today) and server_test(service.interface_key)]


def server_test(interface_key):
    """Whether the type's "Verbindung testen" runs on the server (False for unknown types,
    devices, types without a server address or without the action)."""
    try:
        interface = catalogue.get_interface(interface_key)
        return actions.availability(interface, actions.get_action(interface, actions.TEST)) \
            .runnable
    except LookupError:
        return False


# --- alerts -------------------------------------------------------------------------------------

def on_test_finished(row):
    """The outbound listener of service actions: after a connection test, write the notice
    (and start its e-mails) the service's streak calls for, if any."""
    if row.subject_type != actions.SUBJECT or row.action != actions.TEST:
        return
    service = db.session.get(InterfaceService, row.subject_id)
    if service is None:
        return
    tests = (Outbound.subject_type == actions.SUBJECT, Outbound.action == actions.TEST,
             Outbound.subject_id == service.id)
    last_pass = db.session.scalar(db.select(func.max(Outbound.id)).where(
        *tests, Outbound.state == DONE, Outbound.id < row.id)) or 0
    streak = db.session.scalars(db.select(Outbound.id).where(
        *tests, Outbound.state == FAILED, Outbound.id > last_pass, Outbound.id <= row.id)
        .order_by(Outbound.id)).all()
    if not streak:
        return
    if row.state == FAILED:
        if len(streak) >= get_chain().health_alert_after and not _notified(
                service, streak[0], FAILING):
            step, reason = _failure(row)
            _notify(service, FAILING, streak[0], len(streak), step, reason)
    elif row.state == DONE and _notified(service, streak[0], FAILING) and not _notified(
            service, streak[0], RECOVERED):
        _notify(service, RECOVERED, streak[0], len(streak))


def _notified(service, streak_id, kind):
    return db.session.scalar(db.select(HealthNotice.id).where(
        HealthNotice.service_id == service.id, HealthNotice.streak_id == streak_id,
        HealthNotice.kind == kind)) is not None


def _failure(row):
    """(step, reason) codes of the test's failing step; ("", "") when it could not run."""
    for step in (row.progress or {}).get("steps", []):
        if step.get("state") == STEP_FAILED:
            return step.get("step", "")[:20], (step.get("reason") or "")[:20]
    return "", ""


def _notify(service, kind, streak_id, failures, step="", reason=""):
    notice = HealthNotice(kind=kind, service_id=service.id, service_name=service.name,
                          interface_key=service.interface_key,
                          branch_id=service.scope_branch_id, streak_id=streak_id,
                          failures=failures, step=step, reason=reason, created_at=utcnow())
    db.session.add(notice)
    db.session.flush()
    for user in recipients(notice.branch_id):
        engine.start(ALERT_KIND, ALERT_SUBJECT, notice.id, action=ALERT_ACTION,
                     exclusive_key=f"{ALERT_SUBJECT}:{notice.id}:{ALERT_ACTION}:{user.id}",
                     requested_by=SYSTEM_NAME, progress={"recipient_id": user.id})
    log.info("Interface health: service %s %s (%s failed tests)", service.id, kind, failures)
    return notice


def recipients(branch_id):
    """Active users who want to hear about interface failures, have an e-mail address and
    read the branch (None: a chain-wide service, everyone)."""
    users = db.session.scalars(
        db.select(User)
        .where(User.active.is_(True), User.notify_interface_failures.is_(True), User.email != "")
        .options(selectinload(User.branches)).order_by(User.id)).all()
    return [user for user in users if reads_branch(user, branch_id)]


# --- the alert e-mail -------------------------------------------------------------------------

class AlertMailHandler(Handler):
    """One alert e-mail to one user through the chain's SMTP service. The row keeps its key
    for good (one mail per notice and user); a mail that may have arrived without an answer
    is not sent again (the engine fails it for a person to see)."""

    kind = ALERT_KIND
    keeps_exclusive_key = True

    def prepare(self, row):
        notice = db.session.get(HealthNotice, row.subject_id)
        if notice is None:
            raise CannotRun(str(_l("The notice was deleted.")))
        return chain_mail(row, lambda: compose(notice), "health")

    def max_duration(self, request):
        return request.timeout + 5

    def submit(self, request, report):
        return request.send()


def chain_mail(row, compose_text, tag):
    """The e-mail of an alert row to its recipient (`progress["recipient_id"]`) through the
    chain's SMTP service: `compose_text()` → (subject, text), called in the recipient's
    language. Its Message-ID comes from the row's idempotency key, so a resend is the same
    message. CannotRun when the recipient or the chain's SMTP service cannot take it."""
    user = db.session.get(User, (row.progress or {}).get("recipient_id"))
    if user is None or not user.active or not mail.address(user.email):
        raise CannotRun(str(_l("The recipient no longer exists or has no e-mail address.")))
    smtp = resolver.resolve("smtp")
    if smtp is None:
        raise CannotRun(str(_l("The chain has no active SMTP outgoing server service.")))
    values = dict(smtp.values)
    sender = mail.address(values.get("sender_address"))
    if not sender:
        raise CannotRun(str(_l("The SMTP service has no valid sender address.")))
    with force_locale(user.preferred_language or "de"):
        subject, text = compose_text()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = formataddr((values.get("sender_name") or "", sender))
    message["To"] = mail.address(user.email)
    message["Date"] = formatdate(localtime=True)
    digest = hashlib.sha256(row.idempotency_key.encode()).hexdigest()[:32]
    message["Message-ID"] = f"<{tag}.{digest}@{sender.rpartition('@')[2]}>"
    message.set_content(text, cte="quoted-printable")
    password = (resolver.secret_for(smtp, "password") if "password" in smtp.fields
                else None)
    return mail.Mail(values, password, sender, mail.address(user.email), message,
                     outbound_policy.from_config(current_app.config))


def compose(notice):
    """(subject, text) of a notice's e-mail in the current language; no secret."""
    interface = _interface_name(notice.interface_key)
    branch = db.session.get(Branch, notice.branch_id) if notice.branch_id else None
    place = branch.name if branch is not None else _("the whole chain")
    what = dict(service=notice.service_name, interface=interface, place=place,
                count=notice.failures)
    if notice.kind == FAILING:
        subject = _("Interface failing: %(service)s (%(place)s)", **what)
        lines = [_("The connection test of %(service)s (%(interface)s, %(place)s) failed "
                   "%(count)s times in a row.", **what)]
        if notice.step:
            lines.append(_("Last failure at step %(step)s: %(reason)s.",
                           step=str(STEP_LABELS.get(notice.step, notice.step)),
                           reason=str(REASON_TEXTS.get(notice.reason, notice.reason or "?"))))
    else:
        subject = _("Interface working again: %(service)s (%(place)s)", **what)
        lines = [_("The connection test of %(service)s (%(interface)s, %(place)s) passed "
                   "again after %(count)s failed tests.", **what)]
    lines += ["", _("The health board (Interfaces → Health) shows every interface's state and "
                    "the service's run history."),
              "", _("You get this e-mail because your account asks to hear about interface "
                    "failures (My account).")]
    return subject, "\n".join(lines) + "\n"


def _interface_name(interface_key):
    try:
        return catalogue.get_interface(interface_key).text("name", ui_language())
    except LookupError:
        return interface_key


ALERT_HANDLER = AlertMailHandler()
