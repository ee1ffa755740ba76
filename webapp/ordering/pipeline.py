"""Delivering an order to its partner, as a kind of outbound work (webapp/outbound/): the
OrderHandler builds the request from the order and its routing, calls the adapter, and
applies the answer to the order. The engine does the rest — the claim by conditional
UPDATE, an attempt written before every call, the lookup by idempotency key after an
interrupted call, capped backoff honouring Retry-After, and the reconciler (see
webapp/outbound/engine.py for why that cannot lose or double an order). jobs/orders.py runs
it; nothing here reads `request`.
"""
import logging
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from .. import outbound_policy, programs
from ..extensions import db
from ..interfaces.resolver import resolve, resolve_for_company, secret_for
from ..org.services import chain_timezone
from ..outbound import engine
from ..outbound.handlers import CannotRun, Handler
from . import routing
from .adapters import base, get_adapter
from .models import CONFIRMED, CREATED, DELIVERED, ERROR, ORDER_KIND, ORDERED, Order
from .services import SUBMIT_JOB, submit_job_id

log = logging.getLogger(__name__)

# Status order, so a late or repeated answer never moves an order backwards.
PROGRESS = {CREATED: 0, ORDERED: 1, CONFIRMED: 2, DELIVERED: 3}


class Unroutable(CannotRun):
    """The order cannot be delivered as configured (service gone, company unassigned)."""


def backoff(attempt, retry_after=None, config=None):
    """Seconds until the next try of an order after `attempt` failed transiently."""
    config = config or current_app.config
    return engine.backoff(attempt, retry_after, config["ORDER_RETRY_BASE_SECONDS"],
                          config["ORDER_RETRY_CAP_SECONDS"])


# --- building what the adapter gets ------------------------------------------------------

def _secrets(resolution):
    """The service's set secrets, read now: the adapter call runs without the database."""
    found = {spec.key: secret_for(resolution, spec.key)
             for spec in resolution.interface.secret_fields
             if resolution.fields[spec.key].is_set}
    return found.get


def _no_secret(_key):
    return None


def _party(record, name=None):
    if record is None:
        return None
    return base.Party(name=name or record.name, street=record.street or "",
                      postal_code=record.postal_code or "", city=record.city or "",
                      email=getattr(record, "email", "") or "", phone=record.phone or "")


def build_request(order, outbound, with_secrets=True):
    """The OrderRequest for `order`, routed as it is configured now (which may be another
    service than at "Bestellen": see follow_routing). Without secrets (every secret reads as
    None) for what people see, e.g. the printable order form. Changes nothing."""
    position = order.position
    if position is None:
        raise Unroutable(_("The ear-mould position of this order was deleted."))
    outbound_key = outbound.idempotency_key if outbound is not None else ""
    resolution = resolve_for_company(routing.GROUP, order.company_id,
                                             branch=order.branch_id)
    if resolution is None:
        raise Unroutable(_("No active ordering service has %(company)s in its company "
                           "assignment any more.", company=order.company.name))
    # Only the e-mail adapter needs the chain's SMTP service; nobody else gets its password.
    smtp = (resolve("smtp", branch=order.branch_id)
            if get_adapter(resolution.service.interface_key).sends_mail else None)
    customer = order.process.customer if order.process is not None else None
    supplier = order.supplier
    return base.OrderRequest(
        reference=order.number, idempotency_key=outbound_key,
        interface_key=resolution.service.interface_key, service_id=resolution.service.id,
        service_name=resolution.service.name, config=dict(resolution.values),
        secret=_secrets(resolution) if with_secrets else _no_secret,
        position=base.Position(
            side=position.side, style=position.style, material=position.material,
            impression_ref=position.impression_ref, venting=position.venting,
            colour=position.colour or "", notes=position.notes or ""),
        customer_number=supplier.customer_number_for(order.branch_id),
        supplier=_party(supplier), supplier_order_email=supplier.order_email or "",
        supplier_order_form=supplier.order_form or "",
        branch=base.Party(name=order.branch.name, street=order.branch.street,
                          postal_code=order.branch.postal_code, city=order.branch.city,
                          email=order.branch.office_email, phone=order.branch.office_phone),
        customer=_party(customer, customer.name if customer else None),
        process_type=order.process.process_type if order.process is not None else "",
        note=order.note or "",
        # In the chain's time zone (with its offset): the order form shows it to the lab.
        ordered_at=(order.ordered_at.astimezone(ZoneInfo(chain_timezone()))
                    .isoformat() if order.ordered_at else ""),
        smtp_config=dict(smtp.values) if smtp is not None else None,
        smtp_secret=_secrets(smtp) if smtp is not None and with_secrets else _no_secret,
        outbound=outbound_policy.from_config(current_app.config),
        allowed_programs=programs.allowed_paths(current_app.config),
    )


