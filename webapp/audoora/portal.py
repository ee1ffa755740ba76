"""Talking to Audoora's portal (docs/partners/audoora.md) as outbound work: the registration
and its refresh (kind `audoora_registration`: one call per attempt, the row's idempotency key
on every call, a lookup by key after no answer) and fetching the partner list (kind
`audoora_partners`, a read that is safe to repeat). The engine retries both."""
import json
from dataclasses import dataclass, replace
from urllib.parse import quote

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import outbound_policy
from ..extensions import db
from ..interfaces import services
from ..interfaces.models import InterfaceService
from ..models_base import utcnow
from ..outbound.http import json_object
from ..outbound import engine
from ..outbound.handlers import (ACCEPTED, AMBIGUOUS, NOT_FOUND, PERMANENT, TRANSIENT,
                                 CannotRun, Handler, Outcome)
from . import http, partners
from .models import AudooraPartnerList, AudooraRegistration
from .registration import KIND, REFRESH, fingerprint

PATH = "/api/v1/registration"
PARTNERS_PATH = "/api/v1/partners"
NAME_LIMIT = 120


@dataclass(frozen=True)
class PortalRequest:
    base: str
    username: str
    password: str
    key: str
    policy: object
    body: dict | None = None   # the registration's sealed body; None for a read
    refresh: bool = False

    def __repr__(self):  # never print the password
        return f"PortalRequest({self.base!r}, refresh={self.refresh})"


def _answer(response, host):
    """The Outcome of an answer of the portal to a registration, refresh or lookup."""
    status = response.status_code
    data = json_object(response) or {}
    if status in (200, 201) and data.get("registration_id"):
        return Outcome(ACCEPTED, http_status=status, details={"answer": data},
                       message=_("Registered (registration %(id)s, revision %(revision)s).",
                                 id=data["registration_id"], revision=data.get("revision")))
    return http.refused(response, host)


def _partners_answer(response, host):
    """The Outcome of an answer to the partner list: the partners [{id, name}] named, as
    text of bounded length; entries without a name are left out."""
    data = json_object(response) or {}
    found = data.get("partners")
    if response.status_code != 200 or not isinstance(found, list):
        if response.status_code == 200:
            return Outcome(PERMANENT, http_status=200,
                           message=str(_l("%(host)s: the answer has no partner list",
                                          host=host)))
        return http.refused(response, host)
    listed = [{"id": str(p.get("id") or "")[:NAME_LIMIT], "name": str(p["name"])[:NAME_LIMIT]}
              for p in found if isinstance(p, dict) and str(p.get("name") or "").strip()]
    return Outcome(ACCEPTED, http_status=200,
                   message=_("%(count)s partner companies fetched.", count=len(listed)),
                   details={"partners": listed})


def _with_body(outcome, request):
    if outcome.kind == ACCEPTED:
        outcome.details["sent"] = request.body
    return outcome


class PortalHandler(Handler):
    """What both kinds share: the service's access data, and one HTTP call with Basic auth
    and the row's idempotency key under the operator's outbound policy."""

    def _request(self, row, **extra):
        service = db.session.get(InterfaceService, row.subject_id)
        if service is None:
            raise CannotRun(str(_l("The service was deleted.")))
        values = services.service_values(service)
        base = (values.get("base_url") or "").strip().rstrip("/")
        password = services.stored_secret(service, "password") \
            if "password" in service.secret_keys else None
        if not base or not (values.get("username") or "").strip() or not password:
            raise CannotRun(str(_l("The service has no Basis-URL, user name or password.")))
        return PortalRequest(base=base, username=values["username"].strip(),
                             password=password, key=row.idempotency_key,
                             policy=outbound_policy.from_config(current_app.config), **extra)

    def max_duration(self, request):
        return sum(http.TIMEOUTS) + 5

    def _call(self, request, method, url, answer=_answer, **kwargs):
        return http.call(request, method, url, answer, **kwargs)

    def failed(self, row, message, outcome):
        row.progress = {"ok": False, "error": message[:300]}


class RegistrationHandler(PortalHandler):
    kind = KIND

    def prepare(self, row):
        request = self._request(row, refresh=row.action == REFRESH)
        sealed = engine.unseal(row)
        if not sealed:
            raise CannotRun(str(_l("The data to send is gone; start the registration again.")))
        return replace(request, body=json.loads(sealed))

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        _response, outcome = self._call(request, "PUT" if request.refresh else "POST",
                                        request.base + PATH, json=request.body)
        return _with_body(outcome, request)

    def lookup(self, request, report):
        response, outcome = self._call(request, "GET",
                                       f"{request.base}{PATH}/by-key/{quote(request.key)}")
        if response is not None and response.status_code == 404:
            return Outcome(NOT_FOUND, http_status=404, message=_("Not arrived; sending it now."))
        if outcome.kind == AMBIGUOUS:  # a lookup sends nothing: no answer is just transient
            return Outcome(TRANSIENT, message=outcome.message)
        return _with_body(outcome, request)

    def accepted(self, row, outcome):
        """The portal holds the data: now ours says so too (same transaction as the row)."""
        answer = outcome.details["answer"]
        sent = outcome.details["sent"]  # the sealed body: the row's seal is dropped by now
        registration = db.session.scalar(db.select(AudooraRegistration).where(
            AudooraRegistration.service_id == row.subject_id))
        now = utcnow()
        if registration is None:
            registration = AudooraRegistration(service_id=row.subject_id, registered_at=now)
            db.session.add(registration)
        elif row.action == REFRESH:
            registration.refreshed_at = now
        branches = [b for b in answer.get("branches") or [] if isinstance(b, dict)]
        registration.registration_id = str(answer["registration_id"])[:40]
        registration.revision = int(answer.get("revision") or 1)
        registration.sent, registration.fingerprint = sent, fingerprint(sent)
        registration.portal_branches = [
            {key: str(b.get(key, ""))[:120] for key in ("ref", "name", "portal_id")}
            for b in branches]
        row.progress = {"ok": True, "registration_id": registration.registration_id,
                        "branches": len(branches)}
        # Which partners the portal forwards to is what the editor checks the companies
        # against: fetched anew with every registration, committed with this result.
        partners.fetch(row.subject_id, row.requested_by)


class PartnersHandler(PortalHandler):
    """"Partnerliste abrufen": a read, so a run interrupted mid-call simply runs again."""
    kind = partners.KIND
    repeat_is_safe = True

    def prepare(self, row):
        return self._request(row)

    def submit(self, request, report):
        _response, outcome = self._call(request, "GET", request.base + PARTNERS_PATH,
                                        answer=_partners_answer)
        return outcome

    def accepted(self, row, outcome):
        """Keep the list as the portal gave it (same transaction as the row)."""
        listed = outcome.details["partners"]
        stored = partners.partner_list_of(row.subject_id)
        if stored is None:
            stored = AudooraPartnerList(service_id=row.subject_id)
            db.session.add(stored)
        stored.partners, stored.fetched_at = listed, utcnow()
        row.progress = {"ok": True, "partners": len(listed)}


HANDLER = RegistrationHandler()
PARTNERS_HANDLER = PartnersHandler()
