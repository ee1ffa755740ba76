"""Anmelden and Abmelden of a SiNNO-App service, as outbound work of kind `sinno_session`
run from the service editor's actions (interfaces.actions.register_runner).

- **Anmelden** sends ClientID and Firmen-Nr. with the business-office e-mail address of every
  branch the service covers (the app shows it when a customer sets it up), gets a token,
  tests the connection with it and stores it encrypted; the editor then says "angemeldet seit
  …". A connection test that fails for good (refused, or on the last attempt) logs the login
  out again, so none stays open at SiNNO. While a covered branch's business office has no e-mail address it is refused, with a
  link to that branch.
- **Abmelden** is confirmed first (all customers lose access to their app data), then ends
  the login at SiNNO and drops the token.
- Both share one exclusive key per service: a double click, or Abmelden during Anmelden,
  gets the running one back instead of a second operation. After no answer the engine asks
  SiNNO by the row's key (the login) or simply logs out again (SiNNO answers a repeated
  logout alike), so neither happens twice."""
import json
import uuid
from dataclasses import replace
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask import current_app, url_for

from ..errors import DomainError
from ..extensions import db
from ..interfaces import actions, catalogue, resolver
from ..models_base import utcnow
from ..org.models import Branch
from ..outbound import engine, http
from ..outbound.handlers import ACCEPTED, PERMANENT, TRANSIENT, CannotRun, Handler, Outcome
from ..outbound.models import DONE, OPEN_STATES, Outbound
from ..i18n import ui_language
from ..probes import web
from . import api
from .models import EXPIRED, LOGGED_IN, LOGGED_OUT, SinnoLogin

KIND = "sinno_session"
INTERFACE = api.APP
LOGIN, LOGOUT = "login", "logout"
LOGIN_PATH, LOGOUT_PATH, ACCOUNT_PATH = "/auth/login", "/auth/logout", "/account"

NEEDS_VALUES = _l("Fill in and save the Server, the ClientID and the Firmen-Nr. first.")
ALREADY_IN = _l("This service is logged in already.")
NOT_IN = _l("This service is not logged in.")
BUSY = _l("Logging in or out of this service is running; wait until it ends.")


# --- what the login needs ---------------------------------------------------------------------

def covered_branches(service):
    """The branches whose customers this service serves: its own branch, or for the chain's
    service every branch without an active SiNNO-App service of its own."""
    if service.branch_id is not None:
        return [db.session.get(Branch, service.branch_id)]
    branches = db.session.scalars(db.select(Branch).order_by(Branch.name, Branch.id)).all()
    applying = resolver.resolve_at_branches(api.APP, [branch.id for branch in branches])
    # None: no active service there (this one is switched off): it would serve it.
    return [branch for branch in branches if applying[branch.id] is None
            or applying[branch.id].service.id == service.id]


def missing_office_email(service):
    """The covered branches whose business office has no e-mail address."""
    return [branch for branch in covered_branches(service)
            if not (branch.office_email or "").strip()]


def login_body(service):
    """What Anmelden sends besides the credentials: the covered branches' business-office
    contacts (nothing else: no users, no customers)."""
    return {"contacts": [{"branch": str(branch.id), "name": branch.name,
                          "email": branch.office_email.strip()}
                         for branch in covered_branches(service)]}


# --- state ------------------------------------------------------------------------------------

def _latest_run(service):
    return db.session.scalar(
        db.select(Outbound).where(Outbound.kind == KIND, Outbound.subject_type == actions.SUBJECT,
                                  Outbound.subject_id == service.id)
        .order_by(Outbound.id.desc()).limit(1))


def state(service):
    """{login (SinnoLogin or None), logged_in, running, missing (branches without an
    office e-mail address)} for the editor."""
    login = api.login_of(service.id)
    run = _latest_run(service)
    return dict(login=login, logged_in=login is not None and login.state == LOGGED_IN,
                expired=login is not None and login.state == EXPIRED,
                running=run is not None and run.state in OPEN_STATES,
                missing=missing_office_email(service))


# --- the action runner ------------------------------------------------------------------------

def _check(actor, service, action_key):
    if not actions.may_run(actor, service):
        raise DomainError(str(_l("You may not run this action.")))
    if not all(api.account_values(service)):
        raise DomainError(str(NEEDS_VALUES))
    logged_in = api.is_logged_in(service.id)
    if action_key == LOGIN:
        missing = missing_office_email(service)
        if missing:
            raise DomainError(_(
                "The business office of %(branches)s has no e-mail address. "
                "SiNNO needs it to set the app up on the customers' phones: enter it at the "
                "branch first.", branches=", ".join(branch.name for branch in missing)))
        if logged_in:
            raise DomainError(str(ALREADY_IN))
    elif not logged_in:
        raise DomainError(str(NOT_IN))


