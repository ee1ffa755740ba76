"""Ordering customer and employee cards (seed 003): which templates a branch may order
with, where the card goes (Karte verschicken an), and the card order itself, which waits
(Vorgemerkt) for its template's batch (webapp/cards/batching.py).

- **Customer cards** are ordered at a process's step "Kundenkarte" by the people who work on
  the process; **employee cards** by administrators from the user's screen.
- The card_order service that applies to the ordering branch (branch first, then chain)
  holds the templates. Ordering needs one (else: refused, with a link to the templates) and
  its card contract and key (else: refused, pointing at "Informationen anfordern").
- The recipient address is resolved when ordering and kept on the order; an incomplete
  address is refused beside the template choice, naming what is missing and where to fix it.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.orm import selectinload

from .. import references
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..interfaces.resolver import resolve
from ..interfaces.services import chain_today
from ..models_base import utcnow
from ..org.models import Branch
from ..outbound import engine
from ..outbound.models import Outbound
from ..permissions import is_admin, reads_branch
from .models import (
    BATCH_SUBJECT, CANCELLED, ERROR, OPEN_STATUSES, ORDERED, QUEUED, SENDING, CardOrder,
)

INTERFACE = "card_order"
CUSTOMER_CARD, EMPLOYEE_CARD = "customer_card", "employee_card"
ADDRESS = ("name", "street", "postal_code", "city")
# A card order's status in words (lists, and a refusal that names it).
STATUS_LABELS = {QUEUED: _l("Queued"), SENDING: _l("Being sent"), ORDERED: _l("Ordered"),
                 ERROR: _l("Error"), CANCELLED: _l("Cancelled")}
# What a batch sends of the template row, and what the order keeps of it.
TEMPLATE_KEYS = ("ship_to", "comment", "card_template", "cover_letter", "validity_required",
                 "card_type", "card_kind", "gift_box", "roller_clip")

def kind_label(kind):
    return _l("employee cards") if kind == EMPLOYEE_CARD else _l("customer cards")


# --- templates -----------------------------------------------------------------------------

def card_service(branch_id, today=None):
    """The Resolution of the card_order service for `branch_id`, or None."""
    return resolve(INTERFACE, branch=branch_id, today=today)


def templates_of(resolution, kind):
    """The template rows of `kind` (customer_card / employee_card), by name."""
    rows = (resolution.tables["templates"].rows or []) if resolution is not None else []
    return sorted((row for row in rows if row.get("card_kind", CUSTOMER_CARD) == kind),
                  key=lambda row: (row.get("name") or "").casefold())


def choices(branch_id, kind):
    """(resolution, template rows, problem): what a person may order with at `branch_id`,
    or why nothing (no service, no template, no contract and key)."""
    resolution = card_service(branch_id)
    if resolution is None:
        branch = db.session.get(Branch, branch_id)
        return None, [], _l(
            "No active “Kundenkartenbestellung” service applies to branch %(branch)s. An "
            "administrator sets it up under Interfaces → Customer cards.",
            branch=branch.name if branch is not None else branch_id)
    rows = templates_of(resolution, kind)
    if not rows:
        return resolution, [], _l(
            "The service “%(service)s” has no template for %(kind)s. Add one under "
            "“Vorlagen zur Kartenbestellung” first.", service=resolution.service.name,
            kind=kind_label(kind))
    values = resolution.values
    if not (values.get("base_url") or "").strip():
        return resolution, rows, _l(
            "The service “%(service)s” has no server URL of the card provider yet.",
            service=resolution.service.name)
    if not (values.get("contract_number") or "").strip() or \
            not resolution.fields["contract_key"].is_set:
        return resolution, rows, _l(
            "The service “%(service)s” has no card contract and key yet: request them with "
            "“Informationen anfordern”, then enter them there.",
            service=resolution.service.name)
    return resolution, rows, None


# --- the recipient ---------------------------------------------------------------------------

def _address(name, record):
    return {"name": name, "street": (record.street or "").strip(),
            "postal_code": (record.postal_code or "").strip(),
            "city": (record.city or "").strip()}


def _missing(address):
    return [key for key in ADDRESS if not address.get(key)]


FIELD_NAMES = {"name": _l("name"), "street": _l("street"), "postal_code": _l("postal code"),
               "city": _l("city")}


def recipient(row, ordering_branch, customer=None, user=None):
    """(address, problem) where the card goes by the template row's "Karte verschicken an":
    the customer (their address), the ordering branch, or the customer's own branch; an
    employee's card goes to their branch either way but the ordering one. The problem names
    what is missing and whose record to fix."""
    ship_to = row.get("ship_to") or "ordering_branch"
    if ship_to == "ordering_branch":
        holder, address = ordering_branch, _address(ordering_branch.name, ordering_branch)
    elif customer is not None and ship_to == "customer":
        holder, address = customer, _address(customer.name, customer)
    elif customer is not None:
        holder, address = customer.branch, _address(customer.branch.name, customer.branch)
    else:
        home = sorted(user.branches, key=lambda b: b.id)[0] if user.branches else None
        if home is None:
            return None, _l("%(user)s belongs to no branch, so the card has no address. "
                            "Choose a template that sends it to the ordering branch.",
                            user=user.name)
        holder, address = home, _address(home.name, home)
    missing = _missing(address)
    if missing:
        return address, _l("The address of %(whom)s is incomplete (%(missing)s): complete "
                           "it there, or choose a template that sends the card elsewhere.",
                           whom=getattr(holder, "name", str(holder)),
                           missing=", ".join(str(FIELD_NAMES[key]) for key in missing))
    return address, None


# --- ordering --------------------------------------------------------------------------------

def may_order_for_customer(actor, branch_id):
    return is_admin(actor) or branch_id in actor.branch_ids


def _template_row(rows, name):
    return next((row for row in rows if row.get("name") == name), None)


def place(actor, template_name, valid_until, ordering_branch, customer=None, user=None,
          process=None, now=None):
    """A card order (Vorgemerkt) for `customer` or `user` (an employee), with the template
    named `template_name` of the card service that applies to `ordering_branch`. DomainError
    with the field ("template", "valid_until") when something does not fit."""
    kind = CUSTOMER_CARD if customer is not None else EMPLOYEE_CARD
    if customer is not None and not may_order_for_customer(actor, ordering_branch.id):
        raise PermissionDenied(_l("You may only order for your own branches."))
    if user is not None and not is_admin(actor):
        raise PermissionDenied(_l("Only administrators order employee cards."))
    resolution, rows, problem = choices(ordering_branch.id, kind)
    if problem is not None:
        raise DomainError(problem, "template")
    row = _template_row(rows, template_name)
    if row is None:
        raise DomainError(_l("Choose a template."), "template")
    today = chain_today(now)
    if row.get("validity_required") and valid_until is None:
        raise DomainError(_l("The template %(name)s needs a validity date.",
                             name=row["name"]), "valid_until")
    if valid_until is not None and valid_until <= today:
        raise DomainError(_l("The validity date must lie in the future."), "valid_until")
    address, problem = recipient(row, ordering_branch, customer=customer, user=user)
    if problem is not None:
        raise DomainError(problem, "template")
    holder = customer.name if customer is not None else user.name
    order = CardOrder(
        service_id=resolution.service.id, template_name=row["name"],
        shipping_interval=row.get("shipping_interval") or "weekly",
        template={key: row.get(key) for key in TEMPLATE_KEYS},
        customer_id=customer.id if customer is not None else None,
        user_id=user.id if user is not None else None,
        process_id=process.id if process is not None else None, branch_id=ordering_branch.id,
        holder_name=holder[:160], valid_until=valid_until, recipient=address, status=QUEUED,
        ordered_at=now or utcnow(), ordered_by=actor.name, updated_by=actor.name)
    db.session.add(order)
    db.session.flush()
    order.number = f"KA-{order.ordered_at:%Y}-{order.id:06d}"
    db.session.flush()
    return order


def _require_order_rights(actor, order):
    if order.customer_id is not None and not may_order_for_customer(actor, order.branch_id):
        raise PermissionDenied(_l("You may only order for your own branches."))
    if order.user_id is not None and not is_admin(actor):
        raise PermissionDenied(_l("Only administrators order employee cards."))


def cancel(actor, order):
    """'Stornieren' while it waits for its batch: the batch it would have joined leaves it
    out (a conditional UPDATE: a batch that took it first wins, and cancelling is refused)."""
    _require_order_rights(actor, order)
    done = db.session.execute(
        update(CardOrder).where(CardOrder.id == order.id, CardOrder.status == QUEUED,
                                CardOrder.batch_id.is_(None))
        .values(status=CANCELLED, updated_by=actor.name, version=CardOrder.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(order)
    if not done:
        raise DomainError(_l("Only a card order that waits for its batch can be cancelled; "
                             "its status is “%(status)s”.",
                             status=STATUS_LABELS.get(order.status, order.status)))


def resend(actor, order):
    """'Erneut senden' of the failed batch this order is in: the batch goes again with the
    same idempotency key, so a provider that did get it answers with the same card numbers."""
    _require_order_rights(actor, order)
    batch = order.batch
    row = db.session.scalar(db.select(Outbound).where(
        Outbound.subject_type == BATCH_SUBJECT, Outbound.subject_id == batch.id)) \
        if batch is not None else None
    if order.status != ERROR or row is None:
        raise DomainError(_l("Only a card order whose batch failed can be sent again."))
    # Same key: a batch that may have arrived is looked up first.
    if not engine.rerun(row):
        raise DomainError(_l("The batch is being sent right now."))
    db.session.execute(update(CardOrder).where(CardOrder.batch_id == batch.id,
                                               CardOrder.status == ERROR)
                       .values(status=SENDING, error_message="")
                       .execution_options(synchronize_session=False))
    db.session.flush()
    db.session.refresh(order)


# --- reading ---------------------------------------------------------------------------------

def orders_of_customer(customer_id, process_id=None):
    """The customer's card orders, newest first; with `process_id`, those of that process."""
    query = db.select(CardOrder).where(CardOrder.customer_id == customer_id)
    if process_id is not None:
        query = query.where(CardOrder.process_id == process_id)
    return db.session.scalars(query.options(selectinload(CardOrder.batch))
                              .order_by(CardOrder.id.desc())).all()


