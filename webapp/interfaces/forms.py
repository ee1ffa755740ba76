"""Forms of the interface screens.

The common fields of a service (Name, Filiale, Verwendung, Start, Geschützt, aktiv) are a
WTForms form. The interface's own fields are rendered straight from the catalogue's FieldSpecs
and validated by values.parse inside the services, so each rule lives in one place; this
module only turns specs, raw input and messages into what the templates show.
"""
import functools
import json
from datetime import datetime
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote_plus

from flask import current_app, url_for
from flask_babel import gettext, lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.core import Label
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, HiddenInput, Select, TextInput
from wtforms.widgets.core import clean_key

from .. import programs
from ..forms import AppForm, NoMarkup, VersionField, optional_id, strip
from . import values as field_values
from .catalogue.schema import FieldSpec
from .values import single, table_rows
from .services import NAME_MAX_LENGTH

# The start date is parsed like any date field of the catalogue (ISO or 31.12.2025).
START_SPEC = FieldSpec(key="start_date", kind="date", label_de="Start", label_en="Start")
INPUT_TYPES = {"number": "number", "date": "date", "url": "url", "email": "email",
               "secret": "password"}


class StartDate:
    def __call__(self, form, field_):
        _value, problem = field_values.parse_value(START_SPEC, field_.data or "")
        if problem is not None:
            raise ValidationError(str(problem))


def quick_html_params(**kwargs):
    """wtforms.widgets.html_params, the same markup: it formats each attribute through
    Markup.format, Python's string.Formatter, some 30 µs a field of the editor (issue 15)."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = escape(clean_key(key))
        if value is True:
            params.append(key)
        elif value is not False:
            # A value with __html__ passes escape unchanged: quote its quotes, as WTForms does.
            quoted = str(escape(value)).replace('"', "&quot;")
            params.append(f'{key}="{quoted}"')
    return Markup(" ".join(params))


class QuickTextInput(TextInput):
    html_params = staticmethod(quick_html_params)


class QuickCheckboxInput(CheckboxInput):
    html_params = staticmethod(quick_html_params)


class QuickHiddenInput(HiddenInput):
    html_params = staticmethod(quick_html_params)


class QuickLabel(Label):
    """WTForms' Label, the same markup, through quick_html_params (its own formats the `for`
    attribute through Markup.format, issue 15)."""

    def __call__(self, text=None, **kwargs):
        if "for_" in kwargs:
            kwargs["for"] = kwargs.pop("for_")
        else:
            kwargs.setdefault("for", self.field_id)
        attributes = quick_html_params(**kwargs)
        attributes = f" {attributes}" if attributes else ""
        return Markup(f"<label{attributes}>{escape(text or self.text)}</label>")


@functools.lru_cache(maxsize=4096)
def _coerced(coerce, value):
    """coerce(value) of a select's option: the same few hundred option values (ids, mostly)
    on every request, and a pure function of them (a refused value raises, and is not kept)."""
    return coerce(value)


class FlatSelect(Select):
    """WTForms' Select, the same markup, for a list of (value, label) string pairs: the generic
    path builds three objects per option and formats each attribute through Markup.format,
    0.9 ms for the editor's fifty branches (issue 15). Other choices take that path."""

    def __call__(self, field, **kwargs):
        choices = field.choices or []
        if not all(type(choice) is tuple and len(choice) == 2 and isinstance(choice[0], str)
                   for choice in choices):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for key in dir(flags):
            if key in self.validation_attrs and key not in kwargs:
                kwargs[key] = getattr(flags, key)
        html = [f"<select {quick_html_params(name=field.name, **kwargs)}>"]
        coerce, data = field.coerce, field.data
        for value, label in choices:
            # html_params sorts the attributes: "selected" before "value".
            selected = "selected " if _coerced(coerce, value) == data else ""
            html.append(f'<option {selected}value="{escape(value)}">{escape(label or value)}'
                        "</option>")
        html.append("</select>")
        return Markup("".join(html))