def preview(actor, service, action_key):
    """Anmelden starts at once once it may; Abmelden first shows the manual's warning and
    asks for a confirmation."""
    _check(actor, service, action_key)
    if action_key == LOGIN:
        return None
    spec = actions.get_action(catalogue.get_interface(api.APP), LOGOUT)
    return "sinno/_logout_confirm.html", dict(warning=spec.text("confirm", ui_language()))


def start(actor, service, action_key, form):
    """Start Anmelden (at once) or Abmelden (confirmed). (row, created)."""
    if action_key == LOGOUT and (form is None or not form.get("confirmed")):
        raise DomainError(str(_l("Confirm the logout first.")))
    _check(actor, service, action_key)
    sealed = json.dumps(login_body(service)) if action_key == LOGIN else None
    row, created = engine.start(KIND, actions.SUBJECT, service.id, action=action_key,
                                exclusive_key=f"{actions.SUBJECT}:{service.id}:{KIND}",
                                requested_by=actor.name, sealed=sealed, progress={})
    if not created and row.action != action_key:
        raise DomainError(str(BUSY))
    return row, created


def panel(actor, service, action_key):
    """Beside Anmelden: logged in since … as which company, or not, and which branch's
    business office lacks its e-mail address (with a link to it)."""
    if action_key != LOGIN:
        return None
    found = state(service)
    found["fix"] = [dict(name=branch.name,
                         url=url_for("org.branch_get", branch_id=branch.id) + "#office_email")
                    for branch in found["missing"]]
    return "sinno/_login_state.html", found


def summary(row):
    """A run in words."""
    progress = row.progress or {}
    if row.state in OPEN_STATES:
        if row.last_error:
            return api.retrying(row)
        return _("Logging in to SiNNO …") if row.action == LOGIN else _("Logging out of SiNNO …")
    if row.state == DONE:
        if row.action == LOGIN:
            return _("Logged in as %(company)s; the connection test passed.",
                     company=progress.get("company", ""))
        return _("Logged out. Customers no longer reach their data in the SiNNO app.")
    if row.action == LOGIN:
        return _("Not logged in: %(message)s", message=row.last_error or _("Failed."))
    return _("Not logged out: %(message)s", message=row.last_error or _("Failed."))


RUNNER = actions.ActionRunner(kind=KIND, start=start, preview=preview, panel=panel,
                              summary=summary)


def register_runners():
    """Anmelden and Abmelden of SiNNO-App run here (called by the app factory)."""
    for action_key in (LOGIN, LOGOUT):
        actions.register_runner(api.APP, action_key, RUNNER)


# --- Verbindung testen -------------------------------------------------------------------------

def tester(value, secret, policy):
    """"Verbindung testen" the way Anmelden connects (interfaces.actions.register_tester):
    ClientID and Firmen-Nr. asking for the login of a key that cannot exist, whose right
    answer is 404 — a wrong Firmen-Nr. fails at Anmeldung, and nothing is logged in."""
    base = (value("server") or "").strip().rstrip("/")
    auth = {"X-Client-Id": (value("client_id") or "").strip(),
            "X-Company-Number": (value("company_number") or "").strip()}
    url = f"{base}{LOGIN_PATH}/by-key/connection-test-{uuid.uuid4().hex}"
    return actions.TestRequest(web.https, dict(url=url, policy=policy,
                                               timeout=http.TIMEOUTS[1], auth=auth,
                                               expect=(404,)),
                               timeout=sum(http.TIMEOUTS))


# --- the worker's side ------------------------------------------------------------------------

def _has_token(data):
    return isinstance(data.get("access_token"), str) and 0 < len(data["access_token"]) <= 500


