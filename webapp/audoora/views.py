"""Ordering through Audoora on an article order's page (stock management): how it goes out
and "Bestellen", and the cart with what is missing, its time left, "Entfernen" and
"Bestellen". The order page (ordering) shows our part, registered by the factory
(ordering.views.register_order_part); every action answers with the order again."""
from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import hx
from ..errors import DomainError
from ..extensions import db
from ..models_base import utcnow
from ..ordering import services as ordering_services
from ..ordering import views as ordering_views
from ..ordering.models import ARTICLES, CREATED, ERROR, OPEN_STATES
from ..params import to_int
from . import bp, orders


def order_part(order, actor):
    """What an article order's page shows of Audoora: the route and "Bestellen" while it
    can be ordered, or the cart while it is open."""
    if order.order_type != ARTICLES:
        return None
    now = utcnow()
    sending = order.outbound is not None and order.outbound.state in OPEN_STATES
    cart = orders.open_cart(order, now)
    orderable = (order.status in (CREATED, ERROR) and not order.locked and not sending
                 and cart is None)
    given = getattr(g, "audoora_cart", {})
    remaining = cart.remaining(now) if cart is not None else None
    lines = [line for line in order.lines if not line.removed]
    return "audoora/_order_part.html", dict(
        route=orders.route(order) if orderable else None, cart=cart,
        may=ordering_services.can_order(actor, order.branch_id), sending=sending,
        missing=orders.missing_lines(cart) if cart is not None else {},
        needs_number=cart is not None and orders.needs_customer_number(cart),
        hours=int(remaining.total_seconds() // 3600) if remaining is not None else 0,
        minutes=int(remaining.total_seconds() % 3600 // 60) if remaining is not None else 0,
        # The last article cannot be removed (orders.remove_line): the order is cancelled.
        lines=lines, removable=len(lines) > 1,
        errors=given.get("errors", {}), values=given.get("values", {}))


def _order_or_404(order_id):
    order = ordering_services.get_order(order_id, reader=current_user)
    if order is None:
        abort(404)
    return order


def _answer(order_id, action, notice, field_errors=False):
    """Run `action(order)`; a refusal is rolled back at once and shown on the order — beside
    its field in the cart (422) or above the order (409)."""
    order = _order_or_404(order_id)
    try:
        action(order)
    except DomainError as error:
        db.session.rollback()
        order = _order_or_404(order_id)
        if field_errors and error.field:
            g.audoora_cart = dict(errors={error.field: str(error.message)},
                                  values=request.form)
            return ordering_views.order_page(order, status=422)
        if not hx.wants_fragment():
            flash(str(error.message), "error")
            return hx.redirect(url_for("ordering.order_get", order_id=order_id))
        return ordering_views.order_page(order, error=str(error.message), status=409)
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url_for("ordering.order_get", order_id=order_id))
    return ordering_views.order_page(order, notice=notice)


@bp.post("/orders/<int:order_id>/audoora")
def place_post(order_id):
    """'Bestellen' of an article order: through Audoora, or the reason why not (409)."""
    return _answer(order_id, lambda order: orders.place(current_user, order),
                   _("The order is being sent to Audoora."))


def _by_line(prefix):
    found = {}
    for key, value in request.form.items():
        number = to_int(key[len(prefix):]) if key.startswith(prefix) else None
        if number is not None:
            found[number] = value
    return found


@bp.post("/orders/<int:order_id>/cart")
def cart_post(order_id):
    """'Bestellen' in the Audoora cart, with what the person completed."""
    return _answer(order_id, lambda order: orders.order_cart(
        current_user, order, request.form.get("customer_number", ""),
        choices=_by_line("choice-"), numbers=_by_line("number-")),
        _("The cart is being ordered."), field_errors=True)


@bp.post("/orders/<int:order_id>/cart/lines/<int:line_no>/remove")
def cart_remove_post(order_id, line_no):
    """'Entfernen': take an article out of the cart (it stays on the order, marked)."""
    return _answer(order_id, lambda order: orders.remove_line(current_user, order, line_no),
                   _("The article was removed from the cart."))
