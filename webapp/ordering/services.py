"""Ordering from a customer's process, and what staff may do with an order afterwards.

"Bestellen" writes each order and its outbound row in one transaction and enqueues the
delivery job only after the commit (queue.enqueue_after_commit): a crash between the two
leaves a due row that the reconciler picks up, never a job for a row that does not exist.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import joinedload, selectinload

from .. import references
from ..companies.models import Company
from ..customers.models import Customer, listed_name
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..models_base import utcnow
from ..org.models import Branch
from ..outbound import engine
from ..permissions import branch_scope, is_admin, reads_branch
from ..processes.models import OPEN, EarMouldPosition, Process
from ..processes.services import ordered_position_ids
from ..queue import enqueue_after_commit
from ..records import contains, page_of, paged
from . import routing
from .models import (
    ARTICLES, CANCELLED, CONFIRMED, CREATED, DONE, ERROR, FAILED, OPEN_STATES, ORDER_KIND,
    ORDER_SUBJECT, OrderLine,
    ORDERED, PENDING, Order, Outbound,
)

SUBMIT_JOB = "jobs.orders.submit"
STATUS_JOB = "jobs.orders.refresh_status"


def can_order(actor, branch_id):
    """Admins order for every branch; managers and staff for their own branches."""
    return is_admin(actor) or branch_id in actor.branch_ids


def order_actions(actor, order):
    """What `actor` may do with `order` now: resend, cancel, mark_ordered, query_status. The
    actions below refuse by the same rules."""
    if not can_order(actor, order.branch_id):
        return frozenset()
    outbound = order.outbound
    may = set()
    if order.status == ERROR and outbound is not None:
        may.add("resend")
    if not order.locked and (order.status in (CREATED, ERROR)
                             or (order.handoff and order.status != CANCELLED)):
        may.add("cancel")
    if order.handoff and order.status == CREATED:
        may.add("mark_ordered")
    if order.external_number and order.status in (ORDERED, CONFIRMED):
        may.add("query_status")
    return frozenset(may)


def may_place_order(actor, process):
    """Whether "Bestellen" is offered: people of the process's branch, while it is open."""
    return can_order(actor, process.branch_id) and process.status == OPEN


def require_order(actor, branch_id):
    if not can_order(actor, branch_id):
        raise PermissionDenied(_l("You may only order for your own branches."))


def submit_job_id(outbound_id, suffix):
    """A fresh job id per enqueue: a job of a worker that died stays 'started' in Redis
    forever, and must not stop a new job for the same row (the claim prevents doubles)."""
    return f"orders_submit-{outbound_id}-{suffix}"


# --- reading -----------------------------------------------------------------------------

def get_order(order_id, reader=None):
    """The order, or None — also when `reader` does not read its branch's orders."""
    order = db.session.get(Order, order_id)
    if order is not None and reader is not None and not reads_branch(reader, order.branch_id):
        return None
    return order


def _readable(query, reader):
    return query.where(*_scope(reader))


def _scope(reader):
    """The conditions that keep to the orders of the branches `reader` reads (none for
    administrators and without a reader)."""
    scope = branch_scope(reader) if reader is not None else None
    return () if scope is None else (_ORDER.branch_id.in_(scope or {0}),)


def orders_by_ids(ids, reader=None):
    """The orders with these ids, newest first, with their delivery rows (two queries
    however many); with a `reader`, those of the branches they read."""
    if not ids:
        return []
    return db.session.scalars(
        _readable(db.select(Order), reader).where(Order.id.in_(list(ids)))
        .options(selectinload(Order.outbound)).order_by(Order.id.desc())).all()


def orders_of_process(process_id, reader=None):
    """The orders of one process, newest first, with what their rows show (one query); with a
    `reader`, those of the branches they read."""
    return db.session.scalars(
        _readable(db.select(Order), reader).where(Order.process_id == process_id)
        .options(selectinload(Order.supplier), selectinload(Order.outbound),
                 selectinload(Order.position))
        .order_by(Order.id.desc())).all()


def positions_held(process):
    """{position id: order number} of the process's positions in an order that is not
    cancelled — they can no longer change (registered with processes at start-up)."""
    rows = db.session.execute(
        db.select(Order.position_id, Order.number, Order.id)
        .join(EarMouldPosition, EarMouldPosition.id == Order.position_id)
        .where(EarMouldPosition.process_id == process.id, Order.status != CANCELLED)
        .order_by(Order.id))
    held = {}
    for position_id, number, order_id in rows:
        held.setdefault(position_id, number or f"#{order_id}")  # as str(order)
    return held


