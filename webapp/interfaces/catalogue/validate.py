"""Start-up check of the catalogue: a malformed entry stops the app with its path.

Every problem is collected first, so one run names them all, e.g.
``group 'sms' / interface 'smsapi' / field 'auth_mode': default 'x' is not among the choices``.
"""
import datetime
import re
from urllib.parse import urlsplit

from ...documents.models import KINDS as DOCUMENT_KINDS
from .schema import (
    ACTION_KINDS, AREAS, DEVICE_SECTION, FIELD_KINDS, NETWORK_KINDS, REFERENCE_KINDS, RUNS_AT,
    SCOPES, SOURCES, STRING_KINDS, USAGES, ActionSpec, Condition, FieldSpec, Group,
    InterfaceType, Section, TableSpec,
)

KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
CHOICE_VALUE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class CatalogueError(Exception):
    """The catalogue is malformed. `problems` lists every entry at fault with its path."""

    def __init__(self, problems):
        self.problems = list(problems)
        lines = "\n  ".join(self.problems)
        super().__init__(f"Interface catalogue is malformed ({len(self.problems)}):\n  {lines}")


def validate_catalogue(groups):
    """Check the whole catalogue; raise CatalogueError naming each bad entry, else return it."""
    problems = []
    report = problems.append
    if not isinstance(groups, tuple) or not groups:
        report("catalogue: must be a non-empty tuple of groups")
        raise CatalogueError(problems)

    group_keys, interface_keys, requires = set(), set(), []
    for group in groups:
        where = _check_entry(group, Group, "group", "catalogue", group_keys, report)
        if where is None:
            continue
        _check_texts(group, ("name_de", "name_en", "help_de", "help_en"), where, report)
        if group.area not in AREAS:
            report(f"{where}: area {group.area!r} is not one of {AREAS}")
        if not isinstance(group.interfaces, tuple) or not group.interfaces:
            report(f"{where}: has no interfaces")
            continue
        for iface in group.interfaces:  # interface keys are unique across all groups
            iwhere = _check_entry(iface, InterfaceType, "interface", where, interface_keys,
                                  report)
            if iwhere is None:
                continue
            _check_interface(iface, iwhere, report)
            requires.extend((iwhere, key) for key in iface.requires)
        if not any(isinstance(i, InterfaceType) and i.fields for i in group.interfaces):
            report(f"{where}: no interface with fields (every group needs one)")

    for iwhere, key in requires:
        if key not in interface_keys:
            report(f"{iwhere}: requires unknown interface {key!r}")
    if problems:
        raise CatalogueError(problems)
    return groups


