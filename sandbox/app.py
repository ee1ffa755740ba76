"""The sandbox app: one table of partner protocols (PARTNERS), one in-memory store, and the
control API under /_sandbox/. The protocols are ours, written down in docs/partners/."""
import base64
import json
import random
import secrets
import socket
import threading
from types import SimpleNamespace
from dataclasses import dataclass, field
from datetime import datetime, timezone

from flask import Flask, Response, abort, jsonify, redirect, request
from markupsafe import escape

from . import audoora, cards, sinno

# The canonical ear-mould fields; each partner names them its own way (PARTNERS[...]["fields"]).
CANONICAL = ("side", "style", "material", "venting", "colour", "notes", "impression_ref")
# received → confirmed → shipped, as stage 0, 1, 2; each partner has its own words for them.
STAGES = ("received", "confirmed", "shipped")
SECRET_HEADERS = {"authorization", "x-api-key", "x-egger-api-key", "cookie", "x-card-key"}
SECRET_BODY_FIELDS = {"password", "passwort"}

# Audia's order body, which its web portal's cart takes too.
AUDIA_BODY = dict(
    reference="reference", container="earmould",
    fields=dict(side="side", style="style", material="material", venting="vent_mm",
                colour="colour", notes="notes", impression_ref="impression_id"),
    sides=dict(left="left", right="right"))

PARTNERS = {
    "audia": dict(
        title="Audia Easy Order", prefix="/audia", collection="easyorder/v1/orders",
        auth=dict(kind="basic"), number_prefix="AUD", number_field="order_number",
        **AUDIA_BODY, statuses=("received", "confirmed", "shipped")),
    # The web portal: a form login gives a session cookie; the order goes into the portal's
    # cart, where the user completes it in the browser (continue_url). Audia's accounts.
    "audia-portal": dict(
        title="Audia Easy Order Web-Portal", prefix="/audia/portal", collection="api/cart",
        auth=dict(kind="session", login="/login", cookie="awp_session"), accounts="audia",
        number_prefix="AWP", number_field="cart_number", **AUDIA_BODY,
        statuses=("in_cart", "ordered", "shipped"), continue_path="/cart"),
    "dreve": dict(
        title="Dreve SmartOrder", prefix="/dreve", collection="smartorder/api/v2/orders",
        auth=dict(kind="basic"),
        number_prefix="DRV", number_field="orderId", reference="customerReference",
        container="otoplastic",
        fields=dict(side="ear", style="shape", material="material", venting="ventDiameterMm",
                    colour="color", notes="remark", impression_ref="impressionScanId"),
        sides=dict(left="L", right="R"), statuses=("NEW", "IN_PRODUCTION", "SHIPPED")),
    "egger": dict(
        title="Egger Bestellsystem", prefix="/egger", collection="bestellsystem/api/bestellungen",
        auth=dict(kind="bearer", login="/bestellsystem/api/anmeldung", user_field="kundennummer",
                  password_field="passwort", token_field="token"),
        number_prefix="EGG", number_field="auftragsnummer", reference="kommission",
        container="otoplastik",
        fields=dict(side="ohr", style="bauform", material="material", venting="bohrung_mm",
                    colour="farbe", notes="bemerkung", impression_ref="abdruck_nr"),
        sides=dict(left="links", right="rechts"),
        statuses=("eingegangen", "bestaetigt", "versendet")),
    "egger-erp": dict(
        title="Egger ERP Bestellung", prefix="/egger-erp", collection="v1/belege",
        auth=dict(kind="api_key", header="X-Egger-Api-Key", account_header="X-Egger-Kunde"),
        number_prefix="EGE", number_field="belegnummer", reference="fremdbeleg",
        container="position",
        fields=dict(side="seite", style="form", material="werkstoff", venting="belueftung_mm",
                    colour="farbe", notes="text", impression_ref="abdruck"),
        sides=dict(left="L", right="R"), statuses=("10", "20", "90")),
    "hoerluchs": dict(
        title="Hörluchs-Partner Bestell-System", prefix="/hoerluchs",
        collection="partner/api/orders",
        auth=dict(kind="api_key", header="X-Api-Key", account_header="X-Partner-Id"),
        number_prefix="HLX",
        number_field="bestellnummer", reference="partner_ref", container="mould",
        fields=dict(side="side", style="type", material="material", venting="vent",
                    colour="colour", notes="comment", impression_ref="impression"),
        sides=dict(left="left", right="right"), statuses=("open", "accepted", "dispatched")),
    "otofaktur": dict(
        title="Otofaktur Otoport", prefix="/otofaktur", collection="otoport/api/v1/orders",
        auth=dict(kind="bearer", login="/otoport/api/v1/auth/login", user_field="username",
                  password_field="password", token_field="access_token"),
        number_prefix="OTP", number_field="otoport_id", reference="external_ref",
        container="otoplastic",
        fields=dict(side="ear", style="model", material="material", venting="vent_mm",
                    colour="color", notes="notes", impression_ref="impression_ref"),
        sides=dict(left="left", right="right"),
        statuses=("submitted", "in_production", "delivered")),
}
DEFAULT_ACCOUNT = dict(username="10001", password="sandbox", api_key="sandbox-key")
# The accounts the demo chain's services use (webapp/demo.py), so `make run` works end to end.
DEMO_ACCOUNTS = {"dreve": [dict(username="DRV-00001", password="Demo-Dreve-2026", api_key=None)]}
# Portals whose protocol is not an ear-mould order (Audoora: registration, partner list): their
# own modules, the same accounts, faults and record of what arrived.
PORTALS = (audoora.NAME, cards.NAME, sinno.NAME)
DEFAULTS = dict(advance_after=2, accounts=None)
FAULT_KEYS = ("error_rate", "rate_limit_rate", "latency_ms", "timeout_rate", "timeout_ms",
              "drop_rate", "seed")
