"""Auf Filialen übertragen: a chain or branch service carried over to many branches at once.

- **Choosing** (administrators only: a roll-out writes the fields that decide where the server
  connects): the branches — all, a branch organisation, or a list — and which of the
  interface's fields and tables to carry over. The fields not carried over that a table cell
  can hold, and every secret (secrets are never carried over), are entered per branch in the
  preview table, with the branch's customer numbers at the companies the service names.
- **The preview** says per branch exactly what will happen: create, update (the service of
  that interface the branch already has, with the differences in the change log's words) or
  skip, with the reason: a protected service in the way, a unique slot already taken, a
  required secret missing, no customer number at the company, or whatever else a save would
  refuse. Each branch is tried with the real save inside a savepoint that is rolled back, so
  the preview cannot promise what the save refuses.
- **Applying** stores the roll-out and a step per branch (values as previewed; secrets
  encrypted) and wakes a worker (jobs.rollouts.run). The worker claims the roll-out with a
  lease and applies the steps in order, **each in one transaction** with its conditional
  UPDATE pending → done: a failure in branch 17 leaves branches 1–16 done and 17–40 pending,
  stops the roll-out and says why; a worker killed half way leaves the branch it was in
  untouched, and the reconciler (jobs.rollouts.reconcile) resumes the roll-out once the lease
  ran out. Every service saved writes its own change-log entry naming the roll-out.
- **Afterwards**: a stopped roll-out is continued (the failed branch again, or skipped) or
  cancelled; the screen shows the progress while it runs.
"""
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, update
from sqlalchemy.exc import OperationalError
from rq.timeouts import JobTimeoutException
from sqlalchemy.orm import selectinload

from .. import params
from ..changelog import services as changelog
from ..changelog.display import differences
from ..companies import services as company_services
from ..companies.models import Company
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..forms import MARKUP, control_characters
from ..i18n import ui_language
from ..models_base import utcnow
from ..notifications import services as notifications
from ..org import services as org_services
from ..org.models import Branch
from ..permissions import is_admin
from ..queue import enqueue_after_commit, enqueue_now, job_id_for
from ..users.models import User
from . import catalogue, services
from . import values as field_values
from .catalogue.fields import CREDENTIALS
from .models import InterfaceService
from .rollout_models import (
    CANCELLED, CREATE, DONE, FAILED, PENDING, RUNNING, SKIP, SKIPPED, STOPPED, UPDATE, Rollout,
    RolloutStep,
)
from .values import InvalidValues

log = logging.getLogger(__name__)

ALL, ORGANISATION, LIST = "all", "organisation", "list"
MAX_BRANCHES = 5000  # branch ids read from one form
NUMBER_MAX_LENGTH = 40  # companies.models.CustomerNumber.number
SELECTIONS = (ALL, ORGANISATION, LIST)
JOB = "jobs.rollouts.run"
# A job applies branch after branch; one that runs out of time is resumed after its lease.
JOB_TIMEOUT = 3600
NOTIFICATION = "rollout"
# Transient database errors (a locked SQLite file, a serialisation failure) are retried this
# often per branch, waiting 0.5 s, 1 s, 2 s, before the roll-out stops on them.
RETRIES = 3
# Field kinds a cell of the preview table can hold (one value each).
CELL_KINDS = ("text", "number", "choice", "bool", "date", "path", "url", "email", "host",
              "secret")

ADMINS_ONLY = _l("Only administrators may roll services out to branches: a roll-out writes "
                 "the fields that decide where the server connects.")
CHANGED = _l("What the roll-out would do has changed since the preview (someone saved "
             "meanwhile). Check the new preview and press “Roll out” again.")
NOTHING = _l("Every branch is skipped: there is nothing to roll out.")
NOT_STOPPED = _l("The roll-out is not stopped.")
# claimed_by of a roll-out woken by Fortsetzen until a worker claims it: not "stalled".
WAKING = "waking"


class RolloutRefused(DomainError):
    """The roll-out cannot start as chosen (no branch, an unknown organisation …), or
    (with `preview`, the fresh one to show) not as previewed."""

    def __init__(self, message, field=None, preview=None):
        super().__init__(message, field=field)
        self.preview = preview


class PreviewChanged(RolloutRefused):
    """The preview no longer holds (CHANGED): the fresh one is in `preview`."""


@dataclass
class Choice:
    """What the admin chose: the branches and the fields to carry over."""

    selection: str = LIST
    organisation_id: int | None = None
    branch_ids: list = field(default_factory=list)
    carried: list = field(default_factory=list)