def _check_interface(iface, where, report):
    _check_texts(iface, ("name_de", "name_en", "help_de", "help_en"), where, report)
    if iface.source not in SOURCES:
        report(f"{where}: source {iface.source!r} is not one of {SOURCES}")
    _check_subset(iface.usages, USAGES, "usages", where, report)
    _check_subset(iface.scopes, SCOPES, "scopes", where, report)
    _check_subset(iface.default_usages, USAGES, "default_usages", where, report)
    if not set(iface.default_usages) <= set(iface.usages):
        report(f"{where}: default_usages {iface.default_usages} not within usages {iface.usages}")
    for name in ("fields", "actions", "tables", "fixed_after_save", "requires", "prerequisites",
                 "keywords"):
        if not isinstance(getattr(iface, name), tuple):
            report(f"{where}: {name} must be a tuple")
            return
    if iface.key in iface.requires:
        report(f"{where}: requires itself")
    for key in iface.prerequisites:
        if key not in iface.requires:
            report(f"{where}: prerequisite {key!r} is not among requires")

    field_keys = _check_fields(iface.fields, where, report)
    sections = {}
    for spec in iface.fields:
        if isinstance(spec, FieldSpec) and isinstance(spec.section, Section):
            known = sections.setdefault(spec.section.key, spec.section)
            if known != spec.section:
                report(f"{where} / field {spec.key!r}: section {spec.section.key!r} is declared "
                       "with two different labels")

    if not iface.fields and not iface.tables:
        if not iface.no_fields_reason.strip():
            report(f"{where}: has no fields and no no_fields_reason")
    elif iface.no_fields_reason:
        report(f"{where}: has fields but also a no_fields_reason")

    if iface.multiple_per_scope is not True and iface.multiple_per_scope is not False:
        report(f"{where}: multiple_per_scope must be True or False")
    if iface.unique_by is not None:
        if iface.unique_by not in field_keys:
            report(f"{where}: unique_by names unknown field {iface.unique_by!r}")
        elif any(isinstance(f, FieldSpec) and f.key == iface.unique_by and f.is_secret
                 for f in iface.fields):
            report(f"{where}: unique_by field {iface.unique_by!r} is a secret")
        if not iface.multiple_per_scope:
            report(f"{where}: unique_by needs multiple_per_scope=True")
    for key in iface.fixed_after_save:
        if key not in field_keys:
            report(f"{where}: fixed_after_save names unknown field {key!r}")

    # Tables share the interface's key space with its fields (both name form inputs).
    for table in iface.tables:
        twhere = _check_entry(table, TableSpec, "table", where, field_keys, report)
        if twhere is None:
            continue
        _check_texts(table, ("label_de", "label_en"), twhere, report)
        _check_pair(table, "help", twhere, report)
        if not isinstance(table.fields, tuple) or not table.fields:
            report(f"{twhere}: has no fields")
        else:
            _check_fields(table.fields, twhere, report)
            for spec in table.fields:
                if getattr(spec, "admin_only", False):
                    # services.locked_fields guards a service's own fields, not table cells.
                    report(f"{twhere} / {spec.key}: admin-only fields cannot be table cells")
        if not isinstance(table.min_rows, int) or table.min_rows < 0:
            report(f"{twhere}: min_rows must be an int >= 0")
        elif table.max_rows is not None and table.max_rows < max(table.min_rows, 1):
            report(f"{twhere}: max_rows {table.max_rows} is below min_rows or 1")

    action_keys = set()
    for action in iface.actions:
        awhere = _check_entry(action, ActionSpec, "action", where, action_keys, report)
        if awhere is None:
            continue
        _check_texts(action, ("label_de", "label_en"), awhere, report)
        _check_pair(action, "help", awhere, report)
        if action.kind not in ACTION_KINDS:
            report(f"{awhere}: kind {action.kind!r} is not one of {ACTION_KINDS}")
        _check_pair(action, "confirm", awhere, report)
        if action.runs_at not in RUNS_AT:
            report(f"{awhere}: runs_at {action.runs_at!r} is not one of {RUNS_AT}")
        elif action.runs_at == "workstation" and "client" not in iface.usages:
            report(f"{awhere}: runs at the workstation, but the interface is not client-side")
    _check_tests(iface, where, report)


def _check_tests(iface, where, report):
    """A type that speaks a network protocol (a url or host field) can be tested from the
    server; a device at a workstation (a field in the device section) at that workstation."""
    tests = {a.runs_at for a in iface.actions if isinstance(a, ActionSpec) and a.kind == "test"}
    specs = [f for f in iface.fields if isinstance(f, FieldSpec)]
    network = [f.key for f in specs if f.kind in NETWORK_KINDS]
    if network and "server" not in tests:
        report(f"{where}: field {network[0]!r} makes it speak a network protocol, but it has no "
               "action of kind 'test' run by the server (fields.TEST_CONNECTION)")
    device = [f.key for f in specs if isinstance(f.section, Section)
              and f.section.key == DEVICE_SECTION]
    if device and "workstation" not in tests:
        report(f"{where}: field {device[0]!r} is a device setting, but it has no action of kind "
               "'test' run at the workstation (fields.TEST_AT_WORKSTATION)")


