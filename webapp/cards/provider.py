"""Talking to the card provider (docs/partners/cards.md) as outbound work:

- kind `card_batch`: one batch of card orders, `POST /api/v1/batches` with the contract
  number and key, the row's idempotency key; after no answer a lookup by key; the card
  numbers of the answer go onto the orders.
- kind `card_info_request`: "Informationen anfordern", the contact request with the chain's
  details (no contract yet); after no answer a lookup by key.
"""
import json
from dataclasses import dataclass
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _

from .. import outbound_policy
from ..extensions import db
from ..interfaces import services as interface_services
from ..interfaces.models import InterfaceService
from ..outbound import engine
from ..outbound.handlers import AMBIGUOUS, NOT_FOUND, TRANSIENT, CannotRun, Handler, Outcome
from ..outbound.http import accepting
from ..outbound.http import call as http_call
from .models import BATCH_KIND, ERROR, ORDERED, SENDING, CardBatch, CardOrder

API = "/api/v1"
INFO_KIND = "card_info_request"


@dataclass(frozen=True)
class ProviderCall:
    base: str
    contract: str
    secret: str
    key: str
    policy: object
    body: dict

    def __repr__(self):  # never print the key
        return f"ProviderCall({self.base!r})"

    def headers(self):
        found = {"Idempotency-Key": self.key, "Accept": "application/json"}
        if self.contract and self.secret:
            found.update({"X-Card-Contract": self.contract, "X-Card-Key": self.secret})
        return found


def _service_access(service):
    values = interface_services.service_values(service)
    base = (values.get("base_url") or "").strip().rstrip("/")
    secret = interface_services.stored_secret(service, "contract_key") \
        if "contract_key" in service.secret_keys else None
    return base, (values.get("contract_number") or "").strip(), secret


def _lookup(request, path):
    """Ask by key whether the write arrived: its answer, NOT_FOUND, or transient."""
    response, outcome = http_call(request.policy, request.base, "GET",
                                  f"{request.base}{API}/{path}/by-key/"
                                  f"{quote(request.key, safe='')}", request.headers(),
                                  accepting(lambda data: True))
    if response is not None and response.status_code == 404:
        return Outcome(NOT_FOUND, http_status=404, message=_("Not arrived; sending it now."))
    if outcome.kind == AMBIGUOUS:  # a lookup sends nothing: no answer is just transient
        return Outcome(TRANSIENT, message=outcome.message)
    return outcome


# --- batches ---------------------------------------------------------------------------------

def _card_template(copy):
    """A card's template as its order kept it (the row may have changed since): only what
    is filled in."""
    template = {"card_type": copy.get("card_type") or "chip",
                "card_kind": copy.get("card_kind") or "customer_card",
                "gift_box": bool(copy.get("gift_box")),
                "roller_clip": bool(copy.get("roller_clip"))
                and copy.get("card_kind") == "employee_card",
                "comment": copy.get("comment") or None,
                "document_template": copy.get("card_template") or None,
                "cover_letter": (copy.get("cover_letter") or None)
                if copy.get("ship_to") == "customer" else None}
    return {key: value for key, value in template.items() if value is not None}


def batch_body(batch, orders):
    """What a batch sends: the template's name, and each card with holder, validity, where
    it goes and its own order's copy of the template — only what is filled in. The orders of
    one batch may hold different copies (the row was edited between them)."""
    return {"reference": batch.reference, "interval": batch.shipping_interval,
            "template": {"name": batch.template_name},
            "cards": [{key: value for key, value in (
                ("ref", order.number), ("holder", order.holder_name),
                ("valid_until", order.valid_until.isoformat() if order.valid_until else None),
                ("ship_to", order.recipient), ("template", _card_template(order.template)))
                if value is not None} for order in orders]}


def _batch_answer(data):
    return data.get("kind") == "batch" and bool(data.get("batch_id")) and isinstance(
        data.get("cards"), list)