@dataclass
class Column:
    """A per-branch input of the preview table: the service's name, a field not carried
    over (or a secret), or the customer number at a company."""

    key: str  # "name", "f-<field key>", "cn-<company id>"
    label: str
    kind: str = "text"
    spec: object = None
    company: object = None


@dataclass
class Row:
    """What the roll-out does in one branch."""

    branch: Branch
    action: str = CREATE
    reason: str = ""
    target: InterfaceService | None = None
    changes: list = field(default_factory=list)  # ChangeRows (secrets only "changed")
    inputs: dict = field(default_factory=dict)  # {column key: value shown}
    errors: dict = field(default_factory=dict)  # {column key: message}
    data: dict = field(default_factory=dict)  # common fields for the save
    raw: dict = field(default_factory=dict)  # field input for the save (no secrets)
    secrets: dict = field(default_factory=dict)  # {field key: new value}
    numbers: dict = field(default_factory=dict)  # {company id: customer number to store}
    # Fields of the table the roll-out sets here: all in a new service; in an existing one
    # those whose value differs from the service's (the rest it keeps as it is then).
    typed: set = field(default_factory=set)

    def input_name(self, column):
        return input_name(self.branch.id, column.key)

    def invalid_inputs(self):
        """The names of this row's inputs that have a message (aria-invalid)."""
        return " ".join(input_name(self.branch.id, key) for key in self.errors)


@dataclass
class Preview:
    rows: list
    columns: list
    signature: str

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)


def lease():
    """How long a worker's claim holds: longer than one branch's save can take; renewed
    after every branch (ROLLOUT_LEASE_SECONDS)."""
    return timedelta(seconds=current_app.config["ROLLOUT_LEASE_SECONDS"])


def input_name(branch_id, key):
    return f"b{branch_id}-{key}"


# --- who and what ------------------------------------------------------------------------

def refusal(actor, service):
    """Why `actor` may not roll `service` out (a message), or None."""
    if not is_admin(actor):
        return ADMINS_ONLY
    if service.workstation_id is not None:
        return _l("Only chain and branch services can be rolled out to branches.")
    interface = catalogue.get_interface(service.interface_key)
    if "branch" not in interface.scopes:
        return _l("%(interface)s is set up for the whole chain only, not per branch.",
                  interface=services.interface_name(interface))
    return None


def require(actor, service):
    reason = refusal(actor, service)
    if reason is not None:
        raise PermissionDenied(reason)


def carry_options(interface):
    """(key, label, carried by default) of the fields and tables a roll-out can carry over:
    every field but the secrets; the login fields (section Zugangsdaten) not by default, as
    each branch has its own."""
    lang = ui_language()
    options = [(spec.key, spec.text("label", lang), spec.section != CREDENTIALS)
               for spec in interface.fields if not spec.is_secret]
    options += [(table.key, table.text("label", lang), True) for table in interface.tables]
    return options


def default_choice(interface):
    return Choice(carried=[key for key, _label, carried in carry_options(interface) if carried])


def choice_from(form, interface):
    """The Choice in posted form data: selection, organisation, branches, carried fields
    (unknown keys and ids dropped)."""
    selection = form.get("selection")
    known = {key for key, _label, _default in carry_options(interface)}
    return Choice(
        selection=selection if selection in SELECTIONS else LIST,
        organisation_id=params.to_id(form.get("organisation_id")),
        # Ids of no branch are dropped by chosen_branches; at most as many as there could be.
        branch_ids=sorted({i for i in (params.to_id(v) for v in form.getlist("branch_ids")[:MAX_BRANCHES])
                           if i is not None}),
        carried=[key for key in form.getlist("carried") if key in known],
    )


def chosen_branches(choice):
    """The branches of `choice`, by name; RolloutRefused (field "branch_ids" or
    "organisation_id") when it names none."""
    query = db.select(Branch).order_by(Branch.name)
    if choice.selection == ORGANISATION:
        if choice.organisation_id is None:
            raise RolloutRefused(_l("Choose a branch organisation."), field="organisation_id")
        try:
            ids = org_services.branch_ids_of_organisation(choice.organisation_id)
        except DomainError as error:
            raise RolloutRefused(error.message, field="organisation_id") from None
        if not ids:
            raise RolloutRefused(_l("This branch organisation has no branches."),
                                 field="organisation_id")
        query = query.where(Branch.id.in_(ids))
    elif choice.selection == LIST:
        if not choice.branch_ids:
            raise RolloutRefused(_l("Choose at least one branch."), field="branch_ids")
        query = query.where(Branch.id.in_(choice.branch_ids))
    branches = db.session.scalars(query).all()
    if not branches:
        raise RolloutRefused(_l("Choose at least one branch."), field="branch_ids")
    return branches


