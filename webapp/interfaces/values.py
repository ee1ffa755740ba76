"""Field values of a service: raw form input → typed values, with a message beside each field.

Input (`raw`) is any mapping of input names to strings, e.g. `request.form`:
- a field: its key (``host``); a field with several companies: a list (MultiDict.getlist) or
  one comma-separated string;
- a table cell: ``<table>-<row>-<field>`` (``templates-0-name``), rows in the order of their
  number; or, programmatically, ``raw[<table>]`` as a list of {field: raw} dicts;
- a secret: its key holds a new value (empty = keep the stored one) and ``<key>-clear``
  (CLEAR_SUFFIX) a ticked box clears it;
- a bool: "y"/"on"/"true"/"1" or "n"/"off"/"false"/"0"; absent or empty is False (an unticked
  checkbox), except in partial mode, where empty means "not set here" (inherit).

Typed values: text kinds str, number int/float, bool, choice value, date datetime.date, company
and supplier an id (a sorted list of ids for `multiple`), document_template its reference
string; an empty field is None. Stored JSON uses ISO strings for dates (to_storage/from_storage).

Partial mode is for workstation services that refine a branch or chain service: nothing is
required there and empty means "take the value from the service below"; the resolver merges.
"""
import datetime
import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from flask import current_app
from flask_babel import lazy_gettext as _l

from .. import outbound_policy, programs
from ..companies.models import Company
from ..errors import DomainError
from ..extensions import db
from ..forms import control_characters
from ..params import to_id
from .catalogue.validate import EMAIL_RE

CLEAR_SUFFIX = "-clear"
TRUE_INPUTS = frozenset({"y", "yes", "on", "true", "1"})
FALSE_INPUTS = frozenset({"n", "no", "off", "false", "0"})
REFERENCE_MAX_LENGTH = 200  # document templates have no master data yet: a reference string

REQUIRED = _l("This field is required.")
FULL_ADDRESS = _l("Enter a full address such as https://example.org.")


class InvalidValues(DomainError):
    """Input failed validation; `errors` maps every input name at fault to its message (the
    first one is also `field` / `message`, as for any DomainError)."""

    def __init__(self, errors):
        self.errors = dict(errors)
        field_name, message = next(iter(self.errors.items()))
        super().__init__(message, field=field_name)


@dataclass
class Parsed:
    """The outcome of `parse`."""

    values: dict  # {field key: typed value or None, table key: [row dict, …] or None}
    secrets: dict = field(default_factory=dict)  # {key: new plaintext, or None = clear}
    errors: dict = field(default_factory=dict)  # {input name: message}


def parse(interface, raw, *, partial=False, secrets_set=()):
    """Parse and validate `raw` input for every field and table of `interface`.

    Fields hidden by `shown_if` are neither required nor kept (stored as None; a hidden flag
    in a table row as False); their secrets stay untouched. `secrets_set` names the secrets already stored, so that a required secret
    left empty on an update is fine. Company and supplier ids are checked against the database
    in one query. Returns Parsed(values, secrets, errors); errors is empty when all is well."""
    get = _getter(raw)
    result = Parsed(values={})
    specs = {spec.key: spec for spec in interface.fields}
    references = []
    for spec in interface.fields:
        visible = _shown(spec, result.values, specs)
        if spec.is_secret:
            if visible:
                _parse_secret(spec, get, partial, set(secrets_set), result)
            continue
        if not visible:
            result.values[spec.key] = None
            continue
        value = _parse_into(spec, get(spec.key, spec.multiple), spec.key, partial, result)
        if value is not None and spec.kind in ("company", "supplier"):
            references.append((spec.key, spec, value))
    for table in interface.tables:
        result.values[table.key] = _parse_table(table, raw, partial, result, references)
    _check_references(references, result.errors)
    return result


def _parse_secret(spec, get, partial, secrets_set, result):
    new = get(spec.key)
    if new:
        problem = _string_problem(spec, new)
        if problem:
            result.errors[spec.key] = problem
            return
        result.secrets[spec.key] = new
    elif _truthy(get(spec.key + CLEAR_SUFFIX)):
        result.secrets[spec.key] = None
    will_be_set = result.secrets.get(spec.key) is not None or (
        spec.key not in result.secrets and spec.key in secrets_set)
    if spec.required and not partial and not will_be_set:
        result.errors[spec.key] = REQUIRED


