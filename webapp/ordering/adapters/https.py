"""The partner protocols of docs/partners/ over HTTPS: one adapter, driven by a table with a row
per interface type (paths, credentials, field names, the partner's words).

How answers map (docs/partners/README.md): 201, or 200 replaying the key → ACCEPTED with the
partner's number and status; 4xx → PERMANENT with the partner's message (404 of a lookup →
NOT_FOUND); 5xx and 429 → TRANSIENT with Retry-After; no connection → TRANSIENT; a submit
sent but not answered (read timeout, dropped connection) → AMBIGUOUS, resolved by lookup().
An address the operator's outbound policy refuses (request.outbound: http where only https
is allowed, a name resolving to 127.0.0.1, …) → PERMANENT, and nothing is sent.

Messages are worded through gettext (as outbound/http.py's): the worker writes them in the
installation's default language, and the order shows them as stored. The partner's own words
(its error message and field messages) are quoted as they came.
"""
import base64
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import requests
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...outbound.http import (  # noqa: F401 (retry_after: tests)
    json_object, not_connected, not_sent, retry_after, tls_failure,
)
from ...outbound_policy import Refused
from .base import (
    ACCEPTED, AMBIGUOUS, CONFIRMED, DELIVERED, NOT_FOUND, ORDERED, PERMANENT, TRANSIENT, Adapter,
    OrderRequest, Outcome,
)

log = logging.getLogger(__name__)

# Our statuses for the partner's received → confirmed → shipped.
STAGES = (ORDERED, CONFIRMED, DELIVERED)
# Canonical field names as people read them in an error message.
FIELD_LABELS = {"side": _l("side"), "style": _l("style"), "material": _l("material"),
                "venting": _l("vent"), "colour": _l("colour"), "notes": _l("notes"),
                "impression_ref": _l("impression reference"), "reference": _l("order no.")}
# The calls, as a message names the one that failed.
ACTIONS = {"submit": _l("sending the order"), "lookup": _l("asking by key"),
           "status": _l("asking for the status")}
# Time on top of the timeouts for building the request and reading the answer.
MARGIN_SECONDS = 2.0
# A request that cannot be built from the service's values (URL, a header with a line break
# or a character HTTP headers cannot carry): nothing was sent, and retrying will not help.
UNBUILDABLE = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
               requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader,
               UnicodeEncodeError)


@dataclass(frozen=True)
class Protocol:
    """One partner protocol as its file in docs/partners/ describes it."""
    collection: str          # below the base URL, e.g. "/easyorder/v1/orders"
    auth: str                # "basic" | "api_key" | "bearer" | "session"
    number_field: str        # the partner's external number in its answers
    reference_field: str     # our order reference in the body
    container: str           # the position's object in the body
    fields: dict             # canonical field name → the partner's
    sides: dict              # "left" / "right" → the partner's word
    statuses: tuple          # the partner's words for received, confirmed, shipped
    login_path: str = ""     # bearer: JSON login; session: form login
    user_field: str = ""     # bearer: the login's customer number field
    password_field: str = ""
    token_field: str = ""    # bearer: the token in the login answer; session: the cookie
    key_header: str = ""     # api_key: the key's header
    account_header: str = ""  # api_key: the customer number's header
    url_field: str = "base_url"   # the service field with the base URL
    timeouts: tuple = (10, 30)    # (connect, read) when the service has none
    link_field: str = ""     # an answer field the UI opens in the browser (the portal's cart)

    @property
    def logs_in(self):
        return self.auth in ("bearer", "session")


AUDIA_BODY = dict(
    reference_field="reference", container="earmould",
    fields=dict(side="side", style="style", material="material", venting="vent_mm",
                colour="colour", notes="notes", impression_ref="impression_id"),
    sides=dict(left="left", right="right"))

