"""The interface configuration of the chain, a branch or a workstation as a JSON file, and its
import (Konfiguration exportieren / importieren).

The file names everything by what survives a move to another installation: interface types by
their catalogue key, branches by their short code, workstations by their name, companies by
their name; dates are ISO. It never holds a secret: secret fields are left out, and each
service lists which of them were set (`secrets_not_exported`), so the import can say which
must be entered afterwards.

An import is a plan first: every service of the file is saved through create_service /
update_service — the very rules of a normal save — inside a savepoint that is rolled back, and
what each would do is kept (create, update with the change log's differences, skip with the
reason). A file that does not fit the catalogue or this chain is refused as a whole, with
every reason. Confirming runs the same saves for real in the request's one transaction;
secrets stay unset on created services and untouched on updated ones.
"""
import json
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from ..changelog.display import in_words
from ..changelog.models import ChangeLogEntry
from ..companies.models import Company
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..i18n import ui_language
from ..models_base import utcnow
from ..org.models import Branch, Workstation
from ..permissions import is_admin
from . import catalogue, services
from .models import BRANCH, CHAIN, WORKSTATION, InterfaceService
from .values import InvalidValues

FORMAT = "schnittstellen.interface-configuration"
VERSION = 1
SECRETS_NOTE = ("Secrets (passwords, keys, tokens) are never exported: their fields are left "
                "out. secrets_not_exported names those that were set; enter them after an "
                "import.")
COMMON = ("name", "enabled", "protected", "usage_server", "usage_client", "start_date")
CREATE, UPDATE, SKIP = "create", "update", "skip"
NOT_A_FILE = _l("This is not an interface configuration exported by Schnittstellen (a JSON "
                "file with “format”: “%(format)s”).", format=FORMAT)


@dataclass(frozen=True)
class Place:
    """Where the exported services live: the chain, one branch or one workstation."""

    level: str  # CHAIN | BRANCH | WORKSTATION
    branch: Branch | None = None
    workstation: Workstation | None = None


# --- export ------------------------------------------------------------------------------

def export_configuration(place, now=None):
    """The services configured at `place` (not those of the levels below) as a JSON-ready
    dict, in catalogue order; no secret."""
    query = (db.select(InterfaceService)
             .options(selectinload(InterfaceService.secrets),
                      selectinload(InterfaceService.branch),
                      selectinload(InterfaceService.workstation).selectinload(Workstation.branch)))
    if place.level == WORKSTATION:
        query = query.where(InterfaceService.workstation_id == place.workstation.id)
    elif place.level == BRANCH:
        query = query.where(InterfaceService.branch_id == place.branch.id)
    else:
        query = query.where(InterfaceService.branch_id.is_(None),
                            InterfaceService.workstation_id.is_(None))
    order = {iface.key: number for number, (_group, iface) in enumerate(catalogue.search(""))}
    found = sorted((s for s in db.session.scalars(query) if s.interface_key in order),
                   key=lambda s: (order[s.interface_key], s.name.casefold(), s.id))
    typed = {s.id: services.service_values(s) for s in found}
    ids = {i for s in found for i in _company_ids(
        catalogue.get_interface(s.interface_key), typed[s.id])}
    names = dict(db.session.execute(
        db.select(Company.id, Company.name).where(Company.id.in_(ids))).all()) if ids else {}
    return {
        "format": FORMAT, "version": VERSION,
        "exported_at": (now or utcnow()).isoformat(timespec="seconds"),
        "scope": _scope(place),
        "secrets": SECRETS_NOTE,
        "services": [_exported(s, typed[s.id], names) for s in found],
    }


def export_filename(place, today):
    """Schnittstellen-<Kette|Filiale-CODE|Arbeitsplatz-NAME>-JJJJ-MM-TT.json"""
    if place.level == WORKSTATION:
        where = f"Arbeitsplatz-{place.workstation.name}"
    elif place.level == BRANCH:
        where = f"Filiale-{place.branch.short_code}"
    else:
        where = "Kette"
    return f"Schnittstellen-{where}-{today.isoformat()}.json"


def _scope(place):
    if place.level == WORKSTATION:
        return {"level": WORKSTATION, "branch": place.workstation.branch.short_code,
                "workstation": place.workstation.name}
    if place.level == BRANCH:
        return {"level": BRANCH, "branch": place.branch.short_code}
    return {"level": CHAIN}


def _exported(service, typed, names):
    interface = catalogue.get_interface(service.interface_key)
    branch = service.scope_branch
    return {
        "interface": service.interface_key,
        "name": service.name,
        "branch": branch.short_code if branch is not None else None,
        "workstation": service.workstation.name if service.workstation_id else None,
        "enabled": service.enabled, "protected": service.protected,
        "usage_server": service.usage_server, "usage_client": service.usage_client,
        "start_date": service.start_date.isoformat() if service.start_date else None,
        "values": _to_file(interface, typed, names),
        "secrets_not_exported": sorted(service.secret_keys),
    }