def open_positions(process, ordered=None):
    """Positions of the process without a live order (none, or only cancelled ones) — the
    same rule that locks a position against editing (processes.services); `ordered`: those
    ids, when the caller has read them already."""
    ordered = ordered_position_ids(process) if ordered is None else ordered
    return [position for position in process.positions if position.id not in ordered]


def open_orders_of_service(service):
    """The orders of a service not yet delivered — being sent, or in Fehler and waiting for
    "Erneut senden": they keep the service from being deleted."""
    numbers = db.session.scalars(
        db.select(Order.number)
        .where(Order.service_id == service.id, Order.status.in_((CREATED, ERROR)),
               Order.handoff == "")
        .order_by(Order.id)).all() if service.id else []
    return [_l("open orders: %(numbers)s", numbers=references.first_ten(numbers))] if numbers else []


def orders_of_company(company):
    """The orders for a company, as lab or supplier: they keep it from being deleted."""
    numbers = db.session.scalars(
        db.select(Order.number).where(or_(Order.company_id == company.id,
                                          Order.supplier_id == company.id))
        .order_by(Order.id).limit(11)).all()
    return [_l("orders: %(numbers)s", numbers=references.first_ten(numbers))] if numbers else []


def search_orders(q="", status="", branch_id=None, page=1, per_page=25, reader=None):
    """Orders of stock management (Lagerverwaltung), newest first; filters narrow them down.
    With a `reader`: the orders of the branches they read (administrators: all)."""
    return db.paginate(orders_query(q, status, branch_id, reader), page=page,
                       per_page=per_page, error_out=False)


def orders_query(q="", status="", branch_id=None, reader=None):
    """The statement search_orders pages through, newest first (by id), whole orders: the
    CSV export runs it whole, in chunks. The order list reads only its columns
    (order_list)."""
    # What a row shows, each one row at most, joined into the same statement: five more
    # statements (one per relationship) cost a third of the list's time (issue 15).
    return (db.select(Order)
            .options(joinedload(Order.supplier), joinedload(Order.branch),
                     joinedload(Order.outbound),
                     joinedload(Order.process).joinedload(Process.customer))
            .where(*_filters(q, status, branch_id, reader))
            .order_by(Order.id.desc()))


def _filters(q, status, branch_id, reader):
    # On the tables' columns: they serve orders_query's entities and order_list's rows.
    conditions = list(_scope(reader))
    if status:
        conditions.append(_ORDER.status == status)
    if branch_id:
        conditions.append(_ORDER.branch_id == branch_id)
    if q:
        customers = (db.select(_PROCESS.id)
                     .join(Customer.__table__, _CUSTOMER.id == _PROCESS.customer_id)
                     .where(contains(_CUSTOMER.last_name, q)))
        suppliers = db.select(_COMPANY.id).where(contains(_COMPANY.name, q))
        conditions.append(contains(_ORDER.number, q) | contains(_ORDER.external_number, q)
                          | _ORDER.process_id.in_(customers)
                          | _ORDER.supplier_id.in_(suppliers))
    return conditions


_ORDER, _PROCESS, _CUSTOMER, _COMPANY, _BRANCH, _OUTBOUND = (
    model.__table__.c for model in (Order, Process, Customer, Company, Branch, Outbound))


class ListedOrder:
    """A row of the order list: the columns it shows, not the order with its supplier,
    branch, process, customer and delivery as entities (building those six entities a row
    was most of the list's time, issue 15). Reads as an Order where the list's status
    words (ordering.views.order_progress) and str() ask."""

    __slots__ = ("id", "number", "ordered_at", "status", "handoff", "external_number",
                 "error_message", "service_name", "supplier_name", "branch_name", "customer",
                 "outbound", "url", "ordered_text")

    def __init__(self, values):
        (self.id, self.number, self.ordered_at, self.status, self.handoff,
         self.external_number, self.error_message, self.service_name, self.supplier_name,
         self.branch_name, customer_id, last_name, first_name, outbound_id, *outbound) = values
        self.customer = None if customer_id is None else listed_name(last_name, first_name)
        self.outbound = ListedDelivery(*outbound) if outbound_id is not None else None
        self.url = self.ordered_text = None  # the view's link and time in words

    def __str__(self):
        return self.number or f"#{self.id}"  # as str(order)


class ListedDelivery:
    """What the list's status words read of an order's outbound row."""

    __slots__ = ("state", "attempts", "last_error", "next_attempt_at")

    def __init__(self, state, attempts, last_error, next_attempt_at):
        self.state, self.attempts = state, attempts
        self.last_error, self.next_attempt_at = last_error, next_attempt_at


