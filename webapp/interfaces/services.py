"""Rules for interface services: scope, uniqueness, protection, start dates, secrets, change log.

Views and jobs call these; nothing here reads `request`. Common fields are passed typed in
`data` (from a WTForms form), the interface's own fields as raw input in `raw` (see values.py
for its format). Every rule is enforced here, whatever the screens offer:

- scope: chain (no branch, no workstation), branch (`branch_id`) or workstation
  (`workstation_id`, set only when created from workstation settings; its branch is implied).
  InterfaceType.scopes decides which are allowed; refusals name the reason.
- uniqueness per scope (chain / each branch / each workstation): one service per interface
  type, or with `multiple_per_scope` + `unique_by` one per value of that field; in the
  ear-mould group a company belongs to one service per scope across all its types.
- protection: a workstation service of a type is refused while a protected, enabled chain
  service or protected, enabled service of the workstation's branch of that type exists.
- prerequisites (InterfaceType.prerequisites, e.g. SiNNO-Chat needs SiNNO-App): creating a
  service, or enabling a disabled one, is refused while no enabled service of each
  prerequisite covers its place (the chain's, its branch's or its workstation's own).
- state: "active" / "planned" (start date after today in the chain's time zone) /
  "disabled" (`enabled` off) — computed, never stored.
- permissions: admins everything; branch managers services of their branches and of their
  branches' workstations (chain-wide ones they read); staff read. Fields that decide what the
  server runs or where it connects (FieldSpec.admin_only: programs, URLs, hosts and what goes
  with them) only admins change: branch managers keep what an admin set.
"""
import functools
from datetime import date, datetime, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, bindparam, case, func, literal_column, or_
from sqlalchemy.orm import aliased, joinedload

from flask import current_app

from .. import programs, references
from ..i18n import ui_language
from ..permissions import BRANCH_MANAGER, branch_scope, can_edit_branch, is_admin, reads_branch
from ..changelog import services as changelog
from ..companies.models import Company
from ..crypto import SecretUnreadable
from ..errors import DomainError, InUse, PermissionDenied
from ..extensions import db
from ..org.models import Branch, Workstation
from ..org.services import chain_timezone, get_chain
from ..records import (
    check_version, contains_folded, contains_pattern, flush_unique, fold_text, like_pattern,
    like_shape, page_of, paged,
)
from . import catalogue
from . import values as field_values
from .models import BRANCH, CHAIN, WORKSTATION, InterfaceService, ServiceCompany, ServiceSecret
from .values import InvalidValues

ENTITY = "interface_service"  # entity_type of change-log entries
ACTIVE, PLANNED, DISABLED = "active", "planned", "disabled"
# Groups in which a company may be assigned to one service per scope across all the group's
# interface types (DESIGN, ordering rule 2: the company chosen in a process picks the service).
COMPANY_EXCLUSIVE_GROUPS = ("ear_mould_ordering",)
COMMON_FIELDS = ("name", "branch_id", "workstation_id", "usage_server", "usage_client",
                 "start_date", "protected", "enabled")
NAME_MAX_LENGTH = 120
SORTS = ("group", "interface", "name", "branch", "start")
# A unique slot (records.flush_unique) taken by a save that raced this one.
RACED = _l("Someone saved a conflicting service at the same moment. Reload and check the list "
           "before saving again.")
ADMIN_ONLY = _l("Only administrators can change this field.")

# Rules that domains above add to the services of one interface type (the directory's
# lock-out check of the login services), registered by the factory: {interface key: {name:
# check}}. check(actor, service, action, before) runs inside every save, once the service's
# new state is flushed ("create", "copy", "update") or before it goes ("delete"), so it can
# read the world as the save leaves it; `before` is what the change log compared (common
# fields and stored values, _log_values) before an update, else None. It refuses with
# DomainError, and the request's unit of work rolls the save back.
_CHECKS = {}


def register_check(interface_key, name, check):
    """Add `check` (see _CHECKS) to the saves of `interface_key`'s services; keyed by name,
    so a second app built in the same process registers nothing twice."""
    catalogue.get_interface(interface_key)  # a typo fails at start-up, not at the first save
    _CHECKS.setdefault(interface_key, {})[name] = check


def _run_checks(actor, service, action, before=None, raw=None):
    """Run the registered checks. A check names a table cell by the row's position in the
    saved values (``templates-0-name``); the form posted it under its own row number, which
    the message must carry to stand beside that cell."""
    try:
        for check in _CHECKS.get(service.interface_key, {}).values():
            check(actor, service, action, before)
    except InvalidValues as error:
        raise InvalidValues({_posted_name(service, name, raw): message
                             for name, message in error.errors.items()}) from error
    except DomainError as error:
        if error.field and error.field != _posted_name(service, error.field, raw):
            raise type(error)(error.message, field=_posted_name(service, error.field, raw)) \
                from error
        raise


def _posted_name(service, name, raw):
    """`<table>-<position>-<field>` as the input name `raw` posted that row under (rows
    left empty are not saved, so positions and posted numbers may differ)."""
    parts = (name or "").split("-")
    if raw is None or len(parts) != 3 or not parts[1].isdigit():
        return name
    table, position, key = parts[0], int(parts[1]), parts[2]
    if not any(spec.key == table for spec in catalogue.get_interface(service.interface_key)
               .tables):
        return name
    rows = field_values.table_rows(raw, table)
    return f"{table}-{rows[position][0]}-{key}" if position < len(rows) else name


# --- time and state ----------------------------------------------------------------------

