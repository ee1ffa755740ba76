"""Change-log entries in words, for the global change log and any screen's history panel:
type and action labels, field labels (the catalogue's for interface services, the forms' for
master data), stored values as the forms show them, and a link to the record while it exists.

For views only (it builds URLs); a constant number of queries per page of entries."""
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from types import SimpleNamespace

from flask import current_app, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from ..extensions import db
from ..i18n import role_label

ENTITY_LABELS = {
    "interface_service": _l("Interface service"),
    "customer": _l("Customer"),
    "process": _l("Process"),
    "ear_mould_position": _l("Ear-mould position"),
    "branch": _l("Branch"),
    "workstation": _l("Workstation"),
    "user": _l("User"),
    "company": _l("Company"),
    "chain": _l("Chain"),
    "process_template": _l("Process template"),
    "ldap_settings": _l("Directory (LDAP)"),
    "oidc_settings": _l("Single sign-on (OpenID Connect)"),
}
ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "copy": _l("Copied"),
    "delete": _l("Deleted"),
    "reveal": _l("Secret viewed"),
}
# The common fields of every interface service, as services._log_values names them.
SERVICE_FIELD_LABELS = {
    "name": _l("Name"),
    "branch_id": _l("Branch"),
    "workstation_id": _l("Workstation"),
    "usage_server": _l("Server-side"),
    "usage_client": _l("Client-side"),
    "start_date": _l("Start"),
    "protected": _l("Protected"),
    "enabled": _l("Enabled"),
    "copied_from": _l("Copied from"),
}
# What processes.services writes for a process: a new one's summary, and its status.
PROCESS_FIELD_LABELS = {
    "title": _l("Title"),
    "process_type": _l("Process type"),
    "customer": _l("Customer"),
    "template": _l("Process template"),
    "steps": _l("Steps"),
    "status": _l("Status"),
}
# Fields that store another record's id: (entity type, field) → the referenced entity type.
REFERENCES = {
    ("workstation", "branch_id"): "branch",
    ("customer", "branch_id"): "branch",
    ("branch", "ear_mould_lab_id"): "company",
}
EMPTY = "—"


@dataclass
class ChangeRow:
    """One changed field: its label and either old → new or, for secrets, only a note."""

    label: str
    old: str = ""  # empty for a new record's values
    new: str = ""
    note: str = ""  # secrets: "changed" / "viewed", never a value


@dataclass
class EntryRow:
    entry: object  # the ChangeLogEntry
    type_label: str
    action_label: str
    record_url: str | None
    changes: list = field(default_factory=list)


def readable(entries):
    """EntryRows for `entries` (ChangeLogEntry objects, in their order)."""
    entries = list(entries)
    existing = _existing_records(entries)
    names = _referenced_names(entries)
    rows = []
    for entry in entries:
        interface = None
        if entry.entity_type == "interface_service":
            interface = _interface(existing.get("interface_service", {}).get(entry.entity_id))
        labels = _labels(entry.entity_type)
        rows.append(EntryRow(
            entry=entry,
            type_label=str(ENTITY_LABELS.get(entry.entity_type, entry.entity_type)),
            action_label=str(ACTION_LABELS.get(entry.action, entry.action)),
            record_url=_record_url(entry, existing),
            changes=[_change(entry, item, labels, interface, names)
                     for item in _in_form_order(entry.changes or (), labels, interface)],
        ))
    return rows


def in_words(entries):
    """A record's entries for the history_list macro of its editor, with stored values in
    words as the change log shows them (the lab's name, not its id). Two queries at most."""
    entries = list(entries)
    names = _referenced_names(entries)

    def change(entry, item):
        if "old" not in item:
            return item
        name = item.get("field", "")
        return {**item, "old": _value(entry.entity_type, name, item["old"], None, names),
                "new": _value(entry.entity_type, name, item.get("new"), None, names)}

    return [SimpleNamespace(at=entry.at, user_name=entry.user_name, action=entry.action,
                            changes=[change(entry, item) for item in entry.changes or ()])
            for entry in entries]


