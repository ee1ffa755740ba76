"""Change-log entries in words, for the global change log and any screen's history panel:
type and action labels, field labels (the catalogue's for interface services, the forms' for
master data), stored values as the forms show them, and a link to the record while it exists.

For views only (it builds URLs); a constant number of queries per page of entries."""
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from flask import current_app, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields.core import UnboundField

from ..extensions import db
from ..i18n import role_label

ENTITY_LABELS = {
    "interface_service": _l("Interface service"),
    "branch": _l("Branch"),
    "workstation": _l("Workstation"),
    "user": _l("User"),
    "company": _l("Company"),
    "chain": _l("Chain"),
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
    branch_names = _branch_names(entries)
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
            changes=[_change(entry, item, labels, interface, branch_names)
                     for item in _in_form_order(entry.changes or (), labels, interface)],
        ))
    return rows


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
    from ..directory.models import LdapSettings, OidcSettings
    from ..interfaces.models import InterfaceService
    from ..org.models import Branch, Chain, Workstation
    from ..users.models import User

    return {"interface_service": InterfaceService, "branch": Branch, "workstation": Workstation,
            "user": User, "company": Company, "chain": Chain, "ldap_settings": LdapSettings,
            "oidc_settings": OidcSettings}


# entity_type → (endpoint, URL argument or None)
RECORD_ENDPOINTS = {
    "branch": ("org.branch_get", "branch_id"),
    "workstation": ("org.workstation_get", "station_id"),
    "user": ("users.user_get", "user_id"),
    "company": ("companies.company_get", "company_id"),
    "chain": ("org.chain_get", None),
    "ldap_settings": ("directory.settings_get", None),
    "oidc_settings": ("directory.settings_get", None),
}


def _existing_records(entries):
    """{entity_type: {id: interface_key or True}} of the records that still exist: one query
    per entity type on the page."""
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
        else:
            existing[entity_type] = dict.fromkeys(
                db.session.scalars(db.select(model.id).where(model.id.in_(ids))), True)
    return existing


def _record_url(entry, existing):
    if entry.entity_id not in existing.get(entry.entity_type, {}):
        return None
    if entry.entity_type == "interface_service":
        return service_url(entry.entity_id)
    endpoint, argument = RECORD_ENDPOINTS.get(entry.entity_type, (None, None))
    if endpoint is None or endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **({argument: entry.entity_id} if argument else {}))


def _branch_names(entries):
    """Names of branches a workstation's change names by id (older entries store the id)."""
    ids = {value for entry in entries if entry.entity_type == "workstation"
           for item in entry.changes or () if item.get("field") == "branch_id"
           for value in (item.get("old"), item.get("new")) if isinstance(value, int)}
    if not ids:
        return {}
    from ..org.models import Branch

    return dict(db.session.execute(db.select(Branch.id, Branch.name)
                                   .where(Branch.id.in_(ids))).all())


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
    from ..directory.forms import LdapSettingsForm, OidcSettingsForm
    from ..org.forms import BranchForm, ChainForm, WorkstationForm
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


def _change(entry, item, labels, interface, branch_names):
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
                 else _value(entry.entity_type, name, old, spec, branch_names))
    return ChangeRow(label, shown_old,
                     _value(entry.entity_type, name, item.get("new"), spec, branch_names))


def _value(entity_type, name, value, spec, branch_names):
    """A stored value in words: yes/no, choice and role labels, dates, lists joined."""
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
    if entity_type == "company" and name == "order_form":
        from ..companies.forms import ORDER_FORM_LABELS

        return str(ORDER_FORM_LABELS.get(value, value))
    if entity_type == "workstation" and name == "branch_id" and isinstance(value, int):
        return branch_names.get(value, f"#{value}")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _date(value):
    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)
