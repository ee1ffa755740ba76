"""Ordering through Audoora (seed 002, "Bestellablauf"): "Bestellen" on an article order of
stock management finds by itself that the order goes through Audoora, and sends it; what the
portal cannot place at once waits in its cart (Warenkorb) for 6 hours.

- **Which way** (`route`): a company-specific ordering interface that is active for the
  supplier takes precedence (the seed: "wird weiterhin über diese bestellt"); otherwise the
  Audoora service of the branch (or the chain), once registered, for a supplier on its
  partner list.
- **One operation per run**, kind `audoora_order`, on the order's one outbound row (subject
  "order", exclusive key "order:<id>", as a lab delivery has). A run first asks the portal's
  catalogue for each article not identified yet (reads: safe to repeat), then makes exactly
  one write under the run's idempotency key: the order when everything is known, otherwise
  the cart. After no answer, the engine asks by key — orders, then carts — before sending
  again, so neither is made twice.
- **The cart** is ordered by a second run of the same row (action `cart_order`) under a new
  key, with what the person completed: a customer number, a chosen article, articles
  removed. Protocol: docs/partners/audoora.md.
"""
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import outbound_policy
from ..errors import DomainError
from ..extensions import db
from ..forms import control_characters
from ..interfaces import services as interface_services
from ..interfaces.models import InterfaceService
from ..models_base import utcnow
from ..ordering import services as ordering_services
from ..ordering.models import (
    ARTICLES, CREATED, DONE, ERROR, FAILED, OPEN_STATES, ORDER_SUBJECT, ORDERED, Order,
)
from ..ordering.pipeline import PROGRESS
from ..outbound import engine
from ..outbound.handlers import (
    ACCEPTED, AMBIGUOUS, NOT_FOUND, PERMANENT, TRANSIENT, CannotRun, Handler, Outcome,
)
from . import carts, http, partners
from .registration import INTERFACE, registration_of

KIND = "audoora_order"
SUBMIT, CART_ORDER = "submit", "cart_order"
API = "/api/v1"
PLACED, CART, INCOMPLETE = "order", "cart", "incomplete"

BUSY = _l("The order is being sent right now; wait a moment.")
UNCLEAR = _l("A previous attempt may have reached Audoora without an answer: use “Send again”, "
             "which asks Audoora first and sends only what did not arrive.")
CART_GONE = _l("The Audoora cart of this order has expired (it is kept for 6 hours). Order "
               "again to open a new one.")


# --- which way an article order goes -------------------------------------------------------

@dataclass
class Route:
    problem: str | None = None
    service: InterfaceService | None = None   # the Audoora service
    partner: dict | None = None               # {id, name} on its partner list
    specific: InterfaceService | None = None  # the company-specific one that takes precedence
    fix_company: object = None                # a company whose master data must change first

    @property
    def ok(self):
        return self.problem is None


def route(order, today=None):
    """How `order` (an article order) goes out: through Audoora, or why not."""
    supplier = order.supplier
    specific = partners.specific_service_for(supplier, order.branch_id, today)
    if specific is not None:
        return Route(specific=specific, problem=_l(
            "Orders for %(company)s keep going through the interface “%(service)s”: a "
            "company-specific ordering interface takes precedence over Audoora. To order only "
            "through Audoora, that interface must be deactivated or deleted.",
            company=supplier.name, service=specific.name))
    service = partners.audoora_service_for(order.branch_id, today)
    if service is None:
        return Route(problem=_l(
            "No active Audoora service applies to branch %(branch)s, and %(company)s has no "
            "ordering interface of its own: this order cannot be sent from here.",
            branch=order.branch.name, company=supplier.name))
    if registration_of(service) is None:
        return Route(service=service, problem=_l(
            "The Audoora service “%(service)s” is not registered yet: an administrator "
            "registers the chain on it first (“Register now”).", service=service.name))
    if partners.partners_of(service) is None:
        return Route(service=service, problem=_l(
            "The list of Audoora's partner companies has not been fetched yet: “Fetch partner "
            "list” on the service “%(service)s”.", service=service.name))
    partner = partners.partner_for(service, supplier)
    if partner is None:
        return Route(service=service, problem=_l(
            "%(company)s is not on the list of Audoora's partner companies, so this order "
            "cannot go through Audoora.", company=supplier.name))
    if supplier.order_form != "interface":
        return Route(service=service, partner=partner, fix_company=supplier, problem=_l(
            "%(company)s is an Audoora partner company, but its order form is not "
            "“External interface” (Schnittstelle): set it at the company, tab Ordering / "
            "delivery, to order through Audoora.", company=supplier.name))
    return Route(service=service, partner=partner)


