"""Change-log entries in words, for the global change log and every record's history panel:
type and action labels, field labels and stored values as the records' packages registered
them (changelog.registry), and a link to the record while it exists.

For views only (it builds URLs); a constant number of queries per page of entries."""
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam

from ..extensions import db
from ..moments import moment_writer
from ..templating import escape_text
from . import registry
from .models import ChangeLogEntry
from .services import RESTORED_FROM, ROLLOUT

ACTION_LABELS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "copy": _l("Copied"),
    "delete": _l("Deleted"),
    "reveal": _l("Secret viewed"),
    # Zugangsdaten planmäßig ändern (interfaces/credential_plans.py).
    "plan": _l("Credential change planned"),
    "plan_edit": _l("Planned credential change changed"),
    "plan_stop": _l("Planned credential change cancelled"),
    "plan_swap": _l("Credentials changed as planned"),
    "plan_done": _l("Planned change: test passed"),
    "plan_back": _l("Planned change rolled back"),
}
# A history panel says what happened in a sentence: "Anna Admin: changed".
ACTION_VERBS = {
    "create": _l("created"),
    "update": _l("changed"),
    "copy": _l("copied"),
    "delete": _l("deleted"),
    "reveal": _l("viewed a stored secret"),
    "plan": _l("planned a credential change"),
    "plan_edit": _l("changed the planned credential change"),
    "plan_stop": _l("cancelled the planned credential change"),
    "plan_swap": _l("changed the credentials as planned"),
    "plan_done": _l("confirmed the planned change: the connection test passed"),
    "plan_back": _l("rolled the planned change back: the connection test failed"),
}
EMPTY = "—"


@dataclass
class ChangeRow:
    """One changed field: its label and either old → new or, for secrets, only a note."""

    label: str
    old: str = ""  # empty for a new record's values in the change log
    new: str = ""
    note: str = ""  # secrets: "changed" / "viewed" / "unchanged", never a value


@dataclass
class EntryRow:
    entry: object  # the ChangeLogEntry
    when: str  # entry.at in words ("short"), as the datetimeformat filter writes it
    type_label: str
    action_label: str  # the change log's badge: "Changed"
    verb: str  # a history panel's sentence: "changed"
    record_url: str | None
    changes: list = field(default_factory=list)
    # A restore's entry: when the entry whose state it restored was written, in words.
    restored_from: str = ""
    # A roll-out's entry (Auf Filialen übertragen): {"id", "reference", "source"}, else None.
    rollout: dict | None = None
    versions_url: str | None = None  # Vergleichen, set by the change-log screen


def readable(entries):
    """EntryRows for the change log (changelog/_entries.html), `entries` in their order: each
    linked to its record while that exists, a new record's values without an old one."""
    entries = list(entries)
    log = registry.current()
    return _rows(log, entries, _existing_records(log, entries), created_without_old=True)


class TableRow(NamedTuple):
    """An EntryRow's texts as changelog/_entries.html shows them, escaped (see escaped)."""

    row: EntryRow
    at: str  # entry.at, ISO 8601
    when: str
    user: str  # the employee, or EMPTY
    type_label: str
    record_url: str | None
    record: str  # entry.entity_label
    branch: str  # the branch's name, or EMPTY
    action: str  # entry.action (the badge's class)
    action_label: str
    origin: EntryRow | None  # the row, if it was restored or rolled out (_origin.html)
    versions_url: str | None
    changes: list  # (label, old, new, note) of each ChangeRow


def escaped(rows):
    """TableRows of EntryRows (readable), their texts escaped as markupsafe.escape escapes
    them, as plain str: autoescape made a Markup of each of a page's ~450 texts, which cost
    more than the escaping; the texts that repeat down a page (types, actions, employees,
    branches, field labels) are escaped once a page (issue 15). The table outputs them with
    autoescape off."""
    seen = {}

    def once(text):
        found = seen.get(text)
        if found is None:
            found = seen[text] = escape_text(text)
        return found

    table = []
    for row in rows:
        entry = row.entry
        table.append(TableRow(
            row, escape_text(entry.at.isoformat()), escape_text(row.when),
            once(entry.user_name or EMPTY), once(row.type_label),
            None if row.record_url is None else escape_text(row.record_url),
            escape_text(entry.entity_label), once(entry.branch_name or EMPTY),
            once(entry.action), once(row.action_label),
            row if row.restored_from or row.rollout else None,
            None if row.versions_url is None else escape_text(row.versions_url),
            [(once(change.label), escape_text(change.old), escape_text(change.new),
              escape_text(change.note)) for change in row.changes]))
    return table


def in_words(entries, detail=None):
    """EntryRows for a record's history panel (changelog/_history.html): the change log's
    words, old → new even for a new record, no links. `detail` is the record's value of its
    type's detail column (an interface service's interface type). Two queries at most."""
    return _rows(registry.current(), list(entries), {}, created_without_old=False,
                 detail=detail)


