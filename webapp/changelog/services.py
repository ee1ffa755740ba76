"""Writing change-log entries. Callers pass before/after snapshots; only differences are
stored, secret fields only as 'changed', and a save that changes nothing writes nothing."""
from sqlalchemy import delete, func, or_

from ..extensions import db
from ..models_base import utcnow
from .models import ChangeLogEntry

RETENTION_YEARS = 3  # DESIGN, change log: "Kept 3 years."
LIFE_STARTS = ("create", "copy")  # the actions a record's first entry has
# The item a restore ("Diesen Stand wiederherstellen") puts first into its entry's changes:
# which entry's state it restored, and when that entry was written (shown in words).
RESTORED_FROM = "restored_from"
# The item of a change made by a roll-out (Auf Filialen übertragen): its id and reference.
ROLLOUT = "rollout"


def snapshot(obj, fields):
    """Plain, comparable values of `fields` on `obj` (lists are sorted for stable diffs)."""
    values = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, (list, tuple, set)):
            value = sorted(str(item) for item in value)
        values[name] = value
    return values


def diff(before, after, secret_fields=()):
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in secret_fields:
            changes.append({"field": name, "secret": True})
        else:
            changes.append({"field": name, "old": _plain(old), "new": _plain(new)})
    return changes


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str, list)):
        return value
    return str(value)


def restored_from(entry):
    """The changes item saying that a save restored the state as of `entry`."""
    return {"field": RESTORED_FROM, "entry": entry.id, "at": entry.at.isoformat()}


def rolled_out(rollout):
    """The changes item saying that a roll-out's step made this change."""
    return {"field": ROLLOUT, "rollout": rollout.id, "reference": rollout.reference,
            "source": rollout.source_name}


def record(actor, action, entity_type, entity, changes=None, branch=None):
    """Add an entry to the session (the caller's commit saves it with the change)."""
    entry = ChangeLogEntry(
        user_id=getattr(actor, "id", None),
        user_name=getattr(actor, "name", "") or "",
        entity_type=entity_type,
        entity_id=entity.id,
        entity_label=str(entity)[:200],
        action=action,
        branch_id=branch.id if branch is not None else None,
        branch_name=branch.name if branch is not None else "",
        changes=changes or [],
    )
    db.session.add(entry)
    return entry


def entries_for(entity_type, entity_id, limit=50, since=None):
    """A record's history, newest first: only its own life, from its latest 'create' (or
    'copy') entry on and, with `since` (its created_at), none older. Before ids were
    AUTOINCREMENT, SQLite gave a new record a deleted one's id: that one's entries stay
    with it."""
    own = (ChangeLogEntry.entity_type == entity_type, ChangeLogEntry.entity_id == entity_id)
    born = (db.select(func.max(ChangeLogEntry.at))
            .where(*own, ChangeLogEntry.action.in_(LIFE_STARTS)).scalar_subquery())
    query = (db.select(ChangeLogEntry)
             .where(*own, or_(born.is_(None), ChangeLogEntry.at >= born)))
    if since is not None:
        query = query.where(ChangeLogEntry.at >= since)
    return db.session.scalars(
        query.order_by(ChangeLogEntry.at.desc(), ChangeLogEntry.id.desc()).limit(limit)).all()


def record_history(entity_type, entity, limit=50):
    """The history panel of `entity` (anything with an id and a created_at): entries_for its
    id since it was created."""
    return entries_for(entity_type, entity.id, limit=limit, since=entity.created_at)


PRUNE_CHUNK = 5000


def prune(now=None, years=RETENTION_YEARS, chunk_size=PRUNE_CHUNK):
    """Delete entries older than `years` (run daily by jobs.maintenance); returns how many.
    Deletes `chunk_size` entries per transaction: a backlog of 200,000 in one statement would
    hold SQLite's write lock for seconds while the screens and workers wait to save."""
    now = now or utcnow()
    try:
        cutoff = now.replace(year=now.year - years)
    except ValueError:  # 29 February
        cutoff = now.replace(year=now.year - years, day=28)
    deleted = 0
    while True:
        ids = db.session.scalars(db.select(ChangeLogEntry.id).where(ChangeLogEntry.at < cutoff)
                                 .order_by(ChangeLogEntry.id).limit(chunk_size)).all()
        if not ids:
            return deleted
        db.session.execute(delete(ChangeLogEntry).where(ChangeLogEntry.id.in_(ids)))
        db.session.commit()
        deleted += len(ids)
