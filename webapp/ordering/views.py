"""Ordering screens: the 'Bestellservice' step of a process (routing preview, "Bestellen"),
the process's orders, stock management's order list (Lagerverwaltung → Bestellungen), the
order page with its actions, and the live status of orders: one poll per list, however many
of its orders are being sent, and one on an order's page.

The process page (processes blueprint) shows two parts of ours: the 'Bestellservice' step's
panel and the process's orders. `process_page_part` builds what they show, once per request;
the factory registers it with the process page (processes/page.py), so the page and the htmx
endpoints here render the very same fragments from the very same context. Templates get
values, never functions that query."""
import hashlib
from types import SimpleNamespace

from flask import (
    abort, current_app, flash, make_response, redirect, render_template, request, url_for,
)
from flask_babel import format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import csv_export, hx, params, submissions
from ..errors import DomainError
from ..forms import apply_domain_error
from ..interfaces.catalogue import get_interface
from ..interfaces.services import chain_today, interface_name
from ..moments import moment_writer
from ..org.services import readable_branches
from ..processes import services as process_services
from ..processes.labels import side_label
from ..processes.page import render_process_page
from ..permissions import branch_scope, reads_branch
from ..security import error_response
from ..views_helpers import escaped_choice, escaped_choices, id_url
from . import bp, pipeline, routing, services
from .adapters import order_document
from .forms import NEW_LINES, ArticleOrderForm, OrderForm
from .models import (
    ARTICLES, CANCELLED, CONFIRMED, CREATED, DELIVERED, ERROR, MAX_LINES, ORDER_STATUSES,
    ORDERED, PENDING, Order,
)

STATUS_LABELS = {
    CREATED: _l("Created"),
    ORDERED: _l("Ordered"),
    CONFIRMED: _l("Confirmed"),
    DELIVERED: _l("Delivered"),
    ERROR: _l("Error"),
    CANCELLED: _l("Cancelled"),
}
ORDER_TYPE_LABELS = {"ear_mould": _l("Ear mould"), ARTICLES: _l("Articles")}
HANDOFF_LABELS = {"print_fax": _l("to print or fax"), "phone": _l("to order by phone")}
ACTION_LABELS = {"submit": _l("Send"), "lookup": _l("Look up by key"), "status": _l("Status query")}
OUTCOME_LABELS = {
    "started": _l("running"), "interrupted": _l("interrupted"), "accepted": _l("accepted"),
    "transient": _l("failed, will retry"), "ambiguous": _l("no answer"),
    "permanent": _l("refused"), "not_found": _l("not found"), "handoff": _l("handed over"),
}
# The standard process (Standard Bestellprozess): its orders have a printable order form.
STANDARD_PROCESS = "ear_mould_standard_order"
# The order form is the adapter's own HTML page with an inline style: this page alone may
# have that, and nothing else (no script, no form, no frame).
DOCUMENT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
                "form-action 'none'; frame-ancestors 'none'")

# Client events (HX-Trigger): "Bestellen" made orders, so the process's order list reloads;
# a sending order came to rest, so what shows more than its status reloads.
ORDERS_CHANGED = "orders-changed"
ORDER_FINISHED = "order-finished"
# A list's poll names at most this many orders (a page of the order list has PAGE_SIZE).
MAX_POLLED = 100


# --- what the fragments show -------------------------------------------------------------

def order_progress(order, brief=False, labels=STATUS_LABELS):
    """What the status fragment says: the status in words, a detail (the external number,
    the partner's message, where sending stands) and whether it is still being sent.
    `brief`: without number and message, for the order page, which shows them anyway.
    `labels`: the statuses in words, as order_statuses has them."""
    outbound, detail = order.outbound, ""
    sending = services.is_sending(order)
    if order.status == ERROR:
        detail = "" if brief else order.error_message
    elif order.status in (ORDERED, CONFIRMED, DELIVERED):
        detail = "" if brief else order.external_number
    elif sending and outbound.state == PENDING and outbound.attempts and outbound.last_error:
        detail = _("next attempt at %(time)s (attempt %(number)s failed: %(message)s)",
                   time=format_time(outbound.next_attempt_at, "medium"),
                   number=outbound.attempts, message=outbound.last_error)
    elif sending and outbound.attempts:
        detail = _("being sent, attempt %(number)s", number=outbound.attempts)
    elif sending:
        detail = _("being sent")
    elif order.status == CREATED and order.handoff:
        detail = HANDOFF_LABELS.get(order.handoff, "")
    label = labels.get(order.status, order.status)
    # What the cell shows, in eight hex digits: a list's poll names it for each order, and
    # the answer swaps in only the cells whose version differs.
    version = hashlib.blake2s(f"{order.status}\x1f{label}\x1f{detail}\x1f{sending}".encode(),
                              digest_size=4).hexdigest()
    return SimpleNamespace(label=label, detail=detail, sending=sending, version=version)