class ServiceForm(AppForm):
    """The "Konfiguration" block common to every interface."""

    # The version the user loaded; saving over a newer one is refused (409). A label of its
    # own: without one WTForms translates the field's name, and Flask-WTF reads its message
    # catalogue from disk for that on each request (0.1 ms); hidden, it never shows.
    version = VersionField("Version", widget=QuickHiddenInput())
    name = StringField(_l("Name"), filters=[strip], widget=QuickTextInput(),
                       validators=[DataRequired(message=field_values.REQUIRED),
                                   Length(max=NAME_MAX_LENGTH), NoMarkup()])
    branch_id = SelectField(_l("Branch"), coerce=optional_id, validate_choice=True,
                            widget=FlatSelect())
    usage_server = BooleanField(_l("Server-side"), widget=QuickCheckboxInput())
    usage_client = BooleanField(_l("Client-side"), widget=QuickCheckboxInput())
    start_date = StringField(_l("Start"), filters=[strip], validators=[StartDate()],
                             widget=QuickTextInput(),
                             render_kw={"type": "date"}, description=_l("Empty: usable at once."))
    protected = BooleanField(_l("Protected"), widget=QuickCheckboxInput(),
                             description=_l("Workstation settings cannot override this "
                                            "service's values."))
    enabled = BooleanField(_l("Enabled"), widget=QuickCheckboxInput(),
                           description=_l("Untick to deactivate the service without deleting "
                                          "it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Labels and the CSRF token's input through quick_html_params (issue 15): the same
        # markup as WTForms' own, without Markup.format per attribute.
        for field_ in self:
            field_.label = QuickLabel(field_.label.field_id, field_.label.text)
        csrf = getattr(self, "csrf_token", None)
        if csrf is not None and type(csrf.widget) is HiddenInput:
            csrf.widget = QuickHiddenInput()

    def service_data(self, station=None):
        """The common fields as services.create_service/update_service take them."""
        start, _problem = field_values.parse_value(START_SPEC, self.start_date.data or "")
        data = {
            "name": self.name.data, "usage_server": self.usage_server.data,
            "usage_client": self.usage_client.data, "start_date": start,
            "protected": self.protected.data if station is None else False,
            "enabled": self.enabled.data,
        }
        if station is not None:
            data["workstation_id"] = station.id
        else:
            data["branch_id"] = self.branch_id.data
        return data


class CopyForm(AppForm):
    """Kopieren: the copy's name and where it goes (another branch or workstation). Its own
    ids: the dialog sits in the page next to the service form's fields."""

    name = StringField(_l("Name of the copy"), id="copy-name", filters=[strip],
                       validators=[DataRequired(message=field_values.REQUIRED),
                                   Length(max=NAME_MAX_LENGTH), NoMarkup()])
    branch_id = SelectField(_l("Branch"), id="copy-branch_id", coerce=optional_id,
                            validate_choice=True)
    workstation_id = SelectField(_l("Workstation"), id="copy-workstation_id",
                                 coerce=optional_id, validate_choice=True)


# --- the interface's own fields ------------------------------------------------------------

@dataclass
class FieldView:
    """One catalogue field as the form shows it."""

    spec: FieldSpec
    name: str  # the input name values.parse reads
    label: str
    help: str
    value: object  # raw string, or a list of strings for several companies; never a secret
    error: str | None = None
    hidden: bool = False  # shown_if unmet
    readonly: bool = False  # fixed after the first save, or locked
    locked: bool = False  # only administrators may change it (services.locked_fields)
    options: list = field(default_factory=list)  # [(value, label)] for selects
    blank: str | None = None  # label of the empty option, None = no empty option
    secret_set: bool = False
    retype: bool = False  # a secret was typed into a form that came back with messages
    shown_if: tuple | None = None  # (input name, json list of raw values, raw default)
    partial: bool = False
    picker_url: str | None = None  # document_template: the documents' search dialog
    picker_label: str | None = None  # document_template: its search button's aria-label
    # Read by the template for each of a page's fifty fields: attributes, set once, rather
    # than properties (issue 15).
    id: str = field(init=False)
    kind: str = field(init=False)
    input_type: str = field(init=False)
    wide: bool = field(init=False)  # two grid columns (wide_field)

    def __post_init__(self):
        self.id = "f-" + self.name
        self.kind = self.spec.kind
        self.input_type = INPUT_TYPES.get(self.spec.kind, "text")
        self.wide = wide_field(self.spec)

    @property
    def checked(self):
        return single(self.value).strip().lower() in field_values.TRUE_INPUTS


def wide_field(spec):
    """Addresses, paths, long texts and lists of companies get two grid columns."""
    return (spec.kind in ("url", "path", "certificate") or spec.multiple
            or (spec.kind == "text" and (spec.max_length or 0) > 120))


@dataclass
class SectionView:
    label: str | None
    fields: list


@dataclass
class TableView:
    key: str
    label: str
    help: str
    specs: list
    rows: list  # [(row number, [FieldView])]
    error: str | None = None

    @property
    def next_row(self):
        return max((number for number, _fields in self.rows), default=-1) + 1


def interface_fields(interface, raw, errors, lang, companies, *, secrets=None, fixed=(),
                     locked=(), partial=False, retype=False):
    """(sections, tables) of FieldViews for `interface`: `raw` is the form input (request.form
    or values.form_data), `errors` {input name: message}, `companies` a callable
    (kind) → [(id, name)], `secrets` {key: set?}, `fixed` the keys that are read-only now,
    `locked` those the user may not change (services.locked_fields)."""
    raw = raw or {}
    secrets = secrets or {}
    sections, by_key = [], {}
    pickers = {}
    for spec in interface.fields:
        view = _field_view(spec, spec.key, raw, errors, lang, companies, interface.fields,
                           partial, readonly=spec.key in fixed or spec.key in locked,
                           pickers=pickers)
        view.locked = spec.key in locked
        if spec.is_secret:
            view.secret_set = bool(secrets.get(spec.key))
            view.retype = retype and bool(single(raw.get(spec.key)))
        key = spec.section.key if spec.section else None
        if key not in by_key:
            by_key[key] = SectionView(spec.section.text("label", lang) if spec.section else None,
                                      [])
            sections.append(by_key[key])
        by_key[key].fields.append(view)
    tables = [table_view(table, raw, errors, lang, companies, pickers)
              for table in interface.tables]
    return sections, tables


def table_view(table, raw, errors, lang, companies, pickers=None):
    pickers = {} if pickers is None else pickers
    rows = [(number, row_fields(table, number, row_raw, errors, lang, companies, pickers))
            for number, row_raw in table_rows(raw, table.key, keep_empty=True)]
    return TableView(key=table.key, label=table.text("label", lang), help=table.text("help", lang),
                     specs=list(table.fields), rows=rows, error=_message(errors.get(table.key)))


def row_fields(table, number, row_raw, errors, lang, companies, pickers=None):
    """FieldViews of one table row; inputs are named <table>-<row>-<field>. `pickers`: the
    search dialogs' URLs worked out so far (picker_url), shared by the rows of a form."""
    prefixed = {f"{table.key}-{number}-{key}": value for key, value in row_raw.items()}
    pickers = {} if pickers is None else pickers
    return [_field_view(spec, f"{table.key}-{number}-{spec.key}", prefixed, errors, lang,
                        companies, table.fields, False, prefix=f"{table.key}-{number}-",
                        pickers=pickers)
            for spec in table.fields if not spec.is_secret]


def default_row(table):
    """Raw values of a new table row: each field's default."""
    return {spec.key: _default_raw(spec) for spec in table.fields}


def with_default_rows(interface, raw):
    """`raw` plus the minimum number of table rows, pre-filled with defaults, for a new
    service (a card order needs one template: offer it instead of a bare message)."""
    raw = dict(raw)
    for table in interface.tables:
        if table_rows(raw, table.key, keep_empty=True):
            continue
        for number in range(table.min_rows):
            raw.update({f"{table.key}-{number}-{key}": value
                        for key, value in default_row(table).items()})
    return raw


def _field_view(spec, name, raw, errors, lang, companies, siblings, partial, readonly=False,
                prefix="", pickers=None):
    if spec.multiple:
        value = raw.getlist(name) if hasattr(raw, "getlist") else raw.get(name) or []
        value = [str(item) for item in (value if isinstance(value, (list, tuple)) else [value])]
    else:
        value = "" if spec.is_secret else single(raw.get(name))
    static = _static(spec, lang, siblings)
    view = FieldView(spec=spec, name=name, label=static.label, help=static.help, value=value,
                     error=_message(errors.get(name)), readonly=readonly, partial=partial)
    if spec.kind == "choice":
        view.options = static.choices
    elif spec.kind in ("company", "supplier"):
        view.options = [(str(company_id), company_name)
                        for company_id, company_name in companies(spec.kind)]
    elif spec.kind == "program":
        view.options = _program_options(value)
    elif spec.kind == "bool" and partial:
        view.options = [("y", _l("yes")), ("n", _l("no"))]
    elif spec.kind == "document_template":
        pickers = {} if pickers is None else pickers
        view.picker_url = picker_url(spec, static.label, view.id, pickers)
        view.picker_label = picker_label(static.label, pickers)
    selects = (spec.kind in ("choice", "company", "supplier", "program")
               or (spec.kind == "bool" and partial))
    if selects and not spec.multiple and (
            not spec.required or partial or not view.value or not view.options):
        view.blank = (_l("— inherited —") if partial else
                      _l("— choose —") if spec.required else "—")
    if static.condition is not None:
        control, wanted, wanted_json, default = static.condition
        view.shown_if = (prefix + control.key, wanted_json, default)
        current = single(raw.get(prefix + control.key)).strip() or default
        if control.kind == "bool" and current not in ("y", "n"):
            current = "y" if current.lower() in field_values.TRUE_INPUTS else "n"
        view.hidden = current not in wanted
    return view


class _Static(NamedTuple):
    spec: FieldSpec
    label: str
    help: str
    choices: list  # a choice field's [(value, label)]; shared, never changed
    condition: tuple | None  # shown_if: (control spec, [raw values], their JSON, raw default)


# What a field shows that follows from its spec and the language alone. The catalogue is code,
# so it is worked out once per field and language, not for each of a page's fifty fields on
# every request (issue 15). By id: hashing a spec hashes all its fields.
_STATICS = {}


def _static(spec, lang, siblings):
    found = _STATICS.get((id(spec), lang))
    if found is not None and found.spec is spec:
        return found
    condition = None
    if spec.shown_if is not None:
        control = next(other for other in siblings if other.key == spec.shown_if.field)
        wanted = [_raw_of(control, item) for item in spec.shown_if.values]
        condition = (control, wanted, json.dumps(wanted), _default_raw(control))
    found = _Static(spec, spec.text("label", lang), spec.text("help", lang),
                    [(value, label_en if lang == "en" else label_de)
                     for value, label_de, label_en in spec.choices],
                    condition)
    _STATICS[(id(spec), lang)] = found
    return found


# Stands for an input's id in a search dialog's URL built once: letters and digits, which
# url-encoding leaves as they are.
PICKER_TARGET = "pickertarget0"
# The characters werkzeug leaves unencoded in a query (werkzeug.urls._urlencode).
URL_SAFE = "!$'()*,/:;?@"


def picker_url(spec, label, target, pickers):
    """The documents' search dialog ("Suchen …") of a document_template input, as
    url_for("documents.picker_get", target=…, kind=…, label=…) gives it: url_for once per
    kind and label in `pickers`, then that text with each input's id, encoded as url_for
    encodes it (urlencode's quote_plus with werkzeug's safe characters). url_for costs ~30 µs,
    and the card service's rows hold eight such inputs (issue 15)."""
    key = (spec.document_kind, label)
    if key not in pickers:
        pickers[key] = url_for("documents.picker_get", target=PICKER_TARGET,
                               kind=spec.document_kind or None, label=label).partition(
                                   PICKER_TARGET)
    head, _marker, tail = pickers[key]
    return f"{head}{quote_plus(target, safe=URL_SAFE)}{tail}"


def picker_label(label, pickers):
    """"Search … <label>", the aria-label of a document_template input's search button, as
    the template's _() made it (markup, the label escaped): once per label in `pickers`, not
    for each of the card service's eight such inputs (issue 15)."""
    key = ("aria-label", label, None)  # never a picker_url key (kind, label)
    if key not in pickers:
        pickers[key] = Markup(gettext("Search … %(field)s")) % {"field": label}
    return pickers[key]


def _program_options(value):
    """The operator's programs by label; a stored one no longer on the list stays visible
    (saving it again is refused, and so is running it)."""
    options = [(program.path, program.label) for program in programs.allowed(current_app.config)]
    if value and value not in {path for path, _label in options}:
        options.append((value, _l("%(path)s (no longer allowed)", path=value)))
    return options


def _raw_of(spec, value):
    if spec.kind == "bool":
        return "y" if value else "n"
    return "" if value is None else str(value)


def _default_raw(spec):
    if spec.kind == "bool":
        return "y" if spec.default else "n"
    if spec.default is None:
        return ""
    return spec.default.isoformat() if hasattr(spec.default, "isoformat") else str(spec.default)


def _message(message):
    return None if message is None else str(message)


# "Zugangsdaten planmäßig ändern": the browser's datetime-local value, or as people type it.
LOCAL_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M")


class LocalDateTime:
    """Parse a date and time (the chain's time zone) into `field.parsed` (naive)."""

    def __call__(self, form, field_):
        text = (field_.data or "").strip()
        for fmt in LOCAL_TIME_FORMATS:
            try:
                field_.parsed = datetime.strptime(text, fmt)
                return
            except ValueError:
                continue
        raise ValidationError(_l("Enter the date and time, e.g. 31.12.2026 18:00."))


class CredentialPlanForm(AppForm):
    """The time of a planned credential change; the new values are the interface's secret
    fields, read by credential_plans.save_plan from the same post."""

    due_at = StringField(_l("Change at"), validators=[
        DataRequired(_l("Enter the date and time of the change.")), LocalDateTime()])