PROTOCOLS = {
    "audia_easy_order": Protocol(
        collection="/easyorder/v1/orders", auth="basic", number_field="order_number",
        statuses=("received", "confirmed", "shipped"), **AUDIA_BODY),
    "audia_easy_order_portal": Protocol(
        collection="/api/cart", auth="session", number_field="cart_number",
        statuses=("in_cart", "ordered", "shipped"), login_path="/login",
        token_field="awp_session", url_field="portal_url", timeouts=(5, 30),
        link_field="continue_url", **AUDIA_BODY),
    "dreve_smartorder": Protocol(
        collection="/smartorder/api/v2/orders", auth="basic", number_field="orderId",
        reference_field="customerReference", container="otoplastic",
        fields=dict(side="ear", style="shape", material="material", venting="ventDiameterMm",
                    colour="color", notes="remark", impression_ref="impressionScanId"),
        sides=dict(left="L", right="R"), statuses=("NEW", "IN_PRODUCTION", "SHIPPED")),
    "egger_order_system": Protocol(
        collection="/bestellsystem/api/bestellungen", auth="bearer",
        login_path="/bestellsystem/api/anmeldung", user_field="kundennummer",
        password_field="passwort", token_field="token", number_field="auftragsnummer",
        reference_field="kommission", container="otoplastik",
        fields=dict(side="ohr", style="bauform", material="material", venting="bohrung_mm",
                    colour="farbe", notes="bemerkung", impression_ref="abdruck_nr"),
        sides=dict(left="links", right="rechts"),
        statuses=("eingegangen", "bestaetigt", "versendet")),
    "egger_erp_order": Protocol(
        collection="/v1/belege", auth="api_key", key_header="X-Egger-Api-Key",
        account_header="X-Egger-Kunde", number_field="belegnummer", reference_field="fremdbeleg",
        container="position",
        fields=dict(side="seite", style="form", material="werkstoff", venting="belueftung_mm",
                    colour="farbe", notes="text", impression_ref="abdruck"),
        sides=dict(left="L", right="R"), statuses=("10", "20", "90")),
    "hoerluchs_partner_order": Protocol(
        collection="/partner/api/orders", auth="api_key", key_header="X-Api-Key",
        account_header="X-Partner-Id", number_field="bestellnummer",
        reference_field="partner_ref", container="mould",
        fields=dict(side="side", style="type", material="material", venting="vent",
                    colour="colour", notes="comment", impression_ref="impression"),
        sides=dict(left="left", right="right"), statuses=("open", "accepted", "dispatched")),
    "otofaktur_otoport": Protocol(
        collection="/otoport/api/v1/orders", auth="bearer",
        login_path="/otoport/api/v1/auth/login", user_field="username",
        password_field="password", token_field="access_token", number_field="otoport_id",
        reference_field="external_ref", container="otoplastic",
        fields=dict(side="ear", style="model", material="material", venting="vent_mm",
                    colour="color", notes="notes", impression_ref="impression_ref"),
        sides=dict(left="left", right="right"),
        statuses=("submitted", "in_production", "delivered")),
}

# Tokens and sessions from a login, per partner URL and account, for this process. The
# password's digest is part of the key, so a changed password logs in again.
_tokens: dict = {}
_tokens_lock = threading.Lock()


def forget_logins():
    """Drop every remembered token and session (tests; after credentials changed)."""
    with _tokens_lock:
        _tokens.clear()


class _Stop(Exception):
    """Ends a call early with an outcome (bad configuration, a failed login)."""

    def __init__(self, outcome):
        super().__init__(outcome.kind)
        self.outcome = outcome


def timeouts(protocol, config):
    """(connect, read) seconds: the service's, else the protocol's defaults."""
    return tuple(float(config.get(key) or default) for key, default in
                 zip(("connect_timeout", "read_timeout"), protocol.timeouts))