def order_statuses(orders, brief=False):
    """{order id: what its status fragment says} for the orders a page lists. The statuses
    are put into words once, not twice per order (its version and its cell, issue 15)."""
    labels = {status: str(label) for status, label in STATUS_LABELS.items()}
    return {order.id: order_progress(order, brief, labels) for order in orders}


def status_poll_url(orders, statuses):
    """The one request a list makes for the statuses of its orders still being sent, each
    named with the version its cell shows (None: none is being sent, nothing polls)."""
    polled = [f"{order.id}.{statuses[order.id].version}" for order in orders
              if statuses[order.id].sending]
    return url_for("ordering.statuses_get", o=polled) if polled else None


def _polled(values):
    """{order id: version} from a list's poll (?o=<id>.<version>); malformed ones ignored."""
    polled = {}
    for value in values[:MAX_POLLED]:
        order_id, _dot, version = value.partition(".")
        order_id = params.to_id(order_id)
        if order_id is not None:
            polled[order_id] = version[:8]
    return polled


def order_step_panel(process, form=None, notice=None, route=None, ordered=None):
    """The 'Bestellservice' panel of `process`: the form (the saved or preselected choice
    unless one is given), the route it leads to (routed here unless "Bestellen" just did)
    and the positions that would be ordered."""
    if form is None:
        step = process.order_step
        form = OrderForm(formdata=None, company_id=services.preselected_company_id(process),
                         supplier_id=step.supplier_id if step is not None else None)
    if route is None:
        route = routing.route(process, company_id=form.company_id.data or 0,
                              supplier_id=form.supplier_id.data or 0)
    service = route.service
    return dict(
        form=form, route=route, notice=notice, positions=services.open_positions(process, ordered),
        interface=interface_name(route.interface) if route.interface is not None else None,
        scope=(_("Branch %(branch)s", branch=service.branch.name) if service and service.branch_id
               else _("Chain") if service else None),
        may_order=services.may_place_order(current_user, process))


def process_orders_context(process):
    """The process's orders, newest first, with their statuses; people of other branches
    read the process (customers are chain-wide) but not its branch's orders."""
    orders = services.orders_of_process(process.id, reader=current_user)
    statuses = order_statuses(orders)
    return dict(orders=orders, statuses=statuses, side_label=side_label,
                status_poll=status_poll_url(orders, statuses),
                orders_hidden=not reads_branch(current_user, process.branch_id))


ORDERS_SECTION = SimpleNamespace(id="orders", heading=_l("Orders"),
                                 template="ordering/_process_orders.html")


def process_page_part(process, given):
    """What ordering adds to the process page: the step's panel (unless the caller built it
    already) and the orders section. Registered with processes.page by the factory."""
    return dict(panel=given.get("panel") or order_step_panel(process,
                                                             ordered=given["ordered_ids"]),
                step_panels={"order_service": "ordering/_order_step.html"},
                sections=[ORDERS_SECTION], **process_orders_context(process))


def _process_or_404(process_id):
    process = process_services.get_process(process_id, reader=current_user)
    if process is None:
        abort(404)
    return process


def _order_or_404(order_id):
    order = services.get_order(order_id, reader=current_user)
    if order is None:
        abort(404)
    return order


def _process_url(process, anchor=""):
    return url_for("processes.process_get", process_id=process.id) + anchor


# --- the 'Bestellservice' step -----------------------------------------------------------

def _step_panel(process, form=None, notice=None, status=200, route=None):
    """The step's panel for htmx; otherwise the process page around it."""
    panel = order_step_panel(process, form, notice, route)
    if hx.wants_fragment():
        return render_template("ordering/_order_step.html", process=process, panel=panel,
                               side_label=side_label), status
    return render_process_page(process, status, panel=panel)


