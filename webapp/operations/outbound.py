"""Outbound work as an operator sees it (Verwaltung → Betrieb): the rows that are due, in
flight, failed, or waiting for a person, each said in words with a link to what it is about,
and "Erneut senden" where the kind's own screen offers it.

"Waiting for a person" is the engine's own verdict on a failed row: it could not tell whether
the partner got the last call and cannot ask it (the worker stopped mid-call, or no answer
from a partner that cannot be asked by key), or the partner answered and the answer could not
be applied. Sending again could then do the work twice, so the view offers no button: a
person checks with the partner first, on the object's page. A failed row that still
`needs_lookup` is plain *failed*: its resend asks the partner by key before it sends.

A run followed by a newer run of the same work (same kind, subject and action) is history,
not open work: a connection test that failed last night and passed this morning is not
listed."""
from dataclasses import dataclass
from datetime import datetime

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, not_
from sqlalchemy.orm import aliased

from ..cards import services as card_services
from ..cards.models import ERROR as CARD_ERROR
from ..cards.models import CardBatch, CardOrder
from ..customers.models import Customer
from ..errors import DomainError
from ..extensions import db
from ..interfaces.action_display import age
from ..interfaces.health_models import HealthNotice
from ..interfaces.models import InterfaceService
from ..ordering import services as order_services
from ..ordering.models import Order
from ..outbound.handlers import registered
from ..outbound.models import (
    FAILED, IN_FLIGHT, INTERRUPTED, PENDING, Outbound, OutboundAttempt,
)
from ..permissions import require_admin
from ..sinno.models import SinnoMessage

DUE, SENDING, FAILED_GROUP, PERSON = "due", "in_flight", "failed", "person"
GROUPS = (DUE, SENDING, FAILED_GROUP, PERSON)
GROUP_LABELS = {
    DUE: _l("Due"),
    SENDING: _l("In flight"),
    FAILED_GROUP: _l("Failed"),
    PERSON: _l("Waiting for a person"),
}
GROUP_HELP = {
    DUE: _l("Waiting for a worker: new work, and retries with the time of their next attempt."),
    SENDING: _l("A worker is calling the partner right now."),
    FAILED_GROUP: _l("Ended without success. Where it is safe, send it again here; the "
                     "partner gets the same idempotency key."),
    PERSON: _l("It is unknown whether the partner got it. Check with the partner first, "
               "then send it again or cancel it on its page."),
}
KIND_LABELS = {
    "order_submit": _l("Order"),
    "service_action": _l("Interface action"),
    "audoora_registration": _l("Audoora registration"),
    "audoora_partners": _l("Audoora partner list"),
    "audoora_order": _l("Audoora order"),
    "card_batch": _l("Card batch"),
    "card_info_request": _l("Card information request"),
    "sinno_session": _l("SiNNO login"),
    "sinno_chat_sync": _l("SiNNO chat sync"),
    "sinno_chat_answer": _l("SiNNO chat answer"),
    "sinno_customer": _l("SiNNO app access"),
    "health_alert": _l("Health alert mail"),
}
# How many rows of a group the overview shows; the group's own page pages through all.
PREVIEW = 10
PER_PAGE = 50
# A failed row's last attempt ended like this: the partner may have it (or answered with what
# could not be applied).
_UNCLEAR = (INTERRUPTED, "ambiguous", "accepted")


@dataclass
class Row:
    """One outbound row in words. Never a secret: the engine keeps them out of last_error."""
    id: int
    kind: str
    kind_label: str
    action: str
    group: str
    subject: str
    url: str | None
    attempts: int
    last_error: str
    created_at: datetime
    age: str
    next_attempt_at: datetime | None
    needs_lookup: bool
    resendable: bool
    notice: str = ""
    error: str = ""