def chain_today(now=None):
    """Today's date in the chain's time zone (`now`: an aware datetime, default the clock)."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(ZoneInfo(chain_timezone())).date()


def service_state(service, today=None):
    """("active" | "planned" | "disabled", start_date). Planned: enabled with a start date
    after `today` (default chain_today(); pass it when listing many services)."""
    if not service.enabled:
        return DISABLED, service.start_date
    today = today or chain_today()
    if service.start_date is not None and service.start_date > today:
        return PLANNED, service.start_date
    return ACTIVE, service.start_date


def is_active(service, today):
    """Enabled and started by `today`."""
    return service_state(service, today)[0] == ACTIVE


# --- catalogue rules ---------------------------------------------------------------------

def interface_name(interface):
    """The interface's name in the current UI language."""
    return interface.text("name", ui_language())


def allowed_interfaces_for(scope, q="", group_key=None):
    """(group, interface) pairs that may be set up at `scope` — "chain", "branch",
    "workstation", or several (branch management: ("chain", "branch")) — matching the
    catalogue search `q` within `group_key`, in catalogue order. For the "Neu" dialog."""
    scopes = {scope} if isinstance(scope, str) else set(scope)
    return [(group, iface) for group, iface in catalogue.search(q, group_key)
            if scopes & set(iface.scopes)]


def scope_refusal(interface, scope):
    """Why `interface` may not live at `scope` (a lazy message), or None when it may."""
    if scope in interface.scopes:
        return None
    name = interface_name(interface)
    if scope == WORKSTATION:
        if catalogue.group_of(interface.key).key == "ear_mould_ordering":
            return _l("Ear-mould ordering is set up in branch management only, never in "
                      "workstation settings: the service is found through the company of "
                      "the order.")
        return _l("%(interface)s cannot be set up in workstation settings; set it up in "
                  "branch management.", interface=name)
    if interface.scopes == (WORKSTATION,):
        return _l("%(interface)s can only be set up in a workstation's settings.",
                  interface=name)
    if scope == BRANCH:
        return _l("%(interface)s applies to the whole chain: leave the branch empty.",
                  interface=name)
    return _l("%(interface)s must be limited to one branch: choose a branch.", interface=name)


class Bases(NamedTuple):
    """What a workstation's own service of one interface type sits on: the chain services and
    those of the workstation's branch of that type, branch ones first."""

    # The protected, enabled (active or planned) ones: while any exists, the workstation may
    # not have its own service of that type.
    blocking: tuple
    # The active one whose values fill the workstation service's empty fields, or None;
    # decides whether a workstation form is partial (nothing required, empty = inherited).
    fallback: InterfaceService | None


def workstation_bases(workstation, interface_key, today=None):
    """The Bases of a workstation service of this interface type, in one query (none without
    a workstation)."""
    if workstation is None:
        return Bases((), None)
    candidates = db.session.scalars(
        db.select(InterfaceService)
        .where(InterfaceService.interface_key == interface_key,
               InterfaceService.workstation_id.is_(None),
               or_(InterfaceService.branch_id.is_(None),
                   InterfaceService.branch_id == workstation.branch_id))
        .order_by(InterfaceService.branch_id.is_(None), InterfaceService.id)
    ).all()
    today = today or chain_today()
    return Bases(tuple(s for s in candidates if s.protected and s.enabled),
                 next((s for s in candidates if is_active(s, today)), None))


def protected_services_blocking(workstation, interface_key):
    """Bases.blocking: the services that keep the workstation from having its own service of
    this interface type."""
    return list(workstation_bases(workstation, interface_key).blocking)


# --- reading -----------------------------------------------------------------------------

# What a row of the service list shows, besides the names of its branch (its own or its
# workstation's) and workstation: rows of these columns, not entities with their branch and
# workstation entities, which cost several times as much to build (issue 15).
LISTED = (InterfaceService.id, InterfaceService.name, InterfaceService.interface_key,
          InterfaceService.protected, InterfaceService.usage_server,
          InterfaceService.usage_client, InterfaceService.enabled, InterfaceService.start_date)


# The branch a service names and its workstation's branch, as the list joins them. Made once:
# aliases made per request had their columns adapted anew each time, ~1 ms of the list's
# statement building (issue 15).
_OWN_BRANCH, _STATION_BRANCH = aliased(Branch), aliased(Branch)


def search_services(q="", group=None, branch=None, with_workstation_settings=False,
                    workstation=None, sort="group", page=1, per_page=25, reader=None):
    """A page (Flask-SQLAlchemy Pagination) of services as rows of LISTED, branch_name (the
    branch the service belongs to: its own or its workstation's, None for the chain's) and
    workstation_name, in one statement.

    q: service name, branch or workstation name, or interface/group name as in the catalogue
    search; group: a group key; branch: a branch id (services limited to it — with workstation
    settings: its workstations' services) or "chain" (chain-wide only); with_workstation_settings
    ("Mit Arbeitsplatzeinstellungen"): only services configured in workstation settings,
    otherwise only chain and branch services; workstation: one workstation's services;
    sort: one of SORTS (unknown → "group", catalogue order); reader: only what this actor
    reads (their branches' services and workstations', and the chain's)."""
    term = q.strip() if q else ""
    scope = branch_scope(reader) if reader is not None else None
    place = ("workstation" if workstation is not None
             else "settings" if with_workstation_settings else "places")
    shape = _Shape(words=(like_shape(term),) if term else None, group=bool(group), place=place,
                   branch="chain" if branch == CHAIN else "one" if branch else None,
                   scoped=scope is not None, sort=sort if sort in SORTS else "group")
    params = {}
    if term:
        params.update(pattern=like_pattern(fold_text(term)),
                      keys=[iface.key for _group, iface in catalogue.search(q)])
    if group:
        params["group"] = group
    if workstation is not None:
        params["workstation_id"] = _id(workstation)
    if shape.branch == "one":
        params["branch_id"] = _id(branch)
    if scope is not None:
        params["scope"] = list(scope or {0})
    query, count = _search_statements(shape)
    return page_of(query, count, params, page, per_page)


