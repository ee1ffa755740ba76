"""Card batches: the scheduled job collects the waiting card orders per template interval —
daily, weekly (ISO weeks, Monday to Sunday) or monthly — in the chain's time zone, and sends
each interval's orders once, at its end.

- **Boundaries are local midnights** (the day's, the Monday's, the 1st's) turned into UTC
  with the chain's time zone, so a day is 23 or 25 hours long across the DST changes and a
  month as long as it is.
- **Once**: a batch is unique per (service, template, interval, boundary); the orders join
  it by a conditional UPDATE (still waiting, in no batch); its delivery is one outbound row
  with one idempotency key (kind card_batch, webapp/cards/provider.py). A tick that runs
  twice, late, from two workers, or after a Redis flush sends nothing twice; one that comes
  days late sends everything that waited in one batch at the latest boundary.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models_base import utcnow
from ..org.services import chain_timezone
from ..outbound import engine
from .models import BATCH_KIND, BATCH_SUBJECT, QUEUED, SENDING, CardBatch, CardOrder


def chain_zone():
    return ZoneInfo(chain_timezone())


def boundary(now, interval, zone):
    """The latest interval boundary at or before `now` (aware): (local date, UTC moment)."""
    today = now.astimezone(zone).date()
    if interval == "daily":
        day = today
    elif interval == "weekly":
        day = today - timedelta(days=today.weekday())
    else:
        day = today.replace(day=1)
    return day, datetime.combine(day, time(0), tzinfo=zone).astimezone(now.tzinfo)


def next_boundary(moment, interval, zone):
    """When an order placed at `moment` goes out: the first boundary after it (aware UTC)."""
    local = moment.astimezone(zone).date()
    if interval == "daily":
        day = local + timedelta(days=1)
    elif interval == "weekly":
        day = local + timedelta(days=7 - local.weekday())
    else:
        day = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(moment.tzinfo)


def _reference(batch):
    return f"KB-{batch.created_at:%Y}-{batch.id:06d}"


def collect(now=None):
    """Make and start the batches that are due at `now`; returns the batches started."""
    now = now or utcnow()
    zone = chain_zone()
    slots = db.session.execute(
        db.select(CardOrder.service_id, CardOrder.template_name, CardOrder.shipping_interval,
                  func.min(CardOrder.ordered_at))
        .where(CardOrder.status == QUEUED, CardOrder.batch_id.is_(None))
        .group_by(CardOrder.service_id, CardOrder.template_name,
                  CardOrder.shipping_interval)).all()
    started = []
    for service_id, name, interval, oldest in slots:
        day, moment = boundary(now, interval, zone)
        if oldest.tzinfo is None:  # SQLite's aggregate loses the type's tzinfo
            oldest = oldest.replace(tzinfo=now.tzinfo)
        if oldest >= moment:
            continue  # everything waiting was ordered in the running interval
        batch = _new_batch(service_id, name, interval, day, moment, now)
        if batch is None:
            # This boundary's batch exists (another tick, or it went already): an order that
            # came in late for it waits for the next one, never joins a batch under way.
            db.session.rollback()
            continue
        joined = db.session.execute(
            update(CardOrder).where(
                CardOrder.service_id == service_id, CardOrder.template_name == name,
                CardOrder.shipping_interval == interval, CardOrder.status == QUEUED,
                CardOrder.batch_id.is_(None), CardOrder.ordered_at < moment)
            .values(batch_id=batch.id, status=SENDING, version=CardOrder.version + 1)
            .execution_options(synchronize_session=False)).rowcount
        if not joined:  # cancelled meanwhile: no empty batch
            db.session.rollback()
            continue
        engine.start(BATCH_KIND, BATCH_SUBJECT, batch.id,
                     exclusive_key=f"card_batch:{batch.id}", requested_by="Versand")
        # The batch, its orders and its delivery in one commit; the job after it.
        db.session.commit()
        started.append(batch)
    return started


def _new_batch(service_id, name, interval, day, moment, now):
    """A new batch for this slot and boundary, or None when one exists already."""
    if _find(service_id, name, interval, day) is not None:
        return None
    batch = CardBatch(service_id=service_id, template_name=name, shipping_interval=interval,
                      boundary=day, due_at=moment, created_at=now, reference="")
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
            batch.reference = _reference(batch)
            db.session.flush()
    except IntegrityError:
        return None
    return batch


def _find(service_id, name, interval, day):
    return db.session.scalar(db.select(CardBatch).where(
        CardBatch.service_id == service_id, CardBatch.template_name == name,
        CardBatch.shipping_interval == interval, CardBatch.boundary == day))