def _parse_into(spec, raw_value, name, partial, result, values=None):
    """Parse one field into `values` (default: result.values); record its error under
    `name`. Returns the typed value (None when empty or invalid)."""
    values = result.values if values is None else values
    value, problem = parse_value(spec, raw_value, partial=partial)
    if problem is None and value is None and spec.required and not partial:
        problem = REQUIRED
    if problem is not None:
        result.errors[name] = problem
        value = None
    values[spec.key] = value
    return value


def _parse_table(table, raw, partial, result, references):
    rows_raw = table_rows(raw, table.key)
    if partial and not rows_raw:
        return None  # a workstation service without rows takes the rows from below
    rows = []
    for number, row_raw in rows_raw:
        get = _getter(row_raw)
        row = {}
        specs = {spec.key: spec for spec in table.fields}
        for spec in table.fields:
            name = f"{table.key}-{number}-{spec.key}"
            if spec.is_secret or not _shown(spec, row, specs):
                # A flag that does not apply to the row is off (a row inherits nothing, and
                # what is sent from it, e.g. a card order's roller clip, reads False).
                row[spec.key] = False if spec.kind == "bool" else None
                continue
            value = _parse_into(spec, get(spec.key, spec.multiple), name, False, result, row)
            if value is not None and spec.kind in ("company", "supplier"):
                references.append((name, spec, value))
        rows.append(row)
    if len(rows) < table.min_rows and not partial:
        result.errors[table.key] = _l("At least %(count)s row(s) are needed.",
                                      count=table.min_rows)
    elif table.max_rows is not None and len(rows) > table.max_rows:
        result.errors[table.key] = _l("At most %(count)s row(s) are allowed.",
                                      count=table.max_rows)
    return rows


def parse_value(spec, raw_value, *, partial=False):
    """One field: (typed value or None, None) or (None, message). Does not apply `required`
    and does not look companies up (parse does both)."""
    if spec.kind == "bool":
        return _parse_bool(raw_value, partial)
    if spec.multiple:
        return _parse_ids(raw_value)
    text = single(raw_value)
    if spec.kind == "secret":
        return (text or None), (_string_problem(spec, text) if text else None)
    text = text.strip()
    if not text:
        return None, None
    parser = _PARSERS.get(spec.kind, _parse_string)
    return parser(spec, text)


def _parse_bool(raw_value, partial):
    if isinstance(raw_value, bool):
        return raw_value, None
    text = single(raw_value).strip().lower()
    if not text:
        return (None if partial else False), None
    if text in TRUE_INPUTS:
        return True, None
    if text in FALSE_INPUTS:
        return False, None
    return None, _l("Choose yes or no.")


def _parse_ids(raw_value):
    if raw_value is None:
        items = []
    elif isinstance(raw_value, (list, tuple, set)):
        items = [str(item) for item in raw_value]
    else:
        items = str(raw_value).split(",")
    ids = set()
    for item in (item.strip() for item in items):
        if not item:
            continue
        company_id = to_id(item)
        if company_id is None:
            return None, _l("Choose a company from the list.")
        ids.add(company_id)
    return (sorted(ids) or None), None


def _parse_id(spec, text):
    company_id = to_id(text)
    if company_id is None:
        return None, _l("Choose a company from the list.")
    return company_id, None


def _parse_number(spec, text):
    normal = text.replace(" ", "")
    if "," in normal and "." not in normal:
        normal = normal.replace(",", ".")  # German decimal comma
    try:
        value = int(normal) if re.fullmatch(r"[+-]?\d+", normal) else float(normal)
    except ValueError:
        return None, _l("Enter a number.")
    if isinstance(value, float) and not math.isfinite(value):
        return None, _l("Enter a number.")
    low, high = spec.min_value, spec.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            return None, _l("Enter a number from %(min)s to %(max)s.", min=low, max=high)
        if low is not None:
            return None, _l("Enter a number of at least %(min)s.", min=low)
        return None, _l("Enter a number of at most %(max)s.", max=high)
    return value, None


def _parse_choice(spec, text):
    if text not in {choice[0] for choice in spec.choices}:
        return None, _l("Not a valid choice.")
    return text, None


def _parse_date(spec, text):
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date(), None
        except ValueError:
            continue
    return None, _l("Enter a date such as 31.12.2025.")


def _parse_string(spec, text):
    problem = _string_problem(spec, text)
    if problem is None and spec.kind == "url":
        parts = urlsplit(text)
        if not (parts.scheme and parts.netloc) or any(c.isspace() for c in text):
            problem = FULL_ADDRESS
        else:
            problem = _outbound_problem("check_url", text, FULL_ADDRESS)
    if problem is None and spec.kind == "host":
        problem = _outbound_problem("check_host", text)
    if problem is None and spec.kind == "email" and not EMAIL_RE.fullmatch(text):
        problem = _l("Enter a valid e-mail address.")
    return (None, problem) if problem else (text, None)