class _Shape(NamedTuple):
    """What of a search shapes its statements; the rest are their parameters."""

    words: tuple | None  # (like_shape(q),), None without words
    group: bool
    place: str  # "workstation" (one's services), "settings" (all workstations'), "places"
    branch: str | None  # "chain", "one" (a branch's), None
    scoped: bool  # only what a reader reads
    sort: str


@functools.cache
def _search_statements(shape):
    """The page and count statements of the searches of one _Shape, built once per process:
    building them took a third of a search's time, and SQLAlchemy's cache key of each new
    statement a tenth more (issue 15). A few dozen shapes occur."""
    own_branch, station_branch = _OWN_BRANCH, _STATION_BRANCH
    conditions, through_workstation = [], False  # whether a condition names the workstation
    if shape.words is not None:
        pattern = bindparam("pattern")
        # The branch and workstation names are matched once each, not once per service
        # (2,750 services in 50 branches in the benchmark): the same services, no join; the
        # workstations' only where the list holds workstation services.
        matches = [contains_folded(InterfaceService.search_name, pattern),
                   InterfaceService.branch_id.in_(
                       db.select(Branch.id)
                       .where(contains_pattern(Branch.name, shape.words[0], pattern))),
                   InterfaceService.interface_key.in_(bindparam("keys", expanding=True))]
        if shape.place != "places":
            matches.append(InterfaceService.workstation_id.in_(
                db.select(Workstation.id)
                .where(contains_pattern(Workstation.name, shape.words[0], pattern))))
        conditions.append(or_(*matches))
    if shape.group:
        conditions.append(InterfaceService.group_key == bindparam("group"))
    if shape.place == "workstation":
        conditions.append(InterfaceService.workstation_id == bindparam("workstation_id"))
    elif shape.place == "settings":
        conditions.append(InterfaceService.workstation_id.is_not(None))
    else:
        conditions.append(InterfaceService.workstation_id.is_(None))
    if shape.branch == "chain":
        conditions += [InterfaceService.branch_id.is_(None),
                       InterfaceService.workstation_id.is_(None)]
    elif shape.branch == "one":
        branch_id = bindparam("branch_id")
        conditions.append(or_(InterfaceService.branch_id == branch_id,
                              Workstation.branch_id == branch_id))
        through_workstation = True
    if shape.scoped:
        scope = bindparam("scope", expanding=True)
        conditions.append(or_(InterfaceService.branch_id.in_(scope),
                              Workstation.branch_id.in_(scope),
                              (InterfaceService.branch_id.is_(None)
                               & InterfaceService.workstation_id.is_(None))))
        through_workstation = True
    order = _ordering(shape.sort, own_branch, station_branch)
    if shape.place != "settings":
        # The list is of one place (no workstation, or one workstation): ordering by its
        # constant workstation_id first changes nothing, and is how PostgreSQL's planner
        # sees that ix_interface_services_list gives the order after `workstation_id IS
        # NULL` (it takes only an `=` as pinning a column): 25 index entries instead of
        # sorting every chain and branch service, 11 → 0.5 ms (issue 15).
        order = (InterfaceService.workstation_id, *order)
    query = (
        db.select(*LISTED, func.coalesce(own_branch.name, station_branch.name).label("branch_name"),
                  Workstation.name.label("workstation_name"))
        .outerjoin(own_branch, InterfaceService.branch)
        .outerjoin(Workstation, InterfaceService.workstation)
        .outerjoin(station_branch, Workstation.branch)
        .where(*conditions)
        .order_by(*order)
    )
    return paged(query), _count(conditions, through_workstation)


def _count(conditions, through_workstation):
    """How many services the conditions select, joining only what they need: counting through
    every join of the page's statement took longer than reading the page (issue 15). The
    join is to one row at most, so it does not change the count."""
    query = db.select(func.count()).select_from(InterfaceService)
    if through_workstation:
        query = query.outerjoin(Workstation, InterfaceService.workstation)
    return query.where(*conditions)


@functools.cache
def _interface_order():
    """SQL for the catalogue's order of interface types (a CASE over the key), built once per
    process: the catalogue is code, and building it per request cost about a third of the
    list's time (issue 15). The keys are the catalogue's identifiers, inlined as literals so
    that the statement's cache key stays short. The order of groups is stored
    (InterfaceService.group_position) and indexed with the name for the default order."""
    interfaces = case({iface.key: i for i, (_g, iface) in enumerate(catalogue.search(""))},
                      value=InterfaceService.interface_key, else_=10_000)
    return literal_column(str(interfaces.compile(compile_kwargs={"literal_binds": True})))


def _ordering(sort, own_branch, station_branch):
    groups, interfaces = InterfaceService.group_position, _interface_order()
    name = (func.lower(InterfaceService.name), InterfaceService.id)
    if sort == "name":
        return name
    if sort == "interface":
        return (interfaces, *name)
    if sort == "branch":
        # Only here: adapting the aliases' columns costs more than the rest of the ordering.
        branch_name = func.lower(func.coalesce(own_branch.name, station_branch.name))
        return (branch_name.is_not(None), branch_name, func.lower(Workstation.name), groups,
                *name)
    if sort == "start":
        return (InterfaceService.start_date.is_not(None), InterfaceService.start_date, groups,
                *name)
    return (groups, *name)


def may_read_service(actor, service):
    """Everyone reads the chain's services; other services only whoever reads their branch
    (a workstation's: the workstation's branch)."""
    branch_id = (service.workstation.branch_id if service.workstation_id is not None
                 else service.branch_id)
    return reads_branch(actor, branch_id)