# The list's statement (on the tables, rows without entities) and its count, without
# conditions, built once: building the joins anew took a fifth of the list's statement
# time (issue 15).
_SUPPLIER = Company.__table__.alias("supplier")
_LIST = paged(db.select(_ORDER.id, _ORDER.number, _ORDER.ordered_at, _ORDER.status,
                        _ORDER.handoff, _ORDER.external_number, _ORDER.error_message,
                        _ORDER.service_name, _SUPPLIER.c.name, _BRANCH.name, _CUSTOMER.id,
                        _CUSTOMER.last_name, _CUSTOMER.first_name, _OUTBOUND.id,
                        _OUTBOUND.state, _OUTBOUND.attempts, _OUTBOUND.last_error,
                        _OUTBOUND.next_attempt_at)
          .select_from(Order.__table__)
          .outerjoin(_SUPPLIER, _SUPPLIER.c.id == _ORDER.supplier_id)
          .outerjoin(Branch.__table__, _BRANCH.id == _ORDER.branch_id)
          .outerjoin(Process.__table__, _PROCESS.id == _ORDER.process_id)
          .outerjoin(Customer.__table__, _CUSTOMER.id == _PROCESS.customer_id)
          .outerjoin(Outbound.__table__, and_(_OUTBOUND.subject_type == ORDER_SUBJECT,
                                              _OUTBOUND.subject_id == _ORDER.id))
          .order_by(_ORDER.id.desc()))
_COUNT = db.select(func.count()).select_from(Order.__table__)


def order_list(q="", status="", branch_id=None, page=1, per_page=25, reader=None):
    """A page of stock management's order list (Lagerverwaltung → Bestellungen), newest
    first, as search_orders filters: ListedOrder rows, one statement for the page and one
    to count."""
    conditions = _filters(q, status, branch_id, reader)
    if conditions:
        pagination = page_of(_LIST.where(*conditions), _COUNT.where(*conditions), {}, page,
                             per_page)
    else:  # the list as it opens: its statements as built (issue 15)
        pagination = page_of(_LIST, _COUNT, {}, page, per_page)
    pagination.items = [ListedOrder(row) for row in pagination.items]
    return pagination


# --- the 'Bestellservice' step -----------------------------------------------------------

def preselected_company_id(process):
    """The company the step shows: the one chosen, else the branch's predefined lab."""
    step = process.order_step
    if step is not None and step.company_id:
        return step.company_id
    return process.branch.ear_mould_lab_id


class Placed(list):
    """The orders "Bestellen" made, and the route they took (the panel shows it again
    without routing a second time)."""

    def __init__(self, orders, route):
        super().__init__(orders)
        self.route = route


class Refused(DomainError):
    """A refused "Bestellen", with the route it had found (None if it got no further)."""

    def __init__(self, message, field=None, route=None):
        super().__init__(message, field)
        self.route = route


def place_order(actor, process, company_id, supplier_id=None, note=""):
    """'Bestellen': one order per open ear-mould position, routed by seed 001; each with its
    outbound row, and its delivery job enqueued after the commit. Returns the orders (a
    Placed list). A refusal changes nothing: the unit of work is rolled back."""
    require_order(actor, process.branch_id)
    if process.status != OPEN:
        raise DomainError(_l("The process is closed; reopen it to order."))
    step = _order_step(process)
    found = routing.route(process, company_id=company_id or 0, supplier_id=supplier_id or 0)
    if not found.ok:
        raise Refused(found.problem, field=found.problem_field, route=found)
    step.company_id = company_id or None
    step.supplier_id = (supplier_id or None) if not found.supplier_from_service else None
    positions = open_positions(process)
    if not positions:
        raise Refused(_l("There is no ear-mould position left to order. Add a position "
                         "first."), route=found)
    now = utcnow()
    orders = []
    for position in positions:
        order = Order(
            branch_id=process.branch_id, supplier_id=found.supplier.id,
            company_id=found.company.id, service_id=found.service.id,
            interface_key=found.service.interface_key, service_name=found.service.name,
            process_id=process.id, position_id=position.id, status=CREATED, ordered_at=now,
            ordered_by=actor.name, note=(note or "").strip()[:500], updated_by=actor.name)
        db.session.add(order)
        db.session.flush()
        order.number = f"B-{now:%Y}-{order.id:06d}"
        engine.start(ORDER_KIND, ORDER_SUBJECT, order.id, exclusive_key=f"order:{order.id}",
                     requested_by=actor.name)
        orders.append(order)
    if step.done_at is None:
        step.done_at, step.done_by = now, actor.name
    db.session.flush()
    return Placed(orders, found)