class _Call:
    """One adapter call: the service's settings, checked, and the credentials it sends."""

    def __init__(self, protocol, request):
        config = request.config
        self.protocol = protocol
        self.base = (config.get(protocol.url_field) or "").strip().rstrip("/")
        if urlsplit(self.base).scheme not in ("http", "https") or not urlsplit(self.base).netloc:
            raise _Stop(Outcome(PERMANENT, message=_("The service has no valid server URL.")))
        self.host = urlsplit(self.base).hostname
        try:
            request.outbound.check_url(self.base)
        except Refused as refused:
            raise _Stop(Outcome(PERMANENT, message=not_connected(refused))) from None
        # The customer login is the customer number at the lab; without one, the branch's.
        self.username = (config.get("username") or "").strip() or request.customer_number
        if not self.username:
            raise _Stop(Outcome(PERMANENT, message=_(
                "The service has no username (customer login) and the branch has no customer "
                "number at this supplier.")))
        kind = "api_key" if protocol.auth == "api_key" else "password"
        self.secret = request.secret(kind)
        if not self.secret:
            raise _Stop(Outcome(PERMANENT, message=(
                _("The service has no API key.") if kind == "api_key" else
                _("The service has no password."))))
        self.timeouts = timeouts(protocol, config)
        digest = hashlib.sha256(self.secret.encode()).hexdigest()
        self.cache_key = (self.base, self.username, digest)

    def scrub(self, text):
        """A message without our secret, should a partner ever echo it."""
        return text.replace(self.secret, "***") if self.secret else text

    def headers(self, session, renew=False):
        """(auth headers, whether a login happened now); logs in when there is no remembered
        token or session, or when told to `renew` it."""
        p = self.protocol
        if p.auth == "basic":
            raw = f"{self.username}:{self.secret}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}, False
        if p.auth == "api_key":
            return {p.key_header: self.secret, p.account_header: self.username}, False
        with _tokens_lock:
            token = None if renew else _tokens.get(self.cache_key)
        logged_in = token is None
        if logged_in:
            token = self.login(session)
            with _tokens_lock:
                _tokens[self.cache_key] = token
        if p.auth == "session":
            return {"Cookie": f"{p.token_field}={token}"}, logged_in
        return {"Authorization": f"Bearer {token}"}, logged_in

    def forget_token(self):
        with _tokens_lock:
            _tokens.pop(self.cache_key, None)

    def login(self, session):
        """A new token (bearer) or session cookie; nothing about the order is sent yet, so any
        failure to get an answer is transient."""
        p = self.protocol
        if p.auth == "session":
            send = dict(data={"username": self.username, "password": self.secret})
        else:
            send = dict(json={p.user_field: self.username, p.password_field: self.secret})
        try:
            response = session.post(self.base + p.login_path, timeout=self.timeouts,
                                    allow_redirects=False, **send)
        except UNBUILDABLE:
            raise
        except requests.RequestException as error:
            raise _Stop(Outcome(TRANSIENT, message=_(
                "Login at %(host)s failed: %(cause)s.", host=self.host,
                cause=_describe(error)))) from None
        status = response.status_code
        if p.auth == "session":
            token = response.cookies.get(p.token_field) if status < 400 else None
        else:
            token = (json_object(response) or {}).get(p.token_field) if status == 200 else None
        if isinstance(token, str) and token:
            return token
        if status == 429 or status >= 500:
            raise _Stop(Outcome(TRANSIENT, http_status=status,
                                retry_after=retry_after(response.headers.get("Retry-After")),
                                message=_("Login at %(host)s: HTTP %(status)s, try again "
                                          "later.", host=self.host, status=status)))
        reason = (_("the customer login or password is wrong") if status in (401, 403) else
                  _("the answer carried no token"))
        raise _Stop(Outcome(PERMANENT, http_status=status, message=_(
            "Login at %(host)s refused (HTTP %(status)s): %(reason)s.", host=self.host,
            status=status, reason=reason)))


def _describe(error):
    """A requests error for people: its kind only, never its text (which may quote a header)."""
    if isinstance(error, requests.ConnectTimeout):
        return _("no connection in time")
    if isinstance(error, requests.Timeout):
        return _("no answer in time")
    if isinstance(error, requests.exceptions.SSLError):
        return tls_failure(error)
    if isinstance(error, requests.ConnectionError):
        return _("could not connect") if not_sent(error) else _("the connection was closed")
    return _("the answer could not be read (%(error)s)", error=type(error).__name__)


