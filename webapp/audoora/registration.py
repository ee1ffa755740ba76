"""The chain's registration with Audoora: what is sent (exactly the documented data, only
what is filled in), the preview a person confirms first, starting the run, and the state the
editor shows (not registered / registered since … / refresh due with what changed / error).

The body is built once, when the person confirms, and sealed in the outbound row: every retry
and the lookup after a crash send the same body under the same idempotency key, so the portal
registers it once. Our registration row is written only when the portal accepted it."""
import hashlib
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..companies.models import Company, CustomerNumber
from ..errors import DomainError
from ..extensions import db
from ..interfaces import actions, services
from ..models_base import utcnow
from ..org.models import Branch
from ..outbound import engine
from ..outbound.models import DONE, FAILED, OPEN_STATES, Outbound
from ..users.models import User
from .models import AudooraRegistration

INTERFACE = "audoora_order"
REGISTER, REFRESH = "register", "refresh_registration"
KIND = "audoora_registration"
JUST_FINISHED_SECONDS = 10

NOT_REGISTERED, REGISTERED, REFRESH_DUE, ERROR, RUNNING = (
    "not_registered", "registered", "refresh_due", "error", "running")

NEEDS_ACCESS = _l("Fill in and save the Basis-URL, the registration e-mail address, the "
                  "user name and the password first.")
ALREADY = _l("This service is registered already; refresh the registration instead.")
NOT_YET = _l("Register first; a refresh sends changes of a registration.")
CHANGED = _l("The data changed since the preview was shown. Look at the preview again.")
ADMINS_ONLY = _l("Only administrators register the chain with Audoora: it sends every branch "
                 "and user of the chain.")
BUSY = _l("A registration or refresh of this service is running; wait until it ends.")


# --- what is sent ---------------------------------------------------------------------------

def _filled(record):
    """Only what is filled in: no None, no empty text, no empty list."""
    return {key: value for key, value in record.items() if value not in (None, "", [])}


def body(service):
    """The registration body of docs/partners/audoora.md: the contact address, every branch
    with its address, every active user (name, e-mail, phone, admin flag, branches) and the
    chain's customer numbers at companies; nothing else."""
    values = services.service_values(service)
    branches = db.session.scalars(db.select(Branch).order_by(Branch.id)).all()
    users = db.session.scalars(db.select(User).where(User.active.is_(True))
                               .options(selectinload(User.branches)).order_by(User.id)).all()
    numbers = db.session.execute(
        db.select(Company.name, CustomerNumber.branch_id, CustomerNumber.number)
        .join(CustomerNumber.company).order_by(Company.name, CustomerNumber.branch_id)).all()
    return _filled({
        "contact_email": (values.get("registration_email") or "").strip(),
        "branches": [_filled({"ref": str(b.id), "name": b.name, "street": b.street.strip(),
                              "postal_code": b.postal_code.strip(), "city": b.city.strip()})
                     for b in branches],
        "users": [_filled({"ref": str(u.id), "name": u.name, "email": (u.email or "").strip(),
                           "phone": (u.phone or "").strip(), "admin": u.is_admin,
                           "branches": [str(b.id) for b in u.branches]})
                  for u in users],
        "customer_numbers": [_filled({"company": name, "branch": str(branch_id),
                                      "number": (number or "").strip()})
                             for name, branch_id, number in numbers if (number or "").strip()],
    })