NO_FAULTS = dict(error_rate=0.0, rate_limit_rate=0.0, latency_ms=0, timeout_rate=0.0,
                 timeout_ms=60000, drop_rate=0.0, seed=0)


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _fingerprint(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass
class Faults:
    settings: dict
    rng: random.Random = field(default=None)
    # Rate limiting came later: its own generator keeps the older faults' seeded sequences.
    rate_rng: random.Random = field(default=None)

    def __post_init__(self):
        self.rng = random.Random(self.settings["seed"])
        self.rate_rng = random.Random(f"{self.settings['seed']}/rate_limit")

    def draw(self):
        """Decide the faults for one request: always three draws plus one for rate limiting,
        so a seed gives the same sequence whatever happened before."""
        error, timeout, drop = (self.rng.random() for _ in range(3))
        s = self.settings
        return dict(error=error < s["error_rate"], timeout=timeout < s["timeout_rate"],
                    drop=drop < s["drop_rate"],
                    rate_limit=self.rate_rng.random() < s["rate_limit_rate"])


class Store:
    """Orders, received requests, tokens and faults, behind one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        # Set on reset: wakes requests held back by a timeout fault.
        self.wake = threading.Event()
        self.clear()

    def clear(self):
        self.orders = {}        # (partner, account, idempotency key) -> order
        self.by_number = {}     # (partner, number) -> order
        self.counters = {}
        self.received = []
        self.tokens = {}        # token -> (partner, account)
        self.faults = {}        # partner or "*" -> Faults
        self.mails = []         # messages the SMTP sink (sandbox/mail.py) accepted
        self.portal = {}        # portals' own state (sandbox/audoora.py)

    def reset(self):
        with self.lock:
            self.wake.set()
            self.clear()
            self.wake = threading.Event()

    def draw_faults(self, partner):
        with self.lock:
            faults = self.faults.get(partner) or self.faults.get("*")
            if faults is None:
                return dict(NO_FAULTS, error=False, timeout=False, drop=False, rate_limit=False)
            return dict(faults.settings, **faults.draw())

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.received) + 1
            self.received.append(entry)


def create_sandbox_app(config=None):
    """The sandbox as a Flask app; `config` may set advance_after (status queries per step)
    and accounts ({partner: [{username, password, api_key}, ...]}, replacing that partner's
    default: the sandbox account 10001 and the demo chain's account; the Audia web portal signs
    in with Audia's accounts)."""
    app = Flask(__name__)
    settings = dict(DEFAULTS, **(config or {}))
    accounts = {name: [DEFAULT_ACCOUNT, *DEMO_ACCOUNTS.get(name, ())]
                for name in (*PARTNERS, *PORTALS)}
    accounts.update(settings["accounts"] or {})

    def account_for(name, username, secret, kind="password"):
        """The username if it names an account of `name` whose `kind` secret matches."""
        for account in accounts[PARTNERS.get(name, {}).get("accounts", name)]:
            expected = account.get(kind)
            if (isinstance(username, str) and isinstance(secret, str) and expected
                    and account["username"] == username
                    and secrets.compare_digest(secret.encode(), expected.encode())):
                return username
        return None
    store = Store()
    app.extensions["sandbox_store"] = store

    def error(status, code, message, **extra):
        response = jsonify(error=dict(code=code, message=message, **extra))
        response.status_code = status
        if status == 503 or status == 429:
            response.headers["Retry-After"] = "1"
        return response

    def unavailable(faults):
        """The 503 or 429 a fault asks for (before anything is recorded), or None."""
        if faults["error"]:
            return error(503, "unavailable", "Temporarily unavailable, retry later.")
        if faults["rate_limit"]:
            return error(429, "rate_limited", "Too many requests, retry later.")
        return None

    # --- request bookkeeping -------------------------------------------------------------

    def begin(partner):
        """Record the request, apply latency, and decide its faults."""
        # A form (the portal login) is parsed before get_data could consume the stream.
        body = request.form.to_dict() if request.form else request.get_json(silent=True)
        if isinstance(body, dict):
            body = {k: ("***" if k in SECRET_BODY_FIELDS else v) for k, v in body.items()}
        entry = dict(at=_now(), partner=partner, method=request.method, path=request.path,
                     query=request.query_string.decode(), idempotency_key=request.headers.get(
                         "Idempotency-Key"),
                     headers={k: ("***" if k.lower() in SECRET_HEADERS else v)
                              for k, v in request.headers.items()},
                     body=body if body is not None else request.get_data(as_text=True))
        faults = store.draw_faults(partner)
        if faults["latency_ms"]:
            store.wake.wait(faults["latency_ms"] / 1000)
        return entry, faults

    def finish(entry, response, faults, after_record=False):
        """Answer, or (for faults that act after the work was done) hold back or drop."""
        entry["status"] = response.status_code
        if faults["drop"]:
            entry["outcome"] = "dropped"
            store.record(entry)
            return drop_connection(response)
        if faults["timeout"]:
            entry["outcome"] = "timeout"
            store.record(entry)
            store.wake.wait(faults["timeout_ms"] / 1000)
            return response
        entry["outcome"] = "answered"
        store.record(entry)
        return response

    def refuse(entry, faults, response):
        """Answer at once: the faults that act after the work (timeout, drop) do not apply."""
        return finish(entry, response, dict(faults, drop=False, timeout=False))

    def guard(name, spec):
        """Begin a partner request: (entry, faults, account, refusal), where refusal is the
        answer to give instead (503 fault, 401) or None."""
        entry, faults = begin(name)
        busy = unavailable(faults)
        if busy is not None:
            return entry, faults, None, refuse(entry, faults, busy)
        account = authenticate(name, spec)
        if account is None:
            response = error(401, "unauthorized", "Missing or wrong credentials.")
            challenge = {"basic": 'Basic realm="sandbox"', "bearer": "Bearer"}.get(
                spec["auth"]["kind"])
            if challenge:
                response.headers["WWW-Authenticate"] = challenge
            return entry, faults, None, refuse(entry, faults, response)
        return entry, faults, account, None

    def drop_connection(_response):
        # Shut the client's socket: it sees the connection closed without an answer. Writing
        # our own answer then fails with a ConnectionError that werkzeug treats as "dropped".
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return Response(b"", status=200)

    # --- auth ----------------------------------------------------------------------------

    def authenticate(name, spec):
        """The account the request authenticates as, or None."""
        auth = spec["auth"]
        if auth["kind"] == "basic":
            header = request.headers.get("Authorization", "")
            if not header.startswith("Basic "):
                return None
            try:
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return None
            return account_for(name, user, password)
        if auth["kind"] == "api_key":
            key = request.headers.get(auth["header"], "")
            user = request.headers.get(auth["account_header"], "")
            return account_for(name, user, key, "api_key")
        if auth["kind"] == "session":
            token = request.cookies.get(auth["cookie"], "")
        else:
            header = request.headers.get("Authorization", "")
            if not header.startswith("Bearer "):
                return None
            token = header[7:]
        with store.lock:
            owner = store.tokens.get(token)
        return owner[1] if owner and owner[0] == name else None

    # --- validation ----------------------------------------------------------------------

    def validate(spec, body):
        """Field errors by the partner's own field names ("container.field")."""
        errors = {}
        ref = body.get(spec["reference"])
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 64:
            errors[spec["reference"]] = "required, a text of 1 to 64 characters"
        box = spec["container"]
        mould = body.get(box)
        if not isinstance(mould, dict):
            errors[box] = "required, an object"
            return errors
        names = spec["fields"]
        known = set(names.values())
        for key in mould:
            if key not in known:
                errors[f"{box}.{key}"] = "unknown field"

        def text(canonical, required, limit):
            value = mould.get(names[canonical])
            if value is None:
                if required:
                    errors[f"{box}.{names[canonical]}"] = "required"
            elif (not isinstance(value, str) or (required and not value.strip())
                  or len(value) > limit):
                errors[f"{box}.{names[canonical]}"] = f"a text of at most {limit} characters"

        side = mould.get(names["side"])
        if side not in spec["sides"].values():
            allowed = ", ".join(spec["sides"].values())
            errors[f"{box}.{names['side']}"] = f"required, one of: {allowed}"
        text("style", True, 60)
        text("material", True, 60)
        text("impression_ref", True, 64)
        text("colour", False, 40)
        text("notes", False, 500)
        vent = mould.get(names["venting"])
        if vent is not None and (isinstance(vent, bool) or not isinstance(vent, (int, float))
                                 or not 0 <= vent <= 4):
            errors[f"{box}.{names['venting']}"] = "a number of millimetres from 0 to 4"
        return errors

    # --- orders --------------------------------------------------------------------------

    def view(spec, order, replay=False):
        stage = order["stage"]
        answer = {spec["number_field"]: order["number"], "status": spec["statuses"][stage],
                  spec["reference"]: order["body"].get(spec["reference"]),
                  "idempotency_key": order["idempotency_key"],
                  "received_at": order["created_at"], "replay": replay}
        if "continue_path" in spec:
            answer["continue_url"] = (f"{request.host_url.rstrip('/')}{spec['prefix']}"
                                      f"{spec['continue_path']}/{order['number']}")
        return answer

    def submit(name, spec):
        entry, faults, account, refusal = guard(name, spec)
        if refusal is not None:
            return refusal
        key = request.headers.get("Idempotency-Key", "")
        body = request.get_json(silent=True)
        if not 1 <= len(key) <= 100:
            return refuse(entry, faults, error(
                400, "idempotency_key_missing",
                "The Idempotency-Key header (1 to 100 characters) is required."))
        if not isinstance(body, dict):
            return refuse(entry, faults, error(400, "bad_request",
                                               "The body must be a JSON object."))
        errors = validate(spec, body)
        if errors:
            return refuse(entry, faults, error(422, "validation_failed",
                                               "The order has invalid fields.", fields=errors))
        fingerprint = _fingerprint(body)
        with store.lock:
            order = store.orders.get((name, account, key))
            if order is not None and order["fingerprint"] != fingerprint:
                response = error(409, "idempotency_conflict",
                                 "This Idempotency-Key was used with a different order.",
                                 **{spec["number_field"]: order["number"]})
                replay = None
            elif order is not None:
                replay = True
            else:
                replay = False
                count = store.counters[name] = store.counters.get(name, 0) + 1
                order = dict(partner=name, account=account, idempotency_key=key,
                             number=f"{spec['number_prefix']}-{count:06d}", body=body,
                             fingerprint=fingerprint, stage=0, queries=0, created_at=_now())
                store.orders[(name, account, key)] = order
                store.by_number[(name, order["number"])] = order
            if replay is not None:
                response = jsonify(view(spec, order, replay=replay))
                response.status_code = 200 if replay else 201
                response.headers["Location"] = (
                    f"{spec['prefix']}/{spec['collection']}/{order['number']}")
                if replay:
                    response.headers["Idempotency-Replayed"] = "true"
        entry["external_number"] = order["number"]
        return finish(entry, response, faults)

    def read(name, spec, find, missing):
        """A portal's read: guarded, `find(account)` under the store's lock, its JSON or a 404
        saying `missing`."""
        entry, faults, account, refusal = guard(name, spec)
        if refusal is not None:
            return refusal
        with store.lock:
            found = find(account)
        response = (jsonify(found) if found is not None else
                    error(404, "not_found", missing))
        return finish(entry, response, faults)

    def query(name, spec, find):
        entry, faults, account, refusal = guard(name, spec)
        if refusal is not None:
            return refusal
        with store.lock:
            order = find(account)
            if order is None:
                response = error(404, "not_found", "No such order.")
            else:
                order["queries"] += 1
                order["stage"] = max(order["stage"],
                                     min(2, order["queries"] // settings["advance_after"]))
                response = jsonify(view(spec, order))
        return finish(entry, response, faults)

    def login(name, spec):
        entry, faults = begin(name)
        auth = spec["auth"]
        busy = unavailable(faults)
        if busy is not None:
            return refuse(entry, faults, busy)
        body = request.get_json(silent=True) or {}
        user, password = body.get(auth["user_field"]), body.get(auth["password_field"])
        if account_for(name, user, password) is None:
            return refuse(entry, faults, error(401, "unauthorized",
                                               "Wrong customer number or password."))
        return finish(entry, jsonify({auth["token_field"]: new_token(name, user),
                                      "token_type": "Bearer", "expires_in": 3600}), faults)

    def new_token(name, user):
        token = secrets.token_urlsafe(24)
        with store.lock:
            store.tokens[token] = (name, user)
        return token

    def session_login(name, spec):
        """A browser's form login: a session cookie and a redirect to `next` (a page of the
        portal) or the start page; wrong credentials → 401 HTML."""
        entry, faults = begin(name)
        busy = unavailable(faults)
        if busy is not None:
            return refuse(entry, faults, busy)
        user = account_for(name, request.form.get("username"), request.form.get("password"))
        if user is None:
            return refuse(entry, faults, Response("<h1>Anmeldung fehlgeschlagen</h1>", 401,
                                                  mimetype="text/html"))
        target = request.form.get("next", "")
        if not target.startswith(spec["prefix"] + "/") or "//" in target:
            target = f"{spec['prefix']}/start"
        response = redirect(target, 303)
        response.set_cookie(spec["auth"]["cookie"], new_token(name, user), path=spec["prefix"],
                            httponly=True, samesite="Lax")
        return finish(entry, response, faults)

    for name, spec in PARTNERS.items():
        base = f"{spec['prefix']}/{spec['collection']}"
        endpoint = name.replace("-", "_")

        def submit_view(name=name, spec=spec):
            return submit(name, spec)

        def status_view(number, name=name, spec=spec):
            def find(account):
                order = store.by_number.get((name, number))
                return order if order and order["account"] == account else None
            return query(name, spec, find)

        def lookup_view(key, name=name, spec=spec):
            return query(name, spec, lambda account: store.orders.get((name, account, key)))

        app.add_url_rule(base, f"{endpoint}_submit", submit_view, methods=["POST"])
        app.add_url_rule(f"{base}/<number>", f"{endpoint}_status", status_view, methods=["GET"])
        app.add_url_rule(f"{base}/by-key/<path:key>", f"{endpoint}_lookup", lookup_view,
                         methods=["GET"])
        if spec["auth"]["kind"] in ("bearer", "session"):
            def login_view(name=name, spec=spec):
                if spec["auth"]["kind"] == "session":
                    return session_login(name, spec)
                return login(name, spec)
            app.add_url_rule(spec["prefix"] + spec["auth"]["login"], f"{endpoint}_login",
                             login_view, methods=["POST"])

    # --- the Audia web portal's pages, for the browser the user completes the order in ---

    portal = PARTNERS["audia-portal"]

    def html(body, status=200):
        return Response(f"<!doctype html><title>Audia Easy Order (Sandbox)</title>{body}",
                        status, mimetype="text/html")

    @app.get(f"{portal['prefix']}/login")
    def portal_login_form():
        target = escape(request.args.get("next", ""))
        return html(f'<form method="post"><input type="hidden" name="next" value="{target}">'
                    '<label>Benutzername <input name="username"></label>'
                    '<label>Passwort <input name="password" type="password"></label>'
                    '<button>Anmelden</button></form>')

    @app.get(f"{portal['prefix']}/start")
    def portal_start():
        return html("<h1>Audia Easy Order (Sandbox)</h1><p>Angemeldet.</p>")

    def portal_cart(number, complete=False):
        """The signed-in account's cart as (position, status), or None; `complete`: the user
        completes the order in the portal, the cart becomes an order ("ordered")."""
        account = authenticate("audia-portal", portal)
        with store.lock:
            order = store.by_number.get(("audia-portal", number))
            if order is None or order["account"] != account:
                return None
            if complete:
                order["stage"] = max(order["stage"], 1)
            return order["body"][portal["container"]], portal["statuses"][order["stage"]]

    @app.get(f"{portal['prefix']}{portal['continue_path']}/<number>")
    def portal_cart_page(number):
        cart = portal_cart(number)
        if cart is None:
            return redirect(f"{portal['prefix']}/login?next={request.path}", 303)
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                       for k, v in cart[0].items())
        return html(f"<h1>Warenkorb {escape(number)}</h1><p>Status: {cart[1]}</p>"
                    f"<table>{rows}</table><form method=post action='{escape(number)}/complete'>"
                    "<button>Bestellung abschließen</button></form>")

    @app.post(f"{portal['prefix']}{portal['continue_path']}/<number>/complete")
    def portal_cart_complete(number):
        if portal_cart(number, complete=True) is None:
            abort(404)
        return redirect(f"{portal['prefix']}{portal['continue_path']}/{number}", 303)

    # --- portals with their own protocol (not ear-mould orders) ------------------------

    cards.register(app, SimpleNamespace(store=store, begin=begin, unavailable=unavailable,
                                        guard=guard, refuse=refuse, finish=finish, read=read,
                                        error=error, now=_now))
    audoora.register(app, SimpleNamespace(store=store, guard=guard, refuse=refuse, read=read,
                                          finish=finish, error=error, now=_now))
    sinno.register(app, SimpleNamespace(store=store, guard=guard, refuse=refuse, finish=finish,
                                        error=error, now=_now, begin=begin,
                                        unavailable=unavailable))

    # --- control API ---------------------------------------------------------------------

    @app.get("/_sandbox/health")
    def health():
        return jsonify(ok=True, partners=sorted(PARTNERS))

    @app.get("/_sandbox/faults")
    def faults_get():
        with store.lock:
            return jsonify({k: v.settings for k, v in store.faults.items()})

    @app.post("/_sandbox/faults")
    def faults_post():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "bad_request", "The body must be a JSON object.")
        partner = body.get("partner", "*")
        if partner != "*" and partner not in PARTNERS and partner not in PORTALS:
            return error(422, "validation_failed", "Unknown partner.",
                         fields=dict(partner=f"'*' or one of {sorted((*PARTNERS, *PORTALS))}"))
        values, errors = dict(NO_FAULTS), {}
        for key in FAULT_KEYS:
            if key not in body:
                continue
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                errors[key] = "a number"
            elif key.endswith("_rate") and not 0 <= value <= 1:
                errors[key] = "from 0 to 1"
            elif value < 0:
                errors[key] = "not negative"
            else:
                values[key] = value
        unknown = set(body) - set(FAULT_KEYS) - {"partner"}
        errors.update({key: "unknown field" for key in unknown})
        if errors:
            return error(422, "validation_failed", "Invalid fault settings.", fields=errors)
        with store.lock:
            store.faults[partner] = Faults(values)
        return jsonify(partner=partner, **values)

    @app.get("/_sandbox/received")
    def received():
        partner = request.args.get("partner")
        with store.lock:
            entries = [e for e in store.received if not partner or e["partner"] == partner]
        return jsonify(received=entries)

    @app.get("/_sandbox/mails")
    def mails():
        with store.lock:
            return jsonify(mails=list(store.mails))

    @app.get("/_sandbox/orders")
    def orders():
        partner = request.args.get("partner")
        with store.lock:
            found = [dict(partner=o["partner"], account=o["account"], number=o["number"],
                          idempotency_key=o["idempotency_key"], status=STAGES[o["stage"]],
                          queries=o["queries"], created_at=o["created_at"], body=o["body"])
                     for o in store.orders.values() if not partner or o["partner"] == partner]
        return jsonify(orders=found)

    @app.post("/_sandbox/orders/<partner>/<number>/advance")
    def advance(partner, number):
        """Move an order one step on, or to {"status": "confirmed"|"shipped"|...}."""
        body = request.get_json(silent=True) or {}
        with store.lock:
            order = store.by_number.get((partner, number))
            if order is None:
                abort(404)
            target = body.get("status")
            if target is None:
                order["stage"] = min(2, order["stage"] + 1)
            elif target in STAGES:
                order["stage"] = STAGES.index(target)
            else:
                return error(422, "validation_failed", "Unknown status.",
                             fields=dict(status=f"one of {list(STAGES)}"))
            return jsonify(number=number, status=STAGES[order["stage"]])

    @app.post("/_sandbox/tokens/expire")
    def tokens_expire():
        """Invalidate every bearer token and portal session, as if they had expired."""
        with store.lock:
            expired = len(store.tokens)
            store.tokens.clear()
        return jsonify(expired=expired)

    @app.post("/_sandbox/reset")
    def reset():
        store.reset()
        return jsonify(ok=True)

    @app.errorhandler(404)
    def not_found(_e):
        return error(404, "not_found", "No such resource.")

    @app.errorhandler(405)
    def not_allowed(_e):
        return error(405, "method_not_allowed", "Method not allowed.")

    return app
