"""Audoora's ordering portal as the sandbox speaks it (docs/partners/audoora.md): the
chain's registration, its refresh, the lookup by idempotency key, the partner list, the
catalogue, carts and orders, with the labs' fault switches (partner name `audoora`) and
their record of what arrived."""
import json
from datetime import datetime, timedelta, timezone

from flask import jsonify, request

NAME = "audoora"
PREFIX = "/audoora"
API = f"{PREFIX}/api/v1"
SPEC = dict(auth=dict(kind="basic"))
REGISTRATION_PREFIX = "AUDR"
BRANCH_PREFIX = "AUDF"

# The companies the sandbox portal forwards orders to.
PARTNER_COMPANIES = (
    dict(id="audia", name="Audia Hörsysteme GmbH"),
    dict(id="dreve", name="Dreve Otoplastik GmbH"),
    dict(id="signia", name="Signia GmbH"),
    dict(id="phonak", name="Sonova Deutschland GmbH (Phonak)"),
    dict(id="oticon", name="Oticon GmbH"),
)

# The portal's catalogue: (partner id, article id, article number, name, unit). An article
# number names one article; a word of a name may name several ("Batterien").
CATALOGUE = (
    ("dreve", "DRV-A-1001", "DRV-1001", "Otoplastik Silikon 40 Shore", "Stück"),
    ("dreve", "DRV-A-2002", "DRV-2002", "Schallschlauch 2,0 mm (10 m)", "Rolle"),
    ("dreve", "DRV-A-3003", "DRV-3003", "Abformmasse otoform (2 x 500 g)", "Packung"),
    ("signia", "SIG-A-0312", "SIG-312", "Batterien 312 (60 Stück)", "Packung"),
    ("signia", "SIG-A-0013", "SIG-13", "Batterien 13 (60 Stück)", "Packung"),
    ("signia", "SIG-A-7PX", "SIG-PURE-7X", "Pure Charge&Go 7X", "Stück"),
    ("phonak", "PHO-A-L90", "PHO-L90", "Audéo Lumity L90-R", "Stück"),
    ("phonak", "PHO-A-DOM", "PHO-DOME-M", "SlimTip Dome M (10 Stück)", "Packung"),
    ("oticon", "OTI-A-INT", "OTI-INTENT1", "Intent 1 miniRITE R", "Stück"),
    ("audia", "AUD-A-C10", "AUD-CLEAN", "Reinigungstücher (100 Stück)", "Packung"),
)
CART_HOURS = 6
ORDER_PREFIX, CART_PREFIX = "AUDO", "AUDC"

# The registration body, field by field: every field the portal takes, nothing else.
BRANCH_FIELDS = {"ref": True, "name": True, "street": False, "postal_code": False,
                 "city": False}
USER_FIELDS = {"ref": True, "name": True, "email": False, "phone": False, "admin": True,
               "branches": False}
NUMBER_FIELDS = {"company": True, "branch": True, "number": True}
TOP_FIELDS = {"contact_email": True, "branches": True, "users": True, "customer_numbers": False}