def fingerprint(sent):
    return hashlib.sha256(json.dumps(sent, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def changes(before, now):
    """What differs between two bodies, for people: [{what, change, name}] with what in
    branch / user / customer_number / contact and change in added / changed / removed."""
    found = []
    for what, key in (("branch", "branches"), ("user", "users")):
        old = {item["ref"]: item for item in before.get(key, [])}
        new = {item["ref"]: item for item in now.get(key, [])}
        for ref, item in new.items():
            if ref not in old:
                found.append(dict(what=what, change="added", name=item["name"]))
            elif old[ref] != item:
                found.append(dict(what=what, change="changed", name=item["name"]))
        found += [dict(what=what, change="removed", name=item["name"])
                  for ref, item in old.items() if ref not in new]
    names = {item["ref"]: item["name"] for item in now.get("branches", [])}
    names.update({item["ref"]: item["name"] for item in before.get("branches", [])
                  if item["ref"] not in names})

    def numbers(sent):
        return {(n["company"], n["branch"]): n["number"] for n in sent.get("customer_numbers", [])}

    old, new = numbers(before), numbers(now)
    for pair in sorted(set(old) | set(new)):
        change = ("added" if pair not in old else "removed" if pair not in new else
                  "changed" if old[pair] != new[pair] else None)
        if change:
            found.append(dict(what="customer_number", change=change,
                              name=f"{pair[0]} · {names.get(pair[1], pair[1])}"))
    if before.get("contact_email") != now.get("contact_email"):
        found.append(dict(what="contact", change="changed", name=now.get("contact_email", "")))
    return found


# --- state ----------------------------------------------------------------------------------

def registration_of(service):
    return db.session.scalar(db.select(AudooraRegistration)
                             .where(AudooraRegistration.service_id == service.id))


def _latest_run(service):
    return db.session.scalar(
        db.select(Outbound).where(Outbound.kind == KIND, Outbound.subject_type == actions.SUBJECT,
                                  Outbound.subject_id == service.id)
        .order_by(Outbound.id.desc()).limit(1))


def state(service):
    """The registration's state for the editor: {state, registration, run, changes, due
    (a refresh is due), error}."""
    registration = registration_of(service)
    run = _latest_run(service)
    found = dict(registration=registration, run=run, changes=[], due=False, error="")
    if run is not None and run.state in OPEN_STATES:
        found["state"] = RUNNING
    elif run is not None and run.state == FAILED and (
            registration is None or (run.finished_at or run.created_at)
            > (registration.refreshed_at or registration.registered_at)):
        found.update(state=ERROR, error=run.last_error)
    elif registration is None:
        found["state"] = NOT_REGISTERED
    else:
        found["state"] = REGISTERED
    if registration is not None and found["state"] != RUNNING:
        now = body(service)
        if fingerprint(now) != registration.fingerprint:
            found.update(changes=changes(registration.sent or {}, now), due=True)
            if found["state"] == REGISTERED:
                found["state"] = REFRESH_DUE
    return found


# --- the action runner (interfaces.actions.register_runner) --------------------------------

def _ready(service):
    values = services.service_values(service)
    return all((values.get(key) or "").strip() for key in
               ("base_url", "registration_email", "username")) and \
        "password" in service.secret_keys


def _may_send(actor, service):
    """The registration sends the whole chain's branches and users: administrators only
    (who may edit the service), whatever the service's scope."""
    return getattr(actor, "is_admin", False) and actions.may_run(actor, service)


def _check(actor, service, action_key):
    if not _may_send(actor, service):
        raise DomainError(str(ADMINS_ONLY))
    if not _ready(service):
        raise DomainError(str(NEEDS_ACCESS))
    registered = registration_of(service) is not None
    if action_key == REGISTER and registered:
        raise DomainError(str(ALREADY))
    if action_key == REFRESH and not registered:
        raise DomainError(str(NOT_YET))


def preview(actor, service, action_key):
    """What will be sent, record by record with counts, for the person to confirm."""
    _check(actor, service, action_key)
    sent = body(service)
    registration = registration_of(service)
    names = {b["ref"]: b["name"] for b in sent.get("branches", [])}
    return "audoora/_registration_preview.html", dict(
        sent=sent, branch_names=names, fingerprint=fingerprint(sent),
        changes=changes(registration.sent or {}, sent) if registration else [],
        refresh=action_key == REFRESH)


def start(actor, service, action_key, form):
    """Start the registration or refresh with the data confirmed in the preview (its
    fingerprint comes back with the confirmation). (row, created)."""
    _check(actor, service, action_key)
    sent = body(service)
    if form is None or form.get("fingerprint") != fingerprint(sent):
        raise DomainError(str(CHANGED))
    row, created = engine.start(KIND, actions.SUBJECT, service.id, action=action_key,
                                exclusive_key=f"{actions.SUBJECT}:{service.id}:{KIND}",
                                requested_by=actor.name, sealed=json.dumps(sent),
                                progress={})
    if not created and row.action != action_key:
        raise DomainError(str(BUSY))
    return row, created


def panel(actor, service, action_key):
    """The registration's state beside "Jetzt registrieren"; what changed beside the
    refresh, named only to those who may send it (it names users)."""
    found = state(service)
    run = found["run"]
    # The run of this action just ended: the other action's region shows the state too and
    # is told to fetch it anew (it does not poll).
    found["just_finished"] = bool(
        run is not None and run.action == action_key and run.finished_at is not None
        and (utcnow() - run.finished_at).total_seconds() < JUST_FINISHED_SECONDS)
    if not _may_send(actor, service):
        found["changes"] = []
    return "audoora/_registration_state.html", dict(found, part=action_key)


def summary(row):
    """A run in words: registered / refreshed with what the portal listed back, trying again
    after no answer, or why it failed."""
    progress = row.progress or {}
    if row.state in OPEN_STATES:
        if row.last_error:
            return _("Audoora is not reachable right now (%(message)s). Trying again "
                     "automatically; nothing is registered twice.", message=row.last_error)
        return _("Sending to Audoora …")
    if row.state == DONE:
        words = (_("Registration refreshed") if row.action == REFRESH else _("Registered"))
        return _("%(done)s: %(id)s, %(branches)s branches listed back by the portal.",
                 done=words, id=progress.get("registration_id", ""),
                 branches=progress.get("branches", 0))
    if row.action == REFRESH:
        return _("Not refreshed: %(message)s", message=row.last_error or _("Failed."))
    return _("Not registered: %(message)s", message=row.last_error or _("Failed."))


RUNNER = actions.ActionRunner(kind=KIND, start=start, preview=preview, panel=panel,
                              summary=summary)


def register_runners():
    """Make both actions of the Audoora type run here (called by the app factory)."""
    for action_key in (REGISTER, REFRESH):
        actions.register_runner(INTERFACE, action_key, RUNNER)