def _parse_certificate(spec, text):
    """PEM certificates, one or more; line endings as Unix writes them."""
    text = "\n".join(line.strip() for line in text.replace("\r\n", "\n").split("\n")) + "\n"
    problem = _string_problem(spec, text)
    if problem is None:
        try:
            x509.load_pem_x509_certificates(text.encode("ascii"))
        except (ValueError, UnicodeError):
            problem = _l("Not a certificate in PEM format (-----BEGIN CERTIFICATE----- …).")
    return (None, problem) if problem else (text, None)


def _string_problem(spec, text):
    if control_characters(text, multiline=spec.kind == "certificate"):
        return _l("Must not contain control characters such as tabs or line breaks.")
    limit = spec.max_length or (REFERENCE_MAX_LENGTH if spec.kind == "document_template" else None)
    if limit is not None and len(text) > limit:
        return _l("Enter at most %(max)s characters.", max=limit)
    if spec.pattern is not None and not re.fullmatch(spec.pattern, text):
        return _l("The value does not have the expected format (see the help).")
    return None


def _outbound_problem(check, value, invalid=None):
    """Why the operator's outbound policy refuses a URL or host (`check`: the Policy method),
    or None. Names are resolved and checked again when they are used."""
    try:
        getattr(outbound_policy.from_config(current_app.config), check)(value)
    except outbound_policy.Refused as refused:
        if refused.reason == outbound_policy.INVALID and invalid is not None:
            return invalid
        return outbound_policy.REASONS[refused.reason]
    return None


def _parse_program(spec, text):
    """A program is a path on the operator's list, never any other."""
    if text not in programs.allowed_paths(current_app.config):
        return None, _l("Choose one of the programs the operator allows.")
    return text, None


_PARSERS = {
    "number": _parse_number, "choice": _parse_choice, "date": _parse_date,
    "company": _parse_id, "supplier": _parse_id, "program": _parse_program,
    "certificate": _parse_certificate,
}


def _check_references(references, errors):
    """Company fields name existing companies; supplier fields companies marked as supplier."""
    ids = {i for _name, _spec, value in references for i in _as_list(value)}
    if not ids:
        return
    suppliers = dict(db.session.execute(
        db.select(Company.id, Company.is_supplier).where(Company.id.in_(ids))).all())
    for name, spec, value in references:
        for company_id in _as_list(value):
            if company_id not in suppliers:
                errors[name] = _l("Choose an existing company.")
            elif spec.kind == "supplier" and not suppliers[company_id]:
                errors[name] = _l("Choose a company that is marked as a supplier.")


def _shown(spec, values, specs):
    """Whether `spec` is visible given the values parsed so far (empty → the default)."""
    condition = spec.shown_if
    if condition is None:
        return True
    current = values.get(condition.field)
    if current is None:
        current = specs[condition.field].default
    return current in condition.values


def is_shown(spec, values, fields):
    """Whether a field is visible (its shown_if holds) for typed `values` of `fields`."""
    return _shown(spec, values, {other.key: other for other in fields})


# --- storage and forms -------------------------------------------------------------------

def to_storage(interface, values):
    """Typed values → the JSON stored in InterfaceService.values (dates as ISO strings)."""
    return _convert(interface, values, _dump)


def from_storage(interface, stored):
    """Stored JSON → typed values for every non-secret field and table (missing → None), as
    _convert(interface, stored, _load) makes them: only dates change, so the rest is copied
    by key (the effective configuration reads ~150 services' values a page, issue 15)."""
    keys, dates, tables = _storage_plan(interface)
    stored = stored or {}
    result = {key: stored.get(key) for key in keys}
    for key in dates:
        if isinstance(result[key], str):
            result[key] = datetime.date.fromisoformat(result[key])
    for key, row_keys, row_dates in tables:
        rows = stored.get(key)
        result[key] = None if rows is None else [_loaded_row(row, row_keys, row_dates)
                                                 for row in rows]
    return result


def _loaded_row(row, keys, dates):
    loaded = {key: row.get(key) for key in keys}
    for key in dates:
        if isinstance(loaded[key], str):
            loaded[key] = datetime.date.fromisoformat(loaded[key])
    return loaded


# {interface key: (interface, plan)}: from the static catalogue (the interface kept to tell a
# reloaded catalogue's apart)
_STORAGE_PLANS = {}