def service_url(service_id):
    """The URL of an interface service's screen (/interfaces/<id>) when the app has one,
    else None: the interface screens are registered by their own blueprint."""
    found = current_app.extensions.get("changelog_service_rule")
    if found is None:
        found = ()
        for rule in current_app.url_map.iter_rules():
            match = re.fullmatch(r"/interfaces/<int:(\w+)>", rule.rule)
            if match and "GET" in (rule.methods or ()):
                found = (rule.endpoint, match[1])
                break
        current_app.extensions["changelog_service_rule"] = found
    if not found:
        return None
    endpoint, argument = found
    return url_for(endpoint, **{argument: service_id})


# --- records -----------------------------------------------------------------------------

def _models():
    from ..companies.models import Company
    from ..customers.models import Customer
    from ..directory.models import LdapSettings, OidcSettings
    from ..interfaces.models import InterfaceService
    from ..org.models import Branch, Chain, Workstation
    from ..processes.models import EarMouldPosition, Process, ProcessTemplate
    from ..users.models import User

    return {"interface_service": InterfaceService, "branch": Branch, "workstation": Workstation,
            "user": User, "company": Company, "chain": Chain, "ldap_settings": LdapSettings,
            "oidc_settings": OidcSettings, "customer": Customer, "process": Process,
            "process_template": ProcessTemplate, "ear_mould_position": EarMouldPosition}


# entity_type → (endpoint, URL argument or None)
RECORD_ENDPOINTS = {
    "branch": ("org.branch_get", "branch_id"),
    "workstation": ("org.workstation_get", "station_id"),
    "user": ("users.user_get", "user_id"),
    "company": ("companies.company_get", "company_id"),
    "chain": ("org.chain_get", None),
    "ldap_settings": ("directory.settings_get", None),
    "oidc_settings": ("directory.settings_get", None),
    "customer": ("customers.customer_get", "customer_id"),
    "process": ("processes.process_get", "process_id"),
    "process_template": ("processes.template_get", "template_id"),
}
# Records shown inside another record's page: entity_type → (column of the page's id,
# endpoint, its URL argument, the row's anchor there).
INNER_RECORDS = {
    "ear_mould_position": ("process_id", "processes.process_get", "process_id", "position-{id}"),
}


def _existing_records(entries):
    """{entity_type: {id: interface_key, the outer page's id (INNER_RECORDS) or True}} of the
    records that still exist: one query per entity type on the page."""
    wanted = {}
    for entry in entries:
        wanted.setdefault(entry.entity_type, set()).add(entry.entity_id)
    models = _models()
    existing = {}
    for entity_type, ids in wanted.items():
        model = models.get(entity_type)
        if model is None:
            continue
        if entity_type == "interface_service":
            rows = db.session.execute(db.select(model.id, model.interface_key)
                                      .where(model.id.in_(ids))).all()
            existing[entity_type] = dict(rows)
        elif entity_type in INNER_RECORDS:
            outer = getattr(model, INNER_RECORDS[entity_type][0])
            existing[entity_type] = dict(db.session.execute(
                db.select(model.id, outer).where(model.id.in_(ids))).all())
        else:
            existing[entity_type] = dict.fromkeys(
                db.session.scalars(db.select(model.id).where(model.id.in_(ids))), True)
    return existing


def _record_url(entry, existing):
    if entry.entity_id not in existing.get(entry.entity_type, {}):
        return None
    if entry.entity_type == "interface_service":
        return service_url(entry.entity_id)
    if entry.entity_type in INNER_RECORDS:
        _column, endpoint, argument, anchor = INNER_RECORDS[entry.entity_type]
        if endpoint not in current_app.view_functions:
            return None
        outer_id = existing[entry.entity_type][entry.entity_id]
        return url_for(endpoint, **{argument: outer_id}, _anchor=anchor.format(id=entry.entity_id))
    endpoint, argument = RECORD_ENDPOINTS.get(entry.entity_type, (None, None))
    if endpoint is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **({argument: entry.entity_id} if argument else {}))