# --- starting a run --------------------------------------------------------------------------

def _run(order, action, actor):
    """Start `action` on the order's outbound row: a new row for its first run, else the
    row again under a new idempotency key (the previous run ended, and its key stays with
    what it made)."""
    row = order.outbound
    if row is None:
        row, created = engine.start(KIND, ORDER_SUBJECT, order.id, action=action,
                                    exclusive_key=f"order:{order.id}",
                                    requested_by=actor.name, progress={})
        if not created:
            raise DomainError(BUSY)
        # The order's view-only `outbound` was loaded (None) before the row existed; the
        # page answered with must see it, or it would offer "Bestellen" again and not poll.
        db.session.expire(order, ["outbound"])
        return row
    if row.needs_lookup:
        raise DomainError(UNCLEAR)
    if not engine.rerun(row, from_states=(DONE, FAILED), new_key=True, kind=KIND,
                        action=action, progress={}, requested_by=actor.name[:120]):
        raise DomainError(BUSY)
    return row


def _require_article_order(actor, order):
    ordering_services.require_order(actor, order.branch_id)
    if order.order_type != ARTICLES:
        raise DomainError(_l("Only article orders go through Audoora."))
    if order.outbound is not None and order.outbound.state in OPEN_STATES:
        raise DomainError(BUSY)


def place(actor, order):
    """"Bestellen" on an article order (status Erstellt or Fehler): route it, and start the
    run that orders it or opens the cart. Returns the Route. DomainError with the reason
    when it cannot go through Audoora."""
    _require_article_order(actor, order)
    if order.status not in (CREATED, ERROR) or order.locked:
        raise DomainError(_l("Only an order that was not ordered yet can be ordered."))
    cart = carts.cart_of(order.id)
    if cart is not None and cart.is_open():
        raise DomainError(_l("The order waits in the Audoora cart: complete it there."))
    found = route(order)
    if not found.ok:
        raise DomainError(found.problem)
    if order.outbound is not None and order.outbound.needs_lookup:
        raise DomainError(UNCLEAR)
    order.service_id, order.interface_key = found.service.id, INTERFACE
    order.service_name = found.service.name
    order.details = {**(order.details or {}), "audoora_partner": found.partner}
    order.status, order.error_message = CREATED, ""
    order.ordered_at, order.ordered_by = utcnow(), actor.name
    order.updated_by, order.version = actor.name, order.version + 1
    _run(order, SUBMIT, actor)
    db.session.flush()
    return found


# --- the cart ------------------------------------------------------------------------------

def open_cart(order, now=None):
    """The order's cart while it can be completed or is being ordered; one past its 6 hours
    is not (the scheduled job marks it expired)."""
    cart = carts.cart_of(order.id)
    if cart is None or order.status not in (CREATED, ERROR):
        return None
    return cart if cart.is_open(now) or cart.state == carts.ORDERING else None


def _cart_for_change(actor, order, now=None):
    _require_article_order(actor, order)
    cart = open_cart(order, now)
    if cart is None or cart.state != carts.OPEN:
        raise DomainError(CART_GONE if cart is None else BUSY)
    return cart


def missing_lines(cart):
    """{line number: what the catalogue said} of the cart's unidentified articles."""
    return {entry["line"]: entry for entry in cart.missing or []
            if entry.get("what") == "article"}


