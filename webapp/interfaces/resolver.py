"""Effective configuration: which service applies where, and where each value comes from.

The one resolver, used by the effective-configuration view and by every job. For workstation W
in branch B, per interface type:

1. Only active services apply (enabled and start date reached, chain time zone); planned and
   disabled ones at W, B and the chain are listed in `InterfaceEntry.inactive`.
2. W's service, else B's, else the chain's. A protected (active) service of B or the chain wins
   over W's: W's is then ignored and listed in `overridden`, with `protected_by` naming the
   winner (W's cannot be created any more, but data may predate the protection).
3. Per field, a workstation service overrides what it sets; what it leaves empty comes from
   B's service, else the chain's ("base"), else the catalogue default. Each FieldValue says
   where its value comes from: "workstation" / "branch" / "chain" / "default" (None: empty).
   A branch or chain service is complete on its own and is not merged with the chain's.
   A table is taken whole: the workstation service's rows if it has any, else the base's.
4. Types with `multiple_per_scope`: with a single-valued `unique_by` field (supplier, company,
   user name, …) steps 2–3 run once per value; otherwise every active service applies on its
   own (most specific first). A protected base service still overrides all W's services.

Secrets are never part of the result: a FieldValue of a secret says only whether it is set and
which service holds it; jobs read it with `secret_for`.
"""
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, and_, bindparam, func, or_, type_coerce
from sqlalchemy.orm import selectinload

from ..companies.models import Company
from ..extensions import db
from ..org.models import Branch, Workstation
from ..records import read
from . import catalogue
from . import values as field_values
from .catalogue.schema import FieldSpec, Group, InterfaceType, TableSpec
from .models import InterfaceService, ServiceSecret
from .services import chain_today, service_state, stored_secret

DEFAULT = "default"
SCOPE_RANK = {"workstation": 0, "branch": 1, "chain": 2}


@dataclass(slots=True)  # a page resolves hundreds
class FieldValue:
    """One field's effective value and where it comes from."""

    spec: FieldSpec
    value: Any = None  # typed (values.py); always None for secrets
    origin: str | None = None  # "workstation" | "branch" | "chain" | "default" | None (empty)
    service: InterfaceService | None = None  # the service holding it (None for defaults)
    is_set: bool = False  # secrets: whether set; other fields: value is not None

    @property
    def key(self):
        return self.spec.key


@dataclass
class TableValue:
    """A table's effective rows and the service they come from."""

    spec: TableSpec
    rows: list = field(default_factory=list)
    origin: str | None = None
    service: InterfaceService | None = None


@dataclass
class Resolution:
    """The configuration of one interface type that applies: `service` (active) plus, for a
    workstation service, the `base` whose values fill its empty fields."""

    interface: InterfaceType
    service: InterfaceService
    base: InterfaceService | None = None
    fields: dict = field(default_factory=dict)  # {key: FieldValue}, in catalogue order
    tables: dict = field(default_factory=dict)  # {key: TableValue}
    overridden: list = field(default_factory=list)  # W's services a protected one beat
    protected_by: InterfaceService | None = None

    @property
    def origin(self):
        """Scope of the applying service: "workstation", "branch" or "chain"."""
        return self.service.scope

    @property
    def protected(self):
        return self.service.protected or bool(self.base is not None and self.base.protected)

    @property
    def values(self):
        """{key: typed value} of the non-secret fields, plus {table key: rows}."""
        found = {key: fv.value for key, fv in self.fields.items() if not fv.spec.is_secret}
        found.update({key: table.rows for key, table in self.tables.items()})
        return found

    def value(self, key):
        return self.values.get(key)


@dataclass
class ServiceState:
    """A service that does not apply now: "planned" (with its start date) or "disabled"."""

    service: InterfaceService
    state: str
    start_date: Any = None


@dataclass
class InterfaceEntry:
    """Everything the resolver found for one interface type at the looked-at place."""

    group: Group
    interface: InterfaceType
    applied: list = field(default_factory=list)  # [Resolution], most specific first
    inactive: list = field(default_factory=list)  # [ServiceState]
    overridden: list = field(default_factory=list)  # workstation services a protected one beat
    protected_by: InterfaceService | None = None

    @property
    def resolution(self):
        """The (first) applying Resolution, or None."""
        return self.applied[0] if self.applied else None

    @property
    def planned(self):
        return [item for item in self.inactive if item.state == "planned"]