def _fingerprint(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def validate(body):
    """Field errors of a registration body ("users[2].email": message); empty values are
    refused, since only what is filled in is to be sent."""
    errors = {}

    def check(obj, fields, where):
        if not isinstance(obj, dict):
            errors[where] = "required, an object"
            return
        for key in obj:
            if key not in fields:
                errors[f"{where}.{key}" if where else key] = "unknown field"
        for key, required in fields.items():
            name = f"{where}.{key}" if where else key
            value = obj.get(key)
            if value is None:
                if required:
                    errors[name] = "required"
            elif key == "admin":
                if not isinstance(value, bool):
                    errors[name] = "true or false"
            elif key in ("branches", "users", "customer_numbers"):
                if not isinstance(value, list) or not value:
                    errors[name] = "a list that is not empty (leave the field out instead)"
            elif not isinstance(value, str) or not value.strip() or len(value) > 254:
                errors[name] = "a text of 1 to 254 characters (leave empty values out)"

    check(body, TOP_FIELDS, "")
    if errors.get("") or not isinstance(body, dict):
        return errors
    branch_refs = set()
    for i, branch in enumerate(body.get("branches") or []):
        check(branch, BRANCH_FIELDS, f"branches[{i}]")
        if isinstance(branch, dict):
            branch_refs.add(branch.get("ref"))
    for i, user in enumerate(body.get("users") or []):
        check(user, USER_FIELDS, f"users[{i}]")
        if isinstance(user, dict):
            for ref in user.get("branches") or []:
                if ref not in branch_refs:
                    errors[f"users[{i}].branches"] = "names a branch that is not in branches"
    for i, number in enumerate(body.get("customer_numbers") or []):
        check(number, NUMBER_FIELDS, f"customer_numbers[{i}]")
        if isinstance(number, dict) and number.get("branch") not in branch_refs:
            errors[f"customer_numbers[{i}].branch"] = "names a branch that is not in branches"
    return errors


def find_articles(partner_id, text):
    """The catalogue's articles of a partner for an article number (exact) or else for a
    text in their names."""
    text = (text or "").strip().casefold()
    if not text:
        return []
    mine = [row for row in CATALOGUE if row[0] == partner_id]
    exact = [row for row in mine if row[2].casefold() == text]
    return exact or [row for row in mine if text in row[3].casefold()]


def article(row):
    partner_id, article_id, number, name, unit = row
    return dict(article_id=article_id, partner_id=partner_id, article_number=number,
                name=name, unit=unit)


ARTICLES = {row[1]: row for row in CATALOGUE}


def _order_errors(body, branch_refs, complete):
    """Field errors of an order (complete) or a cart (not necessarily complete), and what a
    cart still misses."""
    errors, missing = {}, []
    if not isinstance(body, dict):
        return {"": "required, an object"}, missing
    allowed = {"reference", "branch", "partner_id", "customer_number", "positions"}
    errors.update({key: "unknown field" for key in body if key not in allowed})
    ref = body.get("reference")
    if not isinstance(ref, str) or not 1 <= len(ref) <= 64:
        errors["reference"] = "required, a text of 1 to 64 characters"
    if body.get("branch") not in branch_refs:
        errors["branch"] = "required, a branch of the registration"
    partner_id = body.get("partner_id")
    if partner_id not in {p["id"] for p in PARTNER_COMPANIES}:
        errors["partner_id"] = "required, the id of a partner company"
    number = body.get("customer_number")
    if number is not None and (not isinstance(number, str) or not 1 <= len(number) <= 40):
        errors["customer_number"] = "a text of 1 to 40 characters (leave it out when unknown)"
    elif number is None:
        missing.append(dict(what="customer_number"))
    positions = body.get("positions")
    if not isinstance(positions, list) or not 1 <= len(positions) <= 50:
        errors["positions"] = "required, a list of 1 to 50 positions"
        return errors, missing
    for i, position in enumerate(positions):
        where = f"positions[{i}]"
        if not isinstance(position, dict):
            errors[where] = "an object"
            continue
        quantity = position.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) \
                or not 1 <= quantity <= 9999:
            errors[f"{where}.quantity"] = "required, a whole number from 1 to 9999"
        article_id = position.get("article_id")
        if article_id is not None:
            row = ARTICLES.get(article_id)
            if row is None or row[0] != partner_id:
                errors[f"{where}.article_id"] = "not an article of this partner"
            extra = set(position) - {"line", "article_id", "quantity"}
        else:
            extra = set(position) - {"line", "article_number", "name", "quantity"}
            if not any(isinstance(position.get(k), str) and position[k].strip()
                       for k in ("article_number", "name")):
                errors[f"{where}.article_number"] = "an article_id, or an article number or name"
            missing.append(dict(what="article", position=i, line=position.get("line"),
                                article_number=position.get("article_number", ""),
                                name=position.get("name", "")))
        errors.update({f"{where}.{key}": "unknown field" for key in extra})
    if complete and missing and not errors:
        errors.update({("customer_number" if m["what"] == "customer_number"
                        else f"positions[{m['position']}].article_id"): "missing"
                       for m in missing})
    return errors, missing


