"""The catalogue's actions on a service ("Verbindung testen", "Jetzt registrieren", …) as
outbound operations (webapp/outbound/): started from the editor, run by a worker, watched
live, and kept as the service's run history.

- **One run per service and action at a time.** The row holds the exclusive key
  "service:<id>:<action>" while it runs; a double click or a second admin gets the running
  one back instead of a second.
- **"Verbindung testen" uses the values in the form**, saved or not; an empty secret means
  the stored one. Those values (a typed password among them) travel to the worker sealed
  in the row (encrypted, dropped when the run ends), never in the job's arguments.
- **A test is safe to repeat**, so a worker killed mid-test means the test runs again once,
  not that a person has to check anything (Handler.repeat_is_safe).
- **Nothing pretends to work.** An action whose protocol is not built yet is shown as not
  available with the reason; a device's test runs at the workstation, never from the server.
"""
import json
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func

from .. import outbound_policy
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..outbound import engine
from ..outbound.handlers import ACCEPTED, PERMANENT, CannotRun, Handler, Outcome
from ..outbound import mail as outbound_mail
from ..outbound.models import DONE, FAILED, OPEN_STATES, Outbound
from ..probes import REASON_TEXTS, STEP_LABELS, ldap, mail, transfer, web
from . import catalogue, services
from . import values as field_values
from .models import InterfaceService

KIND, SUBJECT = "service_action", "service"
TEST = "test"
# "Test-E-Mail senden" of the SMTP service: one real message to the person who asked.
SEND_TEST_EMAIL = "send_test_email"
MAIL_TYPES = ("smtp",)
# Actions that run with the editor's values, saved or not.
FORM_ACTIONS = (TEST, SEND_TEST_EMAIL)
HISTORY_LIMIT = 20

# How an action runs here.
SERVER, WORKSTATION, UNAVAILABLE = "server", "workstation", "unavailable"
HTTPS, SMTP, IMAP, TRANSFER, LDAP = "https", "smtp", "imap", "transfer", "ldap"

NOT_BUILT = _l("Not available yet: talking to this partner for this action is not built. "
               "Nothing is sent.")
NO_PROTOCOL = _l("Not available: this interface has no server address to test.")
NO_RECIPIENT = _l("Enter a sender address, or an e-mail address under Mein Konto: the test "
                  "e-mail goes to you.")
AT_WORKSTATION = _l("This test runs at the workstation the device is connected to; the server "
                    "sends nothing.")


# Connection tests that know more about a type than its fields say (a partner's login and a
# harmless request of its protocol), registered by the domains above: interface key →
# tester(value, secret, policy) → TestRequest; the policy carries the operator's CA file.
_TESTERS = {}


def register_tester(interface_key, tester):
    _TESTERS[interface_key] = tester


@dataclass(frozen=True)
class ActionRunner:
    """How a domain above runs one action of a type (Audoora's "Jetzt registrieren"):
    `start(actor, service, action_key, form)` → (row, created), its own outbound kind;
    `preview(actor, service, action_key)` → (template, context) the person confirms before
    anything leaves, or None to start at once; `panel(actor, service, action_key)` →
    (template, context) shown with the action's status to `actor` (who may only read the
    service, too), or None; `summary(row)` → its run in words, or None."""
    kind: str
    start: Callable
    preview: Callable | None = None
    panel: Callable | None = None
    summary: Callable | None = None


# Actions that domains above make runnable, registered at start-up:
# (interface key, action key) → ActionRunner.
_RUNNERS = {}


def register_runner(interface_key, action_key, runner):
    _RUNNERS[(interface_key, action_key)] = runner


def runner_for(interface, action):
    """The ActionRunner a domain registered for this action of this type, or None."""
    return _RUNNERS.get((interface.key, action.key))


def run_summary(row):
    """A registered runner's words for its run, or None (then the editor's own)."""
    for runner in _RUNNERS.values():
        if runner.kind == row.kind and runner.summary is not None:
            return runner.summary(row)
    return None


@dataclass(frozen=True)
class Availability:
    where: str      # SERVER | WORKSTATION | UNAVAILABLE
    reason: str = ""

    @property
    def runnable(self):
        return self.where == SERVER