class ServiceRow:
    """What the effective configuration reads of a service, under InterfaceService's names: a
    page shows ~150 services, and an entity costs several times what these columns do. Read
    only; no relationships (the branch and workstation are the configuration's)."""

    __slots__ = ("id", "interface_key", "name", "branch_id", "workstation_id", "start_date",
                 "protected", "enabled", "usage_server", "usage_client", "_values", "scope")
    # The values as the driver gives them, not through the JSON type: SQLite's text is decoded
    # when first read (the benchmark's page reads ~90 of its ~150 services', and decoding the
    # rest cost ~0.1 ms, issue 15); drivers that decode JSON themselves give it decoded.
    COLUMNS = (InterfaceService.id, InterfaceService.interface_key, InterfaceService.name,
               InterfaceService.branch_id, InterfaceService.workstation_id,
               InterfaceService.start_date, InterfaceService.protected, InterfaceService.enabled,
               InterfaceService.usage_server, InterfaceService.usage_client,
               type_coerce(InterfaceService.values, Text))

    def __init__(self, row):
        (self.id, self.interface_key, self.name, self.branch_id, self.workstation_id,
         self.start_date, self.protected, self.enabled, self.usage_server, self.usage_client,
         self._values) = row
        self.scope = InterfaceService.scope.fget(self)  # the model's rule, read once

    @property
    def values(self):
        """The stored values (JSON), as InterfaceService.values."""
        if type(self._values) is str:
            self._values = _decoded(self._values)
        return self._values

    def __repr__(self):
        return f"<ServiceRow {self.id} {self.name!r}>"


def _decoded(text):
    """json.loads(text): raw_decode skips loads' two scans for whitespace around the JSON
    (~40% of decoding a service's values, issue 15); what it does not take whole (whitespace
    around the JSON, or more after it) goes to loads, which takes or refuses it."""
    try:
        value, end = _JSON_DECODER.raw_decode(text)
    except ValueError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


_JSON_DECODER = json.JSONDecoder()


@dataclass
class EffectiveConfiguration:
    """The effective configuration of a workstation or a branch (or the chain alone). Its
    services are ServiceRows."""

    workstation: Workstation | None
    branch: Branch | None
    today: Any
    groups: list = field(default_factory=list)  # [(Group, [InterfaceEntry])], catalogue order
    companies: dict = field(default_factory=dict)  # {company id: name} of every shown value
    unknown: list = field(default_factory=list)  # services of types no longer in the catalogue

    def entry(self, interface_key):
        for _group, entries in self.groups:
            for entry in entries:
                if entry.interface.key == interface_key:
                    return entry
        return None


def effective_configuration(workstation=None, branch=None, today=None):
    """What applies at `workstation` (its branch implied), at `branch`, or — with neither —
    chain-wide: per group and interface type with services there, the applying Resolutions,
    planned/disabled services and protection overrides. Objects or ids; `today` defaults to
    chain_today(). Services as ServiceRows: jobs take theirs from resolve(). A constant number
    of queries, however many services exist."""
    workstation, branch = _place(workstation, branch)
    today = today or chain_today()
    found, secret_keys = _rows_at(workstation, branch)
    by_key = defaultdict(list)
    for service in found:
        by_key[service.interface_key].append(service)
    result = EffectiveConfiguration(workstation=workstation, branch=branch, today=today)
    for group in catalogue.load():
        entries = [_entry(group, iface, by_key.pop(iface.key), today, secret_keys)
                   for iface in group.interfaces if iface.key in by_key]
        if entries:
            result.groups.append((group, entries))
    result.unknown = [service for services in by_key.values() for service in services]
    result.companies = _company_names(
        resolution for _group, entries in result.groups for entry in entries
        for resolution in entry.applied)
    return result


def resolve(interface_key, workstation=None, branch=None, company_id=None, today=None):
    """The Resolution a job uses for `interface_key` at `workstation` / `branch` (ids or
    objects; neither: chain-wide), or None when no active service applies.

    With `company_id` (types with a company or supplier field): the service whose field names
    that company — most specific scope first — else a service with that field empty (the
    generic one, e.g. e-mail ordering without company), else None."""
    interface = catalogue.get_interface(interface_key)
    workstation, branch = _place(workstation, branch)
    found, secret_keys = _candidates(workstation, branch, [interface_key])
    if not found:
        return None
    entry = _entry(catalogue.group_of(interface_key), interface, found,
                   today or chain_today(), secret_keys)
    if company_id is None:
        return entry.resolution
    return _for_company(entry.applied, company_id)


