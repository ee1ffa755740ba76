"""Card screens: the process step "Kundenkarte" (order a customer card, see where it goes,
the cards ordered in this process), the customer's tab Kundenkarten (every card with its
status and number), the employee card below a user's editor, and a card order's actions.
The process page, the customer page and the user editor show our parts, registered by the
factory."""
from types import SimpleNamespace

from flask import abort, flash, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import hx, submissions
from ..customers.page import Tab, customer_or_404, render_tab
from ..errors import DomainError
from ..extensions import db
from ..forms import apply_domain_error
from ..permissions import is_admin
from ..processes import services as process_services
from ..users.models import User
from . import batching, bp, services
from .forms import CardOrderForm
from .models import ERROR, QUEUED, CardOrder

STATUS_LABELS = services.STATUS_LABELS
INTERVAL_LABELS = {"daily": _l("daily"), "weekly": _l("weekly"), "monthly": _l("monthly")}
SHIP_TO_LABELS = {"customer": _l("Customer"), "ordering_branch": _l("Ordering branch"),
                  "customer_branch": _l("Customer's branch")}
# The provider's stages after Bestellt (docs/partners/cards.md); others are shown as sent.
PROVIDER_STATUS_LABELS = {"in_production": _l("in production"), "shipped": _l("shipped")}


def order_rows(orders):
    """What a list of card orders shows per order: status in words, when a waiting one goes
    out, and what may be done with it."""
    zone = batching.chain_zone()
    rows = []
    for order in orders:
        goes = None
        if order.status == QUEUED:
            goes = format_datetime(batching.next_boundary(order.ordered_at,
                                                          order.shipping_interval, zone),
                                   "short")
        rows.append(SimpleNamespace(
            order=order, status=STATUS_LABELS.get(order.status, order.status), goes=goes,
            provider_status=PROVIDER_STATUS_LABELS.get(order.provider_status,
                                                       order.provider_status),
            interval=INTERVAL_LABELS.get(order.shipping_interval, order.shipping_interval),
            may_cancel=order.status == QUEUED and order.batch_id is None,
            may_resend=order.status == ERROR and order.batch_id is not None))
    return rows


def _panel(branch, kind, form, customer=None, user=None):
    """The order form's context: the templates on offer, the chosen one's recipient, or why
    nothing can be ordered."""
    resolution, rows, problem = services.choices(branch.id, kind)
    form.template.choices = [("", _("— choose —"))] + [(row["name"], row["name"])
                                                       for row in rows]
    chosen = next((row for row in rows if row["name"] == form.template.data), None)
    address, address_problem = (services.recipient(chosen, branch, customer=customer,
                                                   user=user) if chosen else (None, None))
    return dict(form=form, problem=problem, address=address, address_problem=address_problem,
                chosen=chosen, ship_to=SHIP_TO_LABELS.get((chosen or {}).get("ship_to")),
                interval=INTERVAL_LABELS.get((chosen or {}).get("shipping_interval")),
                service=resolution.service if resolution is not None else None)


def _queued(order, first=True):
    """What 'Karte bestellen' says: the order is queued, and when its batch goes out; to
    the same form posted again, that the card was ordered already (nothing new is)."""
    if not first:
        return _("This form was sent already: card %(number)s is ordered once.",
                 number=order.number if order is not None else "")
    return _("Card %(number)s queued. It goes out on %(when)s (%(interval)s).",
             number=order.number, when=order_rows([order])[0].goes,
             interval=INTERVAL_LABELS[order.shipping_interval])


def _place_once(form, place):
    """`place()` once per the form's submission token: (order, whether this post placed
    it)."""
    return submissions.once(form.submission.data, CardOrder, place)


# --- the process step "Kundenkarte" ----------------------------------------------------------

def process_page_part(process, given):
    """What cards add to the process page: the panel of its step 'Kundenkarte'."""
    if not any(step.kind == "customer_card" for step in process.steps):
        return {}
    return dict(step_panels={"customer_card": "cards/_card_step.html"},
                card_panel=_step_context(process, given.get("card_form")))


def _step_context(process, form=None, notice=None):
    form = form or CardOrderForm(formdata=None)
    context = _panel(process.branch, services.CUSTOMER_CARD, form, customer=process.customer)
    orders = services.orders_of_customer(process.customer_id, process_id=process.id)
    context.update(process=process, rows=order_rows(orders), notice=notice,
                   may_order=services.may_order_for_customer(current_user, process.branch_id)
                   and process.status == "open")
    return context


def _process_or_404(process_id):
    process = process_services.get_process(process_id, reader=current_user)
    if process is None:
        abort(404)
    return process


def _step_answer(process, form=None, notice=None, status=200):
    if not hx.wants_fragment():
        if notice:
            flash(notice, "success")
        return hx.redirect(url_for("processes.process_get", process_id=process.id) +
                           "#card-step")
    return render_template("cards/_card_step_panel.html", card_panel=_step_context(
        process, form, notice)), status