def needs_customer_number(cart):
    return any(entry.get("what") == "customer_number" for entry in cart.missing or [])


def remove_line(actor, order, line_no, now=None):
    """Take an article out of the cart (it stays on the order, marked removed)."""
    _cart_for_change(actor, order, now)
    live = [line for line in order.lines if not line.removed]
    line = next((line for line in live if line.line_no == line_no), None)
    if line is None:
        raise DomainError(_l("This article is not in the cart."))
    if len(live) == 1:
        raise DomainError(_l("This is the last article of the order: cancel the order "
                             "instead."))
    line.removed = True
    order.updated_by, order.version = actor.name, order.version + 1
    db.session.flush()
    return line


def order_cart(actor, order, customer_number="", choices=None, numbers=None, now=None):
    """"Bestellen" in the cart: keep what the person completed — the customer number, an
    article chosen among the catalogue's hits (`choices`: line → article id), another
    article number to look up (`numbers`: line → text) — and start the run that orders the
    cart. DomainError with the field ("customer_number", "line-<n>") when something is
    still missing."""
    cart = _cart_for_change(actor, order, now)
    choices, numbers = choices or {}, numbers or {}
    customer_number = (customer_number or "").strip()
    if needs_customer_number(cart) and not customer_number:
        raise DomainError(_l("Enter the customer number of the branch at %(company)s.",
                             company=order.supplier.name), "customer_number")
    if len(customer_number) > 40:
        raise DomainError(_l("At most 40 characters."), "customer_number")
    if control_characters(customer_number):
        raise DomainError(_l("Must not contain control characters such as tabs or line "
                             "breaks."), "customer_number")
    open_lines, changes = missing_lines(cart), []
    for line in order.lines:
        entry = open_lines.get(line.line_no)
        if line.removed or entry is None:
            continue
        chosen = choices.get(line.line_no, "")
        number = (numbers.get(line.line_no) or "").strip()
        allowed = {candidate["article_id"] for candidate in entry.get("candidates", [])}
        if chosen and chosen in allowed:
            changes.append((line, line.article_number, chosen))
        elif number and len(number) <= 40 and not control_characters(number):
            changes.append((line, number, ""))
        else:
            raise DomainError(_l("Choose the article, enter another article number, or "
                                 "remove it from the cart."), f"line-{line.line_no}")
    # Checked all; now change (a refusal above leaves the order as it was).
    for line, article_number, article_id in changes:
        line.article_number, line.article_id = article_number, article_id
    if customer_number:
        cart.customer_number = customer_number
    if not carts.claim_for_order(cart, now):
        raise DomainError(CART_GONE)
    order.status, order.error_message = CREATED, ""
    order.updated_by, order.version = actor.name, order.version + 1
    _run(order, CART_ORDER, actor)
    db.session.flush()


# --- the run ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderCall:
    base: str
    username: str
    password: str
    key: str
    policy: object
    action: str
    reference: str
    branch: str
    partner_id: str
    customer_number: str
    lines: tuple      # ({line, article_number, name, quantity, article_id}, …) not removed
    cart_id: str

    def __repr__(self):  # never print the password
        return f"OrderCall({self.base!r}, {self.action}, {self.reference})"


def _is_answer(data):
    return (data.get("kind") == PLACED and bool(data.get("order_id"))) or (
        data.get("kind") == CART and bool(data.get("cart_id")))


def _line_position(line, article_id):
    if article_id:
        return {"line": line["line"], "article_id": article_id, "quantity": line["quantity"]}
    return {key: value for key, value in (
        ("line", line["line"]), ("article_number", line["article_number"]),
        ("name", line["name"]), ("quantity", line["quantity"])) if value not in ("", None)}


def _portal_missing(answer):
    """What a cart misses, in our form, from the portal's cart answer (after a lookup by key
    the catalogue's hits are not known: the person types the article number instead)."""
    missing = []
    for entry in answer.get("missing") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("what") == "customer_number":
            missing.append({"what": "customer_number"})
        elif entry.get("what") == "article" and isinstance(entry.get("line"), int):
            missing.append({"what": "article", "line": entry["line"], "reason": "not_found",
                            "candidates": []})
    return missing