def columns(interface, source, carried):
    """The preview table's inputs per branch: the name, the fields not carried over that fit
    a cell, every secret, and the customer number at each company the service names."""
    lang = ui_language()
    found = [Column("name", str(_l("Name")))]
    for spec in interface.fields:
        if spec.kind not in CELL_KINDS or spec.multiple:
            continue
        if spec.is_secret or spec.key not in carried:
            found.append(Column(f"f-{spec.key}", spec.text("label", lang), spec.kind, spec))
    for company in _companies(interface, source, carried):
        found.append(Column(f"cn-{company.id}",
                            str(_l("Customer number at %(company)s", company=company.name)),
                            company=company))
    return found


def _companies(interface, source, carried):
    """The companies the source names in the company and supplier fields it carries over,
    with their customer numbers (one query)."""
    values = services.service_values(source)
    ids = {i for key, found in field_values.company_ids(interface, values).items()
           if key in carried for i in found}
    if not ids:
        return []
    return db.session.scalars(db.select(Company).where(Company.id.in_(ids))
                              .options(selectinload(Company.customer_numbers))
                              .order_by(Company.name)).all()


# --- the preview -------------------------------------------------------------------------

def preview(actor, source, choice, posted, keep_secrets=True):
    """What rolling `source` out as `choice` would do, branch by branch, without saving
    anything (each branch's save runs in a savepoint that is rolled back). `posted`: the
    form data with the table's inputs (a MultiDict; empty for the first preview).
    `keep_secrets` False: the secrets typed into the table are left out, as for a table
    shown anew (it never shows them again, so they are not there to send)."""
    require(actor, source)
    interface = catalogue.get_interface(source.interface_key)
    branches = chosen_branches(choice)
    cols = columns(interface, source, choice.carried)
    targets = _targets(interface, source, branches)
    rows = []
    for branch in branches:
        row = _row(interface, source, choice.carried, cols, branch, targets.get(branch.id),
                   posted, keep_secrets)
        _try(actor, interface, source, row, cols)
        rows.append(row)
    return Preview(rows, cols, _signature(source, choice, rows))


def _signature(source, choice, rows):
    """A digest of the state the preview was computed on — the source's version, the fields
    carried over, and per branch the service it would update and that service's version —
    to notice at "Übertragen" that someone saved meanwhile or the choice changed. (What the admin types into the table is not in
    it: that is sent again with "Übertragen".)"""
    plan = [source.version, sorted(choice.carried)] + [
        (row.branch.id, row.target.id if row.target else None,
         row.target.version if row.target else None) for row in rows]
    return hashlib.sha256(json.dumps(plan).encode()).hexdigest()[:16]


def actions_of(preview):
    """The actions the screen shows, in branch order ("create,skip,…"), posted back with
    "Übertragen" so that a roll-out never does what the screen did not show."""
    return ",".join(row.action for row in preview.rows)


def _targets(interface, source, branches):
    """{branch id: the branch's service of this interface that the roll-out would update}:
    the one in the same unique slot, or (a company field deciding uniqueness, as for
    ear-mould ordering) the one that already has one of the source's companies."""
    ids = [branch.id for branch in branches]
    query = (db.select(InterfaceService)
             .where(InterfaceService.interface_key == interface.key,
                    InterfaceService.branch_id.in_(ids),
                    InterfaceService.workstation_id.is_(None),
                    InterfaceService.id != source.id))
    candidates = db.session.scalars(query.options(selectinload(InterfaceService.company_links))
                                    .order_by(InterfaceService.id)).all()
    values = services.service_values(source)
    companies = set()
    if interface.unique_by:
        companies = {int(i) for i in field_values.company_ids(interface, values)
                     .get(interface.unique_by, ())}
    found = {}
    by_id = {branch.id: branch for branch in branches}
    for service in candidates:
        if service.branch_id in found:
            continue
        if service.unique_slot is None and not interface.unique_by:
            # Several allowed without a deciding field: the one of the name the roll-out
            # gives (rolling out again updates it instead of adding another).
            if service.name == _suggested_name(source, by_id[service.branch_id]):
                found[service.branch_id] = service
        elif service.unique_slot is not None:
            wanted = services.unique_slot_of(interface, f"b{service.branch_id}", values)
            if service.unique_slot == wanted:
                found[service.branch_id] = service
        elif companies and any(link.company_id in companies and
                               link.field_key == interface.unique_by
                               for link in service.company_links):
            found[service.branch_id] = service
    return found