# One statement, built once: the secrets joined (a service has a few at most, so its row
# repeats a few times, cheaper than a second query); the company links only a save reads, and
# they load then. A statement built per call cost more to build and to look up in SQLAlchemy's
# cache than to run (issue 15).
_SERVICE = (db.select(InterfaceService)
            .options(joinedload(InterfaceService.branch),
                     joinedload(InterfaceService.workstation).joinedload(Workstation.branch),
                     joinedload(InterfaceService.secrets))
            .where(InterfaceService.id == bindparam("service_id")))


def get_service(service_id, reader=None):
    """The service with its branch, workstation (and its branch) and secret states loaded, or
    None — also when `reader` may not read it."""
    service = db.session.scalars(_SERVICE, {"service_id": service_id}).unique().one_or_none()
    if service is not None and reader is not None and not may_read_service(reader, service):
        return None
    return service


def service_values(service):
    """The service's own typed field values (no secrets; see values.from_storage)."""
    return field_values.from_storage(catalogue.get_interface(service.interface_key),
                                     service.values)


def secret_states(service):
    """{secret field key: True if set} for every secret field of the service's interface."""
    interface = catalogue.get_interface(service.interface_key)
    stored = service.secret_keys
    return {spec.key: spec.key in stored for spec in interface.secret_fields}


def service_history(service, limit=50):
    """The service's change-log entries, newest first."""
    return changelog.record_history(ENTITY, service, limit=limit)


def new_service_defaults(interface_key, workstation=None, partial=None):
    """(data, raw, partial) to pre-fill the form of a new service: the common fields, the
    interface's fields as raw strings (defaults; empty when partial), and whether the form is
    partial (a workstation service refining a branch/chain service; pass it when known)."""
    interface = _interface(interface_key)
    if partial is None:
        partial = workstation_bases(workstation, interface_key).fallback is not None
    data = {
        "name": interface_name(interface), "branch_id": None,
        "workstation_id": workstation.id if workstation is not None else None,
        "usage_server": "server" in interface.default_usages,
        "usage_client": "client" in interface.default_usages,
        "start_date": None, "protected": False, "enabled": True,
    }
    values = {key: None for key in field_values.defaults(interface)} if partial else None
    return data, field_values.form_data(interface, values), partial


# --- permissions -------------------------------------------------------------------------

def can_edit_service(actor, service):
    """Whether `actor` may change or delete `service` (for showing buttons; every write
    checks again)."""
    return _may_edit(actor, service.scope_branch_id)


def can_create_in(actor, branch_id=None):
    """Whether `actor` may create services limited to `branch_id` (None: chain-wide) or on
    its workstations."""
    return _may_edit(actor, branch_id)


def _may_edit(actor, branch_id):
    return is_admin(actor) or (branch_id is not None and can_edit_branch(actor, branch_id))


def locked_fields(actor, interface):
    """The keys of the interface's fields `actor` may see but not change: for everyone but
    admins, the fields that decide what the server runs or where it connects."""
    if is_admin(actor):
        return frozenset()
    return frozenset(spec.key for spec in interface.fields if spec.admin_only)


def program_refusal(interface):
    """Why services of `interface` cannot work on this server (a lazy message), or None: it
    runs a program and the operator allows none."""
    if not any(spec.kind == "program" for spec in interface.fields):
        return None
    if programs.allowed(current_app.config):
        return None
    return _l("This server allows no programs, so %(interface)s cannot be used. The operator "
              "lists the programs that may run in the instance configuration "
              "(ALLOWED_PROGRAMS).", interface=interface_name(interface))


def keep_locked_values(actor, interface, raw, parsed, current):
    """Branch managers keep what an admin set in the locked fields: a field they leave out
    keeps `current`, a changed one is refused beside the field (and so is one only an admin
    can fill in, e.g. a required address of a new service)."""
    for key in locked_fields(actor, interface):
        given = raw is not None and key in raw
        if given and parsed.values.get(key) != current.get(key):
            parsed.errors[key] = ADMIN_ONLY
            continue
        parsed.values[key] = current.get(key)
        if key in parsed.errors:  # e.g. required: fine when kept, an admin's job when empty
            if current.get(key) is None:
                parsed.errors[key] = ADMIN_ONLY
            else:
                del parsed.errors[key]


def _require_edit(actor, branch_id):
    if _may_edit(actor, branch_id):
        return
    if actor.role != BRANCH_MANAGER:
        raise PermissionDenied(_l("You may read services but not change them."))
    if branch_id is None:
        raise PermissionDenied(_l("Only administrators may change chain-wide services."))
    raise PermissionDenied(_l("You may only change services of your own branches and their "
                              "workstations."))


# --- writing -----------------------------------------------------------------------------

def create_service(actor, interface_key, data, raw=None, secrets_later=False, rollout=None):
    """Create a service of `interface_key` from `data` (COMMON_FIELDS; missing ones take the
    defaults of new_service_defaults) and `raw` field input. Raises PermissionDenied,
    DomainError for scope/protection/uniqueness, InvalidValues for field input.
    `secrets_later`: a required secret may stay unset, as on a copy (an imported
    configuration carries no secrets; they are entered afterwards). `rollout`: the roll-out
    (Auf Filialen übertragen) this creation is a step of, named in the change log."""
    interface = _interface(interface_key)
    workstation, partial, common, errors = _new_place(actor, interface, data)
    parsed = field_values.parse(interface, raw, partial=partial,
                                secrets_set=_pending_secrets(interface, secrets_later))
    keep_locked_values(actor, interface, raw, parsed,
                        {} if partial else field_values.defaults(interface))
    _raise_errors({**errors, **parsed.errors})
    return _insert(actor, interface, workstation, common, parsed, "create", raw=raw,
                   rollout=rollout)