class AudooraOrderHandler(Handler):
    kind = KIND
    keeps_exclusive_key = True  # the order's one row, run again for the cart

    def prepare(self, row):
        order = db.session.get(Order, row.subject_id)
        if order is None:
            raise CannotRun(_("The order of this delivery was deleted."))
        service = db.session.get(InterfaceService, order.service_id) \
            if order.service_id else None
        if service is None:
            raise CannotRun(_("The Audoora service of this order was deleted."))
        values = interface_services.service_values(service)
        base = (values.get("base_url") or "").strip().rstrip("/")
        username = (values.get("username") or "").strip()
        password = interface_services.stored_secret(service, "password") \
            if "password" in service.secret_keys else None
        if not base or not username or not password:
            raise CannotRun(_("The Audoora service has no Basis-URL, user name or password."))
        partner = (order.details or {}).get("audoora_partner") or {}
        if not partner.get("id"):
            raise CannotRun(_("The order names no Audoora partner company."))
        cart = carts.cart_of(order.id)
        if row.action == CART_ORDER and cart is None:
            raise CannotRun(str(CART_GONE))
        number = (cart.customer_number if cart is not None and cart.customer_number else
                  order.supplier.customer_number_for(order.branch_id)) or ""
        lines = tuple(dict(line=line.line_no, article_number=line.article_number,
                           name=line.name, quantity=line.quantity, article_id=line.article_id)
                      for line in order.lines if not line.removed)
        return OrderCall(base=base, username=username, password=password,
                         key=row.idempotency_key,
                         policy=outbound_policy.from_config(current_app.config),
                         action=row.action, reference=order.number, branch=str(order.branch_id),
                         partner_id=str(partner["id"]), customer_number=number.strip(),
                         lines=lines, cart_id=cart.cart_id if cart is not None else "")

    def max_duration(self, request):
        calls = 2 + (len(request.lines) if request is not None else 0)
        return sum(http.TIMEOUTS) * calls + 5

    def can_lookup(self, request):
        return True

    def _catalogue(self, request, report):
        """Ask the catalogue for each article not identified yet: ({line: article id},
        [what stays missing]) or an Outcome to stop with (a read: no answer is transient)."""
        found, missing = {}, []
        todo = [line for line in request.lines if not line["article_id"]]
        url = f"{request.base}{API}/catalogue/{quote(request.partner_id, safe='')}/articles"
        for done, line in enumerate(todo):
            report({"step": "catalogue", "done": done, "of": len(todo)})
            _response, outcome = http.call(
                request, "GET", url, params={"q": line["article_number"] or line["name"]},
                answer=http.accepting(lambda data: isinstance(data.get("articles"), list)))
            if outcome.kind == AMBIGUOUS:
                return Outcome(TRANSIENT, message=outcome.message)
            if outcome.kind != ACCEPTED:
                return outcome
            hits = [hit for hit in outcome.details["answer"]["articles"]
                    if isinstance(hit, dict) and hit.get("article_id")]
            if len(hits) == 1:
                found[line["line"]] = str(hits[0]["article_id"])[:60]
            else:
                missing.append(dict(
                    what="article", line=line["line"],
                    reason="ambiguous" if hits else "not_found",
                    candidates=[{key: str(hit.get(key, ""))[:120] for key in
                                 ("article_id", "article_number", "name", "unit")}
                                for hit in hits[:10]]))
        return found, missing

    def submit(self, request, report):
        looked_up = self._catalogue(request, report)
        if isinstance(looked_up, Outcome):
            return looked_up
        found, missing = looked_up
        if not request.customer_number:
            missing.insert(0, {"what": "customer_number"})
        positions = [_line_position(line, line["article_id"] or found.get(line["line"], ""))
                     for line in request.lines]
        report({"step": "send"})
        if request.action == CART_ORDER:
            if missing:  # the number entered named no single article: back to the person
                return Outcome(ACCEPTED, message=_(
                    "The order waits in the Audoora cart: complete it there."), details=dict(
                    answer={"kind": INCOMPLETE}, articles=found, missing=missing))
            body = {"customer_number": request.customer_number, "positions": positions}
            url = f"{request.base}{API}/carts/{quote(request.cart_id, safe='')}/order"
        else:
            body = {"reference": request.reference, "branch": request.branch,
                    "partner_id": request.partner_id, "positions": positions}
            if request.customer_number:
                body["customer_number"] = request.customer_number
            url = f"{request.base}{API}/{'carts' if missing else 'orders'}"
        _response, outcome = http.call(request, "POST", url, json=body,
                                        answer=http.accepting(_is_answer))
        if outcome.kind == PERMANENT and outcome.details.get("code") == "cart_ordered":
            # An earlier run ordered this cart already: that order is the answer.
            error = outcome.details["answer"].get("error") or {}
            outcome = Outcome(ACCEPTED, http_status=outcome.http_status, details=dict(
                answer={"kind": PLACED, "order_id": str(error.get("order_id", "")),
                        "status": "received"}))
        outcome.details.update(articles=found, missing=missing)
        return outcome

    def lookup(self, request, report):
        """Did the write of this key arrive? Orders first, then (for a first run) carts."""
        kinds = ("orders",) if request.action == CART_ORDER else ("orders", "carts")
        for kind in kinds:
            response, outcome = http.call(
                request, "GET", f"{request.base}{API}/{kind}/by-key/"
                f"{quote(request.key, safe='')}", answer=http.accepting(_is_answer))
            if response is not None and response.status_code == 404:
                continue
            if outcome.kind == AMBIGUOUS:
                return Outcome(TRANSIENT, message=outcome.message)
            return outcome
        return Outcome(NOT_FOUND, http_status=404, message=_("Not arrived; sending it now."))

    def accepted(self, row, outcome):
        order = db.session.get(Order, row.subject_id)
        answer = outcome.details.get("answer") or {}
        found = outcome.details.get("articles") or {}
        missing = outcome.details.get("missing")
        if missing is None:  # found by key after no answer: what the portal's cart says
            missing = _portal_missing(answer)
        for line in order.lines:
            if line.line_no in found:
                line.article_id = found[line.line_no]
        cart = carts.cart_of(order.id)
        if answer.get("kind") == PLACED:
            if PROGRESS.get(order.status, 0) <= PROGRESS[ORDERED]:
                order.status = ORDERED
            order.external_number = str(answer["order_id"])[:64]
            order.external_status = str(answer.get("status", ""))[:120]
            order.error_message = ""
            if cart is not None:
                cart.state = carts.ORDERED
            row.progress = {"ok": True, "order_id": order.external_number}
        elif answer.get("kind") == CART:
            now = utcnow()
            if cart is None:
                cart = carts.AudooraCart(order_id=order.id)
                db.session.add(cart)
            cart.cart_id, cart.state = str(answer["cart_id"])[:40], carts.OPEN
            cart.created_at, cart.expires_at = now, now + carts.LIFETIME
            cart.missing, cart.customer_number = missing, ""
            row.progress = {"ok": True, "cart_id": cart.cart_id, "missing": len(missing)}
        else:  # a cart order that still misses something
            if cart is not None and cart.state == carts.ORDERING:
                cart.state = carts.OPEN
            if cart is not None:
                cart.missing = missing
            row.progress = {"ok": False, "missing": len(missing)}
        order.version += 1

    def failed(self, row, message, outcome):
        order = db.session.get(Order, row.subject_id)
        if order is None:
            return
        order.status, order.error_message = ERROR, message[:1000]
        order.version += 1
        cart = carts.cart_of(order.id)
        if cart is not None and cart.state == carts.ORDERING:
            cart.state = carts.OPEN if cart.expires_at > utcnow() else carts.EXPIRED


HANDLER = AudooraOrderHandler()