class HttpsAdapter(Adapter):
    """A partner of docs/partners/, one instance per interface type."""

    can_lookup = True

    def __init__(self, interface_key, protocol):
        self.interface_keys = (interface_key,)
        self.protocol = protocol

    # --- the three calls ---------------------------------------------------------------

    def submit(self, request: OrderRequest) -> Outcome:
        return self._exchange(request, "submit", "POST", self.protocol.collection,
                              body=self.body(request), key=request.idempotency_key)

    def lookup(self, request: OrderRequest) -> Outcome:
        key = quote(request.idempotency_key, safe="")
        return self._exchange(request, "lookup", "GET", f"{self.protocol.collection}/by-key/{key}")

    def status(self, request: OrderRequest, external_number: str) -> Outcome:
        number = quote(external_number, safe="")
        return self._exchange(request, "status", "GET", f"{self.protocol.collection}/{number}")

    def max_duration(self, request: OrderRequest) -> float:
        """Connect plus read per request; with a login up to three requests (a remembered
        token refused, a new login, the request again)."""
        connect, read = timeouts(self.protocol, request.config)
        return (connect + read) * (3 if self.protocol.logs_in else 1) + MARGIN_SECONDS

    def body(self, request: OrderRequest) -> dict:
        """The order in the partner's names; empty optional fields are left out."""
        p, position = self.protocol, request.position
        values = dict(side=p.sides.get(position.side, position.side), style=position.style,
                      material=position.material, venting=position.venting,
                      colour=position.colour, notes=position.notes,
                      impression_ref=position.impression_ref)
        mould = {p.fields[name]: value for name, value in values.items()
                 if value is not None and value != ""}
        return {p.reference_field: request.reference, p.container: mould}

    # --- one exchange ------------------------------------------------------------------

    def _exchange(self, request, action, method, path, body=None, key=None):
        try:
            call = _Call(self.protocol, request)
        except _Stop as stop:
            return stop.outcome
        headers = {"Accept": "application/json"}
        if key is not None:
            headers["Idempotency-Key"] = key
        started = time.monotonic()
        try:
            # Every connection, the login's too, goes only to addresses the policy allows.
            with request.outbound.session() as session:
                auth, fresh = call.headers(session)
                response = self._send(session, call, method, path, body, {**headers, **auth})
                if response.status_code == 401 and self.protocol.logs_in and not fresh:
                    # The remembered token or session has expired: log in once, then repeat
                    # (a 401 comes before anything is recorded).
                    call.forget_token()
                    auth, _fresh = call.headers(session, renew=True)
                    response = self._send(session, call, method, path, body, {**headers, **auth})
        except _Stop as stop:
            outcome = stop.outcome
        except Refused as refused:  # at connect time: the name resolved to a refused address
            outcome = Outcome(PERMANENT, message=not_connected(refused))
        except UNBUILDABLE:
            outcome = Outcome(PERMANENT, message=_(
                "The request could not be built: check the server URL and the credentials."))
        except requests.RequestException as error:
            if action == "submit" and not not_sent(error):
                outcome = Outcome(AMBIGUOUS, message=_(
                    "%(host)s: %(cause)s after the order was sent; it may have arrived.",
                    host=call.host, cause=_describe(error)))
            else:
                outcome = Outcome(TRANSIENT, message=_(
                    "%(host)s (%(action)s): %(cause)s.", host=call.host,
                    action=ACTIONS[action], cause=_describe(error)))
        else:
            outcome = self._answer(action, response, call)
            if outcome.kind == PERMANENT and response.status_code == 401 and self.protocol.logs_in:
                call.forget_token()
        outcome.message = call.scrub(outcome.message)
        log.info("%s %s at %s: %s%s in %.2fs", self.interface_keys[0], action, call.host,
                 outcome.kind, f" (HTTP {outcome.http_status})" if outcome.http_status else "",
                 time.monotonic() - started)
        return outcome

    def _send(self, session, call, method, path, body, headers):
        return session.request(method, call.base + path, json=body, headers=headers,
                               timeout=call.timeouts, allow_redirects=False)

    # --- reading the answer ------------------------------------------------------------

    def _answer(self, action, response, call):
        status, data = response.status_code, json_object(response)
        if status in (200, 201):
            return self._accepted(action, status, data, call)
        if status == 404 and action == "lookup":
            return Outcome(NOT_FOUND, http_status=status,
                           message=_("The partner has no order under this idempotency key."))
        if status == 404 and action == "status":
            return Outcome(NOT_FOUND, http_status=status,
                           message=_("The partner does not know this order number."))
        if status == 429 or status >= 500:
            return Outcome(TRANSIENT, http_status=status, message=self._refusal(status, data),
                           retry_after=retry_after(response.headers.get("Retry-After")))
        return Outcome(PERMANENT, http_status=status, message=self._refusal(status, data))

    def _accepted(self, action, status, data, call):
        p = self.protocol
        number = (data or {}).get(p.number_field)
        if not isinstance(number, str) or not number:
            # The partner took something but we cannot read what: ask by key, never resend.
            kind = AMBIGUOUS if action == "submit" else PERMANENT
            return Outcome(kind, http_status=status, message=_(
                "HTTP %(status)s without a readable %(field)s in the answer.", status=status,
                field=p.number_field))
        word = str(data.get("status") or "")
        stage = p.statuses.index(word) if word in p.statuses else None
        details = {}
        if p.link_field:
            # Opened in the user's browser: only a page of the portal itself, else its start.
            link = data.get(p.link_field)
            same_site = isinstance(link, str) and link.startswith(call.base + "/")
            details["portal_url"] = link if same_site else call.base
        return Outcome(ACCEPTED, external_number=number, external_status=word,
                       status=STAGES[stage] if stage is not None else "", http_status=status,
                       details=details)

    def _refusal(self, status, data):
        """The partner's error for people: message, code, field messages, the order a
        conflicting key belongs to."""
        error = (data or {}).get("error")
        if not isinstance(error, dict):
            return _("The partner answered HTTP %(status)s without a readable error.",
                     status=status)
        code, text = error.get("code") or "", error.get("message") or ""
        message = f"HTTP {status} {code}".rstrip() + (f": {text}" if text else "")
        fields = error.get("fields")
        if isinstance(fields, dict) and fields:
            message += " " + "; ".join(f"{self._field_label(name)}: {problem}"
                                       for name, problem in fields.items())
        if error.get(self.protocol.number_field):
            message += " " + _("(the key belongs to order %(number)s)",
                               number=error[self.protocol.number_field])
        return message

    def _field_label(self, name):
        """'earmould.vent_mm' → 'vent (earmould.vent_mm)'; a name we do not know as it is."""
        p = self.protocol
        canonical = {f"{p.container}.{theirs}": ours for ours, theirs in p.fields.items()}
        canonical[p.reference_field] = "reference"
        label = FIELD_LABELS.get(canonical.get(name))
        return f"{label} ({name})" if label else name