def protocol_of(interface):
    """The network protocol a type's connection test speaks, from its fields; None when it
    has no server address (a device, a local program, a file folder)."""
    keys = {spec.key: spec for spec in interface.fields}
    protocol = keys.get("protocol")
    if protocol is not None and "host" in keys and any(
            value == "sftp" for value, *_labels in protocol.choices):
        return TRANSFER
    if "host" in keys and "encryption" in keys:
        return IMAP if "folder" in keys else SMTP
    if "base_url" in keys and keys["base_url"].kind == "url":
        return HTTPS
    # A directory: its address is an ldap(s):// URL, and only a directory binds with a DN.
    if "server_url" in keys and keys["server_url"].kind == "url" and "bind_dn" in keys:
        return LDAP
    return None


def availability(interface, action):
    """Whether and where `action` of `interface` runs."""
    if runner_for(interface, action) is not None:
        return Availability(SERVER)
    if action.key == SEND_TEST_EMAIL and interface.key in MAIL_TYPES:
        return Availability(SERVER)
    if action.key != TEST:  # "Testnachricht senden", "Echo senden" are kind test too: not built
        return Availability(UNAVAILABLE, str(NOT_BUILT))
    if getattr(action, "runs_at", "") == WORKSTATION:
        return Availability(WORKSTATION, str(AT_WORKSTATION))
    if protocol_of(interface) is None and interface.key not in _TESTERS:
        return Availability(UNAVAILABLE, str(NO_PROTOCOL))
    return Availability(SERVER)


def get_action(interface, action_key):
    """The ActionSpec of `interface` named `action_key`; LookupError when it declares none."""
    for action in interface.actions:
        if action.key == action_key:
            return action
    raise LookupError(action_key)


# --- starting ------------------------------------------------------------------------------

def may_run(actor, service):
    """Running an action talks to a partner in the service's name: whoever may edit it."""
    return services.can_edit_service(actor, service)


def start(actor, service, action_key, raw=None):
    """Start `action_key` on `service`, or return the run already going. `raw`: the editor's
    form input for a connection test (None = the saved values). Returns (row, created).
    InvalidValues when the form's values cannot be used; DomainError when the action cannot
    run here; PermissionDenied for those who may not edit the service."""
    if not may_run(actor, service):
        raise PermissionDenied()
    interface = catalogue.get_interface(service.interface_key)
    action = get_action(interface, action_key)
    found = availability(interface, action)
    if not found.runnable:
        raise DomainError(found.reason)
    runner = runner_for(interface, action)
    if runner is not None:
        return runner.start(actor, service, action.key, raw)
    values, secrets = _form_values(actor, service, interface, raw)
    inputs = {"values": field_values.to_storage(interface, values), "secrets": secrets}
    if action.key == SEND_TEST_EMAIL:
        inputs["recipient"] = (outbound_mail.address(getattr(actor, "email", ""))
                               or outbound_mail.address(values.get("sender_address")))
        if not inputs["recipient"]:
            raise DomainError(NO_RECIPIENT)
    sealed = json.dumps(inputs)
    return engine.start(KIND, SUBJECT, service.id, action=action.key,
                        exclusive_key=f"{SUBJECT}:{service.id}:{action.key}",
                        requested_by=actor.name, sealed=sealed, progress={"steps": []})


def preview(actor, service, action_key):
    """(template, context) of what `action_key` will send, for the person to confirm first,
    or None when the action starts at once. PermissionDenied as for start."""
    if not may_run(actor, service):
        raise PermissionDenied()
    interface = catalogue.get_interface(service.interface_key)
    runner = runner_for(interface, get_action(interface, action_key))
    if runner is None or runner.preview is None:
        return None
    return runner.preview(actor, service, action_key)


def _form_values(actor, service, interface, raw):
    """(typed values, {secret key: typed plaintext}) the test runs with: the form's input as
    a save would take it (locked fields keep their saved values for non-admins), without
    saving; empty secrets are filled from the stored ones by the worker."""
    current = services.service_values(service)
    if raw is None:
        return current, {}
    parsed = field_values.parse(interface, raw, partial=service.workstation_id is not None,
                                secrets_set=service.secret_keys)
    services.keep_locked_values(actor, interface, raw, parsed, current)
    if parsed.errors:
        raise field_values.InvalidValues(parsed.errors)
    typed = {key: value for key, value in parsed.secrets.items() if value}
    return parsed.values, typed


# --- what the editor shows ------------------------------------------------------------------

