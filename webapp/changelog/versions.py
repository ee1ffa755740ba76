"""Vergleichen / Diesen Stand wiederherstellen: a record's state as of any entry of its
history, the difference between two such states, and restoring one as a new change.

The log stores differences only, so a state is worked out backwards: the record's current
values (as its package's saves compare them) with the old values of every later entry put
back, newest first. Secrets are never in the log: between two states a secret field reads
"changed" when an entry in between changed it, else "unchanged"; a restore never touches
one (the admin may enter a new value in the same step).

Domain-free: each package registers `Versions` with its entity type (changelog.registry),
saying how to find its record, read its values and save a restored state through its own
service layer — validated and permission-checked like any save."""
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..errors import DomainError
from ..extensions import db
from . import registry
from .models import ChangeLogEntry
from .services import entries_for

NOW = "now"  # "compare with the current state"
LIMIT = 200  # the entries a record's Versions page offers (a state needs every later one)

DELETED = _l("This record was deleted. A deleted record cannot be restored here; the change "
             "log keeps its entries.")
NOT_IN_HISTORY = _l("This entry does not belong to the record's history.")
SAME = _l("This state equals the current one: there is nothing to restore.")


@dataclass(frozen=True)
class Versions:
    """How a package's records are compared and restored.

    find(actor, entity_id) → the record, or None when it is gone or `actor` may not read it;
    values(record) → {field: value} as its saves compare them for the log (no secrets);
    secret_fields(record) → the keys of its secret fields, in form order;
    detail(record) → what its labels depend on (display, e.g. the interface type);
    may_restore(actor, record) → whether to offer the restore (the save checks again);
    restore(actor, record, state, secrets, version, entry) → saves `state` (values as
    `values` gives them) through the package's service layer, with the new secrets
    {key: value} and the version the user saw, naming `entry` (restored_from); True when
    something changed. Refuses with DomainError / PermissionDenied."""

    find: Callable
    values: Callable
    restore: Callable
    may_restore: Callable
    secret_fields: Callable = lambda record: ()
    detail: Callable = lambda record: None


def of(entity_type):
    """The Versions of `entity_type`, or None when its records cannot be compared."""
    kind = registry.current().get(entity_type)
    return kind.versions if kind is not None else None


def history(entity_type, record):
    """The record's entries, newest first (its own life; LIMIT of them)."""
    return entries_for(entity_type, record.id, limit=LIMIT, since=record.created_at)


def gone_name(entity_type, entity_id):
    """The name a deleted record had, as the change log last wrote it ('#id' if unknown)."""
    label = db.session.scalar(
        db.select(ChangeLogEntry.entity_label)
        .where(ChangeLogEntry.entity_type == entity_type, ChangeLogEntry.entity_id == entity_id)
        .order_by(ChangeLogEntry.at.desc(), ChangeLogEntry.id.desc()).limit(1))
    return label or f"#{entity_id}"


def state_after(entries, current, entry_id):
    """The values right after the entry `entry_id` was written: `current` with the old
    values of every later entry of `entries` (newest first) put back. Items that are no
    field of the record now (a copy's source, a restore's reference, a planned credential
    change's time, a field the catalogue dropped) and secrets are left out. KeyError when
    `entry_id` is not among them."""
    state = dict(current)
    for entry in entries:
        if entry.id == entry_id:
            return state
        for item in entry.changes or ():
            name = item.get("field")
            if name in state and not item.get("secret"):
                state[name] = item.get("old")
    raise KeyError(entry_id)


def compare(entries, current, secret_fields, older, newer):
    """The changes from state `older` to state `newer` (entry ids, or NOW), as change-log
    items: each differing field old → new, and each secret field {secret, unchanged}.
    Two states are put in time order first. KeyError for an entry not in `entries`."""
    older, newer = in_order(entries, older, newer)
    place = _places(entries, older, newer)
    before = current if older == NOW else state_after(entries, current, older)
    after = current if newer == NOW else state_after(entries, current, newer)
    changes = [{"field": name, "old": before.get(name), "new": after.get(name)}
               for name in sorted(set(before) | set(after))
               if before.get(name) != after.get(name)]
    between = entries[max(place[newer], 0):place[older]]  # after `older`, up to `newer`
    # A secret changed when an entry in between says so: not a reveal, nor a planned value
    # that is still waiting (interfaces.credential_plans).
    changed = {item.get("field") for entry in between if entry.action != "reveal"
               for item in entry.changes or ()
               if item.get("secret") and not item.get("planned")}
    changes.extend({"field": key, "secret": True, "unchanged": key not in changed}
                   for key in secret_fields)
    return changes


def in_order(entries, first, second):
    """(older, newer) of two points (entry ids or NOW) of `entries` (newest first).
    KeyError for an entry not among them."""
    place = _places(entries, first, second)
    return (second, first) if place[first] < place[second] else (first, second)


def _places(entries, *points):
    """{point: its index in `entries`, NOW before the newest (-1)}."""
    position = {entry.id: index for index, entry in enumerate(entries)}
    return {point: -1 if point == NOW else position[point] for point in points}


def plan_restore(actor, entity_type, record, entry, secrets=None, version=None):
    """What restoring `record` to its state as of `entry` would write to the log (the new
    entry's changes), without saving anything: the save runs in a savepoint that is rolled
    back. Refused (DomainError, PermissionDenied) as the restore would be."""
    savepoint = db.session.begin_nested()
    try:
        return _restore(actor, entity_type, record, entry, secrets or {}, version)
    finally:
        savepoint.rollback()


def restore(actor, entity_type, record, entry, secrets=None, version=None):
    """Restore `record` to its state as of `entry` as a new change in the caller's
    transaction; returns the new entry's changes. Refused as plan_restore, having saved
    nothing (the save runs in a savepoint, rolled back on a refusal)."""
    savepoint = db.session.begin_nested()
    try:
        changes = _restore(actor, entity_type, record, entry, secrets or {}, version)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return changes


def _restore(actor, entity_type, record, entry, secrets, version):
    versions = of(entity_type)
    if entry.entity_type != entity_type or entry.entity_id != record.id:
        raise DomainError(NOT_IN_HISTORY)
    entries = history(entity_type, record)
    try:
        state = state_after(entries, plain(versions.values(record)), entry.id)
    except KeyError:
        raise DomainError(NOT_IN_HISTORY) from None
    last = db.session.scalar(db.select(db.func.max(ChangeLogEntry.id)))
    if not versions.restore(actor, record, state, secrets, version, entry):
        raise DomainError(SAME)
    written = db.session.scalar(
        db.select(ChangeLogEntry)
        .where(ChangeLogEntry.entity_type == entity_type, ChangeLogEntry.entity_id == record.id,
               ChangeLogEntry.id > (last or 0))
        .order_by(ChangeLogEntry.id.desc()).limit(1))
    return list(written.changes) if written is not None else []


def plain(values):
    """Values as the log stores them (JSON: dates and other objects as strings)."""
    return {name: value if value is None or isinstance(value, (bool, int, float, str, list))
            else str(value) for name, value in values.items()}
