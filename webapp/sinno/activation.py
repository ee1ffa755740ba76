"""Kundenfreischaltung: switching a customer's SiNNO app access on and off, as outbound work
of kind `sinno_customer` on the customer (one run at a time per customer).

Switching on needs a mobile number and an e-mail address that no other activated customer
uses: checked when it starts, and held by unique columns while it runs and holds, so two
people activating two customers with one number at once get one refusal. SiNNO sends the
customer the app's activation code (by SMS to the mobile number, and by e-mail); we never see
it. After no answer the engine asks SiNNO by the row's key, so nobody is activated twice."""
import re
from urllib.parse import quote

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from ..customers import services as customer_services
from ..customers.models import Customer
from ..errors import DomainError, PermissionDenied
from ..extensions import db
from ..interfaces.models import InterfaceService
from ..models_base import utcnow
from ..outbound import engine, http
from ..outbound.handlers import ACCEPTED, CannotRun, Handler, Outcome
from ..outbound.models import OPEN_STATES, Outbound
from . import api
from .models import (ACTIVATING, ACTIVATION_FAILED, ACTIVE, DEACTIVATING, HOLDS_CONTACT,
                     INACTIVE, SinnoActivation)

KIND = "sinno_customer"
SUBJECT = "customer"
ACTIVATE, DEACTIVATE = "activate", "deactivate"
PATH = "/customers"

NO_ACCOUNT = _l("No logged-in SiNNO-App service serves this customer's branch: log one in "
                "first (Schnittstellen → SiNNO-App → Anmelden).")


def normal_mobile(value):
    """A mobile number as compared: digits with a leading +, "00" read as "+"."""
    digits = re.sub(r"[\s\-/().]", "", value or "")
    return "+" + digits[2:] if digits.startswith("00") else digits


def normal_email(value):
    return (value or "").strip().lower()


def activation_of(customer):
    return db.session.scalar(db.select(SinnoActivation)
                             .where(SinnoActivation.customer_id == customer.id))


def account_for(customer):
    """The SiNNO-App service a customer's app talks to: the one they were activated
    through while they are, else the one serving their branch."""
    found = activation_of(customer)
    if found is not None and found.state in HOLDS_CONTACT and found.account_id is not None:
        return db.session.get(InterfaceService, found.account_id)
    return api.app_service_for(customer.branch_id)


def latest_run(customer):
    return db.session.scalar(db.select(Outbound).where(
        Outbound.kind == KIND, Outbound.subject_type == SUBJECT,
        Outbound.subject_id == customer.id).order_by(Outbound.id.desc()).limit(1))


def state(actor, customer):
    """What the customer's SiNNO-App tab shows of the access: the activation (or None), the
    last run, whether it runs, what may be done now and why not."""
    found = activation_of(customer)
    run = latest_run(customer)
    running = run is not None and run.state in OPEN_STATES
    account = account_for(customer)
    logged_in = account is not None and api.is_logged_in(account.id)
    active = found is not None and found.state == ACTIVE
    may = customer_services.may_edit(actor, customer)
    return dict(activation=found, run=run, running=running, account=account,
                waiting=api.retrying(run) if running else "",
                logged_in=logged_in, active=active,
                may_activate=may and logged_in and not running and not active,
                may_deactivate=may and logged_in and not running and active,
                may_edit=may, problems=problems(customer) if not active else [])


def problems(customer):
    """Why the customer cannot be activated as they are: missing mobile number or e-mail
    address, or one another activated customer uses — never naming that customer, whom the
    person asking has no business knowing."""
    found = []
    mobile, email = normal_mobile(customer.mobile), normal_email(customer.email)
    if not mobile:
        found.append(_("The customer has no mobile number."))
    if not email:
        found.append(_("The customer has no e-mail address."))
    for column, value, words in (
            (SinnoActivation.held_mobile, mobile,
             _l("The mobile number %(value)s is already linked to another customer's SiNNO "
                "app. Ask the customer who else uses it: that customer's app access must be "
                "switched off first, by their branch or an administrator.")),
            (SinnoActivation.held_email, email,
             _l("The e-mail address %(value)s is already linked to another customer's SiNNO "
                "app. Ask the customer who else uses it: that customer's app access must be "
                "switched off first, by their branch or an administrator."))):
        if value and db.session.scalar(db.select(SinnoActivation.id).where(
                column == value, SinnoActivation.customer_id != customer.id).limit(1)):
            found.append(str(words) % {"value": value})
    return found


def _may(actor, customer):
    if not customer_services.may_edit(actor, customer):
        raise PermissionDenied(_l("You may only change customers of your own branches."))


def _start(actor, customer, action, activation):
    row, created = engine.start(KIND, SUBJECT, customer.id, action=action,
                                exclusive_key=f"{SUBJECT}:{customer.id}:{KIND}",
                                requested_by=actor.name)
    if not created:
        raise DomainError(str(_l("Switching this customer's app access is running; wait "
                                 "until it ends.")))
    activation.updated_by = actor.name[:120]
    return row


