"""One call to SiNNO's app API (docs/partners/sinno.md), as every kind of SiNNO work makes
it: outbound.http's call under the operator's policy, the run's idempotency key, and the
credentials the call needs — ClientID and Firmen-Nr. for the login and its lookup, the
bearer token for everything else. No call here retries: the engine decides."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import outbound_policy
from ..extensions import db
from ..interfaces import resolver, services
from ..interfaces.models import InterfaceService
from ..outbound import http
from ..outbound.handlers import AMBIGUOUS, NOT_FOUND, TRANSIENT, CannotRun, Outcome
from .models import EXPIRED, LOGGED_IN, SinnoLogin

APP = "sinno_app"
CHAT = "sinno_chat"


@dataclass(frozen=True)
class ApiRequest:
    base: str
    key: str
    policy: object
    client_id: str = ""
    company_number: str = ""
    token: str | None = None
    body: dict | None = None
    # Plain values the kind needs after the call (ids, the sync's cursor); never a secret.
    about: dict = field(default_factory=dict)

    def __repr__(self):  # never print the token
        return f"ApiRequest({self.base!r}, {self.about!r})"


def account_values(service):
    """(server, client id, company number) of a SiNNO-App service, stripped."""
    values = services.service_values(service)
    return tuple((values.get(key) or "").strip() for key in ("server", "client_id",
                                                            "company_number"))


def login_of(service_id):
    return db.session.scalar(db.select(SinnoLogin).where(SinnoLogin.service_id == service_id))


def is_logged_in(service_id):
    login = login_of(service_id)
    return login is not None and login.state == LOGGED_IN


def expire(account):
    """SiNNO no longer takes the account's token (401): it has to log in again. The token
    is dropped; the state says why the chat stopped."""
    login = login_of(account.id) if account is not None else None
    if login is not None and login.state == LOGGED_IN:
        login.state, login.token = EXPIRED, None


def app_service_for(branch_id):
    """The active SiNNO-App service that applies at a branch (its own, else the chain's;
    branch_id None: the chain's), or None."""
    found = resolver.resolve(APP, branch=branch_id)
    return found.service if found is not None else None


def request_for(service_id, key, token=False, **extra):
    """The request of a run on the SiNNO-App service `service_id`: its server and client
    credentials and, with `token`, the login's token. CannotRun when it is gone, incomplete
    or not logged in."""
    service = db.session.get(InterfaceService, service_id)
    if service is None:
        raise CannotRun(str(_l("The SiNNO-App service was deleted.")))
    server, client_id, company_number = account_values(service)
    if not (server and client_id and company_number):
        raise CannotRun(str(_l("The SiNNO-App service has no Server, ClientID or Firmen-Nr.")))
    secret = None
    if token:
        login = login_of(service_id)
        secret = login.token if login is not None and login.state == LOGGED_IN else None
        if not secret:
            raise CannotRun(str(_l("The SiNNO-App service is not logged in.")))
    return ApiRequest(base=server.rstrip("/"), key=key,
                      policy=outbound_policy.from_config(current_app.config),
                      client_id=client_id, company_number=company_number, token=secret,
                      **extra)


def client_auth(request):
    return {"X-Client-Id": request.client_id, "X-Company-Number": request.company_number}


def bearer(request):
    return {"Authorization": f"Bearer {request.token}"}


def call(request, method, path, answer, auth, **kwargs):
    """(response or None, Outcome) of one call to `path` below the service's Server."""
    headers = {**auth, "Idempotency-Key": request.key, "Accept": "application/json"}
    return http.call(request.policy, request.base, method, request.base + path, headers,
                     answer, **kwargs)


def retrying(row):
    """What a run waiting for SiNNO says, or "" while it has not been refused yet."""
    if not row.last_error:
        return ""
    return _("SiNNO is not reachable right now (%(message)s). Trying again automatically; "
             "nothing happens twice.", message=row.last_error)


def found_by_key(response, outcome):
    """A lookup by key: 404 means the call never arrived; no answer to a lookup (which sends
    nothing) is simply transient."""
    if response is not None and response.status_code == 404:
        return Outcome(NOT_FOUND, http_status=404, message=_("Not arrived; sending it now."))
    if outcome.kind == AMBIGUOUS:
        return Outcome(TRANSIENT, message=outcome.message)
    return outcome