def copy_service(actor, service, data=None):
    """Copy `service` with `data` overriding its common fields (name defaults to
    "<name> (copy)"; another branch_id / workstation_id copies it elsewhere — pass
    workstation_id=None to copy a workstation service into branch management). Field values
    are copied and checked again; secrets are NOT copied (the copy shows them as not set)."""
    interface, workstation, common, parsed = _planned_copy(actor, service, data)
    return _insert(actor, interface, workstation, common, parsed, "copy", copied_from=service)


def copy_refusal(actor, service, data):
    """Why copy_service(actor, service, data) would refuse (a message), or None, without
    copying: the copy dialog preselects a place the copy may go, or says why there is none."""
    try:
        interface, workstation, common, parsed = _planned_copy(actor, service, data)
        # Never added to the session: it only carries the place into the uniqueness checks.
        _check_unique(interface, InterfaceService(workstation=workstation), common,
                      parsed.values)
    except PermissionDenied as error:
        return str(error)
    except DomainError as error:
        return str(error.message)
    return None


def _planned_copy(actor, service, data):
    """copy_service's checks before the insert: (interface, workstation, common, parsed)."""
    interface = _interface(service.interface_key)
    data = dict(data or {})
    source = {name: getattr(service, name) for name in COMMON_FIELDS}
    source["name"] = str(_l("%(name)s (copy)", name=service.name))[:NAME_MAX_LENGTH]
    workstation, partial, common, errors = _new_place(actor, interface, {**source, **data})
    raw = field_values.form_data(interface, service_values(service))
    parsed = field_values.parse(interface, raw, partial=partial,
                                secrets_set={s.key for s in interface.secret_fields})
    _raise_errors({**errors, **parsed.errors})
    return interface, workstation, common, parsed


def update_service(actor, service, data, raw, version, secrets_later=False,
                   restored_from=None, rollout=None):
    """Save changed common fields (`data`; missing keys stay) and field input (`raw`; None
    keeps values and secrets as they are). Refused over a newer version (Conflict naming who
    saved it), for fields fixed after the first save, and for a workstation service while a
    protected service blocks it. Returns False — writing nothing — when nothing changed.
    `secrets_later`: as for create_service. `restored_from`: the change-log entry whose state
    this save restores (Diesen Stand wiederherstellen), named in the new entry. `rollout`: as
    for create_service."""
    interface = _interface(service.interface_key)
    _require_edit(actor, service.scope_branch_id)
    check_version(service, version)
    workstation = service.workstation
    data = {**{name: getattr(service, name) for name in COMMON_FIELDS}, **data,
            "workstation_id": service.workstation_id}
    branch_id = None if workstation else data.get("branch_id")
    if branch_id != service.branch_id:
        _require_edit(actor, branch_id)
    partial = _check_place(interface, branch_id, workstation, exclude=service)
    common, errors = _common(interface, data, workstation)
    if common["enabled"] and not service.enabled:
        _check_prerequisites(interface, branch_id, workstation, field="enabled")
    current = service_values(service)
    if raw is None:
        parsed = field_values.Parsed(values=current)
    else:
        parsed = field_values.parse(
            interface, raw, partial=partial,
            secrets_set=service.secret_keys | _pending_secrets(interface, secrets_later))
        keep_locked_values(actor, interface, raw, parsed, current)
    _raise_errors({**errors, **parsed.errors})
    for key in interface.fixed_after_save:
        if parsed.values.get(key) != current.get(key):
            raise DomainError(_l("This value cannot be changed after the first save; delete "
                                 "the service and create a new one to change it."), field=key)

    before = _log_values(interface, service)
    _check_unique(interface, service, common, parsed.values)
    for name, value in common.items():
        setattr(service, name, value)
    if service.branch_id is not None and (service.branch is None
                                          or service.branch.id != service.branch_id):
        service.branch = db.session.get(Branch, service.branch_id)
    elif service.branch_id is None:
        service.branch = None
    service.values = field_values.to_storage(interface, parsed.values)
    _sync_company_links(interface, service, parsed.values)
    changed_secrets = _apply_secrets(service, parsed.secrets)
    changes = _diff(before, _log_values(interface, service), changed_secrets)
    if not changes:
        return False  # the values set above equal the stored ones
    if restored_from is not None:
        changes.insert(0, changelog.restored_from(restored_from))
    if rollout is not None:
        changes.insert(0, changelog.rolled_out(rollout))
    service.version += 1
    service.updated_by = actor.name
    changelog.record(actor, "update", ENTITY, service, changes, branch=service.scope_branch)
    flush_unique(service, conflict=RACED)
    _run_checks(actor, service, "update", before, raw=raw)
    return True


def delete_service(actor, service, version=None):
    """Delete the service (with its secrets), unless something depends on it (InUse naming
    what). With `version`, refused when someone saved it after it was shown."""
    _require_edit(actor, service.scope_branch_id)
    if version is not None:
        check_version(service, version)
    refs = service_dependents(service)
    if refs:
        raise InUse(_l("The service is still needed (%(refs)s).",
                       refs="; ".join(str(ref) for ref in refs)))
    _run_checks(actor, service, "delete")
    changelog.record(actor, "delete", ENTITY, service, branch=service.scope_branch)
    db.session.delete(service)
    db.session.flush()


def service_dependents(service):
    """What still needs the service, as human-readable strings ([] = may be deleted): what the
    domains above answer (orders of this service still being delivered), then other enabled
    services whose interface `requires` this type, when this is the only enabled service of
    the type in the whole chain (kept simple on purpose: it does not work out which scopes
    each one covers)."""
    return references.referring("interface_service", service) + _required_by(service)


