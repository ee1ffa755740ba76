"""Audoora's ordering portal as the sandbox speaks it (docs/partners/audoora.md): the
chain's registration, its refresh, the lookup by idempotency key and the partner list, with
the labs' fault switches (partner name `audoora`) and their record of what arrived."""
import json

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

    def write(refresh):
        entry, faults, account, refusal = tools.guard(NAME, SPEC)
        if refusal is not None:
            return refusal
        key = request.headers.get("Idempotency-Key", "")
        body = request.get_json(silent=True)
        if not 1 <= len(key) <= 100:
            return tools.refuse(entry, faults, tools.error(
                400, "idempotency_key_missing",
                "The Idempotency-Key header (1 to 100 characters) is required."))
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
        entry, faults, account, refusal = tools.guard(NAME, SPEC)
        if refusal is not None:
            return refusal
        with store.lock:
            found = find(state(), account)
        response = (jsonify(found) if found is not None else
                    tools.error(404, "not_found", "No such registration."))
        return tools.finish(entry, response, faults)

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

    @app.get("/_sandbox/audoora/registrations")
    def audoora_control_registrations():
        """What the portal holds per account (for tests): id, revision, the body."""
        with store.lock:
            regs = state()["registrations"]
            return jsonify(registrations=[dict(account=account, registration_id=reg["id"],
                                               revision=reg["revision"], body=reg["body"])
                                          for account, reg in regs.items()])