def _row(interface, source, carried, cols, branch, target, posted, keep_secrets):
    """The branch's row: its inputs (posted, or prefilled) and the save's data and input."""
    row = Row(branch=branch, target=target, action=UPDATE if target else CREATE)
    was_posted = posted.get(input_name(branch.id, "shown")) == "1"
    source_raw = field_values.form_data(interface, services.service_values(source))
    base_raw = field_values.form_data(
        interface, services.service_values(target) if target else None)
    raw = {}
    for key, value in source_raw.items():
        carried_key = key.split("-", 1)[0]
        if carried_key in carried:
            raw[key] = value
    for key, value in base_raw.items():
        if key.split("-", 1)[0] not in carried:
            raw[key] = value
    for column in cols:
        name = input_name(branch.id, column.key)
        if column.key == "name":
            shown = posted.get(name) if was_posted else None
            if shown is None:
                shown = target.name if target else _suggested_name(source, branch)
            row.inputs[column.key] = shown.strip()
            problem = _text_problem(row.inputs[column.key], services.NAME_MAX_LENGTH)
            if problem:
                row.errors[column.key] = problem
        elif column.company is not None:
            stored = column.company.customer_number_for(branch.id)
            shown = (posted.get(name, "") if was_posted and name in posted else stored).strip()
            row.inputs[column.key] = shown
            problem = _text_problem(shown, NUMBER_MAX_LENGTH)
            if problem:
                row.errors[column.key] = problem
            elif shown and shown != stored:
                row.numbers[str(column.company.id)] = shown
        elif column.spec.is_secret:
            value = posted.get(name, "") if was_posted and keep_secrets else ""
            row.inputs[column.key] = ""  # never shown again
            if value:
                row.secrets[column.spec.key] = value
        else:
            spec = column.spec
            if was_posted and (spec.kind == "bool" or name in posted):
                shown = posted.get(name, "")
                if spec.kind == "bool":
                    shown = "y" if shown else "n"
            elif target is None and spec.section == CREDENTIALS:
                shown = base_raw.get(spec.key, "")
            else:
                shown = (base_raw if target is not None else source_raw).get(spec.key, "")
            row.inputs[column.key] = shown
            raw[spec.key] = shown
            if target is None or shown != base_raw.get(spec.key, ""):
                row.typed.add(spec.key)
    row.raw = raw
    row.data = {
        "name": row.inputs["name"], "branch_id": branch.id, "workstation_id": None,
        "usage_server": source.usage_server, "usage_client": source.usage_client,
        "start_date": source.start_date, "protected": source.protected,
        "enabled": source.enabled,
    }
    return row


def _text_problem(text, max_length):
    """Why a typed name or customer number cannot be stored, or None."""
    if control_characters(text) or MARKUP.search(text):
        return str(_l("Enter plain text without control characters or angle brackets."))
    if len(text) > max_length:
        return str(_l("Enter at most %(max)s characters.", max=max_length))
    return None


def _suggested_name(source, branch):
    """The source's name with its branch named as the target ("Dreve SmartOrder Stuttgart"
    of branch "Stuttgart Mitte" → "Dreve SmartOrder Esslingen"): the source branch's name,
    city or first word, whichever the name contains; else the source's name."""
    own = source.branch
    if own is not None:
        for word in (own.name, own.city, own.name.split()[0] if own.name else ""):
            if word and word in source.name:
                return source.name.replace(word, branch.name)[:services.NAME_MAX_LENGTH]
    return source.name