def _check_entry(entry, cls, noun, parent, seen_keys, report):
    """What every entry shares: its type, an ASCII key, unique among `seen_keys` (updated).
    Returns the entry's path for messages, or None when it is not a `cls` at all."""
    if not isinstance(entry, cls):
        report(f"{parent}: {entry!r} is not a {cls.__name__}")
        return None
    where = f"{noun} {entry.key!r}" if parent == "catalogue" else f"{parent} / {noun} {entry.key!r}"
    _check_key(entry.key, where, report)
    if entry.key in seen_keys:
        report(f"{where}: duplicate {noun} key")
    seen_keys.add(entry.key)
    return where


def _check_fields(fields, where, report):
    """Check a list of field specs; return the set of their keys."""
    keys, earlier = set(), {}
    for spec in fields:
        fwhere = _check_entry(spec, FieldSpec, "field", where, keys, report)
        if fwhere is None:
            continue
        _check_field(spec, fwhere, report)
        _check_condition(spec, earlier, fields, fwhere, report)
        earlier[spec.key] = spec
    return keys


def _check_field(spec, where, report):
    _check_texts(spec, ("label_de", "label_en"), where, report)
    _check_pair(spec, "help", where, report)
    if spec.required is not True and spec.required is not False:
        report(f"{where}: required must be True or False")
    if spec.kind not in FIELD_KINDS:
        report(f"{where}: kind {spec.kind!r} is not one of {FIELD_KINDS}")
        return
    if spec.section is not None and not isinstance(spec.section, Section):
        report(f"{where}: section must be a Section")
    elif spec.section is not None:
        _check_key(spec.section.key, f"{where} / section", report)
        _check_texts(spec.section, ("label_de", "label_en"), f"{where} / section", report)

    if spec.kind == "choice":
        _check_choices(spec, where, report)
    elif spec.choices:
        report(f"{where}: choices are only allowed on choice fields")
    if spec.kind != "number" and (spec.min_value is not None or spec.max_value is not None):
        report(f"{where}: min_value/max_value are only allowed on number fields")
    if spec.kind == "number":
        for name in ("min_value", "max_value"):
            value = getattr(spec, name)
            if value is not None and not _is_number(value):
                report(f"{where}: {name} must be a number")
        if (_is_number(spec.min_value) and _is_number(spec.max_value)
                and spec.min_value > spec.max_value):
            report(f"{where}: min_value {spec.min_value} > max_value {spec.max_value}")
    if spec.kind not in STRING_KINDS and (spec.max_length is not None or spec.pattern is not None):
        report(f"{where}: max_length/pattern are only allowed on string kinds {STRING_KINDS}")
    if spec.max_length is not None and (not isinstance(spec.max_length, int)
                                        or isinstance(spec.max_length, bool)
                                        or spec.max_length < 1):
        report(f"{where}: max_length must be a positive int")
    if spec.pattern is not None:
        try:
            re.compile(spec.pattern)
        except (re.error, TypeError) as exc:
            report(f"{where}: pattern does not compile ({exc})")
    if spec.multiple and spec.kind not in ("company", "supplier"):
        report(f"{where}: multiple is only allowed on company/supplier fields")
    if spec.admin_only is not True and spec.admin_only is not False:
        report(f"{where}: admin_only must be True or False")
    if spec.document_kind and (spec.kind != "document_template"
                               or spec.document_kind not in DOCUMENT_KINDS):
        report(f"{where}: document_kind must be one of {DOCUMENT_KINDS}, on a "
               f"document_template field")
    if spec.default is not None:
        problem = _default_problem(spec)
        if problem:
            report(f"{where}: default {spec.default!r} {problem}")


def _check_choices(spec, where, report):
    if not isinstance(spec.choices, tuple) or not spec.choices:
        report(f"{where}: a choice field needs a non-empty tuple of choices")
        return
    values = set()
    for choice in spec.choices:
        if not (isinstance(choice, tuple) and len(choice) == 3
                and all(isinstance(part, str) and part.strip() for part in choice)):
            report(f"{where}: choice {choice!r} is not (value, label_de, label_en)")
            continue
        if not CHOICE_VALUE_RE.fullmatch(choice[0]):
            report(f"{where}: choice value {choice[0]!r} is not a plain ASCII token")
        if choice[0] in values:
            report(f"{where}: duplicate choice value {choice[0]!r}")
        values.add(choice[0])