def _to_file(interface, typed, names):
    """Typed values → JSON values: dates ISO, companies by name, tables as lists of rows."""
    def one(spec, value):
        if value is None:
            return None
        if spec.kind in ("company", "supplier"):
            if spec.multiple:
                return [names.get(i, f"#{i}") for i in value]
            return names.get(value, f"#{value}")
        if isinstance(value, date):
            return value.isoformat()
        return value

    result = {spec.key: one(spec, typed.get(spec.key)) for spec in interface.fields
              if not spec.is_secret}
    for table in interface.tables:
        rows = typed.get(table.key)
        result[table.key] = None if rows is None else [
            {spec.key: one(spec, row.get(spec.key)) for spec in table.fields
             if not spec.is_secret} for row in rows]
    return result


def _company_ids(interface, typed):
    ids = []
    for spec in interface.fields:
        if spec.kind in ("company", "supplier") and typed.get(spec.key) is not None:
            value = typed[spec.key]
            ids.extend(value if isinstance(value, list) else [value])
    for table in interface.tables:
        for row in typed.get(table.key) or ():
            for spec in table.fields:
                if spec.kind in ("company", "supplier") and row.get(spec.key) is not None:
                    value = row[spec.key]
                    ids.extend(value if isinstance(value, list) else [value])
    return ids


# --- import ------------------------------------------------------------------------------

class Refused(DomainError):
    """The file does not fit: `reasons` lists every problem (the first is the message)."""

    def __init__(self, reasons):
        self.reasons = [str(reason) for reason in reasons]
        super().__init__(self.reasons[0], field="file")


@dataclass
class Step:
    """What the import does with one service of the file."""

    action: str  # CREATE | UPDATE | SKIP
    name: str
    interface_name: str
    place: str
    reason: str = ""  # SKIP: why
    changes: list = field(default_factory=list)  # changelog ChangeRows (no secret values)
    secrets_to_enter: list = field(default_factory=list)  # labels
    service_id: int | None = None


