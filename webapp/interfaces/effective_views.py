"""Effective configuration (Effektive Konfiguration) of a workstation or a branch: per group and
interface type, which service applies, its protection and start date, and every field's value
with where it comes from (chain, branch, workstation or the catalogue default). Secrets only as
set / not set. Read-only, for whoever reads the branch (docs/permissions.md); it shows what the
resolver — the one jobs use — returns, and nothing else."""
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from .. import hx
from ..i18n import ui_language
from ..org import services as org_services
from ..permissions import reads_branch
from ..templating import escape_text
from ..views_helpers import id_url
from . import catalogue, resolver
from . import values as field_values

bp = Blueprint("effective", __name__)

ORIGIN_LABELS = {
    "workstation": _l("Workstation"),
    "branch": _l("Branch"),
    "chain": _l("Chain"),
    resolver.DEFAULT: _l("Default value"),
}
EMPTY = "—"


@bp.get("/workstations/<int:station_id>/effective")
def workstation_get(station_id):
    """What applies at one workstation: its own services, else its branch's, else the chain's."""
    station = org_services.get_workstation(current_user, station_id)
    if station is None:
        abort(404)
    return _page(station=station, branch=station.branch,
                 url=url_for("effective.workstation_get", station_id=station.id))


@bp.get("/branches/<int:branch_id>/effective")
def branch_get(branch_id):
    """What applies in a branch (without any workstation's own services)."""
    branch = org_services.get_branch(branch_id)
    if branch is None or not reads_branch(current_user, branch.id):
        abort(404)
    return _page(station=None, branch=branch,
                 url=url_for("effective.branch_get", branch_id=branch.id))


def _page(station, branch, url):
    q = request.args.get("q", "").strip()[:100]
    group_key = request.args.get("group", "")
    group_key = group_key if group_key in _group_keys() else ""
    show_all = request.args.get("all") == "1"
    day = _day(request.args.get("on"))
    config = resolver.effective_configuration(workstation=station, branch=None if station else branch,
                                              today=day)
    context = dict(station=station, branch=branch, url=url, q=q, group_key=group_key,
                   show_all=show_all, day=day, config=config,
                   groups=_Presenter(config).groups(q, group_key, show_all))
    if hx.wants_fragment():
        return render_template("interfaces/_effective_groups.html", **context)
    lang = ui_language()
    # (key, key and name escaped): the filter's select outputs them as they are (issue 15)
    return render_template("interfaces/effective.html", **context, group_choices=[
        (group.key, *_names(group, lang)) for group in catalogue.load()])


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _group_keys():
    return {group.key for group in catalogue.load()}


# --- presentation ------------------------------------------------------------------------
# A page has hundreds of field rows (the benchmark's workstation: 40 groups, 85 services, 526
# rows), and each {{ … }} the template escapes makes a Markup, which costs more than the
# escaping (issue 15). So the texts of the groups, types, applying services and rows reach the
# template escaped, as HTML in plain strs (the attributes marked "HTML" below), which it
# outputs as they are; the catalogue's texts are escaped once per process, what repeats
# (origins, states) once per page, the data once where it is shown.

@dataclass
class TableBlock:
    id: str  # of its row header, which names the table and its scroll region
    label: str
    headers: list
    rows: list  # [[cell, …], …]
    origin: str | None
    origin_label: str
    source: str = ""


# Applied, Item and GroupBlock are tuples, which the template unpacks in its loops: each
# attribute a template reads costs a call (environment.getattr), ~1,200 a page (issue 15).

class Applied(NamedTuple):
    """One applying service with its fields; its texts as HTML."""

    name: str  # HTML
    url: str  # HTML
    scope: str  # HTML: "workstation", "branch" or "chain"
    scope_label: str  # HTML
    state_label: str  # HTML
    protected: bool
    # [(label, value, origin cell)], each as HTML in a plain str, escaped here (the template
    # outputs them as they are, issue 15): the origin cell "Filiale (Kette SMTP)" in its
    # spans, or "—" for an empty field
    fields: list
    tables: list  # [TableBlock]


@dataclass
class OtherService:
    """A service that does not apply: planned, disabled, or beaten by a protected one."""

    service: object
    scope_label: str
    url: str | None
    state_label: str


class Item(NamedTuple):
    """An interface type with its applying and other services."""

    name: str  # HTML
    applied: list  # [Applied]
    others: list  # [OtherService]


class GroupBlock(NamedTuple):
    key: str  # HTML
    name: str  # HTML
    items: list  # [Item]


# The kinds whose text format() turns into other words (a str of any other kind is shown as it
# is, "" as EMPTY)
_WORDED = frozenset({"bool", "choice", "company", "supplier"})
_ORIGIN = Markup('<span class="origin origin-{}">{}</span>')
_SOURCE = Markup(' <span class="source">({})</span>')
_SECRET_STATE = Markup('<span class="secret-state">{}</span>')