def _group_of():
    """The group of a row as an SQL expression (None: done or cancelled, not listed)."""
    newer = aliased(Outbound)
    superseded = (db.select(newer.id).where(
        newer.kind == Outbound.kind, newer.subject_type == Outbound.subject_type,
        newer.subject_id == Outbound.subject_id, newer.action == Outbound.action,
        newer.id > Outbound.id).exists())
    last_outcome = (db.select(OutboundAttempt.outcome)
                    .where(OutboundAttempt.outbound_id == Outbound.id)
                    .order_by(OutboundAttempt.id.desc()).limit(1)
                    .correlate(Outbound).scalar_subquery())
    safe_kinds = [kind for kind, handler in registered().items() if handler.repeat_is_safe]
    unclear = and_(Outbound.needs_lookup.is_(False), Outbound.kind.not_in(safe_kinds),
                   func.coalesce(last_outcome, "").in_(_UNCLEAR))
    return case(
        (Outbound.state == PENDING, DUE),
        (Outbound.state == IN_FLIGHT, SENDING),
        (and_(Outbound.state == FAILED, not_(superseded), unclear), PERSON),
        (and_(Outbound.state == FAILED, not_(superseded)), FAILED_GROUP),
        else_=None)


def counts():
    """{group: rows in it} (one query)."""
    group = _group_of().label("grp")
    found = db.session.execute(
        db.select(group, func.count()).where(Outbound.state.in_((PENDING, IN_FLIGHT, FAILED)))
        .group_by(group)).all()
    return {name: dict(found).get(name, 0) for name in GROUPS}


_ORDER = {
    DUE: (Outbound.next_attempt_at, Outbound.id),
    SENDING: (Outbound.lease_until, Outbound.id),
    FAILED_GROUP: (Outbound.id.desc(),),
    PERSON: (Outbound.id.desc(),),
}


def _query(group):
    return (db.select(Outbound)
            .where(Outbound.state.in_((PENDING, IN_FLIGHT, FAILED)), _group_of() == group)
            .order_by(*_ORDER[group]))


def preview(group, limit=PREVIEW):
    """The first `limit` rows of a group, in words (a constant number of queries)."""
    return describe([(outbound, group)
                     for outbound in db.session.scalars(_query(group).limit(limit))])


def page_of(group, page=1, per_page=PER_PAGE):
    """One page of a group: (its rows in words, the pagination)."""
    pagination = db.paginate(_query(group), page=page, per_page=per_page, error_out=False)
    return describe([(outbound, group) for outbound in pagination.items]), pagination


def describe(found):
    """(Outbound, group) pairs as Rows, with what each is about: one query per kind of
    subject, whatever the number of rows."""
    subjects = _subjects(found)
    rows = []
    for outbound, group in found:
        subject, url = subjects.get((outbound.subject_type, outbound.subject_id),
                                    (f"{outbound.subject_type} #{outbound.subject_id}", None))
        rows.append(Row(
            id=outbound.id, kind=outbound.kind,
            kind_label=str(KIND_LABELS.get(outbound.kind, outbound.kind)),
            action=outbound.action, group=group, subject=subject, url=url,
            attempts=outbound.attempts, last_error=outbound.last_error,
            created_at=outbound.created_at, age=age(outbound.created_at),
            next_attempt_at=outbound.next_attempt_at if outbound.state == PENDING else None,
            needs_lookup=outbound.needs_lookup,
            resendable=group == FAILED_GROUP and outbound.subject_type in RESENDS))
    return rows


def _subjects(found):
    """{(subject type, id): (label, url or None)} for the subjects of these rows."""
    ids = {}
    for outbound, _group in found:
        ids.setdefault(outbound.subject_type, set()).add(outbound.subject_id)
    labels = {}
    for subject_type, wanted in ids.items():
        reader = _READERS.get(subject_type)
        if reader is None:
            continue
        for subject_id, label, url in reader(wanted):
            labels[(subject_type, subject_id)] = (label, url)
    return labels


def _orders(ids):
    for order_id, number in db.session.execute(
            db.select(Order.id, Order.number).where(Order.id.in_(ids))):
        yield order_id, str(_l("Order %(number)s", number=number or f"#{order_id}")), \
            url_for("ordering.order_get", order_id=order_id)