def _try(actor, interface, source, row, cols):
    """Run the branch's save in a savepoint, rolled back: fills action, reason, changes and
    errors of `row`."""
    if source.branch_id == row.branch.id:
        row.action, row.reason = SKIP, str(_l("The service being rolled out is this "
                                              "branch's own."))
        return
    if row.errors:
        row.action, row.reason = SKIP, " ".join(dict.fromkeys(row.errors.values()))
        return
    if row.target is not None and row.target.protected:
        row.action, row.reason = SKIP, str(_l(
            "%(service)s in this branch is protected: the roll-out does not change it.",
            service=row.target.name))
        return
    if row.target is None:
        # Where the service cannot go at all (a unique slot taken, a missing prerequisite)
        # is said before what is missing in the table: typing cannot help there.
        refused = services.copy_refusal(actor, source, {
            "branch_id": row.branch.id, "workstation_id": None,
            "name": row.data["name"] or source.name})
        if refused is not None:
            row.action, row.reason = SKIP, refused
            return
    savepoint = db.session.begin_nested()
    try:
        with db.session.no_autoflush:
            before = services.logged_values(row.target) if row.target is not None else None
        saved = _save(actor, interface, row.target, row.data, row.raw, row.secrets, None)
        if row.target is not None:
            if not saved:
                row.action, row.reason = SKIP, str(_l("Unchanged: the branch's service is "
                                                      "configured like this already."))
            else:
                items = changelog.diff(before, services.logged_values(row.target))
                items += [{"field": key, "secret": True} for key in sorted(row.secrets)]
                row.changes = differences(services.ENTITY, items, detail=interface.key)
    except InvalidValues as error:
        row.action, row.reason = SKIP, _invalid_reason(interface, error.errors, row, cols)
    except (DomainError, PermissionDenied) as error:
        row.action, row.reason = SKIP, str(getattr(error, "message", None) or error)
    finally:
        if savepoint.is_active:  # records.flush_unique may have rolled back everything
            savepoint.rollback()
    if row.target is not None:
        # The rollback expired it; the preview shows its name and version.
        db.session.refresh(row.target)
    missing = _missing_numbers(cols, row)
    if missing and row.action != SKIP:
        row.action, row.changes = SKIP, []
        row.reason = str(_l("%(company)s has no customer number for this branch. Enter it in "
                            "the table (it is stored with the company) or under Companies.",
                            company=missing[0].name))
        row.errors[f"cn-{missing[0].id}"] = row.reason


def _missing_numbers(cols, row):
    """The companies without a customer number for the row's branch (stored or entered)."""
    return [column.company for column in cols if column.company is not None
            and not row.inputs.get(column.key)]


def _invalid_reason(interface, errors, row, cols):
    """Field errors as the skip reason (and beside the table's inputs): a missing secret
    says that secrets are never carried over."""
    lang = ui_language()
    keys = {column.spec.key: column.key for column in cols if column.spec is not None}
    parts = []
    for name, message in errors.items():
        if name in keys:
            row.errors[keys[name]] = str(message)
        if name == "name":
            row.errors["name"] = str(message)
        try:
            spec = interface.get_field(name)
        except KeyError:
            spec = None
        if spec is not None and spec.is_secret and str(message) == str(field_values.REQUIRED):
            parts.append(str(_l("A required secret is missing: %(field)s. Secrets are never "
                                "carried over; enter it in the table.",
                                field=spec.text("label", lang))))
        else:
            label = spec.text("label", lang) if spec is not None else (
                _("Name") if name == "name" else name)
            parts.append(f"{label}: {message}")
    return " ".join(parts)


def _save(actor, interface, target, data, raw, secrets, rollout):
    """The branch's create or update, as the editor's save does it. Returns the service, or
    False for an update that changed nothing."""
    raw = {**raw, **secrets}
    if target is None:
        return services.create_service(actor, interface.key, data, raw, rollout=rollout)
    if not services.update_service(actor, target, data, raw, target.version, rollout=rollout):
        return False
    return target


# --- applying ----------------------------------------------------------------------------

def start(actor, source, choice, posted):
    """Übertragen: store the roll-out as previewed and wake a worker after the commit.
    PreviewChanged (with the new preview in `error.preview`) when the preview no longer
    holds (someone saved meanwhile, or the screen showed other actions than the input
    posted now leads to), or when every branch is skipped."""
    fresh = preview(actor, source, choice, posted)
    if posted.get("plan") != fresh.signature or posted.get("actions") != actions_of(fresh):
        raise PreviewChanged(CHANGED, preview=fresh)
    if not any(row.action in (CREATE, UPDATE) for row in fresh.rows):
        raise RolloutRefused(NOTHING, preview=fresh)
    rollout = Rollout(source_id=source.id, source_name=source.name,
                      interface_key=source.interface_key, carried=list(choice.carried),
                      state=RUNNING, created_by=actor.name, created_by_id=actor.id)
    for position, row in enumerate(fresh.rows, start=1):
        sets = set(choice.carried) | row.typed
        data = {**row.data, "start_date": (row.data["start_date"].isoformat()
                                           if row.data["start_date"] else None)}
        if row.target is not None and data["name"] == row.target.name:
            del data["name"]  # not the roll-out's: a rename saved meanwhile is kept
        step = RolloutStep(position=position, branch_id=row.branch.id,
                           branch_name=row.branch.name, action=row.action,
                           target_id=row.target.id if row.target else None,
                           values={"data": data, "raw": _set_by_rollout(row.raw, sets),
                                   "sets": sorted(sets)},
                           numbers=dict(row.numbers),
                           reason=row.reason[:500])
        if row.action == SKIP:
            step.state = SKIPPED
        elif row.secrets:
            step.secrets = json.dumps(row.secrets)
        rollout.steps.append(step)
    db.session.add(rollout)
    db.session.flush()
    enqueue_after_commit(JOB, rollout.id, job_timeout=JOB_TIMEOUT)
    return rollout