@bp.get("/processes/<int:process_id>/card-step")
def step_get(process_id):
    """The panel for the template in the query string: where the card would go (nothing is
    saved)."""
    process = _process_or_404(process_id)
    return _step_answer(process, CardOrderForm(formdata=request.args))


@bp.post("/processes/<int:process_id>/card-order")
def step_post(process_id):
    """'Karte bestellen' for the process's customer: queued for the template's batch."""
    process = _process_or_404(process_id)
    form = CardOrderForm()
    _panel(process.branch, services.CUSTOMER_CARD, form, customer=process.customer)
    if not form.validate_on_submit():
        return _step_answer(process, form, status=422)
    try:
        if process.status != "open":
            raise DomainError(_l("The process is closed; reopen it to order."), "template")
        order, first = _place_once(form, lambda: services.place(
            current_user, form.template.data, form.valid_until.data, process.branch,
            customer=process.customer, process=process))
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return _step_answer(process, form, status=422)
    return _step_answer(process, CardOrderForm(formdata=None), notice=_queued(order, first))


# --- the customer's tab ----------------------------------------------------------------------

@bp.get("/customers/<int:customer_id>/cards")
def customer_cards_get(customer_id):
    """Tab Kundenkarten: every card ordered for the customer, with status and card number."""
    customer = customer_or_404(customer_id)
    return render_tab(customer, "cards",
                      card_rows=order_rows(services.orders_of_customer(customer.id)))


CUSTOMER_TAB = Tab("cards", _l("Customer cards"), "cards.customer_cards_get",
                   "cards/_customer_cards.html", count=services.count_orders_of_customer)


# --- the employee card -----------------------------------------------------------------------

def user_part(user, actor):
    """Below a user's editor, for administrators: their employee cards and the order form."""
    if not is_admin(actor):
        return None
    return "cards/_employee_card.html", dict(card_panel=_employee_context(user))


def _employee_context(user, form=None, notice=None):
    branch = sorted(user.branches, key=lambda b: b.id)[0] if user.branches else None
    form = form or CardOrderForm(formdata=None)
    if branch is None:
        context = dict(form=form, problem=_l("The user belongs to no branch: the branch "
                                             "that orders the card is missing."),
                       address=None, address_problem=None, chosen=None, service=None)
    else:
        context = _panel(branch, services.EMPLOYEE_CARD, form, user=user)
    context.update(user=user, branch=branch, notice=notice,
                   rows=order_rows(services.orders_of_user(user.id)))
    return context


def _user_or_404(user_id):
    if not is_admin(current_user):
        abort(403)  # employee cards are the administrators' business
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _employee_answer(user, form=None, notice=None, status=200):
    if not hx.wants_fragment():
        if notice:
            flash(notice, "success")
        return hx.redirect(url_for("users.user_get", user_id=user.id) + "#employee-card")
    return render_template("cards/_employee_card.html", part=SimpleNamespace(
        card_panel=_employee_context(user, form, notice))), status


@bp.get("/users/<int:user_id>/card")
def employee_get(user_id):
    user = _user_or_404(user_id)
    return _employee_answer(user, CardOrderForm(formdata=request.args))


@bp.post("/users/<int:user_id>/card-order")
def employee_post(user_id):
    """'Mitarbeiterkarte bestellen' (administrators)."""
    user = _user_or_404(user_id)
    form = CardOrderForm()
    context = _employee_context(user, form)
    if not form.validate_on_submit():
        return _employee_answer(user, form, status=422)
    try:
        if context["branch"] is None:
            raise DomainError(context["problem"], "template")
        order, first = _place_once(form, lambda: services.place(
            current_user, form.template.data, form.valid_until.data, context["branch"],
            user=user))
    except DomainError as error:
        db.session.rollback()
        apply_domain_error(form, error)
        return _employee_answer(user, form, status=422)
    return _employee_answer(user, CardOrderForm(formdata=None), notice=_queued(order, first))


# --- a card order's actions ------------------------------------------------------------------

def _act(order_id, action, notice):
    order = services.get_order(order_id, current_user)
    if order is None:
        abort(404)
    try:
        action(current_user, order)
        message, status = notice, 200
    except DomainError as error:
        db.session.rollback()
        order = services.get_order(order_id, current_user)
        message, status = str(error.message), 409
    if not hx.wants_fragment():
        flash(message, "success" if status == 200 else "error")
        target = (url_for("users.user_get", user_id=order.user_id) if order.user_id else
                  url_for("cards.customer_cards_get", customer_id=order.customer_id))
        return hx.redirect(target)
    return render_template("cards/_order_row.html", row=order_rows([order])[0],
                           message=message, failed=status != 200,
                           compact=request.form.get("compact") == "1"), status


@bp.post("/card-orders/<int:order_id>/cancel")
def cancel_post(order_id):
    return _act(order_id, services.cancel, _("The card order was cancelled."))


@bp.post("/card-orders/<int:order_id>/resend")
def resend_post(order_id):
    return _act(order_id, services.resend, _("The batch is being sent again."))