@bp.get("/processes/<int:process_id>/order-step")
def step_get(process_id):
    """The routing preview: the panel for the company and supplier in the query string
    (nothing is saved). Browsers without htmx get the process page."""
    process = _process_or_404(process_id)
    if not hx.wants_fragment():
        return redirect(_process_url(process, "#order-step"))
    return _step_panel(process, OrderForm(formdata=request.args))


@bp.post("/processes/<int:process_id>/order")
def order_post(process_id):
    """'Bestellen': one order per open position, routed by seed 001. A refusal shows the
    panel again with the reason beside its field (422); people of other branches get 403."""
    process = _process_or_404(process_id)
    form = OrderForm()
    if form.validate_on_submit():
        try:
            orders = services.place_order(current_user, process, form.company_id.data,
                                          form.supplier_id.data, form.note.data)
        except DomainError as error:
            apply_domain_error(form, error)
            # The route "Bestellen" found, if it got that far: routing runs once a request.
            return _step_panel(process, form, status=422, route=getattr(error, "route", None))
        notice = _("Ordered: %(numbers)s. They are being sent to the lab.",
                   numbers=", ".join(order.number for order in orders))
        if not hx.wants_fragment():
            flash(notice, "success")
            return hx.redirect(_process_url(process, "#orders"))
        response = make_response(_step_panel(process, notice=notice, route=orders.route))
        return hx.trigger(response, ORDERS_CHANGED)
    return _step_panel(process, form, status=422)


@bp.get("/processes/<int:process_id>/orders")
def process_orders_get(process_id):
    """The process's orders (reloaded by the page after "Bestellen" and when an order
    comes to rest)."""
    process = _process_or_404(process_id)
    if not hx.wants_fragment():
        return redirect(_process_url(process, "#orders"))
    return render_template("ordering/_process_orders.html", process=process,
                           **process_orders_context(process))


# --- the live status ---------------------------------------------------------------------

@bp.get("/orders/statuses")
def statuses_get():
    """A list's poll: the cells of the named orders whose status changed (out of band) and
    the poll again for those still being sent, or without a trigger once none is, so polling
    stops. A constant number of queries, however many orders it names; orders the user
    does not read are left out."""
    if not hx.wants_fragment():
        return redirect(url_for("ordering.orders"))
    polled = _polled(request.args.getlist("o"))
    orders = services.orders_by_ids(polled, reader=current_user)
    statuses = order_statuses(orders)
    return render_template(
        "ordering/_status_poll.html", statuses=statuses,
        changed=[order for order in orders if statuses[order.id].version != polled[order.id]],
        status_poll=status_poll_url(orders, statuses))


@bp.get("/orders/<int:order_id>/status")
def status_get(order_id):
    """The status fragment of an order's page, which polls itself while the order is being
    sent. The answer that finds it at rest also tells the page (order-finished), which
    reloads."""
    order = _order_or_404(order_id)
    if not hx.wants_fragment():
        return redirect(url_for("ordering.order_get", order_id=order.id))
    response = make_response(render_template("ordering/_status.html", order=order,
                                             statuses=order_statuses([order])))
    if not services.is_sending(order):
        hx.trigger(response, **{ORDER_FINISHED: {"id": order.id}})
    return response


# --- stock management: the order list ----------------------------------------------------

def _list_filters():
    args = request.args
    return dict(q=params.text(args, "q", max_length=100),
                status=args.get("status", "") if args.get("status") in ORDER_STATUSES else "",
                branch_id=params.record_id(args, "branch"))


@bp.get("/orders/")
def orders():
    """The orders of the branches the user reads (all for administrators), newest first:
    search by order or external number, customer and supplier; filter by status and branch.
    htmx searches get the list only."""
    filters = _list_filters()
    pagination = services.order_list(page=params.page(request.args),
                                     per_page=current_app.config["PAGE_SIZE"],
                                     reader=current_user, **filters)
    link, moment = id_url("ordering.order_get", "order_id"), moment_writer("short")
    for order in pagination.items:
        order.url = link(order.id)
        order.ordered_text = moment(order.ordered_at) if order.ordered_at else None
    statuses = order_statuses(pagination.items)
    context = dict(pagination=pagination, filters=filters, statuses=statuses,
                   status_poll=status_poll_url(pagination.items, statuses),
                   export_url=_export_url(filters))
    if hx.wants_fragment():
        return render_template("ordering/_order_list.html", **context)
    return render_template(
        "ordering/orders.html", reads_all=branch_scope(current_user) is None,
        branches=escaped_choices((branch.id, branch.name)
                                 for branch in readable_branches(current_user)),
        statuses_shown=escaped_choices(STATUS_LABELS.items()),
        chosen=dict(status=escaped_choice(filters["status"]),
                    branch=escaped_choice(filters["branch_id"])), **context)