def _by_key(mine, key, kind):
    seen = mine["keys"].get(key)
    if seen is None or seen["kind"] != kind:
        return None
    return dict(seen["answer"], replay=True)


def register(app, tools):
    """Add the portal's routes to the sandbox app. `tools`: the sandbox's request
    bookkeeping (guard, refuse, finish, error, now) and its store."""
    store = tools.store

    def state():
        # Registrations per account, and the answers by (account, idempotency key).
        return store.portal.setdefault(NAME, {"registrations": {}, "keys": {}, "count": 0})

    def view(reg, status, key, replay=False):
        return dict(registration_id=reg["id"], revision=reg["revision"], status=status,
                    registered_at=reg["registered_at"], updated_at=reg["updated_at"],
                    contact_email=reg["body"]["contact_email"],
                    branches=[dict(ref=b["ref"], name=b["name"],
                                   portal_id=reg["branch_ids"][b["ref"]])
                              for b in reg["body"]["branches"]],
                    users=len(reg["body"]["users"]),
                    customer_numbers=len(reg["body"].get("customer_numbers") or []),
                    idempotency_key=key, replay=replay)

    def begin_write():
        """Guard a write and read its key and body: (entry, faults, account, key, body,
        refusal), where refusal is the answer to give instead (503, 401, no key) or None."""
        entry, faults, account, refusal = tools.guard(NAME, SPEC)
        key = request.headers.get("Idempotency-Key", "")
        body = request.get_json(silent=True)
        if refusal is None and not 1 <= len(key) <= 100:
            refusal = tools.refuse(entry, faults, tools.error(
                400, "idempotency_key_missing",
                "The Idempotency-Key header (1 to 100 characters) is required."))
        return entry, faults, account, key, body, refusal

    def write(refresh):
        entry, faults, account, key, body, refusal = begin_write()
        if refusal is not None:
            return refusal
        if not isinstance(body, dict):
            return tools.refuse(entry, faults, tools.error(400, "bad_request",
                                                           "The body must be a JSON object."))
        errors = validate(body)
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The registration has invalid fields.",
                fields=errors))
        fingerprint = _fingerprint(body)
        with store.lock:
            portal = state()
            seen = portal["keys"].get((account, key))
            reg = portal["registrations"].get(account)
            if seen is not None and (seen["fingerprint"] != fingerprint
                                     or seen["refresh"] != refresh):
                response = tools.error(409, "idempotency_conflict",
                                       "This Idempotency-Key was used with a different "
                                       "registration.", registration_id=seen["answer"][
                                           "registration_id"])
            elif seen is not None:
                response = jsonify(dict(seen["answer"], replay=True))
                response.headers["Idempotency-Replayed"] = "true"
            elif refresh and reg is None:
                response = tools.error(404, "not_registered",
                                       "This account is not registered yet.")
            elif not refresh and reg is not None:
                response = tools.error(409, "already_registered",
                                       "This account is registered already; refresh the "
                                       "registration instead.", registration_id=reg["id"])
            else:
                now = tools.now()
                if reg is None:
                    portal["count"] += 1
                    reg = dict(id=f"{REGISTRATION_PREFIX}-{portal['count']:06d}", revision=0,
                               registered_at=now, branch_ids={})
                    portal["registrations"][account] = reg
                reg.update(revision=reg["revision"] + 1, updated_at=now, body=body)
                for branch in body["branches"]:
                    reg["branch_ids"].setdefault(
                        branch["ref"], f"{BRANCH_PREFIX}-{len(reg['branch_ids']) + 1:04d}")
                answer = view(reg, "updated" if refresh else "registered", key)
                portal["keys"][(account, key)] = dict(fingerprint=fingerprint,
                                                      refresh=refresh, answer=answer)
                response = jsonify(answer)
                response.status_code = 200 if refresh else 201
        return tools.finish(entry, response, faults)

    def read(find):
        return tools.read(NAME, SPEC, lambda account: find(state(), account),
                          "No such resource.")

    @app.post(f"{API}/registration", endpoint="audoora_register")
    def audoora_register():
        return write(refresh=False)

    @app.put(f"{API}/registration", endpoint="audoora_refresh")
    def audoora_refresh():
        return write(refresh=True)

    @app.get(f"{API}/registration", endpoint="audoora_registration")
    def audoora_registration():
        def find(portal, account):
            reg = portal["registrations"].get(account)
            return view(reg, "current", None) if reg else None
        return read(find)

    @app.get(f"{API}/registration/by-key/<path:key>", endpoint="audoora_by_key")
    def audoora_by_key(key):
        def find(portal, account):
            seen = portal["keys"].get((account, key))
            return dict(seen["answer"], replay=True) if seen else None
        return read(find)

    @app.get(f"{API}/partners", endpoint="audoora_partners")
    def audoora_partners():
        return read(lambda _portal, _account: dict(partners=list(PARTNER_COMPANIES)))

    # --- catalogue, carts and orders ------------------------------------------------------

    def shop(portal, account):
        return portal.setdefault("shop", {}).setdefault(
            account, {"orders": {}, "carts": {}, "keys": {}})

    def expired(cart):
        return datetime.fromisoformat(cart["expires_at"]) <= datetime.now(timezone.utc)

    def keyed(create):
        """A write with an Idempotency-Key: replay, conflict, or `create(portal, account,
        body)` → (answer, status) or an error response, remembered under the key."""
        entry, faults, account, key, body, refusal = begin_write()
        if refusal is not None:
            return refusal
        fingerprint = _fingerprint([request.path, body])
        with store.lock:
            portal = state()
            mine = shop(portal, account)
            seen = mine["keys"].get(key)
            if seen is not None and seen["fingerprint"] != fingerprint:
                response = tools.error(409, "idempotency_conflict",
                                       "This Idempotency-Key was used with another request.")
            elif seen is not None:
                response = jsonify(dict(seen["answer"], replay=True))
                response.headers["Idempotency-Replayed"] = "true"
            else:
                reg = portal["registrations"].get(account)
                if reg is None:
                    response = tools.error(404, "not_registered",
                                           "This account is not registered yet.")
                else:
                    result = create(portal, mine, reg, body)
                    if isinstance(result, tuple):
                        answer, status = result
                        answer = dict(answer, idempotency_key=key, replay=False)
                        mine["keys"][key] = dict(fingerprint=fingerprint, answer=answer,
                                                 kind=answer.get("kind"))
                        response = jsonify(answer)
                        response.status_code = status
                    else:
                        response = result
        if response.status_code >= 400:
            return tools.refuse(entry, faults, response)
        return tools.finish(entry, response, faults)

    def branch_refs(reg):
        return {b["ref"] for b in reg["body"]["branches"]}

    def place(portal, mine, body):
        portal["orders"] = portal.get("orders", 0) + 1
        number = f"{ORDER_PREFIX}-{portal['orders']:06d}"
        order = dict(kind="order", order_id=number, status="received",
                     reference=body["reference"], partner_id=body["partner_id"],
                     branch=body["branch"], customer_number=body["customer_number"],
                     positions=[dict(article_id=p["article_id"], quantity=p["quantity"])
                                for p in body["positions"]],
                     received_at=tools.now())
        mine["orders"][number] = order
        return order

    @app.get(f"{API}/catalogue/<partner_id>/articles", endpoint="audoora_catalogue")
    def audoora_catalogue(partner_id):
        if partner_id not in {p["id"] for p in PARTNER_COMPANIES}:
            return read(lambda _p, _a: None)
        found = find_articles(partner_id, request.args.get("q", ""))
        return read(lambda _p, _a: dict(articles=[article(row) for row in found]))

    @app.post(f"{API}/orders", endpoint="audoora_order")
    def audoora_order():
        def create(portal, mine, reg, body):
            errors, _missing = _order_errors(body, branch_refs(reg), complete=True)
            if errors:
                code = "incomplete" if set(errors.values()) == {"missing"} else \
                    "validation_failed"
                return tools.error(422, code, "The order is not complete or has invalid "
                                   "fields.", fields=errors)
            return place(portal, mine, body), 201
        return keyed(create)

    @app.post(f"{API}/carts", endpoint="audoora_cart")
    def audoora_cart():
        def create(portal, mine, reg, body):
            errors, missing = _order_errors(body, branch_refs(reg), complete=False)
            if errors:
                return tools.error(422, "validation_failed", "The cart has invalid fields.",
                                   fields=errors)
            portal["carts"] = portal.get("carts", 0) + 1
            cart_id = f"{CART_PREFIX}-{portal['carts']:06d}"
            expires = datetime.now(timezone.utc) + timedelta(hours=CART_HOURS)
            cart = dict(kind="cart", cart_id=cart_id, status="open", body=body,
                        missing=missing, created_at=tools.now(),
                        expires_at=expires.isoformat(timespec="milliseconds"))
            mine["carts"][cart_id] = cart
            return {k: v for k, v in cart.items() if k != "body"}, 201
        return keyed(create)

    @app.post(f"{API}/carts/<cart_id>/order", endpoint="audoora_cart_order")
    def audoora_cart_order(cart_id):
        def create(portal, mine, reg, body):
            cart = mine["carts"].get(cart_id)
            if cart is None or cart["status"] == "deleted":
                return tools.error(404, "not_found", "No such cart.")
            if cart["status"] == "ordered":
                return tools.error(409, "cart_ordered", "This cart was ordered already.",
                                   order_id=cart["order_id"])
            if expired(cart):
                return tools.error(404, "expired", "The cart has expired.")
            if not isinstance(body, dict) or set(body) - {"customer_number", "positions"}:
                return tools.error(422, "validation_failed",
                                   "Give customer_number and positions only.")
            whole = dict(cart["body"], **body)
            errors, _missing = _order_errors(whole, branch_refs(reg), complete=True)
            if errors:
                return tools.error(422, "incomplete", "The cart is not complete.",
                                   fields=errors)
            order = place(portal, mine, whole)
            cart.update(status="ordered", order_id=order["order_id"])
            return dict(order, cart_id=cart_id), 201
        return keyed(create)

    @app.get(f"{API}/orders/<order_id>", endpoint="audoora_order_get")
    def audoora_order_get(order_id):
        return read(lambda portal, account: shop(portal, account)["orders"].get(order_id))

    @app.get(f"{API}/carts/<cart_id>", endpoint="audoora_cart_get")
    def audoora_cart_get(cart_id):
        def find(portal, account):
            cart = shop(portal, account)["carts"].get(cart_id)
            if cart is None or cart["status"] == "deleted" or (
                    cart["status"] == "open" and expired(cart)):
                return None
            return {k: v for k, v in cart.items() if k != "body"}
        return read(find)

    @app.delete(f"{API}/carts/<cart_id>", endpoint="audoora_cart_delete")
    def audoora_cart_delete(cart_id):
        def find(portal, account):
            cart = shop(portal, account)["carts"].get(cart_id)
            if cart is None or cart["status"] != "open":
                return None
            cart["status"] = "deleted"
            return dict(cart_id=cart_id, status="deleted")
        return read(find)

    @app.get(f"{API}/orders/by-key/<path:key>", endpoint="audoora_order_by_key")
    def audoora_order_by_key(key):
        return read(lambda portal, account: _by_key(shop(portal, account), key, "order"))

    @app.get(f"{API}/carts/by-key/<path:key>", endpoint="audoora_cart_by_key")
    def audoora_cart_by_key(key):
        return read(lambda portal, account: _by_key(shop(portal, account), key, "cart"))

    @app.get("/_sandbox/audoora/orders")
    def audoora_control_orders():
        """The portal's orders and carts per account (for tests and the demo)."""
        with store.lock:
            shops = state().get("shop", {})
            return jsonify(
                orders=[dict(o, account=a) for a, s in shops.items()
                        for o in s["orders"].values()],
                carts=[dict(c, account=a) for a, s in shops.items()
                       for c in s["carts"].values()])

    @app.get("/_sandbox/audoora/registrations")
    def audoora_control_registrations():
        """What the portal holds per account (for tests): id, revision, the body."""
        with store.lock:
            regs = state()["registrations"]
            return jsonify(registrations=[dict(account=account, registration_id=reg["id"],
                                               revision=reg["revision"], body=reg["body"])
                                          for account, reg in regs.items()])