def _set_by_rollout(raw, keys):
    """The part of a branch's field input the roll-out sets: the carried fields and tables
    and the table's cells. The rest is taken from the branch's service as it is when the
    branch is applied, so that what someone saved there meanwhile is kept."""
    return {key: value for key, value in raw.items() if key.split("-", 1)[0] in keys}


def run(rollout_id, worker=None):
    """Apply the pending steps of a running roll-out, in order, each in its own transaction
    (jobs.rollouts.run). Does nothing when another worker holds it. Returns the roll-out's
    state afterwards (None when not claimed)."""
    token = worker or uuid.uuid4().hex
    if not _claim(rollout_id, token):
        return None
    rollout = db.session.get(Rollout, rollout_id)
    actor = db.session.get(User, rollout.created_by_id) if rollout.created_by_id else None
    pending = db.session.scalars(
        db.select(RolloutStep.id).where(RolloutStep.rollout_id == rollout_id,
                                        RolloutStep.state == PENDING)
        .order_by(RolloutStep.position)).all()
    db.session.commit()
    # The reasons a branch fails are stored as text: in the starter's language, as the
    # preview's reasons were.
    with force_locale(getattr(actor, "preferred_language", None) or "de"):
        for step_id in pending:
            if not _apply_with_retries(rollout_id, step_id, token, actor):
                return _state(rollout_id)
    finished = db.session.execute(
        update(Rollout)
        .where(Rollout.id == rollout_id, Rollout.claimed_by == token,
               Rollout.state == RUNNING,
               ~db.select(RolloutStep.id).where(RolloutStep.rollout_id == rollout_id,
                                                RolloutStep.state == PENDING).exists())
        .values(state=DONE, finished_at=utcnow(), claimed_by=None, lease_until=None))
    if finished.rowcount == 1:
        _notify(db.session.get(Rollout, rollout_id), DONE)
    db.session.commit()
    return _state(rollout_id)


def _state(rollout_id):
    return db.session.scalar(db.select(Rollout.state).where(Rollout.id == rollout_id))


def _claim(rollout_id, token):
    now = utcnow()
    claimed = db.session.execute(
        update(Rollout)
        .where(Rollout.id == rollout_id, Rollout.state == RUNNING,
               or_(Rollout.lease_until.is_(None), Rollout.lease_until < now))
        .values(claimed_by=token, lease_until=now + lease()))
    db.session.commit()
    return claimed.rowcount == 1


def _apply_with_retries(rollout_id, step_id, token, actor):
    """Apply one step; transient database errors are tried again. False: the roll-out
    stopped (this step failed, or it was cancelled or taken over meanwhile)."""
    for attempt in range(RETRIES + 1):
        try:
            return _apply(rollout_id, step_id, token, actor)
        except OperationalError as error:
            db.session.rollback()
            if attempt == RETRIES:
                log.warning("Roll-out %s: branch step %s failed on the database (%s)",
                            rollout_id, step_id, error.__class__.__name__)
                return _fail(rollout_id, step_id, token, str(_l(
                    "The database did not answer in time; nothing was changed in this branch. "
                    "Continue the roll-out to try again.")))
            time.sleep(0.5 * 2 ** attempt)
    return False


def _apply(rollout_id, step_id, token, actor):
    """One branch in one transaction: the step's pending → done, the lease renewed, the
    customer numbers and the service saved, its secrets dropped. A refusal rolls it all back
    and stops the roll-out on this step."""
    now = utcnow()
    taken = db.session.execute(
        update(RolloutStep).where(RolloutStep.id == step_id, RolloutStep.state == PENDING)
        .values(state=DONE, finished_at=now))
    if taken.rowcount != 1:
        db.session.rollback()
        return True  # done by an earlier run that held the roll-out
    held = db.session.execute(
        update(Rollout).where(Rollout.id == rollout_id, Rollout.claimed_by == token,
                              Rollout.state == RUNNING)
        .values(lease_until=now + lease()))
    if held.rowcount != 1:
        db.session.rollback()
        return False  # cancelled, or the lease ran out and another worker took over
    step = db.session.get(RolloutStep, step_id)
    rollout = step.rollout
    try:
        if actor is None or not actor.active or not is_admin(actor):
            raise PermissionDenied(_l("The administrator who started the roll-out no longer "
                                      "exists or is no longer an administrator."))
        service = _apply_step(actor, rollout, step)
    except InvalidValues as error:
        db.session.rollback()
        interface = catalogue.get_interface(rollout.interface_key)
        lang = ui_language()
        reason = " ".join(f"{_field_label(interface, name, lang)}: {message}"
                          for name, message in error.errors.items())
        return _fail(rollout_id, step_id, token, reason)
    except (DomainError, PermissionDenied) as error:
        db.session.rollback()
        return _fail(rollout_id, step_id, token,
                     str(getattr(error, "message", None) or error))
    except (OperationalError, JobTimeoutException):
        raise  # tried again by _apply_with_retries; a timed-out job's lease runs out
    except Exception:  # a defect: the branch stays untouched, the roll-out stops and says so
        log.exception("Roll-out %s: branch step %s failed", rollout_id, step_id)
        db.session.rollback()
        return _fail(rollout_id, step_id, token, str(_l(
            "An unexpected error occurred; nothing was changed in this branch. The server's "
            "log has the details.")))
    step.service_id = service.id
    step.secrets = None
    db.session.commit()
    return True