def _export_url(filters):
    """'CSV exportieren' with the list's filters (part of the fragment the filters swap)."""
    return url_for("ordering.orders_csv", q=filters["q"] or None,
                   status=filters["status"] or None, branch=filters["branch_id"])


@bp.get("/orders/export.csv")
def orders_csv():
    """The order list with its filters as CSV for German Excel, every page, streamed."""
    query = (services.orders_query(reader=current_user, **_list_filters())
             .options(selectinload(Order.company)))
    header = [_("Order no."), _("Ordered at"), _("Order type"), _("Customer"), _("Supplier"),
              _("Lab"), _("Service"), _("Branch"), _("Status"), _("External order no."),
              _("Ordered by"), _("Note"), _("Message")]

    def rows():
        for chunk in csv_export.keyset_chunks(query, [Order.id]):
            for order in chunk:
                customer = order.process.customer if order.process else None
                yield [order.number, csv_export.moment(order.ordered_at),
                       ORDER_TYPE_LABELS.get(order.order_type, order.order_type),
                       customer, order.supplier.name, order.company.name,
                       order.service_name, order.branch.name,
                       STATUS_LABELS.get(order.status, order.status), order.external_number,
                       order.ordered_by, order.note, order.error_message]

    return csv_export.response(csv_export.filename(_("Orders"), chain_today()), header, rows())


# --- a new article order ----------------------------------------------------------------

def _article_form(formdata=None, lines=NEW_LINES):
    form = ArticleOrderForm(formdata=formdata) if formdata is not None else ArticleOrderForm(
        formdata=None, branch_id=min(current_user.branch_ids, default=None))
    branches = [branch for branch in readable_branches(current_user)
                if services.can_order(current_user, branch.id)]
    form.branch_id.choices = [("", _("— choose —"))] + [(b.id, b.name) for b in branches]
    while len(form.lines) < min(lines, MAX_LINES):
        form.lines.append_entry()
    return form


def _new_order_page(form, status=200, focus_line=None):
    template = "ordering/_new_order.html" if hx.wants_fragment() else "ordering/new_order.html"
    return render_template(template, form=form, max_lines=MAX_LINES,
                           focus_line=focus_line), status


@bp.get("/orders/new")
def new_order_get():
    """'Neue Bestellung': an article order for one supplier, written by hand."""
    return _new_order_page(_article_form())


@bp.post("/orders/new")
def new_order_post():
    """Save the article order (status Erstellt) and show it, where "Bestellen" sends it;
    "Weitere Zeile" shows the form again with one more empty row, saving nothing."""
    form = _article_form(request.form)
    if request.form.get("add_line"):  # CSRFProtect checked the token, as on every post
        # The keyboard goes on in the new row (the button it was on is swapped away).
        return _new_order_page(_article_form(request.form, len(form.lines) + 1),
                               focus_line=len(form.lines) + 1)
    if not form.validate_on_submit():
        return _new_order_page(form, 422)
    lines = [(line.form.article_number.data, line.form.name.data, line.form.quantity.data)
             for line in form.lines if line.form.filled]
    try:
        order, first = submissions.once(
            form.submission.data, Order, lambda: services.create_article_order(
                current_user, form.branch_id.data, form.supplier_id.data, lines,
                form.note.data))
    except DomainError as error:
        apply_domain_error(form, error)
        return _new_order_page(form, 422)
    if order is None:  # the first post's order was deleted since
        return hx.redirect(url_for("ordering.orders"))
    flash(_("Order %(number)s was created. Check it and order it with “Place order”.",
            number=order.number) if first else
          _("This form was sent already: order %(number)s was created once.",
            number=order.number), "success")
    return hx.redirect(url_for("ordering.order_get", order_id=order.id))


# --- the order page and its actions ------------------------------------------------------