def _referenced_names(entries):
    """{entity type: {id: name}} of the records that changes name by id (REFERENCES: a
    workstation's or customer's branch, a branch's ear-mould lab): one query per referenced
    entity type that the entries need."""
    wanted = {}
    for entry in entries:
        for item in entry.changes or ():
            referenced = REFERENCES.get((entry.entity_type, item.get("field")))
            if referenced is None:
                continue
            wanted.setdefault(referenced, set()).update(
                value for value in (item.get("old"), item.get("new")) if isinstance(value, int))
    models = _models()
    names = {}
    for entity_type, ids in wanted.items():
        model = models[entity_type]
        if ids:
            names[entity_type] = dict(db.session.execute(
                db.select(model.id, model.name).where(model.id.in_(ids))).all())
    return names


# --- labels and values -------------------------------------------------------------------

def _interface(interface_key):
    if not isinstance(interface_key, str):
        return None
    from ..interfaces import catalogue

    try:
        return catalogue.get_interface(interface_key)
    except KeyError:
        return None


def _labels(entity_type):
    """{field: label} for the entity type (lazy strings, translated when shown)."""
    if entity_type == "interface_service":
        return _service_labels()
    return _form_labels().get(entity_type, {})


@cache
def _service_labels():
    """The common service fields first, then every catalogue field and table."""
    specs = _catalogue_labels()
    return {**SERVICE_FIELD_LABELS,
            **{key: spec for key, spec in specs.items() if key not in SERVICE_FIELD_LABELS}}


@cache
def _form_labels():
    """The labels of the master-data forms, read from the form classes' fields."""
    from ..companies.forms import CompanyForm
    from ..customers.forms import CustomerForm
    from ..directory.forms import LdapSettingsForm, OidcSettingsForm
    from ..org.forms import BranchForm, ChainForm, WorkstationForm
    from ..processes.forms import PositionForm, TemplateForm
    from ..users.forms import UserForm

    def of(form_class):
        """{field name: label} in the order the form shows the fields."""
        fields = [(name, getattr(form_class, name, None)) for name in dir(form_class)]
        fields = sorted(((name, unbound) for name, unbound in fields
                         if isinstance(unbound, UnboundField)),
                        key=lambda pair: pair[1].creation_counter)
        labels = {}
        for name, unbound in fields:
            label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
            if label is not None:
                labels[name] = label
        return labels

    branch = of(BranchForm)
    office = _l("Business office")
    for name in [name for name in branch if name.startswith("office_")]:
        branch[name] = _Joined(office, branch[name])
    return {
        "branch": branch,
        "workstation": of(WorkstationForm),
        "chain": of(ChainForm),
        "user": {**of(UserForm), "password": _l("Password")},
        "company": of(CompanyForm),
        "ldap_settings": of(LdapSettingsForm),
        "oidc_settings": of(OidcSettingsForm),
        "customer": {"number": _l("Customer no."), **of(CustomerForm)},
        "process": PROCESS_FIELD_LABELS,
        "process_template": {**of(TemplateForm), "steps": _l("Steps")},
        "ear_mould_position": of(PositionForm),
    }


@cache
def _catalogue_labels():
    """{field key: FieldSpec or TableSpec} across the catalogue: the fallback when a deleted
    service's interface type is unknown (the entry does not store it). The first spec with a
    key wins; keys mean the same across interface types."""
    from ..interfaces import catalogue

    found = {}
    for group in catalogue.load():
        for interface in group.interfaces:
            for spec in (*interface.fields, *interface.tables):
                found.setdefault(spec.key, spec)
    return found


class _Joined:
    """'Business office: Street' — two lazy labels joined when shown."""

    def __init__(self, *parts):
        self.parts = parts

    def __str__(self):
        return ": ".join(str(part) for part in self.parts)


def _language():
    locale = get_locale()
    return locale.language if locale else "de"