def _field_label(interface, name, lang):
    try:
        return interface.get_field(name).text("label", lang)
    except KeyError:
        return _("Name") if name == "name" else name


def _apply_step(actor, rollout, step):
    interface = catalogue.get_interface(rollout.interface_key)
    branch = db.session.get(Branch, step.branch_id) if step.branch_id else None
    if branch is None:
        raise DomainError(_l("The branch %(name)s was deleted meanwhile.", name=step.branch_name))
    data = dict(step.values.get("data") or {})
    data["start_date"] = (date.fromisoformat(data["start_date"]) if data.get("start_date")
                          else None)
    data["branch_id"] = branch.id
    for company_id, number in (step.numbers or {}).items():
        company = company_services.get_company(int(company_id))
        if company is None:
            raise DomainError(_l("A company the service names was deleted meanwhile."))
        company_services.set_customer_number(actor, company, branch, number, rollout=rollout)
    target = None
    if step.action == UPDATE:
        target = db.session.get(InterfaceService, step.target_id)
        if target is None:
            raise DomainError(_l("The branch's service that the roll-out was to change was "
                                 "deleted meanwhile."))
    secrets = json.loads(step.secrets) if step.secrets else {}
    current = services.service_values(target) if target is not None else None
    sets = set(step.values.get("sets") or ())
    raw = {key: value for key, value in field_values.form_data(interface, current).items()
           if key.split("-", 1)[0] not in sets}
    raw.update(step.values.get("raw") or {})
    saved = _save(actor, interface, target, data, raw, secrets, rollout)
    return saved or target


def _fail(rollout_id, step_id, token, reason):
    """The step failed: it says why, the roll-out stops, its starter is told. Returns False."""
    db.session.execute(
        update(RolloutStep).where(RolloutStep.id == step_id, RolloutStep.state == PENDING)
        .values(state=FAILED, reason=reason[:500], finished_at=utcnow()))
    stopped = db.session.execute(
        update(Rollout).where(Rollout.id == rollout_id, Rollout.claimed_by == token,
                              Rollout.state == RUNNING)
        .values(state=STOPPED, claimed_by=None, lease_until=None))
    if stopped.rowcount == 1:
        _notify(db.session.get(Rollout, rollout_id), STOPPED)
    db.session.commit()
    return False


def _notify(rollout, state):
    if rollout.created_by_id is not None:
        notifications.notify([rollout.created_by_id], NOTIFICATION, f"rollout:{rollout.id}",
                             {"rollout": rollout.id, "state": state,
                              "source": rollout.source_name})


def describe(params):
    """How a roll-out's notification reads, and where it leads (notifications.register_kind)."""
    reference = f"UE-{params.get('rollout')}"
    if params.get("state") == DONE:
        text = _("Roll-out %(reference)s of “%(source)s” is done.", reference=reference,
                 source=params.get("source", ""))
    else:
        text = _("Roll-out %(reference)s of “%(source)s” stopped at a branch that failed.",
                 reference=reference, source=params.get("source", ""))
    return text, url_for("interfaces.rollout_get", rollout_id=params.get("rollout"))


# --- after a stop ------------------------------------------------------------------------