# {(interface key, language): (interface, its rows' plan)}, from the static catalogue (the
# interface kept to tell a reloaded catalogue's apart)
_ROW_PLANS = {}


def _row_plan(interface, lang):
    """Per field of `interface`, in catalogue order: (key, its label escaped, its spec, whether
    it is a secret, whether its text is shown as it is, whether it has a condition) — what
    each of a page's hundreds of rows would otherwise look up and escape anew (issue 15)."""
    cached = _ROW_PLANS.get((interface.key, lang))
    if cached is None or cached[0] is not interface:
        cached = _ROW_PLANS[(interface.key, lang)] = (interface, tuple(
            (spec.key, escape_text(spec.text("label", lang)), spec, spec.kind == "secret",
             spec.kind not in _WORDED and spec.kind != "secret", spec.shown_if is not None)
            for spec in interface.fields))
    return cached[1]


# {(Group or InterfaceType, key, language): (it, (its key, its name) escaped)}, from the static
# catalogue (the object kept to tell a reloaded catalogue's apart)
_NAMES = {}


def _names(entity, lang):
    """(key, name) of a catalogue group or interface type, escaped."""
    cached = _NAMES.get((type(entity), entity.key, lang))
    if cached is None or cached[0] is not entity:
        cached = _NAMES[(type(entity), entity.key, lang)] = (
            entity, (escape_text(entity.key), escape_text(entity.text("name", lang))))
    return cached[1]


# {language: (words, secret states as HTML, origin labels)}: from the translations
_WORDS = {}


def _words(lang):
    """The words a page repeats in `lang`, translated once per process (issue 15)."""
    cached = _WORDS.get(lang)
    if cached is None:
        cached = _WORDS[lang] = (
            {"yes": _("yes"), "no": _("no"), "active": _("active"), "disabled": _("disabled"),
             "chain": _("Chain")},
            {True: str(_SECRET_STATE.format(_("set"))),
             False: str(_SECRET_STATE.format(_("not set")))},
            {key: str(label) for key, label in ORIGIN_LABELS.items()})
    return cached