def _storage_plan(interface):
    """(keys of the non-secret fields, those of the dates among them, [(table key, its fields'
    keys, its dates' keys)]) of `interface`, as _convert walks them."""
    cached = _STORAGE_PLANS.get(interface.key)
    if cached is None or cached[0] is not interface:
        fields = [spec for spec in interface.fields if not spec.is_secret]
        cached = _STORAGE_PLANS[interface.key] = (interface, (
            tuple(spec.key for spec in fields),
            tuple(spec.key for spec in fields if spec.kind == "date"),
            tuple((table.key, tuple(spec.key for spec in table.fields),
                   tuple(spec.key for spec in table.fields if spec.kind == "date"))
                  for table in interface.tables)))
    return cached[1]


def _convert(interface, values, convert):
    result = {spec.key: convert(spec, values.get(spec.key))
              for spec in interface.fields if not spec.is_secret}
    for table in interface.tables:
        rows = values.get(table.key)
        result[table.key] = None if rows is None else [
            {spec.key: convert(spec, row.get(spec.key)) for spec in table.fields} for row in rows]
    return result


def defaults(interface):
    """Typed values of a new (non-partial) service: each field's catalogue default."""
    values = {spec.key: spec.default for spec in interface.fields if not spec.is_secret}
    values.update({table.key: [] for table in interface.tables})
    return values


def form_data(interface, values=None):
    """Raw strings to pre-fill a form: the inverse of `parse` (values None → the defaults).
    Bools are "y" / "n" / "" (not set), dates ISO, several companies a list of strings,
    table cells ``<table>-<row>-<field>``; secrets are never included."""
    values = defaults(interface) if values is None else values
    data = {spec.key: _raw(spec, values.get(spec.key))
            for spec in interface.fields if not spec.is_secret}
    for table in interface.tables:
        for number, row in enumerate(values.get(table.key) or ()):
            for spec in table.fields:
                data[f"{table.key}-{number}-{spec.key}"] = _raw(spec, row.get(spec.key))
    return data


def company_ids(interface, values):
    """{field key: [company ids]} of the company and supplier fields that are set."""
    return {spec.key: _as_list(values.get(spec.key)) for spec in interface.fields
            if spec.kind in ("company", "supplier") and values.get(spec.key) is not None}


def _dump(spec, value):
    if spec.kind == "date" and isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _load(spec, value):
    if spec.kind == "date" and isinstance(value, str):
        return datetime.date.fromisoformat(value)
    return value


def _raw(spec, value):
    if value is None:
        return [] if spec.multiple else ""
    if spec.kind == "bool":
        return "y" if value else "n"
    if spec.multiple:
        return [str(item) for item in value]
    if spec.kind == "date":
        return value.isoformat()
    return str(value)


# --- raw input helpers -------------------------------------------------------------------

def _getter(raw):
    """get(name, several=False): one raw string (or, with several, a list) from `raw`."""
    raw = raw or {}

    def get(name, several=False):
        if several and hasattr(raw, "getlist"):
            values = raw.getlist(name)
            return values if len(values) != 1 else values[0]
        return raw.get(name)
    return get


def single(value):
    """One raw input as a string: the first of several, '' for none."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return str(value)


def _truthy(value):
    return single(value).strip().lower() in TRUE_INPUTS


def _as_list(value):
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


# Row numbers in ASCII digits and short: int() refuses '²' and numbers of 4,300 digits.
_CELL = re.compile(r"(?P<table>[a-z][a-z0-9_]*)-(?P<row>[0-9]{1,6})-(?P<field>[a-z][a-z0-9_]*)")


def table_rows(raw, table_key, keep_empty=False):
    """[(row number, {field: raw}), …] of one table, in row order. Rows left completely empty
    (the blank row a form offers) are dropped, unless `keep_empty` (the form shows them again).
    A cell of a multi-select field keeps all its values."""
    raw = raw or {}
    given = raw.get(table_key) if not hasattr(raw, "getlist") else None
    if isinstance(given, (list, tuple)):
        rows = list(enumerate(given))
    else:
        by_number = {}
        for name in raw.keys():
            match = _CELL.fullmatch(name)
            if match and match["table"] == table_key:
                value = raw.getlist(name) if hasattr(raw, "getlist") else raw.get(name)
                if isinstance(value, list) and len(value) == 1:
                    value = value[0]
                by_number.setdefault(int(match["row"]), {})[match["field"]] = value
        rows = sorted(by_number.items())
    if keep_empty:
        return rows
    return [(number, row) for number, row in rows
            if any(single(value).strip() for value in row.values())]