def differences(entity_type, changes, detail=None):
    """ChangeRows of `changes` (the change log's {field, old, new} items; secrets as
    {field, secret, unchanged}) in the change log's words: two states of a record compared
    (Vergleichen). Secrets read "changed" or "unchanged", never a value."""
    entry = ChangeLogEntry(entity_type=entity_type, action="update", changes=list(changes))
    return _rows(registry.current(), [entry], {}, created_without_old=False,
                 detail=detail)[0].changes


def date_in_words(value):
    """A stored ISO date as the UI's language writes it."""
    try:
        return format_date(date.fromisoformat(str(value)), "medium")
    except ValueError:
        return str(value)


def _rows(log, entries, existing, created_without_old, detail=None):
    names = _referenced_names(log, entries)
    page = _Page(log)
    rows = []
    for entry in entries:
        entity_type, action = entry.entity_type, entry.action
        kind = page.kind(entity_type)
        found = existing.get(entity_type, _NOTHING)
        record_detail = found.get(entry.entity_id, detail)
        fields = page.fields(kind, record_detail)
        blank_old = created_without_old and action in ("create", "copy")
        items, restored, rollout = _split(entry.changes)
        rows.append(EntryRow(
            entry, page.moment(entry.at) if entry.at is not None else "",
            page.type_label(kind), page.action_label(action), page.verb(action),
            (page.link(kind, entry.entity_id, record_detail)
             if kind.link is not None and entry.entity_id in found else None),
            [_change(log, kind, entry, item, fields.label, record_detail, names, blank_old)
             for item in fields.in_form_order(items)],
            _moment(restored.get("at"), page.moment) if restored else "",
            ({"id": rollout.get("rollout"), "reference": rollout.get("reference", ""),
              "source": rollout.get("source", "")} if rollout else None),
        ))
    return rows


_NOTHING = {}  # no records of a type exist (never changed)


def _split(changes):
    """(the changed fields, the restore's item or None, the roll-out's item or None) of an
    entry's changes, in one pass."""
    items, restored, rollout = [], None, None
    for item in changes or ():
        name = item.get("field")
        if name == RESTORED_FROM:
            restored = restored or item
        elif name == ROLLOUT:
            rollout = rollout or item
        else:
            items.append(item)
    return items, restored, rollout


def _kind(log, entity_type):
    """The registered entity type, or a bare one for a type no package registers."""
    return log.get(entity_type) or registry.EntityType(entity_type, entity_type)


class _Fields:
    """The field labels and form order of one entity type and detail, as a page needs them:
    each label put into words once a page."""

    def __init__(self, kind, detail):
        self.kind = kind
        self.labels = kind.labels_for(detail)
        self.known = {}
        self.positions = None

    def label(self, name):
        found = self.known.get(name)
        if found is None:
            found = self.known[name] = _label(self.kind, name, self.labels)
        return found

    def in_form_order(self, items):
        """The changes in the order their form shows the fields (unknown fields last, by
        name)."""
        if len(items) < 2:
            return items
        if self.positions is None:
            self.positions = {name: index for index, name in enumerate(self.labels)}
        return _in_form_order(items, self.positions)


LINK_MARKER = 987654321987654321  # an id no other part of a record's address holds


class _Page:
    """What repeats down a page of entries, worked out once a page: a page of 25 entries
    turned ~120 lazy labels into text, called url_for for each record and format_datetime
    for each entry (most of building the rows, issue 15). The same words and links."""

    def __init__(self, log):
        self.log = log
        self.seen = {}
        self.kinds = {}
        self.type_labels = {}
        self.action_labels = {}
        self.verbs = {}
        self.field_sets = {}
        self.writer = None

    def _once(self, key, make, *arguments):
        if key not in self.seen:
            self.seen[key] = make(*arguments)
        return self.seen[key]

    # One dict per question rather than _once's keys: these are asked for each entry.
    def kind(self, entity_type):
        found = self.kinds.get(entity_type)
        if found is None:
            found = self.kinds[entity_type] = _kind(self.log, entity_type)
        return found

    def type_label(self, kind):
        found = self.type_labels.get(kind.key)
        if found is None:
            found = self.type_labels[kind.key] = str(kind.label)
        return found

    def action_label(self, action):
        found = self.action_labels.get(action)
        if found is None:
            found = self.action_labels[action] = str(ACTION_LABELS.get(action, action))
        return found

    def verb(self, action):
        found = self.verbs.get(action)
        if found is None:
            found = self.verbs[action] = str(ACTION_VERBS.get(action, action))
        return found

    def fields(self, kind, detail):
        """The _Fields of a type and detail."""
        found = self.field_sets.get((kind.key, detail))
        if found is None:
            found = self.field_sets[(kind.key, detail)] = _Fields(kind, detail)
        return found

    def link(self, kind, entity_id, detail):
        """kind.link(entity_id, detail): a link builds the record's address from its
        arguments (registry.EntityType), so one url_for per type and detail (per type for
        registry.page's links) serves the page with each id put in."""
        if not getattr(kind.link, "uses_detail", True):
            detail = None
        head, tail = self._once(("link", kind.key, detail), _link_parts, kind, detail)
        return kind.link(entity_id, detail) if head is None else f"{head}{int(entity_id)}{tail}"

    def moment(self, value):
        if self.writer is None:
            self.writer = moment_writer("short")
        return self.writer(value)