def resolve_for_company(group_key, company_id, workstation=None, branch=None, today=None):
    """The applying service of any interface type of `group_key` whose company field names
    `company_id` — e.g. the ear-mould ordering service for the lab chosen in a process:
    the branch's first, then the chain's (DESIGN, ordering rule 2). None if there is none."""
    group = catalogue.get_group(group_key)
    workstation, branch = _place(workstation, branch)
    found, secret_keys = _candidates(workstation, branch, list(group.interface_keys))
    return _naming(_group_applied(group, found, today or chain_today(), secret_keys),
                   company_id)


def company_resolver(group_key, branch_ids, today=None):
    """resolve_for_company for any company at each of `branch_ids` (None: chain-wide only)
    at once, for screens that ask it for many companies and branches (Audoora's partner
    check): two statements in all. Returns `lookup(company_id, branch_id)` → the Resolution
    resolve_for_company(group_key, company_id, branch=branch_id) gives, or None."""
    group = catalogue.get_group(group_key)
    today = today or chain_today()
    at_branches, secret_keys = _at_branches(branch_ids, list(group.interface_keys))
    applied = {branch_id: _group_applied(group, found, today, secret_keys)
               for branch_id, found in at_branches.items()}
    return lambda company_id, branch_id: _naming(applied[branch_id], company_id)


def resolve_at_branches(interface_key, branch_ids, today=None):
    """resolve(interface_key, branch=…) for each of `branch_ids` (None: chain-wide) at once,
    for screens that show many branches (the branches a SiNNO-App service serves): two
    statements in all. {branch id: Resolution or None}."""
    interface = catalogue.get_interface(interface_key)
    group = catalogue.group_of(interface_key)
    today = today or chain_today()
    at_branches, secret_keys = _at_branches(branch_ids, [interface_key])
    return {branch_id: (_entry(group, interface, found, today, secret_keys).resolution
                        if found else None)
            for branch_id, found in at_branches.items()}


def _at_branches(branch_ids, interface_keys):
    """({branch id: the services of `interface_keys` at the chain and that branch (None: the
    chain's only)}, {service id: set secret keys}), as _candidates finds them for each, read
    at once."""
    branch_ids = list(dict.fromkeys(branch_ids))
    named = [b for b in branch_ids if b is not None]
    found, secret_keys = _services_at([InterfaceService.branch_id.in_(named)] if named else [],
                                      interface_keys)
    return {branch_id: [s for s in found if s.branch_id is None or s.branch_id == branch_id]
            for branch_id in branch_ids}, secret_keys


def _group_applied(group, found, today, secret_keys):
    """The applying Resolutions of every type of `group` among `found` (one place's)."""
    by_key = defaultdict(list)
    for service in found:
        by_key[service.interface_key].append(service)
    return [resolution for iface in group.interfaces if iface.key in by_key
            for resolution in _entry(group, iface, by_key[iface.key], today,
                                     secret_keys).applied]


def _naming(applied, company_id):
    """The most specific of `applied` whose company field names `company_id`, or None."""
    matching = [r for r in applied if _names_company(r, company_id)]
    matching.sort(key=lambda r: (SCOPE_RANK[r.origin], r.service.id))
    return matching[0] if matching else None


def secret_for(resolution, field_key):
    """The plaintext of an effective secret (from the service that holds it), or None when
    not set. For adapters and jobs only: never render it, log it or pass it to a job."""
    value = resolution.fields[field_key]
    if not value.spec.is_secret:
        raise KeyError(f"{field_key!r} is not a secret field")
    return stored_secret(value.service, field_key) if value.is_set else None


# --- internals ---------------------------------------------------------------------------

def _place(workstation, branch):
    if workstation is not None:
        if isinstance(workstation, int):
            workstation = db.session.get(Workstation, workstation)
            if workstation is None:
                raise LookupError("no such workstation")
        return workstation, workstation.branch
    if isinstance(branch, int):
        branch = db.session.get(Branch, branch)
        if branch is None:
            raise LookupError("no such branch")
    return None, branch


def _candidates(workstation, branch, interface_keys=None):
    """Every service at the chain, the branch and the workstation, and the keys of their set
    secrets (see _services_at)."""
    places = []
    if branch is not None:
        places.append(InterfaceService.branch_id == branch.id)
    if workstation is not None:
        places.append(InterfaceService.workstation_id == workstation.id)
    return _services_at(places, interface_keys)