def resume(actor, rollout, skip_failed=False):
    """Fortsetzen: the failed branch is tried again (or, `skip_failed`, skipped) and the
    roll-out goes on from there, in a worker woken after the commit. Also wakes a roll-out a
    killed worker left (its lease ran out). Conditional on the state it was shown in."""
    _require_admin(actor)
    now = utcnow()
    if rollout.state == STOPPED:
        woken = db.session.execute(
            update(Rollout).where(Rollout.id == rollout.id, Rollout.state == STOPPED)
            .values(state=RUNNING, claimed_by=WAKING, lease_until=None))
        if woken.rowcount != 1:
            raise DomainError(NOT_STOPPED)
        db.session.execute(
            update(RolloutStep)
            .where(RolloutStep.rollout_id == rollout.id, RolloutStep.state == FAILED)
            .values(state=SKIPPED if skip_failed else PENDING,
                    reason=RolloutStep.reason if skip_failed else "",
                    secrets=None if skip_failed else RolloutStep.secrets))
    elif not is_stalled(rollout, now):
        raise DomainError(NOT_STOPPED)
    else:
        db.session.execute(update(Rollout).where(Rollout.id == rollout.id)
                           .values(claimed_by=WAKING))
    db.session.flush()
    db.session.expire(rollout)
    # A job id of its own: a killed worker's job may still read "started" in Redis.
    enqueue_after_commit(JOB, rollout.id, job_id=f"{job_id_for(JOB, rollout.id)}-w"
                         f"{int(now.timestamp() * 1000)}", job_timeout=JOB_TIMEOUT)


def cancel(actor, rollout):
    """Abbrechen: the branches not done yet stay as they are; their secrets are dropped."""
    _require_admin(actor)
    cancelled = db.session.execute(
        update(Rollout).where(Rollout.id == rollout.id, Rollout.state.in_((RUNNING, STOPPED)))
        .values(state=CANCELLED, finished_at=utcnow(), claimed_by=None, lease_until=None))
    if cancelled.rowcount != 1:
        raise DomainError(_l("The roll-out has ended already."))
    db.session.execute(
        update(RolloutStep)
        .where(RolloutStep.rollout_id == rollout.id,
               RolloutStep.state.in_((PENDING, FAILED)))
        .values(state=CANCELLED, secrets=None))
    db.session.flush()
    db.session.expire(rollout)


def _require_admin(actor):
    if not is_admin(actor):
        raise PermissionDenied(ADMINS_ONLY)


def reconcile(now=None):
    """Wake every running roll-out that no worker holds (its job lost with Redis, its worker
    killed: the lease ran out). Returns their ids."""
    now = now or utcnow()
    ids = db.session.scalars(
        db.select(Rollout.id).where(
            Rollout.state == RUNNING,
            or_(Rollout.lease_until < now,
                and_(Rollout.lease_until.is_(None), Rollout.created_at < now - lease() / 2)))
        .order_by(Rollout.id)).all()
    db.session.rollback()
    # A job id of its own: the killed worker's job may still read "started" in Redis. A job
    # too many finds the roll-out claimed and does nothing.
    stamp = int(now.timestamp() * 1000)
    for rollout_id in ids:
        enqueue_now(JOB, rollout_id, job_id=f"{job_id_for(JOB, rollout_id)}-r{stamp}")
    return ids


# --- reading -----------------------------------------------------------------------------

def get_rollout(rollout_id):
    return db.session.get(Rollout, rollout_id, options=[selectinload(Rollout.steps)])


def progress(rollout):
    """{state: count} of the roll-out's steps."""
    counts = dict.fromkeys((PENDING, DONE, FAILED, SKIPPED, CANCELLED), 0)
    for step in rollout.steps:
        counts[step.state] += 1
    return counts


def is_stalled(rollout, now=None):
    """Running, but no worker holds it: the reconciler will wake it (or Fortsetzen now).
    One just woken by Fortsetzen waits for its worker, it is not stalled."""
    now = now or utcnow()
    if rollout.state != RUNNING:
        return False
    if rollout.lease_until is None:
        return rollout.claimed_by != WAKING and rollout.created_at < now - lease() / 2
    return rollout.lease_until < now


def recent(limit=20, unfinished=False):
    """The latest roll-outs with their step counts (two queries); `unfinished`: only those
    running or stopped (Verwaltung → Betrieb)."""
    query = db.select(Rollout).order_by(Rollout.id.desc()).limit(limit)
    if unfinished:
        query = query.where(Rollout.state.in_((RUNNING, STOPPED)))
    rollouts = db.session.scalars(query).all()
    counts = {}
    if rollouts:
        for rollout_id, state, count in db.session.execute(
                db.select(RolloutStep.rollout_id, RolloutStep.state, func.count())
                .where(RolloutStep.rollout_id.in_([r.id for r in rollouts]))
                .group_by(RolloutStep.rollout_id, RolloutStep.state)):
            counts.setdefault(rollout_id, {})[state] = count
    return [(rollout, counts.get(rollout.id, {})) for rollout in rollouts]