def activate(actor, customer):
    """Kundenfreischaltung: switch the customer's app access on (SiNNO sends the code).
    DomainError with the reason when it cannot be done."""
    _may(actor, customer)
    account = account_for(customer)
    if account is None or not api.is_logged_in(account.id):
        raise DomainError(str(NO_ACCOUNT))
    found = problems(customer)
    if found:
        raise DomainError(" ".join(found))
    activation = activation_of(customer)
    if activation is not None and activation.state in HOLDS_CONTACT:
        raise DomainError(str(_l("The customer's app access is on already.")))
    if activation is None:
        activation = SinnoActivation(customer_id=customer.id)
        db.session.add(activation)
    activation.account_id, activation.state, activation.error = account.id, ACTIVATING, ""
    activation.mobile, activation.email = customer.mobile.strip(), customer.email.strip()
    activation.held_mobile = normal_mobile(customer.mobile)
    activation.held_email = normal_email(customer.email)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another customer took the number or address a moment ago.
        raise DomainError(" ".join(problems(customer)) or str(_l(
            "The mobile number or e-mail address is used by another activated customer."))) \
            from None
    return _start(actor, customer, ACTIVATE, activation)


def deactivate(actor, customer):
    """Switch the customer's app access off."""
    _may(actor, customer)
    activation = activation_of(customer)
    if activation is None or activation.state != ACTIVE:
        raise DomainError(str(_l("The customer's app access is not on.")))
    activation.state, activation.error = DEACTIVATING, ""
    return _start(actor, customer, DEACTIVATE, activation)


class CustomerHandler(Handler):
    """Both directions look up by key after no answer: SiNNO remembers every customer write
    by its key."""
    kind = KIND

    def prepare(self, row):
        customer = db.session.get(Customer, row.subject_id)
        activation = activation_of(customer) if customer is not None else None
        if activation is None or activation.account_id is None:
            raise CannotRun(str(_l("The customer or their app access is gone.")))
        body = None
        if row.action == ACTIVATE:
            body = {"customer_ref": str(customer.id), "first_name": customer.first_name,
                    "last_name": customer.last_name, "mobile": activation.mobile,
                    "email": activation.email}
        return api.request_for(activation.account_id, row.idempotency_key, token=True,
                               body=body, about={"action": row.action,
                                                 "customer_ref": str(customer.id)})

    def can_lookup(self, request):
        return True

    def submit(self, request, report):
        if request.about["action"] == ACTIVATE:
            _response, outcome = api.call(request, "POST", PATH, http.accepting(
                lambda d: d.get("status") == "active"), api.bearer(request), json=request.body)
            return outcome
        response, outcome = api.call(
            request, "DELETE", f"{PATH}/{quote(request.about['customer_ref'])}",
            http.accepting(lambda d: d.get("status") == "deactivated"), api.bearer(request))
        if response is not None and response.status_code == 404:
            # SiNNO has no active customer of that reference: the access is off.
            return Outcome(ACCEPTED, http_status=404,
                           message=_("Deactivated: the customer was not active at SiNNO."),
                           details={"answer": {"status": "deactivated"}})
        return outcome

    def lookup(self, request, report):
        response, outcome = api.call(request, "GET", f"{PATH}/by-key/{quote(request.key)}",
                                     http.accepting(lambda d: d.get("status")),
                                     api.bearer(request))
        return api.found_by_key(response, outcome)

    def accepted(self, row, outcome):
        activation = db.session.scalar(db.select(SinnoActivation).where(
            SinnoActivation.customer_id == row.subject_id))
        if activation is None:
            return
        answer = outcome.details.get("answer") or {}
        now = utcnow()
        if row.action == ACTIVATE:
            activation.state, activation.activated_at = ACTIVE, now
            activation.partner_id = str(answer.get("customer_id") or "")[:40]
            sent_to = answer.get("activation_code_sent_to") or {}
            row.progress = {"ok": True, "sms": str(sent_to.get("sms") or "")[:40],
                            "email": str(sent_to.get("email") or "")[:254]}
        else:
            activation.state, activation.deactivated_at = INACTIVE, now
            activation.held_mobile = activation.held_email = None
            row.progress = {"ok": True}
        activation.error = ""

    def failed(self, row, message, outcome):
        activation = db.session.scalar(db.select(SinnoActivation).where(
            SinnoActivation.customer_id == row.subject_id))
        if activation is not None:
            if row.action == ACTIVATE:
                activation.state = ACTIVATION_FAILED
                activation.held_mobile = activation.held_email = None
            else:  # still on at SiNNO as far as we know
                activation.state = ACTIVE
            activation.error = message[:1000]
        row.progress = {"ok": False, "error": message[:300]}


HANDLER = CustomerHandler()