def _connection_test(request, answer):
    """With the token just obtained: GET /account. ACCEPTED with the token (for accepted()
    only; never in a message), else why not. A test that fails for good (refused, or on the
    last attempt) logs the login out again: none may stay open at SiNNO unknown to us."""
    token = answer["access_token"]
    tested = api.ApiRequest(base=request.base, key=request.key, policy=request.policy,
                            token=token)
    response, outcome = api.call(tested, "GET", ACCOUNT_PATH,
                                 http.accepting(lambda d: isinstance(d.get("company"), dict)),
                                 api.bearer(tested))
    if outcome.kind != ACCEPTED:
        if outcome.kind != PERMANENT and not request.about.get("last_attempt"):
            # Nothing is lost: the login is given again under the same key on the next try.
            return Outcome(TRANSIENT, http_status=outcome.http_status,
                           retry_after=outcome.retry_after, message=outcome.message)
        message = _end_login(replace(tested, key=f"{request.key}-logout"), outcome.message)
        if outcome.kind == PERMANENT:
            return Outcome(PERMANENT, http_status=outcome.http_status, message=str(_l(
                "SiNNO gave a login, but the connection test with it failed: %(message)s",
                message=message)))
        return Outcome(TRANSIENT, http_status=outcome.http_status, message=message)
    company = outcome.details["answer"]["company"]
    session_id = str(answer.get("session_id", ""))[:40]
    return Outcome(ACCEPTED, http_status=200,
                   message=_("Logged in (session %(session)s); the connection test passed.",
                             session=session_id),
                   details={"token": token, "session_id": session_id,
                            "company_name": str(company.get("name", ""))[:120],
                            "company_number": str(company.get("number", ""))[:40]})


def _end_login(request, message):
    """Log out the login of a failed connection test; `message` with what became of it."""
    message = message.rstrip(". ")
    ended = _logout(request)
    if ended.kind == ACCEPTED:
        return str(_l("%(message)s. The login at SiNNO was ended again.", message=message))
    return str(_l("%(message)s. Ending the login at SiNNO failed as well (%(error)s); the "
                  "next login replaces it.", message=message, error=ended.message))


def _logout(request):
    response, outcome = api.call(request, "POST", LOGOUT_PATH, http.accepting(
        lambda d: d.get("status") == "logged_out"), api.bearer(request))
    if response is not None and response.status_code == 401:
        # SiNNO knows the token no more: the login has ended there already.
        return Outcome(ACCEPTED, http_status=401,
                       message=_("Logged out: the session had already ended at SiNNO."))
    return outcome


def _login_refused(outcome):
    if outcome.kind == PERMANENT and outcome.http_status == 401:
        outcome.message = str(_l("SiNNO refused the login: the ClientID or the Firmen-Nr. is "
                                 "not known (%(message)s).", message=outcome.message))
    return outcome


class SessionHandler(Handler):
    kind = KIND

    def prepare(self, row):
        if row.action == LOGIN:
            sealed = engine.unseal(row)
            body = json.loads(sealed) if sealed else None
            if body is None:
                raise CannotRun(str(_l("The data to send is gone; log in again.")))
            # On the last attempt a failed connection test ends the login (no retry uses it).
            last = row.attempts + 1 >= self.settings(current_app.config).max_attempts
            return api.request_for(row.subject_id, row.idempotency_key, body=body,
                                   about={"action": LOGIN, "last_attempt": last})
        return api.request_for(row.subject_id, row.idempotency_key, token=True,
                               about={"action": LOGOUT})

    def max_duration(self, request):
        return 2 * sum(http.TIMEOUTS) + 5

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        if request.about["action"] == LOGOUT:
            return _logout(request)
        response, outcome = api.call(request, "POST", LOGIN_PATH, http.accepting(_has_token),
                                     api.client_auth(request), json=request.body)
        if outcome.kind != ACCEPTED:
            return _login_refused(outcome)
        report({"step": "connection_test"})
        return _connection_test(request, outcome.details["answer"])

    def lookup(self, request, report):
        if request.about["action"] == LOGOUT:
            # Asking whether a logout arrived is logging out again: SiNNO answers a repeated
            # logout (same key, same token) as it answered the first.
            return _logout(request)
        response, outcome = api.call(request, "GET", f"{LOGIN_PATH}/by-key/{quote(request.key)}",
                                     http.accepting(_has_token), api.client_auth(request))
        outcome = api.found_by_key(response, outcome)
        if outcome.kind != ACCEPTED:
            return outcome
        report({"step": "connection_test"})
        return _connection_test(request, outcome.details["answer"])

    def accepted(self, row, outcome):
        login = api.login_of(row.subject_id)
        if login is None:
            login = SinnoLogin(service_id=row.subject_id)
            db.session.add(login)
        now = utcnow()
        if row.action == LOGIN:
            details = outcome.details
            login.state, login.token = LOGGED_IN, details["token"]
            login.session_id = details["session_id"]
            login.company_name = details["company_name"]
            login.company_number = details["company_number"]
            login.logged_in_at, login.logged_out_at = now, None
            row.progress = {"ok": True, "company": login.company_name or login.company_number}
        else:
            login.state, login.token, login.logged_out_at = LOGGED_OUT, None, now
            row.progress = {"ok": True}

    def failed(self, row, message, outcome):
        row.progress = {"ok": False, "error": message[:300]}


HANDLER = SessionHandler()