def _order_step(process):
    step = process.order_step
    if step is None:
        raise DomainError(routing.route(process).problem)
    return step


# --- an article order of stock management ----------------------------------------------

def create_article_order(actor, branch_id, supplier_id, lines, note=""):
    """A new article order (status Erstellt) for `supplier_id`, ordered by `branch_id`:
    `lines` are (article number, name, quantity). Nothing is sent yet: "Bestellen" on the
    order decides how it goes out (Audoora, webapp/audoora/ordering.py). DomainError with
    the field when the branch or supplier will not do."""
    if not branch_id or db.session.get(Branch, branch_id) is None:
        raise DomainError(_l("Choose the branch that orders."), "branch_id")
    if not can_order(actor, branch_id):
        raise DomainError(_l("You may only order for your own branches."), "branch_id")
    supplier = db.session.get(Company, supplier_id) if supplier_id else None
    if supplier is None:
        raise DomainError(_l("Choose the supplier this order is for."), "supplier_id")
    if not supplier.is_supplier:
        raise DomainError(_l("%(company)s is not a supplier.", company=supplier.name),
                          "supplier_id")
    order = Order(order_type=ARTICLES, branch_id=branch_id, supplier_id=supplier.id,
                  company_id=supplier.id, interface_key="", service_name="", status=CREATED,
                  note=(note or "").strip()[:500], updated_by=actor.name)
    order.lines = [OrderLine(line_no=number, article_number=article_number[:40],
                             name=name[:120], quantity=quantity)
                   for number, (article_number, name, quantity) in enumerate(lines, start=1)]
    db.session.add(order)
    db.session.flush()
    order.number = f"B-{utcnow():%Y}-{order.id:06d}"
    db.session.flush()
    return order


# --- after ordering ----------------------------------------------------------------------

def resend(actor, order):
    """'Erneut senden': an order in Fehler goes out again with the same idempotency key, so a
    partner that did get it answers with the same external number instead of a second order."""
    require_order(actor, order.branch_id)
    outbound = order.outbound
    if order.status != ERROR or outbound is None:
        raise DomainError(_l("Only an order with status Error can be sent again."))
    if not engine.rerun(outbound):
        raise DomainError(_l("The order is already being sent."))
    order.status, order.error_message = CREATED, ""
    order.updated_by, order.version = actor.name, order.version + 1
    db.session.flush()


def cancel(actor, order):
    """'Stornieren' of an order the partner does not have: refused once it has an external
    number (the lab's status rules then), while it is being sent, or while a previous send
    may have reached the partner unanswered."""
    require_order(actor, order.branch_id)
    if order.locked:
        raise DomainError(_l("The lab has this order (external number %(number)s); cancel it "
                             "with the lab.", number=order.external_number))
    if order.status not in (CREATED, ERROR) and not order.handoff:
        raise DomainError(_l("Only orders that were not delivered can be cancelled."))
    outbound = order.outbound
    if outbound is not None:
        if outbound.needs_lookup:
            raise DomainError(_l("A previous attempt may have reached the partner without an "
                                 "answer. Wait until that is cleared up."))
        done = db.session.execute(
            update(Outbound).where(Outbound.id == outbound.id,
                                   Outbound.state.in_((PENDING, FAILED, DONE)),
                                   Outbound.needs_lookup.is_(False))
            .values(state=CANCELLED, finished_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if not done:
            raise DomainError(_l("The order is being sent right now; try again in a moment."))
        db.session.refresh(outbound)  # the UPDATE went past the session's copy
    order.status = CANCELLED
    order.updated_by, order.version = actor.name, order.version + 1
    db.session.flush()


def mark_ordered(actor, order):
    """Confirm that an order handed to a person (print/fax, phone) has been placed."""
    require_order(actor, order.branch_id)
    if not order.handoff or order.status != CREATED:
        raise DomainError(_l("Only orders waiting for printing, faxing or a phone call can be "
                             "marked as ordered."))
    order.status = ORDERED
    order.updated_by, order.version = actor.name, order.version + 1
    db.session.flush()


def is_sending(order):
    """Whether delivery is still under way (the status fragment keeps polling)."""
    return order.outbound is not None and order.outbound.state in OPEN_STATES


def request_status(actor, order):
    """'Status abfragen': ask the partner for the status of an order it has, in the
    background after the commit (one query per order in flight)."""
    require_order(actor, order.branch_id)
    if not order.external_number or order.status not in (ORDERED, CONFIRMED):
        raise DomainError(_l("Only an order the lab has (with an external number) and has not "
                             "delivered yet can be asked for its status."))
    enqueue_after_commit(STATUS_JOB, order.id)
    db.session.flush()