def _rows_at(workstation, branch):
    """As _candidates, for the effective configuration, with ServiceRows, which only say which
    secrets are set (one statement, built once per kind of place: building it cost more than
    running it, issue 15)."""
    statement = _ROWS_AT.get((workstation is not None, branch is not None))
    if statement is None:
        places = []
        if branch is not None:
            places.append(InterfaceService.branch_id == bindparam("branch_id"))
        if workstation is not None:
            places.append(InterfaceService.workstation_id == bindparam("workstation_id"))
        statement = _ROWS_AT[(workstation is not None, branch is not None)] = (
            db.select(*ServiceRow.COLUMNS, _secret_keys())
            .where(or_(_CHAIN, *places)).order_by(InterfaceService.id))
    # On the session's connection (records.read): the ORM's row loading adds nothing to
    # plain columns. All rows at once: iterating a result fetches them one by one.
    return _read(read(statement, {
        "branch_id": branch.id if branch is not None else None,
        "workstation_id": workstation.id if workstation is not None else None}).all(), True)


_CHAIN = and_(InterfaceService.branch_id.is_(None), InterfaceService.workstation_id.is_(None))
_ROWS_AT = {}  # {(with a workstation, with a branch): statement}


def _secret_keys():
    """A service's set secrets' keys, comma-separated (None: none)."""
    return (db.select(func.aggregate_strings(ServiceSecret.field_key, ","))
            .where(ServiceSecret.service_id == InterfaceService.id).scalar_subquery())


def _services_at(places, interface_keys=None):
    """([service], {service id: frozenset of its set secrets' keys}): the chain's services and
    those matching one of `places` (conditions), as entities with their secret rows (two
    statements), which jobs may decrypt (secret_for)."""
    query = (db.select(InterfaceService, _secret_keys())
             .options(selectinload(InterfaceService.secrets))
             .where(or_(_CHAIN, *places)).order_by(InterfaceService.id))
    if interface_keys is not None:
        query = query.where(InterfaceService.interface_key.in_(interface_keys))
    return _read(db.session.execute(query), False)


def _read(result, as_rows):
    """([service or ServiceRow], {service id: frozenset of its set secrets' keys}) from the
    rows of _services_at's or _rows_at's statement."""
    services, secret_keys = [], {}
    for row in result:
        service = ServiceRow(row[:-1]) if as_rows else row[0]
        services.append(service)
        secret_keys[service.id] = frozenset(row[-1].split(",")) if row[-1] else frozenset()
    return services, secret_keys


def applying(interface, found, today):
    """Which of `found` (services of `interface` at one place: the chain's, a branch's and
    perhaps a workstation's) apply, by the rules above but without reading their values:
    (applied [(service, base or None)], inactive [ServiceState], overridden, protected_by).
    No query: for screens that show many places at once (the health board)."""
    inactive, active = [], []
    for service in found:
        state, start = service_state(service, today)
        if state == "active":
            active.append((SCOPE_RANK[service.scope], service.id, service))
        else:
            inactive.append(ServiceState(service, state, start))
    active.sort()  # by scope, then id (unique: the services themselves are never compared)
    own = [s for rank, _id, s in active if rank == SCOPE_RANK["workstation"]]
    bases = [s for rank, _id, s in active if rank != SCOPE_RANK["workstation"]]
    protected_by = next((s for s in bases if s.protected), None)
    overridden = []
    if protected_by is not None and own:
        overridden, own = own, []

    unique_by = interface.unique_by
    if not interface.multiple_per_scope:
        slots = [(own[:1], bases[:1])]
    elif unique_by and not interface.get_field(unique_by).multiple:
        slots = []
        for value in dict.fromkeys(_slot_value(s, unique_by) for s in own + bases):
            slots.append(([s for s in own if _slot_value(s, unique_by) == value][:1],
                          [s for s in bases if _slot_value(s, unique_by) == value][:1]))
    else:
        slots = [([service], []) if service.scope == "workstation" else ([], [service])
                 for service in own + bases]
    applied = [((mine or below)[0], below[0] if mine and below else None)
               for mine, below in slots if mine or below]
    return applied, inactive, overridden, protected_by


def _entry(group, interface, found, today, secret_keys):
    applied, inactive, overridden, protected_by = applying(interface, found, today)
    entry = InterfaceEntry(group=group, interface=interface, inactive=inactive,
                           overridden=overridden, protected_by=protected_by)
    for service, base in applied:
        entry.applied.append(_resolution(interface, service, base, entry, secret_keys))
    return entry


