"""Notifying users and reading their notifications. Services add and flush; the request (or
the job) commits. A kind is registered by the domain that notifies (the factory wires it):
`register_kind(kind, describe)`, where describe(params) → (text, url or None) in the reader's
language, at the time it is shown."""
from dataclasses import dataclass

from sqlalchemy import func, update

from ..extensions import db
from ..models_base import utcnow
from .models import Notification

LIST_LIMIT = 100

_KINDS = {}


def register_kind(kind, describe):
    _KINDS[kind] = describe


@dataclass(frozen=True)
class Shown:
    id: int
    text: str
    url: str | None
    count: int
    at: object
    read: bool


def notify(user_ids, kind, topic, params, count=1):
    """Tell each user of `user_ids` about `count` new events of `topic`: their unread
    notification of that topic counts them, else a new one is added. Returns how many users
    were told."""
    if kind not in _KINDS:
        raise LookupError(f"notification kind {kind!r} is not registered")
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return 0
    now = utcnow()
    unread = {row.user_id: row for row in db.session.scalars(
        db.select(Notification).where(Notification.user_id.in_(user_ids),
                                      Notification.topic == topic,
                                      Notification.read_at.is_(None)))}
    for user_id in user_ids:
        row = unread.get(user_id)
        if row is None:
            db.session.add(Notification(user_id=user_id, kind=kind, topic=topic,
                                        params=dict(params), count=count, created_at=now,
                                        updated_at=now))
        else:
            row.count, row.updated_at, row.params = row.count + count, now, dict(params)
    db.session.flush()
    return len(user_ids)


def unread_count(user):
    return db.session.scalar(db.select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def latest(user, limit=LIST_LIMIT):
    """The user's notifications, unread first, newest first, as they read now."""
    rows = db.session.scalars(
        db.select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.updated_at.desc(),
                  Notification.id.desc()).limit(limit)).all()
    shown = []
    for row in rows:
        describe = _KINDS.get(row.kind)
        if describe is None:  # a kind no longer registered: nothing to say about it
            continue
        text, url = describe(row.params or {})
        shown.append(Shown(id=row.id, text=text, url=url, count=row.count, at=row.updated_at,
                           read=row.read_at is not None))
    return shown


def mark_read(user, notification_id):
    """Mark one of the user's notifications read; False when it is not theirs."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        return False
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
    return True


def mark_all_read(user, upto):
    """Mark read what the user saw: their notifications up to id `upto` (what arrived after
    the list was shown stays unread). Returns how many."""
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.id <= upto, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def mark_topic_read(user, topic):
    """The user looked at what `topic` is about (opened the conversation)."""
    return db.session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.topic == topic, Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