# Built once (the editor asks on every request): a statement built per call cost more to
# build and to look up in SQLAlchemy's cache than to run (issue 15).
_LATEST_RUNS = db.select(Outbound).where(Outbound.id.in_(
    db.select(func.max(Outbound.id))
    .where(Outbound.subject_type == SUBJECT,
           Outbound.subject_id.in_(bindparam("service_ids", expanding=True)))
    .group_by(Outbound.subject_id, Outbound.action)))


def latest_runs(service_ids):
    """{(service id, action key): the newest run} for the given services, in one query."""
    if not service_ids:
        return {}
    rows = db.session.scalars(_LATEST_RUNS, {"service_ids": list(service_ids)}).all()
    return {(row.subject_id, row.action): row for row in rows}


def latest_finished_tests(service_ids):
    """{service id: its newest finished connection test} in one query (the health board)."""
    if not service_ids:
        return {}
    newest = (db.select(func.max(Outbound.id))
              .where(Outbound.subject_type == SUBJECT, Outbound.action == TEST,
                     Outbound.subject_id.in_(service_ids), Outbound.state.in_((DONE, FAILED)))
              .group_by(Outbound.subject_id))
    rows = db.session.scalars(db.select(Outbound).where(Outbound.id.in_(newest))).all()
    return {row.subject_id: row for row in rows}


def history(service, action_key, limit=HISTORY_LIMIT):
    """The service's runs of one action, newest first."""
    return db.session.scalars(
        db.select(Outbound).where(Outbound.subject_type == SUBJECT,
                                  Outbound.subject_id == service.id,
                                  Outbound.action == action_key)
        .order_by(Outbound.id.desc()).limit(limit)).all()


def get_run(service, run_id):
    row = db.session.get(Outbound, run_id)
    if row is None or row.subject_type != SUBJECT or row.subject_id != service.id:
        return None
    return row


def is_running(row):
    return row is not None and row.state in OPEN_STATES


def passed(row):
    """True / False for a finished test, None while it runs or when it never ran."""
    if row is None or row.state in OPEN_STATES:
        return None
    return row.state == DONE and bool((row.progress or {}).get("ok"))


# --- the worker's side -----------------------------------------------------------------------

@dataclass(frozen=True)
class TestRequest:
    probe: object     # a function of webapp/probes: probe(**arguments, report=…) → Result
    arguments: dict   # its keyword arguments, the password among them
    timeout: float

    def __repr__(self):  # never print the arguments: they hold the password
        return f"TestRequest({getattr(self.probe, '__name__', self.probe)!r})"




class ServiceActionHandler(Handler):
    kind = KIND
    repeat_is_safe = True

    def prepare(self, row):
        service = db.session.get(InterfaceService, row.subject_id)
        if service is None:
            raise CannotRun(str(_l("The service was deleted.")))
        interface = catalogue.get_interface(service.interface_key)
        try:
            action = get_action(interface, row.action)
        except LookupError:
            raise CannotRun(str(_l("The interface no longer has this action."))) from None
        found = availability(interface, action)
        if not found.runnable:
            raise CannotRun(found.reason)
        sealed = json.loads(engine.unseal(row) or "{}")
        values = (field_values.from_storage(interface, sealed["values"]) if "values" in sealed
                  else services.service_values(service))
        typed = sealed.get("secrets") or {}
        fallback, inherited = None, {}
        if service.workstation_id is not None:
            fallback = services.workstation_bases(service.workstation,
                                                  interface.key).fallback
            if fallback is not None:
                inherited = services.service_values(fallback)

        def value(key):
            found = values.get(key)
            return inherited.get(key) if found in (None, "") else found

        def secret(key):
            if typed.get(key):
                return typed[key]
            if key in service.secret_keys:
                return services.stored_secret(service, key)
            if fallback is not None and key in fallback.secret_keys:
                return services.stored_secret(fallback, key)
            return None

        config = current_app.config
        if action.key == SEND_TEST_EMAIL:
            return _test_email(value, secret, sealed.get("recipient", ""), config)
        tester = _TESTERS.get(interface.key)
        if tester is not None:
            return tester(value, secret, outbound_policy.from_config(config))
        return _request(protocol_of(interface), value, secret, config)

    def max_duration(self, request):
        return request.timeout * 6 + 10

    def submit(self, request, report):
        if isinstance(request, outbound_mail.Mail):
            outcome = request.send()
            outcome.details = {"sent_to": request.recipient}
            return outcome

        def progress(result):
            report({"steps": [step.as_dict() for step in result.steps]})

        result = request.probe(**request.arguments, report=progress)
        steps = [step.as_dict() for step in result.steps]
        failed = result.failed
        # Stored as the run's attempt and last error: worded in the worker's language (the
        # installation's default), the technical detail (English, as the log has it) quoted.
        if result.ok:
            return Outcome(ACCEPTED, message=_("Passed: every step succeeded."),
                           details={"steps": steps, "ok": True})
        if failed is None:
            message = _("The test did not reach its request.")
        else:
            message = _("Failed at step %(step)s: %(reason)s",
                        step=STEP_LABELS.get(failed.step, failed.step),
                        reason=REASON_TEXTS.get(failed.reason, failed.reason))
            message += f" ({failed.detail})" if failed.detail else ""
        return Outcome(PERMANENT, message=message, details={"steps": steps, "ok": False})

    def accepted(self, row, outcome):
        if "sent_to" in outcome.details:
            row.progress = {"ok": True, "sent_to": outcome.details["sent_to"]}
            return
        row.progress = {"steps": outcome.details.get("steps", []), "ok": True}

    def failed(self, row, message, outcome):
        if outcome is not None and "steps" in outcome.details:
            row.progress = {"steps": outcome.details["steps"], "ok": False}
        else:  # it could not run at all (service deleted, action gone)
            row.progress = {**(row.progress or {}), "ok": False, "error": message[:300]}