def _slot_value(service, key):
    value = (service.values or {}).get(key)
    return None if value is None else str(value).casefold()


def _resolution(interface, service, base, entry, secret_keys):
    resolution = Resolution(interface=interface, service=service, base=base,
                            overridden=entry.overridden, protected_by=entry.protected_by)
    # A page resolves hundreds of fields: each service's scope and secrets are read once.
    own = field_values.from_storage(interface, service.values)
    scope, own_secrets = service.scope, secret_keys[service.id]
    if base is not None:
        below = field_values.from_storage(interface, base.values)
        base_scope, base_secrets = base.scope, secret_keys[base.id]
    else:
        below, base_scope, base_secrets = {}, None, ()
    fields = resolution.fields
    for key, spec, secret, default in _field_plan(interface):
        if secret:
            if key in own_secrets:
                fields[key] = FieldValue(spec, None, scope, service, True)
            elif key in base_secrets:
                fields[key] = FieldValue(spec, None, base_scope, base, True)
            else:
                fields[key] = FieldValue(spec)
        elif (value := own[key]) is not None:
            fields[key] = FieldValue(spec, value, scope, service, True)
        elif (value := below.get(key)) is not None:
            fields[key] = FieldValue(spec, value, base_scope, base, True)
        elif default is not None:
            fields[key] = FieldValue(spec, default, DEFAULT, None, True)
        else:
            fields[key] = FieldValue(spec)
    for table in interface.tables:
        if own.get(table.key) or (own.get(table.key) is not None and base is None):
            resolution.tables[table.key] = TableValue(table, own[table.key], scope, service)
        elif below.get(table.key) is not None:
            resolution.tables[table.key] = TableValue(table, below[table.key], base_scope, base)
        else:
            resolution.tables[table.key] = TableValue(table)
    return resolution


# {interface key: (interface, ((key, spec, is secret, default), …) of its fields)}: from the
# static catalogue (the interface kept to tell a reloaded catalogue's apart)
_FIELD_PLANS = {}


def _field_plan(interface):
    """What _resolution reads of each field, looked up once (a page resolves hundreds)."""
    cached = _FIELD_PLANS.get(interface.key)
    if cached is None or cached[0] is not interface:
        cached = _FIELD_PLANS[interface.key] = (interface, tuple(
            (spec.key, spec, spec.kind == "secret", spec.default) for spec in interface.fields))
    return cached[1]


def _company_field(interface):
    """The field a company is looked up in: unique_by if it names companies, else the first
    company or supplier field; None when the type has none."""
    kinds = ("company", "supplier")
    if interface.unique_by and interface.get_field(interface.unique_by).kind in kinds:
        return interface.unique_by
    return next((spec.key for spec in interface.fields if spec.kind in kinds), None)


def _names_company(resolution, company_id):
    key = _company_field(resolution.interface)
    if key is None:
        return False
    value = resolution.value(key)
    return company_id in value if isinstance(value, list) else value == company_id


def _for_company(applied, company_id):
    hit = next((r for r in applied if _names_company(r, company_id)), None)
    if hit is not None:
        return hit
    return next((r for r in applied if _company_field(r.interface) is not None
                 and not r.value(_company_field(r.interface))), None)


def _company_names(resolutions):
    ids = set()
    for resolution in resolutions:
        # As field_values.company_ids, from the FieldValues at hand (a page has ~100 services).
        fields = resolution.fields
        for key in _company_keys(resolution.interface):
            value = fields[key].value
            if value is not None:
                ids.update(value if isinstance(value, list) else (value,))
    if not ids:
        return {}
    # On the session's connection, as _rows_at (the ORM adds nothing to two columns and cost
    # about what the statement does, issue 15).
    return dict(read(_COMPANY_NAMES, {"ids": list(ids)}).all())


# {interface key: (interface, keys of its company and supplier fields)}: from the static
# catalogue (the interface kept to tell a reloaded catalogue's apart)
_COMPANY_KEYS = {}


def _company_keys(interface):
    cached = _COMPANY_KEYS.get(interface.key)
    if cached is None or cached[0] is not interface:
        cached = _COMPANY_KEYS[interface.key] = (interface, tuple(
            spec.key for spec in interface.fields if spec.kind in ("company", "supplier")))
    return cached[1]


# Built once (building it cost more than running it, issue 15).
_COMPANY_NAMES = (db.select(Company.id, Company.name)
                  .where(Company.id.in_(bindparam("ids", expanding=True))))