def follow_routing(order, request):
    """The company's assignment moved to another service since "Bestellen": the order is
    delivered through the new one, and says so (saved with the claim)."""
    if request.service_id != order.service_id:
        order.service_id = request.service_id
        order.interface_key, order.service_name = request.interface_key, request.service_name


# --- the order kind ---------------------------------------------------------------------

class OrderHandler(Handler):
    kind = ORDER_KIND
    job = SUBMIT_JOB
    keeps_exclusive_key = True  # one delivery row per order, reused by "Erneut senden"
    config_prefix = "ORDER"

    def job_id(self, row_id, suffix):
        return submit_job_id(row_id, suffix)

    def prepare(self, row):
        order = db.session.get(Order, row.subject_id)
        if order is None:
            raise CannotRun(_("The order of this delivery was deleted."))
        request = build_request(order, row)
        try:
            get_adapter(request.interface_key)
        except KeyError:
            raise CannotRun(_("No adapter exists for the interface %(key)s.",
                              key=order.interface_key)) from None
        follow_routing(order, request)
        return request

    def max_duration(self, request):
        return get_adapter(request.interface_key).max_duration(request)

    def can_lookup(self, request):
        return request is not None and get_adapter(request.interface_key).can_lookup

    def submit(self, request, report):
        return get_adapter(request.interface_key).submit(request)

    def lookup(self, request, report):
        return get_adapter(request.interface_key).lookup(request)

    def accepted(self, row, outcome):
        order = db.session.get(Order, row.subject_id)
        status = outcome.status or ORDERED
        if PROGRESS.get(status, 1) >= PROGRESS.get(order.status, 0):
            order.status = status
        order.external_number = outcome.external_number or order.external_number
        order.external_status = outcome.external_status[:120]
        order.error_message = ""
        if outcome.details:
            order.details = {**(order.details or {}), **outcome.details}
        order.version += 1

    def handed_off(self, row, outcome):
        order = db.session.get(Order, row.subject_id)
        order.handoff = outcome.details.get("handoff", "print_fax")
        order.external_status = outcome.message[:120]
        order.details = {**(order.details or {}),
                         **{k: v for k, v in outcome.details.items() if k != "document_html"}}
        order.version += 1

    def failed(self, row, message, outcome):
        order = db.session.get(Order, row.subject_id)
        order.status, order.error_message = ERROR, message[:1000]
        order.version += 1

    def unknown_after_interruption(self):
        return _("An earlier attempt was interrupted and this interface cannot tell whether the "
                 "order arrived. Check with the partner, then send again or cancel.")

    def unknown_after_no_answer(self, message):
        return _("No answer from the partner (%(message)s); it is unknown whether the order "
                 "arrived. Check with the partner, then send again or cancel.", message=message)


HANDLER = OrderHandler()


def deliver(outbound_id, worker=""):
    """Claim the order's outbound row and take it one step further (engine.deliver)."""
    return engine.deliver(outbound_id, worker=worker)


def reconcile(now=None, limit=500):
    """Re-enqueue lost work of every kind, orders among them (engine.reconcile)."""
    return engine.reconcile(now=now, limit=limit)


# --- recovery and status ------------------------------------------------------------------

def refresh_status(order_id):
    """Ask the partner for the status of an order it has (Bestellt → Bestätigt → Geliefert).
    Returns the new status, or None when nothing could be asked."""
    order = db.session.get(Order, order_id)
    if order is None or not order.external_number or order.status not in (ORDERED, CONFIRMED):
        return None
    try:
        request = build_request(order, order.outbound)
        adapter = get_adapter(request.interface_key)
    except (Unroutable, KeyError):
        return None
    if not adapter.can_lookup:
        return None
    number = order.external_number
    db.session.commit()  # no transaction open during the call
    try:
        outcome = adapter.status(request, number)
    except Exception:  # noqa: BLE001 - a status poll must never break the periodic job
        log.exception("Status query for order %s failed", order_id)
        return None
    order = db.session.get(Order, order_id)
    if outcome.kind == base.ACCEPTED:
        if outcome.status and PROGRESS.get(outcome.status, 0) > PROGRESS.get(order.status, 0):
            order.status = outcome.status
        order.external_status = (outcome.external_status or order.external_status)[:120]
        order.version += 1
        db.session.commit()
    return order.status


def orders_to_refresh(limit=200):
    return db.session.scalars(
        db.select(Order.id).where(Order.status.in_((ORDERED, CONFIRMED)),
                                  Order.external_number != "")
        .order_by(Order.updated_at).limit(limit)).all()