def _required_by(service):
    requiring = [iface.key for _group, iface in catalogue.search("")
                 if service.interface_key in iface.requires]
    if not requiring:
        return []
    others = db.session.scalar(
        db.select(func.count()).select_from(InterfaceService)
        .where(InterfaceService.interface_key == service.interface_key,
               InterfaceService.enabled.is_(True), InterfaceService.id != service.id))
    if others:
        return []
    names = db.session.scalars(
        db.select(InterfaceService.name)
        .where(InterfaceService.interface_key.in_(requiring), InterfaceService.enabled.is_(True))
        .order_by(func.lower(InterfaceService.name))).all()
    return [_l("needed by %(names)s", names=", ".join(names))] if names else []


def reveal_secret(actor, service, field_key):
    """The plaintext of one set secret, for an administrator when the chain option
    'admins_may_view_secrets' is on; every reveal writes a change-log entry (no value)."""
    if not is_admin(actor) or not get_chain().admins_may_view_secrets:
        raise PermissionDenied(_l("Stored secrets can be viewed by administrators only, and "
                                  "only when the chain allows it."))
    interface = _interface(service.interface_key)
    if field_key not in {spec.key for spec in interface.secret_fields}:
        raise DomainError(_l("This field is not a secret."), field=field_key)
    value = stored_secret(service, field_key)
    if value is None:
        raise DomainError(_l("This secret is not set."), field=field_key)
    changelog.record(actor, "reveal", ENTITY, service, [{"field": field_key, "secret": True}],
                     branch=service.scope_branch)
    db.session.flush()
    return value


def stored_secret(service, field_key):
    """The decrypted secret or None if not set. For adapters and jobs (through the resolver)
    and reveal_secret only — never for rendering. DomainError when it cannot be decrypted."""
    row = next((secret for secret in service.secrets if secret.field_key == field_key), None)
    if row is None:
        return None
    try:
        return row.value
    except SecretUnreadable as error:
        raise DomainError(_l("The stored secret cannot be decrypted with the configured "
                             "keys."), field=field_key) from error


def replace_secrets(service, changes):
    """Set secrets outside a save ({key: value | None to clear}), for a planned credential
    change and its rollback; returns the keys that really changed. The caller logs it."""
    return _apply_secrets(service, changes)


# --- answers for the layers below (registered by the factory) ----------------------------

def services_naming_company(company):
    """The services whose company or supplier fields name the company."""
    return _named(db.select(InterfaceService.name).join(InterfaceService.company_links)
                  .where(ServiceCompany.company_id == company.id).distinct())


def services_naming_document(document):
    """The services whose document-template fields (or such cells of their tables) name the
    template `document` (documents.DocumentTemplate): they name it by its name."""
    fields, tables = {}, {}
    for _group, interface in catalogue.search(""):
        keys = [spec.key for spec in interface.fields if spec.kind == "document_template"]
        cells = {table.key: [spec.key for spec in table.fields
                             if spec.kind == "document_template"] for table in interface.tables}
        cells = {key: found for key, found in cells.items() if found}
        if keys or cells:
            fields[interface.key], tables[interface.key] = keys, cells
    if not fields:
        return []
    found = []
    for name, key, stored in db.session.execute(
            db.select(InterfaceService.name, InterfaceService.interface_key,
                      InterfaceService.values)
            .where(InterfaceService.interface_key.in_(fields)).order_by(InterfaceService.name)):
        stored = stored or {}
        named = any(stored.get(field) == document.name for field in fields[key]) or any(
            row.get(cell) == document.name
            for table, cells in tables[key].items() for row in stored.get(table) or ()
            if isinstance(row, dict) for cell in cells)
        if named:
            found.append(name)
    return [_l("interface services: %(names)s", names=references.first_ten(found))] \
        if found else []


def services_of_workstation(station):
    """The workstation's own services (workstation settings)."""
    return _named(db.select(InterfaceService.name)
                  .where(InterfaceService.workstation_id == station.id))


def services_of_branch(branch):
    """The services limited to the branch (not its workstations' services)."""
    return _named(db.select(InterfaceService.name).where(InterfaceService.branch_id == branch.id))


def _named(query):
    names = db.session.scalars(query.order_by(InterfaceService.name)).all()
    return [_l("interface services: %(names)s", names=", ".join(names))] if names else []


# --- internals ---------------------------------------------------------------------------

def _id(value):
    return value if isinstance(value, int) else value.id


def _interface(interface_key):
    try:
        return catalogue.get_interface(interface_key)
    except KeyError:
        raise DomainError(_l("This interface does not exist (any more)."),
                          field="interface_key") from None


def _workstation(workstation_id):
    if workstation_id is None:
        return None
    station = db.session.get(Workstation, workstation_id)
    if station is None:
        raise DomainError(_l("Choose an existing workstation."), field="workstation_id")
    return station


def _scope(branch_id, workstation):
    if workstation is not None:
        return WORKSTATION
    return BRANCH if branch_id is not None else CHAIN


def _new_place(actor, interface, data):
    """For a new service: permission, scope, protection and prerequisite checks, then the
    common fields. Returns (workstation, partial, common, errors)."""
    workstation = _workstation(data.get("workstation_id"))
    branch_id = None if workstation else data.get("branch_id")
    _require_edit(actor, workstation.branch_id if workstation else branch_id)
    partial = _check_place(interface, branch_id, workstation)
    _check_prerequisites(interface, branch_id, workstation)
    common, errors = _common(interface, data, workstation)
    return workstation, partial, common, errors