def around_marker(built):
    """(head, tail) of an address built with LINK_MARKER for its record's id, so that
    f"{head}{id}{tail}" is the address of any record; (None, None) when the marker is not in
    it exactly once. Lists build one address per page this way instead of one per row."""
    if not isinstance(built, str) or built.count(str(LINK_MARKER)) != 1:
        return None, None
    head, _marker, tail = built.partition(str(LINK_MARKER))
    return head, tail


def _link_parts(kind, detail):
    """(head, tail) of kind.link around the id (around_marker)."""
    return around_marker(kind.link(LINK_MARKER, detail))


# --- records -----------------------------------------------------------------------------

def _existing_records(log, entries):
    """{entity_type: {id: the record's detail column or None}} of the records that still
    exist: one query per entity type on the page."""
    wanted = {}
    for entry in entries:
        wanted.setdefault(entry.entity_type, set()).add(entry.entity_id)
    existing = {}
    for entity_type, ids in wanted.items():
        kind = log.get(entity_type)
        if kind is None or kind.model is None:
            continue
        found = db.session.execute(_by_ids(kind.model, kind.detail), {"ids": sorted(ids)})
        existing[entity_type] = (dict(found.all()) if kind.detail is not None
                                 else dict.fromkeys(found.scalars()))
    return existing


def _referenced_names(log, entries):
    """{entity type: {id: name}} of the records that changes name by id (a workstation's
    branch, a branch's ear-mould lab …): one query per referenced entity type the entries
    need."""
    wanted = {}
    for entry in entries:
        for item in entry.changes or ():
            referenced = log.references.get((entry.entity_type, item.get("field")))
            if referenced is None:
                continue
            wanted.setdefault(referenced, set()).update(
                value for value in (item.get("old"), item.get("new")) if isinstance(value, int))
    names = {}
    for entity_type, ids in wanted.items():
        if ids:
            names[entity_type] = dict(db.session.execute(
                _by_ids(log.get(entity_type).model, "name"), {"ids": sorted(ids)}).all())
    return names


_BY_IDS = {}  # (model, column or None) → its statement, built once (mapped classes only)


def _by_ids(model, column):
    """SELECT id[, column] FROM model WHERE id IN :ids: building it anew for each type on
    each page cost more than running it; of the table's columns, which spares the ORM's
    part of running it, as much again (issue 15)."""
    key = (model, column)
    if key not in _BY_IDS:
        mapped = model.__mapper__.columns
        columns = (mapped["id"],) if column is None else (mapped["id"], mapped[column])
        _BY_IDS[key] = (db.select(*columns)
                        .where(mapped["id"].in_(bindparam("ids", expanding=True))))
    return _BY_IDS[key]


# --- labels and values -------------------------------------------------------------------

def _in_form_order(changes, position):
    """The changes in the order their form shows the fields (`position`: {field: index};
    unknown fields last, by name)."""
    return sorted(changes, key=lambda item: (position.get(item.get("field"), len(position)),
                                             str(item.get("field"))))


def _label(kind, name, labels):
    label = labels.get(name)
    if label is None and kind.field_label is not None:
        label = kind.field_label(name)
    return name if label is None else str(label)


def _change(log, kind, entry, item, label_of, detail, names, blank_old):
    name = item.get("field", "")
    label = label_of(name)
    if item.get("secret"):
        if item.get("planned"):  # a planned credential change: its new value waits
            return ChangeRow(label, note=_("planned"))
        if entry.action == "reveal":
            return ChangeRow(label, note=_("viewed"))
        return ChangeRow(label, note=_("unchanged") if item.get("unchanged") else _("changed"))
    old = item.get("old")
    # A new record has no old values: "Name: Till" instead of "Name: — → Till".
    shown_old = ("" if old is None and blank_old
                 else _value(log, kind, name, old, detail, names))
    return ChangeRow(label, shown_old, _value(log, kind, name, item.get("new"), detail, names))


def _moment(value, write):
    """A stored ISO time as the UI writes it (in the chain's time zone), by `write` (the
    page's moment writer)."""
    try:
        return write(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _value(log, kind, name, value, detail, names):
    """A stored value in words: yes/no, then the words its package registered, referenced
    records by name, decimals as the UI's language writes them, lists joined."""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if value in (None, "", [], {}):
        return EMPTY
    words = kind.words_for(name, value, detail)
    if words is not None:
        return str(words)
    referenced = log.references.get((kind.key, name))
    if referenced is not None and isinstance(value, int):
        return names.get(referenced, {}).get(value, f"#{value}")
    if isinstance(value, float):
        return format_decimal(value, format="0.##")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
