"""The card provider as the sandbox speaks it (docs/partners/cards.md): the contact request
("Informationen anfordern"), card batches with the card numbers it gives, their status and
the lookup by idempotency key, with the labs' fault switches (partner name `cards`) and
their record of what arrived."""
import json

from flask import jsonify, request

NAME = "cards"
PREFIX = "/cards"
API = f"{PREFIX}/api/v1"
# The card contract is the account: its number in X-Card-Contract, its key in X-Card-Key.
SPEC = dict(auth=dict(kind="api_key", header="X-Card-Key", account_header="X-Card-Contract"))
# A batch moves on one step per status query: in production → shipped.
STAGES = ("in_production", "shipped")

# The batch names the template; each card carries the template as its order kept it.
TEMPLATE_FIELDS = {"card_type": True, "card_kind": True, "gift_box": True,
                   "roller_clip": True, "comment": False, "document_template": True,
                   "cover_letter": False}
CARD_FIELDS = {"ref": True, "holder": True, "valid_until": False, "ship_to": True,
               "template": True}
ADDRESS_FIELDS = ("name", "street", "postal_code", "city")


def _fingerprint(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def _text(value, limit=254):
    return isinstance(value, str) and 0 < len(value.strip()) <= limit


def _template_errors(template, where):
    """Field errors of a card's template ("cards[0].template.card_type": message)."""
    if not isinstance(template, dict):
        return {where: "required, an object"}
    errors = {f"{where}.{key}": "unknown field" for key in template
              if key not in TEMPLATE_FIELDS}
    for key, required in TEMPLATE_FIELDS.items():
        value = template.get(key)
        if key in ("gift_box", "roller_clip"):
            if not isinstance(value, bool):
                errors[f"{where}.{key}"] = "true or false"
        elif value is None:
            if required:
                errors[f"{where}.{key}"] = "required"
        elif not _text(value, 500):
            errors[f"{where}.{key}"] = "a text (leave empty values out)"
    if template.get("card_type") not in ("chip", "nfc_rfid"):
        errors[f"{where}.card_type"] = "chip or nfc_rfid"
    if template.get("card_kind") not in ("customer_card", "employee_card"):
        errors[f"{where}.card_kind"] = "customer_card or employee_card"
    return errors


def validate_batch(body):
    """Field errors of a batch ("cards[2].ship_to.city": message)."""
    errors = {}
    if not isinstance(body, dict):
        return {"": "required, an object"}
    errors.update({key: "unknown field" for key in body
                   if key not in ("reference", "interval", "template", "cards")})
    if not _text(body.get("reference"), 40):
        errors["reference"] = "required, a text of 1 to 40 characters"
    if body.get("interval") not in ("daily", "weekly", "monthly"):
        errors["interval"] = "one of daily, weekly, monthly"
    template = body.get("template")
    if not isinstance(template, dict) or not _text(template.get("name"), 80):
        errors["template.name"] = "required, the template's name"
    else:
        errors.update({f"template.{key}": "unknown field" for key in template
                       if key != "name"})
    cards = body.get("cards")
    if not isinstance(cards, list) or not 1 <= len(cards) <= 1000:
        errors["cards"] = "required, a list of 1 to 1000 cards"
        return errors
    refs = set()
    for i, card in enumerate(cards):
        where = f"cards[{i}]"
        if not isinstance(card, dict):
            errors[where] = "an object"
            continue
        errors.update({f"{where}.{key}": "unknown field" for key in card
                       if key not in CARD_FIELDS})
        if not _text(card.get("ref"), 40) or card.get("ref") in refs:
            errors[f"{where}.ref"] = "required, unique in the batch"
        refs.add(card.get("ref"))
        if not _text(card.get("holder"), 160):
            errors[f"{where}.holder"] = "required"
        valid = card.get("valid_until")
        if valid is not None and not (isinstance(valid, str) and len(valid) == 10):
            errors[f"{where}.valid_until"] = "a date YYYY-MM-DD (leave it out when none)"
        errors.update(_template_errors(card.get("template"), f"{where}.template"))
        address = card.get("ship_to")
        if not isinstance(address, dict):
            errors[f"{where}.ship_to"] = "required, an address"
            continue
        for key in ADDRESS_FIELDS:
            if not _text(address.get(key), 160):
                errors[f"{where}.ship_to.{key}"] = "required"
    return errors


def register(app, tools):
    """Add the card provider's routes to the sandbox app. `tools`: the sandbox's request
    bookkeeping (begin, guard, refuse, finish, error, now) and its store."""
    store = tools.store

    def state():
        return store.portal.setdefault(NAME, {"requests": {}, "batches": {}, "keys": {},
                                              "counts": {"request": 0, "batch": 0,
                                                         "card": 0}})

    def keyed(entry, faults, account, kind, body, create):
        key = request.headers.get("Idempotency-Key", "")
        if not 1 <= len(key) <= 100:
            return tools.refuse(entry, faults, tools.error(
                400, "idempotency_key_missing",
                "The Idempotency-Key header (1 to 100 characters) is required."))
        fingerprint = _fingerprint([kind, body])
        with store.lock:
            provider = state()
            seen = provider["keys"].get((account, key))
            if seen is not None and seen["fingerprint"] != fingerprint:
                response = tools.error(409, "idempotency_conflict",
                                       "This Idempotency-Key was used with another request.")
            elif seen is not None:
                response = jsonify(dict(seen["answer"], replay=True))
                response.headers["Idempotency-Replayed"] = "true"
            else:
                answer = dict(create(provider), idempotency_key=key, replay=False)
                provider["keys"][(account, key)] = dict(fingerprint=fingerprint, kind=kind,
                                                        answer=answer)
                response = jsonify(answer)
                response.status_code = 201
        if response.status_code >= 400:
            return tools.refuse(entry, faults, response)
        return tools.finish(entry, response, faults)

    @app.post(f"{API}/info-requests", endpoint="cards_info_request")
    def cards_info_request():
        """A contact request: no contract yet, so no key — only the chain's details."""
        entry, faults = tools.begin(NAME)
        busy = tools.unavailable(faults)
        if busy is not None:
            return tools.refuse(entry, faults, busy)
        body = request.get_json(silent=True)
        errors = {}
        if not isinstance(body, dict):
            errors[""] = "required, an object"
        else:
            if not _text(body.get("chain"), 160):
                errors["chain"] = "required"
            contact = body.get("contact")
            if not isinstance(contact, dict) or not _text(contact.get("email"), 254) \
                    or "@" not in contact.get("email", ""):
                errors["contact.email"] = "required, an e-mail address"
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The request has invalid fields.", fields=errors))

        def create(provider):
            provider["counts"]["request"] += 1
            number = f"KI-{provider['counts']['request']:06d}"
            answer = dict(kind="info_request", request_id=number, status="received",
                          received_at=tools.now())
            provider["requests"][number] = dict(answer, body=body)
            return answer
        return keyed(entry, faults, "-", "info_request", body, create)

    @app.post(f"{API}/batches", endpoint="cards_batch")
    def cards_batch():
        entry, faults, account, refusal = tools.guard(NAME, SPEC)
        if refusal is not None:
            return refusal
        body = request.get_json(silent=True)
        errors = validate_batch(body)
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The batch has invalid fields.", fields=errors))

        def create(provider):
            provider["counts"]["batch"] += 1
            number = f"KB-{provider['counts']['batch']:06d}"
            cards = []
            for card in body["cards"]:
                provider["counts"]["card"] += 1
                prefix = "9276" if card["template"]["card_kind"] == "customer_card" else "9277"
                cards.append(dict(ref=card["ref"], status=STAGES[0],
                                  card_number=f"{prefix}{provider['counts']['card']:012d}"))
            answer = dict(kind="batch", batch_id=number, reference=body["reference"],
                          status=STAGES[0], cards=cards, received_at=tools.now())
            provider["batches"][number] = dict(answer, account=account, body=body, queries=0)
            return answer
        return keyed(entry, faults, account, "batch", body, create)

    def read(find):
        return tools.read(NAME, SPEC, lambda account: find(state(), account), "No such batch.")

    def view(batch):
        return {key: value for key, value in batch.items()
                if key not in ("account", "body", "queries")}

    @app.get(f"{API}/batches/<batch_id>", endpoint="cards_batch_get")
    def cards_batch_get(batch_id):
        def find(provider, account):
            batch = provider["batches"].get(batch_id)
            if batch is None or batch["account"] != account:
                return None
            batch["queries"] += 1
            stage = STAGES[min(len(STAGES) - 1, batch["queries"])]
            batch["status"] = stage
            for card in batch["cards"]:
                card["status"] = stage
            return view(batch)
        return read(find)

    @app.get(f"{API}/batches/by-key/<path:key>", endpoint="cards_batch_by_key")
    def cards_batch_by_key(key):
        def find(provider, account):
            seen = provider["keys"].get((account, key))
            if seen is None or seen["kind"] != "batch":
                return None
            return dict(seen["answer"], replay=True)
        return read(find)

    @app.get(f"{API}/info-requests/by-key/<path:key>", endpoint="cards_info_by_key")
    def cards_info_by_key(key):
        entry, faults = tools.begin(NAME)
        with store.lock:
            seen = state()["keys"].get(("-", key))
        response = (jsonify(dict(seen["answer"], replay=True)) if seen is not None else
                    tools.error(404, "not_found", "No such request."))
        return tools.finish(entry, response, faults)

    @app.get("/_sandbox/cards")
    def cards_control():
        """What the provider holds (for tests and the demo): requests and batches."""
        with store.lock:
            provider = state()
            return jsonify(requests=[dict(r) for r in provider["requests"].values()],
                           batches=[dict(b, body=b["body"]) for b in provider["batches"].values()])