def _test_email(value, secret, recipient, config):
    """The test e-mail: from the form's sender, to the person who asked."""
    smtp = {key: value(key) for key in ("host", "port", "encryption", "username", "timeout")}
    sender = outbound_mail.address(value("sender_address"))
    if not sender:
        raise CannotRun(str(_l("The service has no valid sender address.")))
    message = EmailMessage()
    name = value("sender_name") or ""
    message["From"] = formataddr((name, sender)) if name else sender
    message["To"], message["Subject"] = recipient, str(_l("Test e-mail from Schnittstellen"))
    message["Date"] = formatdate(localtime=True)
    message.set_content(str(_l("This is a test e-mail of the service “%(service)s”. If you "
                               "can read it, sending e-mail works.",
                               service=value("host") or "")))
    return outbound_mail.Mail(smtp, secret("password") or "", sender, recipient, message,
                              outbound_policy.from_config(config))


def _request(protocol, value, secret, config):
    policy = outbound_policy.from_config(config)
    ca_file = policy.ca_file  # the probes that do not send through the policy's sessions
    if protocol == HTTPS:
        timeout = float(value("read_timeout") or value("connect_timeout") or 30)
        username = value("username")
        if username:
            auth = (username, secret("password") or "")
        elif secret("api_key"):
            auth = {"X-Api-Key": secret("api_key")}
        else:
            auth = None
        arguments = dict(url=value("base_url") or "", policy=policy, timeout=timeout,
                         auth=auth)
    elif protocol in (SMTP, IMAP):
        timeout = float(value("timeout") or 30)
        arguments = dict(host=value("host") or "", port=value("port"),
                         encryption=value("encryption") or "starttls",
                         username=value("username") or "", password=secret("password") or "",
                         policy=policy, timeout=timeout, ca_file=ca_file)
        if protocol == IMAP:
            arguments["folder"] = value("folder") or "INBOX"
    elif protocol == LDAP:
        timeout = float(value("timeout") or 10)
        arguments = dict(url=value("server_url") or "", policy=policy, timeout=timeout,
                         ca_file=ca_file, start_tls=bool(value("start_tls")),
                         bind_dn=value("bind_dn") or "", password=secret("bind_password") or "",
                         base_dn=value("base_dn") or "")
    else:
        timeout = 30.0
        arguments = dict(protocol=value("protocol") or "sftp", host=value("host") or "",
                         port=value("port"), username=value("username") or "",
                         password=secret("password") or "", policy=policy, timeout=timeout,
                         ca_file=ca_file, remote_dir=value("remote_dir") or "/")
    return TestRequest(_PROBES[protocol], arguments, timeout)


_PROBES = {HTTPS: web.https, SMTP: mail.smtp, IMAP: mail.imap, TRANSFER: transfer.transfer,
           LDAP: ldap.ldap}

HANDLER = ServiceActionHandler()