def _label(name, labels, interface):
    if interface is not None:
        spec = _spec(interface, name)
        if spec is not None and name not in SERVICE_FIELD_LABELS:
            return spec.text("label", _language())
    if name.startswith("customer_number:"):
        return _("Customer number %(branch)s", branch=name.split(":", 1)[1])
    if name.startswith("step:"):  # a process's step ticked done or undone
        return _("Step “%(name)s” done", name=name.split(":", 1)[1])
    label = labels.get(name)
    if label is None:
        return name
    return label.text("label", _language()) if hasattr(label, "text") else str(label)


def _spec(interface, name):
    return next((spec for spec in (*interface.fields, *interface.tables) if spec.key == name),
                None)


def _in_form_order(changes, labels, interface):
    """The changes in the order their form shows the fields (unknown fields last, by name):
    common service fields first, then the interface's own in catalogue order."""
    order = list(labels)
    if interface is not None:
        order = list(SERVICE_FIELD_LABELS) + [spec.key for spec in (*interface.fields,
                                                                     *interface.tables)]
    position = {name: index for index, name in enumerate(order)}
    return sorted(changes, key=lambda item: (position.get(item.get("field"), len(position)),
                                             str(item.get("field"))))


def _change(entry, item, labels, interface, names):
    name = item.get("field", "")
    label = _label(name, labels, interface)
    if item.get("secret"):
        return ChangeRow(label, note=_("viewed") if entry.action == "reveal" else _("changed"))
    spec = None
    if entry.entity_type == "interface_service" and name not in SERVICE_FIELD_LABELS:
        spec = _spec(interface, name) if interface is not None else _catalogue_labels().get(name)
    old = item.get("old")
    # A new record has no old values: "Name: Till" instead of "Name: — → Till".
    shown_old = ("" if old is None and entry.action in ("create", "copy")
                 else _value(entry.entity_type, name, old, spec, names))
    return ChangeRow(label, shown_old,
                     _value(entry.entity_type, name, item.get("new"), spec, names))


@cache
def _code_labels():
    """(entity type, field) → the function naming the field's stored code, as its form does."""
    from ..companies.forms import ORDER_FORM_LABELS
    from ..customers.forms import salutation_label
    from ..processes.labels import process_type_label, side_label, status_label

    return {
        ("company", "order_form"): lambda code: ORDER_FORM_LABELS.get(code, code),
        ("customer", "salutation"): salutation_label,
        ("process", "process_type"): process_type_label,
        ("process_template", "process_type"): process_type_label,
        ("process", "status"): status_label,
        ("ear_mould_position", "side"): side_label,
    }


def _steps(labels):
    """Step lists as processes.services stores them ("Name [order_service]"), the ordering
    step's kind in words."""
    from ..processes.labels import step_kind_label
    from ..processes.models import ORDER_SERVICE

    marker = f" [{ORDER_SERVICE}]"
    return ", ".join(f"{label[:-len(marker)]} ({step_kind_label(ORDER_SERVICE)})"
                     if str(label).endswith(marker) else str(label) for label in labels)


def _value(entity_type, name, value, spec, names):
    """A stored value in words: yes/no, choice, code and role labels, referenced records by
    name, dates, decimals as the UI's language writes them, lists joined."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value in (None, "", [], {}):
        return EMPTY
    if spec is not None and getattr(spec, "kind", None) == "choice":
        return str(spec.choice_label(value, _language()))
    if (spec is not None and getattr(spec, "kind", None) == "date") or (
            entity_type == "interface_service" and name == "start_date"):
        return _date(value)
    if spec is not None and not hasattr(spec, "kind"):  # a table: rows of values
        return _("%(count)s rows", count=len(value)) if isinstance(value, list) else str(value)
    if name == "role":
        return str(role_label(value))
    if name == "preferred_language":
        return current_app.config["LANGUAGES"].get(value, value)
    code_label = _code_labels().get((entity_type, name))
    if code_label is not None:
        return str(code_label(value))
    referenced = REFERENCES.get((entity_type, name))
    if referenced is not None and isinstance(value, int):
        return names.get(referenced, {}).get(value, f"#{value}")
    if name == "steps" and entity_type in ("process", "process_template") and isinstance(value, list):
        return _steps(value)
    if isinstance(value, float):
        return format_decimal(value, format="0.##")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _date(value):
    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)