def count_orders_of_customer(customer):
    """The number beside the customer's tab Kundenkarten (one COUNT, not the orders)."""
    return db.session.scalar(db.select(func.count()).select_from(CardOrder)
                             .where(CardOrder.customer_id == customer.id))


def orders_of_user(user_id):
    return db.session.scalars(
        db.select(CardOrder).where(CardOrder.user_id == user_id)
        .options(selectinload(CardOrder.batch)).order_by(CardOrder.id.desc())).all()


def get_order(order_id, reader):
    order = db.session.get(CardOrder, order_id)
    if order is None:
        return None
    if order.user_id is not None and not is_admin(reader):
        return None
    if order.customer_id is not None and not reads_branch(reader, order.branch_id) and \
            not is_admin(reader):
        return None
    return order


def open_orders_of_template(service_id, template_name):
    """Numbers of the open card orders that were ordered with a template row."""
    return db.session.scalars(
        db.select(CardOrder.number).where(CardOrder.service_id == service_id,
                                          CardOrder.template_name == template_name,
                                          CardOrder.status.in_(OPEN_STATUSES))
        .order_by(CardOrder.id).limit(11)).all()



def open_orders_of_customer(customer):
    """What keeps a customer from being deleted: card orders not sent yet."""
    numbers = db.session.scalars(
        db.select(CardOrder.number).where(CardOrder.customer_id == customer.id,
                                          CardOrder.status.in_(OPEN_STATUSES))
        .order_by(CardOrder.id).limit(11)).all()
    return [_l("open card orders: %(numbers)s", numbers=references.first_ten(numbers))] \
        if numbers else []