class _Presenter:
    """Turns an EffectiveConfiguration into GroupBlocks. The words every row repeats are
    translated once per page: a page can have hundreds of rows."""

    def __init__(self, config):
        self.config = config
        self.lang = ui_language()
        self.words, self.secret_states, self.origins = _words(self.lang)
        self.origin_cells = {}  # (origin, source) → the origin cell: a page has few
        self.scopes = {}  # (workstation id, branch id) → its label: many services share one
        self.scopes_html = {}  # the same, escaped
        self.dates = {}  # ("planned" | "active", date) → its words
        self.dates_html = {}  # the same, escaped
        self.numbers = {}  # float → as format_decimal writes it (babel's ~9 µs a call)
        self.service_url = id_url("interfaces.edit_get", "service_id")

    def groups(self, q, group_key, show_all):
        """GroupBlocks to show: interface types with an applying or planned service (with
        `show_all`: every type that can apply here, set up or not), limited to `group_key`
        and to types or services whose name matches `q`."""
        config = self.config
        hits = ({iface.key for _group, iface in catalogue.search(q, group_key or None)}
                if q else None)
        needle = q.casefold()
        found = {entry.interface.key: entry for _group, entries in config.groups
                 for entry in entries}
        scopes = {"chain", "branch", "workstation"} if config.workstation else {"chain", "branch"}
        blocks = []
        for group in catalogue.load():
            if group_key and group.key != group_key:
                continue
            items = []
            for interface in group.interfaces:
                entry = found.get(interface.key)
                if entry is None and not (show_all and scopes & set(interface.scopes)):
                    continue
                if entry is not None and not show_all and not (entry.applied or entry.planned):
                    continue
                if hits is not None and interface.key not in hits and not _service_matches(
                        entry, needle):
                    continue
                items.append(self.item(interface, entry))
            if items:
                blocks.append(GroupBlock(*_names(group, self.lang), items))
        return blocks

    def item(self, interface, entry):
        item = Item(_names(interface, self.lang)[1], [], [])
        if entry is None:
            return item
        for resolution in entry.applied:
            item.applied.append(self.applied(resolution))
        for other in entry.inactive:
            label = (self.dated("planned", other.start_date)
                     if other.state == "planned" else self.words["disabled"])
            item.others.append(self.other(other.service, label))
        for service in entry.overridden:
            item.others.append(self.other(service, _("not used: %(service)s is protected",
                                                     service=entry.protected_by.name)))
        return item

    def dated(self, state, day):
        """"planned from <day>" or "active since <day>", formatted once per page and day."""
        key = (state, day)
        if key not in self.dates:
            day = format_date(day, "medium")
            self.dates[key] = (_("planned from %(date)s", date=day) if state == "planned"
                               else _("active since %(date)s", date=day))
        return self.dates[key]

    def dated_html(self, state, day):
        """dated(state, day), escaped."""
        key = (state, day)
        if key not in self.dates_html:
            self.dates_html[key] = escape_text(self.dated(state, day))
        return self.dates_html[key]

    def scope_label_html(self, service):
        """scope_label(service), escaped."""
        place = (service.workstation_id, service.branch_id)
        if place not in self.scopes_html:
            self.scopes_html[place] = escape_text(self.scope_label(service))
        return self.scopes_html[place]

    def scope_label(self, service):
        place = (service.workstation_id, service.branch_id)
        if place not in self.scopes:
            # A service here is the chain's, the configuration's branch's or workstation's.
            if service.workstation_id is not None:
                label = _("Workstation %(name)s", name=self.config.workstation.name)
            elif service.branch_id is not None:
                label = _("Branch %(name)s", name=self.config.branch.name)
            else:
                label = self.words["chain"]
            self.scopes[place] = label
        return self.scopes[place]

    def other(self, service, state_label):
        return OtherService(service, self.scope_label(service), self.service_url(service.id),
                            state_label)

    def applied(self, resolution):
        service = resolution.service
        start = service.start_date
        state = self.dated_html("active", start) if start else escape_text(self.words["active"])
        applied = Applied(escape_text(service.name), escape_text(self.service_url(service.id)),
                          escape_text(service.scope), self.scope_label_html(service), state,
                          resolution.protected, [], [])
        lang, rows, values = self.lang, applied.fields, None
        fields, secret_states = resolution.fields, self.secret_states
        # In one resolution an origin names one holder (the service, its base, or none for a
        # default or an empty field): the cells by origin, each looked up once (issue 15)
        cells = {}
        # resolution.fields has every field of the type, in catalogue order, as the plan
        for key, label, spec, secret, as_is, conditional in _row_plan(resolution.interface, lang):
            value = fields[key]
            if conditional:  # few fields have a condition
                if values is None:
                    values = resolution.values
                if not field_values.is_shown(spec, values, resolution.interface.fields):
                    continue
            typed = value.value
            if secret:
                shown = secret_states[value.is_set]
            elif typed is None:
                shown = EMPTY
            elif as_is and type(typed) is str:
                # as format() shows it: most values are such text
                shown = escape_text(typed) if typed else EMPTY
            else:
                shown = escape_text(self.format(spec, typed))
            cell = cells.get(value.origin)
            if cell is None:
                cell = cells[value.origin] = self.origin_cell(
                    value.origin, _source(value.service, service))
            rows.append((label, shown, cell))
        for number, table in enumerate(resolution.tables.values(), 1):
            spec = table.spec
            applied.tables.append(TableBlock(
                f"effective-table-{service.id}-{number}", spec.text("label", lang),
                [column.text("label", lang) for column in spec.fields],
                [[self.format(column, row.get(column.key)) for column in spec.fields]
                 for row in table.rows or ()],
                table.origin, self.origin(table.origin), _source(table.service, service)))
        return applied

    def origin(self, origin):
        return self.origins.get(origin, "") if origin else EMPTY

    def origin_cell(self, origin, source):
        """Where a value comes from, as its cell's HTML (a plain str, see Applied.fields),
        built once per origin and source."""
        key = (origin, source)
        cell = self.origin_cells.get(key)
        if cell is None:
            if not origin:
                cell = EMPTY
            else:
                cell = _ORIGIN.format(origin, self.origins.get(origin, ""))
                if source:
                    cell += _SOURCE.format(source)
                cell = str(cell)
            self.origin_cells[key] = cell
        return cell

    def format(self, spec, value):
        """A typed value as the forms show it."""
        if value is None or (not value and type(value) in (list, str)):  # None, [] or ""
            return EMPTY
        kind = spec.kind
        if kind == "bool":
            return self.words["yes" if value else "no"]
        if kind == "choice":
            return str(spec.choice_label(value, self.lang))
        if kind == "date" and isinstance(value, date):
            return format_date(value, "medium")
        if kind in ("company", "supplier"):
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.config.companies.get(company_id, f"#{company_id}")
                             for company_id in ids)
        if kind == "number" and isinstance(value, float):
            if value not in self.numbers:
                self.numbers[value] = format_decimal(value)
            return self.numbers[value]
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return str(value)


def _service_matches(entry, needle):
    if entry is None:
        return False
    services = [r.service for r in entry.applied] + [s.service for s in entry.inactive]
    return any(needle in service.name.casefold() for service in services + entry.overridden)


def _source(holder, service):
    """The name of the service a value comes from, when it is not the applying one."""
    return holder.name if holder is not None and holder is not service else ""