def _default_problem(spec):
    """Why `spec.default` does not suit the field, or None."""
    value, kind = spec.default, spec.kind
    if kind in REFERENCE_KINDS:
        return "is not allowed: reference fields point at master data and have no default"
    if kind == "secret":
        return "is not allowed: secrets never have a default"
    if kind == "program":
        return "is not allowed: programs come from the operator's ALLOWED_PROGRAMS"
    if kind == "bool":
        return None if isinstance(value, bool) else "is not a bool"
    if kind == "number":
        if not _is_number(value):
            return "is not a number"
        if spec.min_value is not None and value < spec.min_value:
            return f"is below min_value {spec.min_value}"
        if spec.max_value is not None and value > spec.max_value:
            return f"is above max_value {spec.max_value}"
        return None
    if kind == "date":
        ok = isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)
        return None if ok else "is not a datetime.date"
    if kind == "choice":
        values = [c[0] for c in spec.choices if isinstance(c, tuple) and c]
        return None if value in values else f"is not among the choices {values}"
    # string kinds
    if not isinstance(value, str):
        return "is not a string"
    if isinstance(spec.max_length, int) and len(value) > spec.max_length:
        return f"is longer than max_length {spec.max_length}"
    if spec.pattern is not None and isinstance(spec.pattern, str):
        try:
            if not re.fullmatch(spec.pattern, value):
                return f"does not match pattern {spec.pattern!r}"
        except re.error:
            return None  # reported as a bad pattern
    if kind == "url":
        parts = urlsplit(value)
        if not (parts.scheme and parts.netloc):
            return "is not an absolute URL"
        if parts.scheme != "https":
            return "is not https (the outbound policy allows plain http only where configured)"
    if kind == "email" and not EMAIL_RE.fullmatch(value):
        return "is not an e-mail address"
    return None


def _check_condition(spec, earlier, fields, where, report):
    cond = spec.shown_if
    if cond is None:
        return
    if not isinstance(cond, Condition) or not isinstance(cond.values, tuple) or not cond.values:
        report(f"{where}: shown_if must be a Condition with a non-empty tuple of values")
        return
    target = earlier.get(cond.field)
    if target is None:
        later = any(isinstance(f, FieldSpec) and f.key == cond.field for f in fields)
        report(f"{where}: shown_if refers to {'a later' if later else 'unknown'} field "
               f"{cond.field!r}")
        return
    if target.kind == "bool":
        allowed = (True, False)
    elif target.kind == "choice":
        allowed = tuple(c[0] for c in target.choices if isinstance(c, tuple) and c)
    else:
        report(f"{where}: shown_if field {cond.field!r} must be a choice or bool field")
        return
    for value in cond.values:
        if value not in allowed or (target.kind == "bool" and not isinstance(value, bool)):
            report(f"{where}: shown_if value {value!r} is not a value of field {cond.field!r}")


def _check_key(key, where, report):
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        report(f"{where}: key {key!r} is not an ASCII slug ([a-z][a-z0-9_]*, at most 64)")


def _check_texts(obj, names, where, report):
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, str) or not value.strip():
            report(f"{where}: {name} is empty")


def _check_pair(obj, base, where, report):
    """Optional texts come in both languages or not at all."""
    de, en = getattr(obj, f"{base}_de"), getattr(obj, f"{base}_en")
    if not (isinstance(de, str) and isinstance(en, str)):
        report(f"{where}: {base}_de/{base}_en must be strings")
    elif bool(de.strip()) != bool(en.strip()):
        report(f"{where}: {base}_de and {base}_en must both be given or both be empty")


def _check_subset(values, allowed, name, where, report):
    if not isinstance(values, tuple) or not values:
        report(f"{where}: {name} must be a non-empty tuple")
        return
    for value in values:
        if value not in allowed:
            report(f"{where}: {name} value {value!r} is not one of {allowed}")
    if len(set(values)) != len(values):
        report(f"{where}: {name} has duplicates")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)