def _check_prerequisites(interface, branch_id, workstation, field=None):
    """Refuse a service whose prerequisite has no enabled service covering its place: the
    chain's, the place's branch's or the workstation's own. `field`: where the message goes
    (None: above the form, as for a new service)."""
    if not interface.prerequisites:
        return
    if workstation is not None:
        branch_id = workstation.branch_id
    covering = [and_(InterfaceService.branch_id.is_(None),
                     InterfaceService.workstation_id.is_(None))]
    if branch_id is not None:
        covering.append(and_(InterfaceService.branch_id == branch_id,
                             InterfaceService.workstation_id.is_(None)))
    if workstation is not None:
        covering.append(InterfaceService.workstation_id == workstation.id)
    for key in interface.prerequisites:
        found = db.session.scalar(
            db.select(InterfaceService.id)
            .where(InterfaceService.interface_key == key, InterfaceService.enabled.is_(True),
                   or_(*covering)).limit(1))
        if found is None:
            required = interface_name(catalogue.get_interface(key))
            raise DomainError(_l("%(interface)s works through the connection of a "
                                 "%(required)s service, and no enabled %(required)s service "
                                 "covers %(scope)s. Set up %(required)s first.",
                                 interface=interface_name(interface), required=required,
                                 scope=_place_label(branch_id, workstation)),
                              field=field)


def _place_label(branch_id, workstation):
    if workstation is not None:
        return _l("workstation %(name)s", name=workstation.name)
    if branch_id is not None:
        branch = db.session.get(Branch, branch_id)
        if branch is not None:
            return _l("branch %(name)s", name=branch.name)
    return _l("the whole chain")


def _check_place(interface, branch_id, workstation, exclude=None):
    """Refuse a scope the interface does not allow and a workstation service that a
    protected service blocks. Returns whether the field input is partial."""
    scope = _scope(branch_id, workstation)
    refusal = scope_refusal(interface, scope)
    if refusal is not None:
        raise DomainError(refusal, field="workstation_id" if scope == WORKSTATION else "branch_id")
    if workstation is None:
        return False
    bases = workstation_bases(workstation, interface.key)
    blocking = [s for s in bases.blocking if exclude is None or s.id != exclude.id]
    if blocking:
        raise DomainError(_l("%(service)s is protected: workstation settings cannot override "
                             "it.", service=blocking[0].name))
    return bases.fallback is not None


def _common(interface, data, workstation):
    """The common fields, checked: (values, {field: message})."""
    errors = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = field_values.REQUIRED
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _l("Enter at most %(max)s characters.", max=NAME_MAX_LENGTH)
    branch_id = None if workstation is not None else data.get("branch_id")
    if branch_id is not None and db.session.get(Branch, branch_id) is None:
        errors["branch_id"] = _l("Choose an existing branch.")
    usages = {usage: bool(data.get(f"usage_{usage}", usage in interface.default_usages))
              for usage in ("server", "client")}
    for usage, chosen in usages.items():
        if chosen and usage not in interface.usages:
            errors[f"usage_{usage}"] = (
                _l("%(interface)s cannot be used server-side.", interface=interface_name(interface))
                if usage == "server" else
                _l("%(interface)s cannot be used client-side.", interface=interface_name(interface)))
    if not any(usages.values()):
        errors["usage_server"] = _l("Choose at least one usage.")
    start_date = data.get("start_date")
    if start_date is not None and (not isinstance(start_date, date)
                                   or isinstance(start_date, datetime)):
        errors["start_date"] = _l("Enter a date such as 31.12.2025.")
    protected = bool(data.get("protected", False))
    if protected and workstation is not None:
        errors["protected"] = _l("Only chain and branch services can be protected.")
    common = {
        "name": name, "branch_id": branch_id,
        "usage_server": usages["server"], "usage_client": usages["client"],
        "start_date": start_date, "protected": protected,
        "enabled": bool(data.get("enabled", True)),
    }
    return common, errors


def _pending_secrets(interface, later):
    """The secret keys a save treats as set although they are not (see create_service)."""
    return {spec.key for spec in interface.secret_fields} if later else set()


def _raise_errors(errors):
    if errors:
        raise InvalidValues(errors)


def _insert(actor, interface, workstation, common, parsed, action, copied_from=None,
            raw=None, rollout=None):
    service = InterfaceService(
        interface_key=interface.key, group_key=catalogue.group_of(interface.key).key,
        workstation_id=workstation.id if workstation else None, workstation=workstation,
        values=field_values.to_storage(interface, parsed.values), updated_by=actor.name,
        **common,
    )
    if workstation is None and common["branch_id"] is not None:
        service.branch = db.session.get(Branch, common["branch_id"])
    _check_unique(interface, service, common, parsed.values)
    db.session.add(service)
    with db.session.no_autoflush:
        _sync_company_links(interface, service, parsed.values)
        changed_secrets = _apply_secrets(service, parsed.secrets)
    db.session.flush()
    changes = _diff({}, _log_values(interface, service), changed_secrets)
    if copied_from is not None:
        changes.insert(0, {"field": "copied_from", "old": None, "new": copied_from.name})
    if rollout is not None:
        changes.insert(0, changelog.rolled_out(rollout))
    changelog.record(actor, action, ENTITY, service, changes, branch=service.scope_branch)
    flush_unique(service, conflict=RACED)
    _run_checks(actor, service, action, raw=raw)
    return service




def _scope_token(common, workstation):
    if workstation is not None:
        return f"w{workstation.id}"
    return f"b{common['branch_id']}" if common["branch_id"] is not None else "chain"


def _scope_label(service):
    if service.workstation_id is not None:
        return _l("workstation %(name)s", name=service.workstation.name)
    if service.branch_id is not None:
        return _l("branch %(name)s", name=service.branch.name)
    return _l("the whole chain")


def unique_slot_of(interface, token, values):
    """The value of the unique `unique_slot` column for a service (None: no limit). Public
    because the benchmark's bulk seeding must compute the same slots."""
    if not interface.multiple_per_scope:
        return f"{interface.key}|{token}"
    if interface.unique_by and not interface.get_field(interface.unique_by).multiple:
        value = values.get(interface.unique_by)
        return f"{interface.key}|{token}|{'' if value is None else str(value).casefold()}"[:255]
    return None