# What higher layers add to an order's page (Audoora: how it goes out, "Bestellen", the
# cart), registered by the factory: name → build(order, actor) → (template, context) or None.
_order_parts = {}


def register_order_part(name, build):
    _order_parts[name] = build


def _parts(order):
    found = (build(order, current_user) for build in _order_parts.values())
    return [SimpleNamespace(template=template, **context)
            for template, context in (part for part in found if part is not None)]


def _portal_url(order):
    """The partner portal link of an order (Audia Web-Portal), if it is a web address."""
    url = (order.details or {}).get("portal_url") or ""
    return url if url.startswith(("https://", "http://")) else None


def order_page(order, notice=None, error=None, status=200):
    """The order: a fragment for htmx (after an action, or when it came to rest), otherwise
    the whole page."""
    interface = get_interface(order.interface_key) if order.interface_key else None
    outbound = order.outbound
    context = dict(
        order=order, notice=notice, error=error, portal_url=_portal_url(order),
        statuses=order_statuses([order], brief=True), side_label=side_label,
        interface=interface_name(interface) if interface is not None else order.interface_key,
        attempts=outbound.attempt_log if outbound is not None else [],
        may=services.order_actions(current_user, order),
        printable=order.interface_key == STANDARD_PROCESS and order.position_id is not None,
        parts=_parts(order),
        order_type=ORDER_TYPE_LABELS.get(order.order_type, order.order_type),
        action_labels=ACTION_LABELS, outcome_labels=OUTCOME_LABELS)
    if hx.wants_fragment():
        return render_template("ordering/_order.html", **context), status
    return render_template("ordering/order.html", **context), status


@bp.get("/orders/<int:order_id>")
def order_get(order_id):
    """Everything about one order, its attempts and what may be done with it."""
    return order_page(_order_or_404(order_id))


def _act(order_id, action, notice):
    """Run an order action; a refusal shows its reason on the order (409)."""
    order = _order_or_404(order_id)
    try:
        action(current_user, order)
    except DomainError as error:
        order = _order_or_404(order_id)
        if not hx.wants_fragment():
            flash(str(error.message), "error")
            return hx.redirect(url_for("ordering.order_get", order_id=order_id))
        return order_page(order, error=str(error.message), status=409)
    if not hx.wants_fragment():
        flash(notice, "success")
        return hx.redirect(url_for("ordering.order_get", order_id=order_id))
    return order_page(order, notice=notice)


@bp.post("/orders/<int:order_id>/resend")
def resend_post(order_id):
    """'Erneut senden' (status Fehler), with the same idempotency key."""
    return _act(order_id, services.resend, _("The order is being sent again."))


@bp.get("/orders/<int:order_id>/cancel")
def cancel_get(order_id):
    """Confirmation page for browsers without htmx (htmx asks with hx-confirm)."""
    order = _order_or_404(order_id)
    return render_template("ordering/confirm_cancel.html", order=order)


@bp.post("/orders/<int:order_id>/cancel")
def cancel_post(order_id):
    """'Stornieren' of an order the lab does not have (services.cancel says when not)."""
    return _act(order_id, services.cancel, _("The order is cancelled."))


@bp.post("/orders/<int:order_id>/mark-ordered")
def mark_ordered_post(order_id):
    """'Als bestellt markieren': a printed, faxed or phoned order went out."""
    return _act(order_id, services.mark_ordered, _("The order is marked as ordered."))


@bp.post("/orders/<int:order_id>/status-query")
def status_query_post(order_id):
    """'Status abfragen': the lab is asked in the background."""
    return _act(order_id, services.request_status,
                _("The lab is being asked for the status. Reload the page in a moment to see "
                  "its answer."))


@bp.get("/orders/<int:order_id>/document")
def document_get(order_id):
    """'Bestellschein drucken': the order form of an order of the standard process, as the
    adapter writes it for the e-mail, without any secret, as a page of its own to print."""
    order = _order_or_404(order_id)
    if order.interface_key != STANDARD_PROCESS:
        abort(404)
    try:
        order_request = pipeline.build_request(order, order.outbound, with_secrets=False)
    except pipeline.Unroutable as error:
        return error_response(409, _("No order form"), str(error))
    _text, html = order_document(order_request)
    response = make_response(html)
    response.headers["Content-Security-Policy"] = DOCUMENT_CSP
    return response