def _services(ids):
    for service_id, name in db.session.execute(
            db.select(InterfaceService.id, InterfaceService.name)
            .where(InterfaceService.id.in_(ids))):
        yield service_id, name, url_for("interfaces.edit_get", service_id=service_id)


def _batches(ids):
    for batch_id, reference, template, service_id in db.session.execute(
            db.select(CardBatch.id, CardBatch.reference, CardBatch.template_name,
                      CardBatch.service_id).where(CardBatch.id.in_(ids))):
        yield batch_id, str(_l("Card batch %(reference)s (%(template)s)", reference=reference,
                               template=template)), \
            url_for("interfaces.edit_get", service_id=service_id)


def _customers(ids):
    for customer in db.session.scalars(db.select(Customer).where(Customer.id.in_(ids))):
        yield customer.id, str(customer), url_for("customers.customer_get",
                                                  customer_id=customer.id)


def _messages(ids):
    for message_id, customer in db.session.execute(
            db.select(SinnoMessage.id, Customer).outerjoin(
                Customer, Customer.id == SinnoMessage.customer_id)
            .where(SinnoMessage.id.in_(ids))):
        if customer is None:
            yield message_id, str(_l("Chat answer #%(id)s", id=message_id)), None
        else:
            yield message_id, str(_l("Chat answer to %(customer)s", customer=customer)), \
                url_for("customers.customer_get", customer_id=customer.id)


def _notices(ids):
    for notice_id, service_name in db.session.execute(
            db.select(HealthNotice.id, HealthNotice.service_name)
            .where(HealthNotice.id.in_(ids))):
        yield notice_id, str(_l("Health notice on %(service)s", service=service_name)), \
            url_for("interfaces.health_get")


_READERS = {
    "order": _orders,
    "service": _services,
    "card_batch": _batches,
    "customer": _customers,
    "sinno_message": _messages,
    "health_notice": _notices,
}


# --- Erneut senden ---------------------------------------------------------------------------

def _resend_order(actor, order_id):
    order = order_services.get_order(order_id, actor)
    if order is None:
        raise DomainError(_l("The order no longer exists."))
    order_services.resend(actor, order)


def _resend_batch(actor, batch_id):
    # The card screens resend a batch from any of its orders in Fehler: the whole batch goes.
    order = db.session.scalar(db.select(CardOrder).where(
        CardOrder.batch_id == batch_id, CardOrder.status == CARD_ERROR)
        .order_by(CardOrder.id).limit(1))
    if order is None:
        raise DomainError(_l("Only a card order whose batch failed can be sent again."))
    card_services.resend(actor, order)


# The subjects whose own screens offer "Erneut senden" for a failed row, by the same service
# (which keeps the subject's status in step with its row). Connection tests, registrations,
# logins and syncs are run again from their service's editor, with what it asks first.
RESENDS = {"order": _resend_order, "card_batch": _resend_batch}


def resend(actor, outbound_id):
    """'Erneut senden' of a failed row from the operations view: administrators only, only
    where the row is safe to send again (not waiting for a person), through its subject's own
    resend. Returns the row in words; DomainError when refused."""
    require_admin(actor)
    found = db.session.execute(
        db.select(Outbound, _group_of().label("grp")).where(Outbound.id == outbound_id)).first()
    if found is None:
        raise LookupError(outbound_id)
    outbound, group = found
    if group == PERSON:
        raise DomainError(_l("It is unknown whether the partner got it: check with the "
                             "partner first, then send it again on its page."))
    if group != FAILED_GROUP or outbound.subject_type not in RESENDS:
        raise DomainError(_l("Only failed work of orders and card batches can be sent again "
                             "here."))
    RESENDS[outbound.subject_type](actor, outbound.subject_id)
    db.session.flush()
    return row(outbound_id)


def row(outbound_id):
    """One row in words as it stands now (also when it is no longer in a listed group)."""
    found = db.session.execute(
        db.select(Outbound, _group_of().label("grp")).where(Outbound.id == outbound_id)).first()
    if found is None:
        raise LookupError(outbound_id)
    db.session.refresh(found[0])
    return describe([found])[0]