def exclusive_slot_of(interface, field_key, token):
    """The slot in which each company of this field may appear once, or None."""
    if field_key != interface.unique_by:
        return None
    group = catalogue.group_of(interface.key).key
    if group in COMPANY_EXCLUSIVE_GROUPS:
        return f"{group}|{token}"
    return f"{interface.key}|{token}" if interface.get_field(field_key).multiple else None


def _check_unique(interface, service, common, values):
    """Set service.unique_slot and refuse a second service for the same slot, and a company
    already assigned within its exclusive slot (checked before the database would)."""
    token = _scope_token(common, service.workstation)
    slot = unique_slot_of(interface, token, values)
    with db.session.no_autoflush:
        if slot is not None:
            other = db.session.scalar(db.select(InterfaceService).where(
                InterfaceService.unique_slot == slot,
                InterfaceService.id != (service.id or 0)))
            if other is not None:
                _refuse_duplicate(interface, other)
        for key, ids in field_values.company_ids(interface, values).items():
            exclusive = exclusive_slot_of(interface, key, token)
            if exclusive is None:
                continue
            clash = db.session.execute(
                db.select(Company.name, InterfaceService.name)
                .join(ServiceCompany, ServiceCompany.company_id == Company.id)
                .join(InterfaceService, InterfaceService.id == ServiceCompany.service_id)
                .where(ServiceCompany.exclusive_slot == exclusive,
                       ServiceCompany.company_id.in_(ids),
                       ServiceCompany.service_id != (service.id or 0))
                .order_by(Company.name)).first()
            if clash is not None:
                if catalogue.group_of(interface.key).key in COMPANY_EXCLUSIVE_GROUPS:
                    message = _l("%(company)s is already assigned to the ear-mould ordering "
                                 "service %(service)s here. A company may belong to one "
                                 "ear-mould ordering service per branch (and one chain-wide), "
                                 "so that its orders find their service.",
                                 company=clash[0], service=clash[1])
                else:
                    message = _l("%(company)s is already assigned to the service %(service)s "
                                 "here.", company=clash[0], service=clash[1])
                raise DomainError(message, field=key)
    service.unique_slot = slot


def _refuse_duplicate(interface, other):
    name = interface_name(interface)
    if interface.unique_by:
        spec = interface.get_field(interface.unique_by)
        raise DomainError(_l("There is already a service of %(interface)s with this %(field)s "
                             "for %(scope)s: %(service)s.", interface=name,
                             field=spec.text("label", ui_language()),
                             scope=_scope_label(other), service=other.name),
                          field=interface.unique_by)
    raise DomainError(_l("There is already a service of %(interface)s for %(scope)s: "
                         "%(service)s.", interface=name, scope=_scope_label(other),
                         service=other.name),
                      field="workstation_id" if other.workstation_id else "branch_id")


def _sync_company_links(interface, service, values):
    """Mirror the company/supplier fields into service.company_links."""
    token = _scope_token({"branch_id": service.branch_id}, service.workstation)
    wanted = {(key, company_id): exclusive_slot_of(interface, key, token)
              for key, ids in field_values.company_ids(interface, values).items()
              for company_id in ids}
    for link in list(service.company_links):
        slot = wanted.pop((link.field_key, link.company_id), False)
        if slot is False:
            service.company_links.remove(link)
        elif link.exclusive_slot != slot:
            link.exclusive_slot = slot
    for (key, company_id), slot in wanted.items():
        service.company_links.append(
            ServiceCompany(field_key=key, company_id=company_id, exclusive_slot=slot))


def _apply_secrets(service, changes):
    """Apply {key: new value | None (clear)}; returns the keys that really changed
    (replacing a secret by the same value changes nothing)."""
    rows = {secret.field_key: secret for secret in service.secrets}
    changed = []
    for key, new in changes.items():
        row = rows.get(key)
        if new is None:
            if row is not None:
                service.secrets.remove(row)
                changed.append(key)
        elif row is None:
            service.secrets.append(ServiceSecret(field_key=key, value=new))
            changed.append(key)
        else:
            try:
                same = row.value == new
            except SecretUnreadable:
                same = False
            if not same:
                row.value = new
                changed.append(key)
    return sorted(changed)


def logged_values(service):
    """What the change log compares of `service` (no secrets): its values as the log's
    entries store them, to work out earlier states from (changelog.versions)."""
    return _log_values(_interface(service.interface_key), service)


def _log_values(interface, service):
    """What the change log compares: common fields (branch and workstation by name) and the
    stored field values, companies by name so entries stay readable after a rename/delete."""
    branch = service.branch if service.branch_id is not None else None
    snapshot = {
        "name": service.name,
        "branch_id": branch.name if branch is not None else None,
        "workstation_id": service.workstation.name if service.workstation_id else None,
        "usage_server": service.usage_server, "usage_client": service.usage_client,
        "start_date": service.start_date.isoformat() if service.start_date else None,
        "protected": service.protected, "enabled": service.enabled,
    }
    stored = dict(service.values or {})
    references = field_values.company_ids(interface, field_values.from_storage(interface, stored))
    ids = {i for found in references.values() for i in found}
    names = dict(db.session.execute(
        db.select(Company.id, Company.name).where(Company.id.in_(ids))).all()) if ids else {}
    for key, found in references.items():
        readable = [names.get(i, f"#{i}") for i in found]
        stored[key] = readable if interface.get_field(key).multiple else readable[0]
    snapshot.update(stored)
    return snapshot


def _diff(before, after, changed_secrets):
    changes = changelog.diff(before, after)
    changes.extend({"field": key, "secret": True} for key in changed_secrets)
    return changes