class BatchHandler(Handler):
    kind = BATCH_KIND
    keeps_exclusive_key = True  # one delivery per batch, reused by "Erneut senden"

    def prepare(self, row):
        batch = db.session.get(CardBatch, row.subject_id)
        if batch is None:
            raise CannotRun(_("The batch was deleted."))
        orders = db.session.scalars(db.select(CardOrder).where(CardOrder.batch_id == batch.id)
                                    .order_by(CardOrder.id)).all()
        if not orders:
            raise CannotRun(_("The batch holds no card order."))
        service = db.session.get(InterfaceService, batch.service_id)
        if service is None:
            raise CannotRun(_("The card service of this batch was deleted."))
        base, contract, secret = _service_access(service)
        if not base or not contract or not secret:
            raise CannotRun(_("The card service has no server URL, card contract or key."))
        return ProviderCall(base=base, contract=contract, secret=secret,
                            key=row.idempotency_key,
                            policy=outbound_policy.from_config(current_app.config),
                            body=batch_body(batch, orders))

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        report({"cards": len(request.body["cards"])})
        _response, outcome = http_call(request.policy, request.base, "POST",
                                       f"{request.base}{API}/batches", request.headers(),
                                       accepting(_batch_answer), json=request.body)
        return outcome

    def lookup(self, request, report):
        return _lookup(request, "batches")

    def accepted(self, row, outcome):
        answer = outcome.details["answer"]
        batch = db.session.get(CardBatch, row.subject_id)
        batch.provider_batch_id = str(answer["batch_id"])[:60]
        numbers = {str(card.get("ref")): card for card in answer["cards"]
                   if isinstance(card, dict)}
        for order in db.session.scalars(db.select(CardOrder).where(
                CardOrder.batch_id == batch.id, CardOrder.status == SENDING)):
            card = numbers.get(order.number) or {}
            number = str(card.get("card_number") or "")[:40]
            if not number:  # the provider took the batch but gave this card no number
                order.status = ERROR
                order.error_message = _("The card provider's answer has no card number for "
                                        "this card (batch %(batch)s): ask the provider.",
                                        batch=batch.provider_batch_id)
                order.version += 1
                continue
            order.status, order.error_message = ORDERED, ""
            order.card_number = number
            order.provider_status = str(card.get("status") or answer.get("status") or "")[:60]
            order.version += 1
        row.progress = {"ok": True, "batch_id": batch.provider_batch_id,
                        "cards": len(numbers)}

    def failed(self, row, message, outcome):
        for order in db.session.scalars(db.select(CardOrder).where(
                CardOrder.batch_id == row.subject_id, CardOrder.status == SENDING)):
            order.status, order.error_message = ERROR, message[:1000]
            order.version += 1


# --- "Informationen anfordern" ------------------------------------------------------------

class InfoRequestHandler(Handler):
    kind = INFO_KIND

    def prepare(self, row):
        service = db.session.get(InterfaceService, row.subject_id)
        if service is None:
            raise CannotRun(_("The service was deleted."))
        base, contract, secret = _service_access(service)
        if not base:
            raise CannotRun(_("The card service has no server URL."))
        body = engine.unseal(row)
        if not body:
            raise CannotRun(_("The data to send is gone; request the information again."))
        return ProviderCall(base=base, contract=contract, secret=secret or "",
                            key=row.idempotency_key,
                            policy=outbound_policy.from_config(current_app.config),
                            body=json.loads(body))

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        _response, outcome = http_call(
            request.policy, request.base, "POST", f"{request.base}{API}/info-requests",
            {"Idempotency-Key": request.key, "Accept": "application/json"},
            accepting(lambda data: bool(data.get("request_id"))), json=request.body)
        return outcome

    def lookup(self, request, report):
        return _lookup(request, "info-requests")

    def accepted(self, row, outcome):
        row.progress = {"ok": True, "request_id": str(
            outcome.details["answer"].get("request_id", ""))[:40]}

    def failed(self, row, message, outcome):
        row.progress = {"ok": False, "error": message[:300]}


BATCH_HANDLER = BatchHandler()
INFO_HANDLER = InfoRequestHandler()