def read_file(data):
    """The parsed JSON of an uploaded file (bytes or str); Refused when it is none."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        content = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Refused([NOT_A_FILE]) from None
    if (not isinstance(content, dict) or content.get("format") != FORMAT
            or not isinstance(content.get("services"), list)):
        raise Refused([NOT_A_FILE])
    if content.get("version") != VERSION:
        raise Refused([_l("This file has version %(version)s of the format; this installation "
                          "reads version %(supported)s.", version=content.get("version"),
                          supported=VERSION)])
    return content


def plan_import(actor, content):
    """What importing `content` would do, without saving anything: [Step]. Refused (every
    reason) when the file does not fit the catalogue or the chain, or a save would fail."""
    savepoint = db.session.begin_nested()
    try:
        return _run(actor, content)
    finally:
        savepoint.rollback()


def apply_import(actor, content):
    """Import `content` in the caller's transaction (the request's unit of work): [Step].
    Refused as plan_import, having saved nothing: the saves run inside one savepoint, rolled
    back on a refusal. (Without it, SQLite's driver would open the transaction at the first
    service's savepoint, and releasing that savepoint would commit the first service.)"""
    savepoint = db.session.begin_nested()
    try:
        steps = _run(actor, content)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return steps


def _require_admin(actor):
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators may import a configuration."))


def _run(actor, content):
    _require_admin(actor)
    items = content["services"]
    places, problems = _places(items)
    if problems:
        raise Refused(problems)
    steps, problems = [], []
    for number, item in enumerate(items, start=1):
        try:
            with db.session.begin_nested():
                steps.append(_import_one(actor, item, places[number]))
        except DomainError as error:
            problems.append(_describe(number, item, error))
    if problems:
        raise Refused(problems)
    return steps


def _label(number, item):
    name = item.get("name") if isinstance(item, dict) else None
    return (_l("Service %(number)s (“%(name)s”)", number=number, name=name)
            if isinstance(name, str) and name else _l("Service %(number)s", number=number))


def _places(items):
    """{number: (interface, branch_id, workstation)} for every item, and the problems: an
    unknown interface key, an unknown branch or workstation, a malformed item."""
    codes = {code.casefold(): (branch_id, code) for branch_id, code in db.session.execute(
        db.select(Branch.id, Branch.short_code))}
    wanted = {item.get("workstation") for item in items if isinstance(item, dict)}
    wanted = {name for name in wanted if isinstance(name, str)}
    stations = {s.name.casefold(): s for s in db.session.scalars(
        db.select(Workstation).where(func.lower(Workstation.name).in_(
            [name.casefold() for name in wanted])))} if wanted else {}
    places, problems = {}, []
    for number, item in enumerate(items, start=1):
        label = _label(number, item)
        if not isinstance(item, dict) or not isinstance(item.get("values", {}), dict):
            problems.append(_l("%(service)s: not a service of an interface configuration.",
                               service=label))
            continue
        try:
            interface = catalogue.get_interface(str(item.get("interface")))
        except KeyError:
            problems.append(_l("%(service)s: the catalogue has no interface “%(key)s”.",
                               service=label, key=item.get("interface")))
            continue
        branch_code, station_name = item.get("branch"), item.get("workstation")
        branch_id = station = None
        if branch_code is not None:
            found = codes.get(str(branch_code).casefold())
            if found is None:
                problems.append(_l("%(service)s: there is no branch with the code “%(code)s”.",
                                   service=label, code=branch_code))
                continue
            branch_id = found[0]
        if station_name is not None:
            station = stations.get(str(station_name).casefold())
            if station is None or (branch_id is not None and station.branch_id != branch_id):
                problems.append(_l("%(service)s: there is no workstation “%(name)s” in that "
                                   "branch.", service=label, name=station_name))
                continue
            branch_id = None
        places[number] = (interface, branch_id, station)
    return places, problems


def _import_one(actor, item, place):
    interface, branch_id, station = place
    lang = ui_language()
    data, problems = _common(item, branch_id, station)
    raw, more = _raw(interface, item.get("values") or {})
    problems.update(more)
    if problems:
        raise InvalidValues(problems)
    existing = _existing(interface, branch_id, station, data["name"])
    step = Step(CREATE if existing is None else UPDATE, data["name"],
                interface.text("name", lang), _place_words(branch_id, station))
    if existing is None:
        service = services.create_service(actor, interface.key, data, raw, secrets_later=True)
    else:
        service = existing
        if not services.update_service(actor, existing, data, raw, existing.version,
                                       secrets_later=True):
            step.action, step.reason = SKIP, str(_l("unchanged: it is configured like this "
                                                    "already"))
    step.service_id = service.id
    if step.action != SKIP:
        entry = db.session.scalars(
            db.select(ChangeLogEntry)
            .where(ChangeLogEntry.entity_type == services.ENTITY,
                   ChangeLogEntry.entity_id == service.id)
            .order_by(ChangeLogEntry.id.desc()).limit(1)).first()
        if entry is not None:
            step.changes = in_words([entry], detail=interface.key)[0].changes
    omitted = set(item.get("secrets_not_exported") or ()) if isinstance(
        item.get("secrets_not_exported"), list) else set()
    step.secrets_to_enter = [spec.text("label", lang) for spec in interface.secret_fields
                             if spec.key not in service.secret_keys
                             and (spec.required or spec.key in omitted)]
    return step


def _common(item, branch_id, station):
    """The common fields as create/update take them, and {field: message} problems."""
    problems = {}
    data = {"branch_id": branch_id, "workstation_id": station.id if station else None}
    name = item.get("name")
    data["name"] = name if isinstance(name, str) else ""
    for key in ("enabled", "protected", "usage_server", "usage_client"):
        value = item.get(key, key == "enabled")
        if not isinstance(value, bool):
            problems[key] = _l("Enter true or false.")
        data[key] = bool(value)
    start = item.get("start_date")
    try:
        data["start_date"] = date.fromisoformat(start) if start else None
    except (TypeError, ValueError):
        problems["start_date"] = _l("Enter a date such as 2025-12-31.")
    return data, problems


def _raw(interface, values):
    """The file's values as the field input values.parse reads, and {name: message} for what
    does not fit the catalogue (unknown fields, secrets, companies nobody has)."""
    problems = {}
    fields = {spec.key: spec for spec in interface.fields}
    tables = {table.key: table for table in interface.tables}
    companies = _company_lookup(interface, values)
    raw = {}
    for key, value in values.items():
        spec = fields.get(key)
        if key in tables:
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                problems[key] = _l("Expected a list of rows.")
                continue
            for number, row in enumerate(value):
                cells = {cell.key: cell for cell in tables[key].fields}
                for cell_key, cell_value in row.items():
                    name = f"{key}-{number}-{cell_key}"
                    cell = cells.get(cell_key)
                    if cell is None:
                        problems[name] = _l("The catalogue has no such field.")
                    elif cell.is_secret:
                        problems[name] = _l("Secrets are not imported; enter them in the "
                                            "service.")
                    else:
                        raw[name] = _raw_value(cell, cell_value, companies, problems, name)
        elif spec is None:
            problems[key] = _l("The catalogue has no such field.")
        elif spec.is_secret:
            problems[key] = _l("Secrets are not imported; enter them in the service.")
        else:
            raw[key] = _raw_value(spec, value, companies, problems, key)
    return raw, problems


def _company_lookup(interface, values):
    """{name folded: id} of the companies the file names, one query."""
    wanted = set()

    def collect(spec, value):
        if spec.kind in ("company", "supplier") and value is not None:
            wanted.update(v for v in (value if isinstance(value, list) else [value])
                          if isinstance(v, str))
    for spec in interface.fields:
        collect(spec, values.get(spec.key))
    for table in interface.tables:
        rows = values.get(table.key)
        for row in rows if isinstance(rows, list) else ():
            if isinstance(row, dict):
                for spec in table.fields:
                    collect(spec, row.get(spec.key))
    if not wanted:
        return {}
    return {name.casefold(): company_id for company_id, name in db.session.execute(
        db.select(Company.id, Company.name)
        .where(func.lower(Company.name).in_([n.lower() for n in wanted])))}


def _raw_value(spec, value, companies, problems, name):
    """One JSON value as the raw string(s) a form would post."""
    if value is None:
        return [] if spec.multiple else ""
    if spec.kind in ("company", "supplier"):
        given = value if isinstance(value, list) else [value]
        if not spec.multiple and isinstance(value, list):
            problems[name] = _l("Expected one company.")
            return ""
        ids = []
        for company in given:
            found = companies.get(company.casefold()) if isinstance(company, str) else None
            if found is None:
                problems[name] = _l("There is no company named “%(name)s”.", name=company)
                return ""
            ids.append(str(found))
        return ids if spec.multiple else ids[0]
    if spec.kind == "bool":
        if not isinstance(value, bool):
            problems[name] = _l("Enter true or false.")
            return ""
        return "y" if value else "n"
    if isinstance(value, (dict, list)) or isinstance(value, bool):
        problems[name] = _l("Expected a single value.")
        return ""
    return str(value)


def _existing(interface, branch_id, station, name):
    """The service of this type at this place that the file's service updates: the one of
    the same name, else — where the place has one service of the type at most — that one."""
    query = db.select(InterfaceService).where(InterfaceService.interface_key == interface.key)
    if station is not None:
        query = query.where(InterfaceService.workstation_id == station.id)
    else:
        query = query.where(InterfaceService.workstation_id.is_(None),
                            InterfaceService.branch_id.is_(None) if branch_id is None
                            else InterfaceService.branch_id == branch_id)
    found = db.session.scalars(query.order_by(InterfaceService.id)).all()
    same_name = [s for s in found if s.name.casefold() == name.strip().casefold()]
    if same_name:
        return same_name[0]
    if not interface.multiple_per_scope and found:
        return found[0]
    return None


def _place_words(branch_id, station):
    if station is not None:
        return str(_l("Workstation %(name)s", name=station.name))
    if branch_id is not None:
        return str(_l("Branch %(name)s", name=db.session.get(Branch, branch_id).name))
    return str(_l("Chain"))


def _describe(number, item, error):
    """One refusal in words: which service, which field (by its label) and why."""
    label = _label(number, item)
    if isinstance(error, InvalidValues):
        interface = catalogue.get_interface(str(item.get("interface")))
        return "; ".join(str(_l("%(service)s, %(field)s: %(message)s", service=label,
                                field=_field_words(interface, name), message=message))
                         for name, message in error.errors.items())
    message = error.message if isinstance(error, DomainError) else str(error)
    if isinstance(error, DomainError) and error.field:
        interface = catalogue.get_interface(str(item.get("interface")))
        return str(_l("%(service)s, %(field)s: %(message)s", service=label,
                      field=_field_words(interface, error.field), message=message))
    return str(_l("%(service)s: %(message)s", service=label, message=message))


COMMON_LABELS = {
    "name": _l("Name"), "enabled": _l("Enabled"), "protected": _l("Protected"),
    "usage_server": _l("Server-side"), "usage_client": _l("Client-side"),
    "start_date": _l("Start"), "branch_id": _l("Branch"), "workstation_id": _l("Workstation"),
    "interface_key": _l("Interface"),
}


def _field_words(interface, name):
    """A field's label ("Port"), a table cell's ("Vorlagen, row 2, Name"), else the name."""
    lang = ui_language()
    if name in COMMON_LABELS:
        return str(COMMON_LABELS[name])
    parts = name.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        table = next((t for t in interface.tables if t.key == parts[0]), None)
        if table is not None:
            cell = next((f for f in table.fields if f.key == parts[2]), None)
            return str(_l("%(table)s, row %(row)s, %(field)s", table=table.text("label", lang),
                          row=int(parts[1]) + 1,
                          field=cell.text("label", lang) if cell else parts[2]))
    spec = next((f for f in interface.fields if f.key == name), None)
    if spec is not None:
        return spec.text("label", lang)
    table = next((t for t in interface.tables if t.key == name), None)
    return table.text("label", lang) if table is not None else name
