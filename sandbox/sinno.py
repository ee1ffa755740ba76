"""SiNNO's app API as the sandbox speaks it (docs/partners/sinno.md): the company's login
(ClientID and Firmen-Nr. give a bearer token), the account, logout, the chat (fetch and
send), customer activation and deactivation, a lookup of every write by its idempotency key,
the labs' fault switches (partner name `sinno`) and their record of what arrived. The control
API lets tests and the demo write as a customer in the app: POST /_sandbox/sinno/messages."""
import json
import re
import secrets

from flask import jsonify, request

NAME = "sinno"
PREFIX = "/sinno"
API = f"{PREFIX}/v1"
BEARER = dict(auth=dict(kind="bearer"))
CLIENT_ID = "winpro"
# Firmen-Nr. → company name: the sandbox's own and the demo chain's (webapp/demo.py).
COMPANIES = {"4711": "Sandbox-Hörakustik", "70173": "Hörwelt Demo"}
PAGE_LIMIT = 100
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _fingerprint(*parts):
    return json.dumps(parts, sort_keys=True, separators=(",", ":"))


def _mobile(value):
    digits = re.sub(r"[\s\-/().]", "", value or "")
    return "+" + digits[2:] if digits.startswith("00") else digits


def register(app, tools):
    """Add SiNNO's routes to the sandbox app. `tools`: the sandbox's request bookkeeping
    (begin, unavailable, guard, refuse, finish, error, now) and its store."""
    store = tools.store

    def state():
        return store.portal.setdefault(NAME, {"companies": {}, "sessions": 0, "messages": 0,
                                              "customers": 0})

    def company(portal, number):
        return portal["companies"].setdefault(number, dict(
            number=number, name=COMPANIES[number], status="active", session=None, ended={},
            keys={}, customers={}, messages=[], codes=[]))

    def text_of(value, limit):
        return isinstance(value, str) and 0 < len(value.strip()) and len(value) <= limit

    # --- keyed writes ------------------------------------------------------------------

    def keyed(entry, faults, mine, kind, body, create):
        """Replay, conflict, or `create()` → (answer, status) or an error response; the
        answer is remembered under the key. Call with the store locked."""
        key = request.headers.get("Idempotency-Key", "")
        if not 1 <= len(key) <= 100:
            return tools.error(400, "idempotency_key_missing",
                               "The Idempotency-Key header (1 to 100 characters) is required.")
        fingerprint = _fingerprint(request.method, request.path, body)
        seen = mine["keys"].get(key)
        if seen is not None and seen["fingerprint"] != fingerprint:
            return tools.error(409, "idempotency_conflict",
                               "This Idempotency-Key was used with another request.")
        if seen is not None:
            response = jsonify(dict(seen["answer"], replay=True))
            response.headers["Idempotency-Replayed"] = "true"
            return response
        result = create()
        if not isinstance(result, tuple):
            return result
        answer, status = result
        answer = dict(answer, idempotency_key=key, replay=False)
        mine["keys"][key] = dict(fingerprint=fingerprint, answer=answer, kind=kind)
        response = jsonify(answer)
        response.status_code = status
        return response

    def answered(entry, faults, response):
        if response.status_code >= 400:
            return tools.refuse(entry, faults, response)
        return tools.finish(entry, response, faults)

    def by_key(mine, key, kind):
        seen = mine["keys"].get(key)
        if seen is None or seen["kind"] != kind:
            return tools.error(404, "not_found", "No request with this key arrived.")
        return jsonify(dict(seen["answer"], replay=True))

    # --- who is asking -------------------------------------------------------------------

    def client():
        """A login's credentials: (entry, faults, company number, refusal)."""
        entry, faults = tools.begin(NAME)
        busy = tools.unavailable(faults)
        if busy is not None:
            return entry, faults, None, tools.refuse(entry, faults, busy)
        if request.headers.get("X-Client-Id") != CLIENT_ID:
            return entry, faults, None, tools.refuse(entry, faults, tools.error(
                401, "unknown_client", "This ClientID is not known."))
        number = request.headers.get("X-Company-Number", "")
        if number not in COMPANIES:
            return entry, faults, None, tools.refuse(entry, faults, tools.error(
                401, "unknown_company", "No company with this Firmen-Nr. is known."))
        return entry, faults, number, None

    def session_of(allow_ended=False):
        """A bearer request: (entry, faults, company (locked use), token, refusal). A token
        of a login that ended is refused (401 session_ended), except where allowed."""
        entry, faults, number, refusal = tools.guard(NAME, BEARER)
        if refusal is not None:
            return entry, faults, None, None, refusal
        token = request.headers.get("Authorization", "")[7:]
        with store.lock:
            mine = company(state(), number)
            current = mine["session"]
            live = current is not None and current["token"] == token
            ended = token in mine["ended"]
        if not live and not (allow_ended and ended):
            return entry, faults, None, None, tools.refuse(entry, faults, tools.error(
                401, "session_ended", "This login has ended; log in again."))
        return entry, faults, mine, token, None

    # --- login, account, logout ----------------------------------------------------------

    @app.post(f"{API}/auth/login", endpoint="sinno_login")
    def sinno_login():
        entry, faults, number, refusal = client()
        if refusal is not None:
            return refusal
        body = request.get_json(silent=True)
        contacts = body.get("contacts") if isinstance(body, dict) else None
        errors = {}
        if not isinstance(body, dict) or set(body) - {"contacts"}:
            errors["contacts"] = "send exactly {\"contacts\": [...]}"
        elif not isinstance(contacts, list) or not contacts:
            errors["contacts"] = "required, a list of the business offices"
        else:
            for i, contact in enumerate(contacts):
                if not isinstance(contact, dict) or not text_of(contact.get("name"), 120) \
                        or not text_of(contact.get("branch"), 40):
                    errors[f"contacts[{i}]"] = "branch and name required"
                elif not isinstance(contact.get("email"), str) \
                        or not EMAIL.match(contact["email"]):
                    errors[f"contacts[{i}].email"] = "the business office's e-mail address"
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The login has invalid fields.", fields=errors))
        with store.lock:
            portal = state()
            mine = company(portal, number)

            def create():
                portal["sessions"] += 1
                token = secrets.token_urlsafe(24)
                store.tokens[token] = (NAME, number)
                if mine["session"] is not None:  # a new login ends the one before
                    mine["ended"][mine["session"]["token"]] = None
                mine["session"] = dict(token=token, id=f"SSES-{portal['sessions']:06d}",
                                       logged_in_at=tools.now(), contacts=contacts)
                return dict(access_token=token, token_type="Bearer",
                            session_id=mine["session"]["id"],
                            logged_in_at=mine["session"]["logged_in_at"],
                            company=dict(number=number, name=mine["name"])), 201
            response = keyed(entry, faults, mine, "login", body, create)
        return answered(entry, faults, response)

    @app.get(f"{API}/auth/login/by-key/<path:key>", endpoint="sinno_login_by_key")
    def sinno_login_by_key(key):
        entry, faults, number, refusal = client()
        if refusal is not None:
            return refusal
        with store.lock:
            response = by_key(company(state(), number), key, "login")
        return answered(entry, faults, response)

    @app.get(f"{API}/account", endpoint="sinno_account")
    def sinno_account():
        entry, faults, mine, _token, refusal = session_of()
        if refusal is not None:
            return refusal
        with store.lock:
            locked = mine["status"] != "active"
        if locked:
            return tools.refuse(entry, faults, tools.error(
                403, "account_locked", "The company's account is locked; ask SiNNO."))
        with store.lock:
            answer = dict(company=dict(number=mine["number"], name=mine["name"]),
                          status="active", session_id=mine["session"]["id"],
                          logged_in_at=mine["session"]["logged_in_at"],
                          customers=sum(1 for c in mine["customers"].values()
                                        if c["status"] == "active"))
        return tools.finish(entry, jsonify(answer), faults)

    @app.post(f"{API}/auth/logout", endpoint="sinno_logout")
    def sinno_logout():
        entry, faults, mine, token, refusal = session_of(allow_ended=True)
        if refusal is not None:
            return refusal
        with store.lock:
            def create():
                ended = mine["ended"].get(token)
                if ended is not None:  # logged out before, under another key
                    return ended, 200
                mine["session"] = None
                answer = dict(status="logged_out", logged_out_at=tools.now(),
                              customers_disconnected=sum(
                                  1 for c in mine["customers"].values()
                                  if c["status"] == "active"))
                mine["ended"][token] = answer
                return answer, 200
            response = keyed(entry, faults, mine, "logout", None, create)
        return answered(entry, faults, response)

    # --- chat ----------------------------------------------------------------------------

    def message_view(message):
        return {k: v for k, v in message.items() if k != "key"}

    @app.get(f"{API}/chat/messages", endpoint="sinno_messages")
    def sinno_messages():
        entry, faults, mine, _token, refusal = session_of()
        if refusal is not None:
            return refusal
        try:
            after = int(request.args.get("after", "0"))
            limit = min(PAGE_LIMIT, max(1, int(request.args.get("limit", PAGE_LIMIT))))
        except ValueError:
            return tools.refuse(entry, faults, tools.error(
                400, "bad_request", "after and limit are whole numbers."))
        with store.lock:
            newer = [m for m in mine["messages"] if m["seq"] > after]
            page = [message_view(m) for m in newer[:limit]]
            answer = dict(messages=page, last_seq=page[-1]["seq"] if page else after,
                          more=len(newer) > limit)
        return tools.finish(entry, jsonify(answer), faults)

    def add_message(portal, mine, customer, direction, text, author="", client_ref=None):
        portal["messages"] += 1
        message = dict(seq=portal["messages"], message_id=f"SMSG-{portal['messages']:06d}",
                       customer_ref=customer["customer_ref"], direction=direction, text=text,
                       author=author, client_ref=client_ref, sent_at=tools.now())
        mine["messages"].append(message)
        return message

    @app.post(f"{API}/chat/messages", endpoint="sinno_send")
    def sinno_send():
        entry, faults, mine, _token, refusal = session_of()
        if refusal is not None:
            return refusal
        body = request.get_json(silent=True)
        errors = {}
        if not isinstance(body, dict):
            errors[""] = "a JSON object"
        else:
            errors.update({k: "unknown field" for k in set(body) - {
                "customer_ref", "text", "author", "client_ref"}})
            if not text_of(body.get("customer_ref"), 40):
                errors["customer_ref"] = "required"
            if not text_of(body.get("text"), 2000):
                errors["text"] = "required, a text of 1 to 2000 characters"
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The message has invalid fields.", fields=errors))
        with store.lock:
            portal = state()

            def create():
                customer = mine["customers"].get(body["customer_ref"])
                if customer is None or customer["status"] != "active":
                    return tools.error(422, "customer_not_active",
                                       "This customer has no active app access.")
                message = add_message(portal, mine, customer, "shop", body["text"],
                                      str(body.get("author") or "")[:120],
                                      body.get("client_ref"))
                return message_view(message), 201
            response = keyed(entry, faults, mine, "message", body, create)
        return answered(entry, faults, response)


    # --- customers -----------------------------------------------------------------------

    @app.post(f"{API}/customers", endpoint="sinno_activate")
    def sinno_activate():
        entry, faults, mine, _token, refusal = session_of()
        if refusal is not None:
            return refusal
        body = request.get_json(silent=True)
        errors = {}
        fields = {"customer_ref": 40, "first_name": 80, "last_name": 80, "mobile": 40,
                  "email": 254}
        if not isinstance(body, dict):
            errors[""] = "a JSON object"
        else:
            errors.update({k: "unknown field" for k in set(body) - set(fields)})
            for name in ("customer_ref", "last_name", "mobile", "email"):
                if not text_of(body.get(name), fields[name]):
                    errors[name] = "required"
            if body.get("first_name") not in (None, "") and not text_of(body["first_name"], 80):
                errors["first_name"] = "a text of at most 80 characters"
            if "email" not in errors and not EMAIL.match(body["email"]):
                errors["email"] = "an e-mail address"
        if errors:
            return tools.refuse(entry, faults, tools.error(
                422, "validation_failed", "The customer has invalid fields.", fields=errors))
        with store.lock:
            portal = state()

            def create():
                mobile, email = _mobile(body["mobile"]), body["email"].strip().lower()
                for other in mine["customers"].values():
                    if other["status"] != "active" or other["customer_ref"] == body["customer_ref"]:
                        continue
                    if other["mobile"] == mobile:
                        return tools.error(409, "mobile_in_use", "Another activated customer "
                                           "uses this mobile number.")
                    if other["email"] == email:
                        return tools.error(409, "email_in_use", "Another activated customer "
                                           "uses this e-mail address.")
                portal["customers"] += 1
                customer = dict(customer_id=f"SCU-{portal['customers']:06d}",
                                customer_ref=body["customer_ref"], status="active",
                                mobile=mobile, email=email, activated_at=tools.now(),
                                name=" ".join(filter(None, (body.get("first_name"),
                                                            body["last_name"]))))
                mine["customers"][body["customer_ref"]] = customer
                code = f"{secrets.randbelow(10**6):06d}"
                mine["codes"].append(dict(customer_ref=body["customer_ref"], sms=mobile,
                                          email=email, code=code, at=tools.now()))
                return dict(customer_id=customer["customer_id"],
                            customer_ref=customer["customer_ref"], status="active",
                            activated_at=customer["activated_at"],
                            activation_code_sent_to=dict(sms=mobile, email=email)), 201
            response = keyed(entry, faults, mine, "customer", body, create)
        return answered(entry, faults, response)

    @app.delete(f"{API}/customers/<ref>", endpoint="sinno_deactivate")
    def sinno_deactivate(ref):
        entry, faults, mine, _token, refusal = session_of()
        if refusal is not None:
            return refusal
        with store.lock:
            def create():
                customer = mine["customers"].get(ref)
                if customer is None or customer["status"] != "active":
                    return tools.error(404, "not_found", "No active customer of this ref.")
                customer.update(status="deactivated", deactivated_at=tools.now())
                return dict(customer_id=customer["customer_id"], customer_ref=ref,
                            status="deactivated", deactivated_at=customer["deactivated_at"]), 200
            response = keyed(entry, faults, mine, "customer", None, create)
        return answered(entry, faults, response)

    # The lookups by key of the bearer writes: a message sent, a customer switched.
    for path, kind in (("/chat/messages", "message"), ("/customers", "customer")):
        def lookup(key, kind=kind):
            entry, faults, mine, _token, refusal = session_of()
            if refusal is not None:
                return refusal
            with store.lock:
                response = by_key(mine, key, kind)
            return answered(entry, faults, response)
        app.add_url_rule(f"{API}{path}/by-key/<path:key>", f"sinno_{kind}_by_key", lookup,
                         methods=["GET"])

    # --- control API -----------------------------------------------------------------------

    @app.post("/_sandbox/sinno/messages")
    def sinno_control_message():
        """A customer writes in the app: {"mobile" or "customer_ref", "text", optional
        "company_number"}. 404 without such an activated customer, 409 while the company
        is logged out (the app cannot reach the shop then)."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not text_of(body.get("text"), 2000):
            return tools.error(422, "validation_failed", "Give the message's text.")
        with store.lock:
            portal = state()
            numbers = [body["company_number"]] if body.get("company_number") else list(COMPANIES)
            for number in numbers:
                if number not in COMPANIES:
                    continue
                mine = company(portal, number)
                for customer in mine["customers"].values():
                    if customer["status"] == "active" and (
                            customer["customer_ref"] == body.get("customer_ref")
                            or (body.get("mobile") and customer["mobile"] == _mobile(
                                body["mobile"]))):
                        if mine["session"] is None:
                            return tools.error(409, "logged_out", "The company is logged "
                                               "out: its customers cannot write.")
                        message = add_message(portal, mine, customer, "customer",
                                              body["text"])
                        response = jsonify(message_view(message))
                        response.status_code = 201
                        return response
        return tools.error(404, "not_found", "No activated customer with this mobile number "
                           "or reference.")

    @app.post("/_sandbox/sinno/account")
    def sinno_control_account():
        """Lock or unlock a company's account: {"company_number", "status": "active" or
        "locked"}. A locked one still gets logins, but its account check answers 403."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("company_number") not in COMPANIES \
                or body.get("status") not in ("active", "locked"):
            return tools.error(422, "validation_failed", "Give a known company_number and a "
                               "status of active or locked.")
        with store.lock:
            company(state(), body["company_number"])["status"] = body["status"]
        return jsonify(company_number=body["company_number"], status=body["status"])

    @app.get("/_sandbox/sinno/state")
    def sinno_control_state():
        """Per company: logged in or not (never the token), customers, messages, the
        activation codes sent."""
        with store.lock:
            return jsonify(companies=[dict(
                number=c["number"], name=c["name"], logged_in=c["session"] is not None,
                session_id=(c["session"] or {}).get("id"),
                contacts=(c["session"] or {}).get("contacts"),
                customers=list(c["customers"].values()),
                messages=[message_view(m) for m in c["messages"]], codes=c["codes"])
                for c in state()["companies"].values()])
