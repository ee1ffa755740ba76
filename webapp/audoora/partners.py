"""Audoora's partner companies (issue 12 part 4): the list the portal forwards orders to, as
last fetched for a service ("Partnerliste abrufen", kind `audoora_partners`), which of our
companies each partner is, and which service an order for a company takes — a
company-specific ordering interface that is active wins over Audoora (seed 002: "wird
weiterhin über diese bestellt").

Beside the action the editor checks each partner as the seed asks: the company exists in
Stammdaten, its order form is the interface and it has a customer number for each branch
that orders through the service, with a link to fix what is missing."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..companies.forms import ORDER_FORM_LABELS
from ..companies.models import Company
from ..errors import DomainError
from ..extensions import db
from ..interfaces import actions, catalogue, services
from ..interfaces.resolver import company_resolver, resolve, resolve_for_company
from ..ordering import routing
from ..org.models import Branch
from ..outbound import engine
from ..outbound.models import DONE, OPEN_STATES
from ..permissions import is_admin
from .models import AudooraPartnerList

INTERFACE = "audoora_order"
LOAD = "load_partners"
KIND = "audoora_partners"
INTERFACE_FORM = "interface"  # Company.order_form "Schnittstelle"

NEEDS_ACCESS = _l("Fill in and save the Basis-URL, the user name and the password first.")
# Groups whose services serve named companies and so take precedence over Audoora for
# them: the labs' ear-mould ordering (company assignment) and the vendor portals beside
# Audoora (Sivantos, by its supplier). Audoora itself names no company, so never matches.
PRECEDENCE_GROUPS = (routing.GROUP, "other_ordering")


def normalised(name):
    """A company name as the portal's and ours are compared: case and spacing ignored."""
    return " ".join((name or "").split()).casefold()


def partner_list_of(service_id):
    return db.session.scalar(db.select(AudooraPartnerList)
                             .where(AudooraPartnerList.service_id == service_id))


def partners_of(service):
    """The partners [{id, name}] as last fetched for `service`; None when never fetched."""
    found = partner_list_of(service.id)
    return None if found is None else list(found.partners or [])


def partner_for(service, company):
    """The partner {id, name} of `service`'s list that is `company` (by name), or None."""
    name = normalised(company.name)
    return next((partner for partner in partners_of(service) or []
                 if normalised(partner.get("name")) == name), None)


def companies_by_name(names):
    """{normalised name: Company} of our companies bearing one of `names`."""
    wanted = {normalised(name) for name in names}
    if not wanted:
        return {}
    found = {}
    for company in db.session.scalars(db.select(Company).order_by(Company.id)):
        key = normalised(company.name)
        if key in wanted:
            found.setdefault(key, company)
    return found


def specific_service_for(company, branch_id, today=None):
    """The active company-specific ordering service that takes an order for `company` at
    branch `branch_id` (None: chain-wide) instead of Audoora — the branch's first, then the
    chain's — or None when Audoora takes it."""
    company_id = company.id if isinstance(company, Company) else company
    for group in PRECEDENCE_GROUPS:
        found = resolve_for_company(group, company_id, branch=branch_id, today=today)
        if found is not None:
            return found.service
    return None


def specific_services_at(branch_ids, today=None):
    """specific_service_for at once for every company at each of `branch_ids`: a lookup
    (company id, branch id) → service or None, read in a fixed number of statements (the
    partner check asks it for every partner at every branch)."""
    today = today or services.chain_today()
    lookups = [company_resolver(group, branch_ids, today) for group in PRECEDENCE_GROUPS]

    def lookup(company_id, branch_id):
        for resolver in lookups:
            found = resolver(company_id, branch_id)
            if found is not None:
                return found.service
        return None
    return lookup


def audoora_service_for(branch_id, today=None):
    """The active Audoora service for branch `branch_id` (the branch's, else the chain's;
    None: the chain's only), or None."""
    found = resolve(INTERFACE, branch=branch_id, today=today)
    return found.service if found is not None else None


# --- fetching ---------------------------------------------------------------------------------

def fetch(service_id, requested_by):
    """Start fetching the partner list of service `service_id`, or return the fetch already
    going: (row, created). Committed by the caller."""
    return engine.start(KIND, actions.SUBJECT, service_id, action=LOAD,
                        exclusive_key=f"{actions.SUBJECT}:{service_id}:{KIND}",
                        requested_by=requested_by)


def _start(actor, service, action_key, form):
    """"Partnerliste abrufen" (actions.start has checked that `actor` may edit it)."""
    values = services.service_values(service)
    if not all((values.get(key) or "").strip() for key in ("base_url", "username")) or \
            "password" not in service.secret_keys:
        raise DomainError(str(NEEDS_ACCESS))
    return fetch(service.id, actor.name)


def summary(row):
    """A fetch in words: how many partners, trying again, or why it failed."""
    if row.state in OPEN_STATES:
        if row.last_error:
            return _("Audoora is not reachable right now (%(message)s). Trying again "
                     "automatically.", message=row.last_error)
        return _("Fetching the partner list from Audoora …")
    if row.state == DONE:
        return _("%(count)s partner companies fetched.",
                 count=(row.progress or {}).get("partners", 0))
    return _("Partner list not fetched: %(message)s", message=row.last_error or _("Failed."))


# --- the check beside the action ----------------------------------------------------------------

def ordering_branches(service):
    """The branches that order through `service`: its branch, or every branch."""
    query = db.select(Branch).order_by(Branch.name)
    if service.scope_branch_id is not None:
        query = query.where(Branch.id == service.scope_branch_id)
    return db.session.scalars(query).all()


def check(actor, service):
    """Each partner of the last fetched list against our master data: {partner, company,
    order_form_ok, order_form, missing_numbers [branch], precedence [{service, branch,
    readable}], ok}; None when the list was never fetched."""
    stored = partner_list_of(service.id)
    if stored is None:
        return None
    branches = ordering_branches(service)
    found = companies_by_name(p.get("name") for p in stored.partners or [])
    if found:
        db.session.scalars(db.select(Company).where(
            Company.id.in_([c.id for c in found.values()]))
            .options(selectinload(Company.customer_numbers))).all()
    specific = specific_services_at([b.id for b in branches])
    rows = []
    for partner in stored.partners or []:
        company = found.get(normalised(partner.get("name")))
        row = dict(partner=partner, company=company, order_form_ok=False, order_form="",
                   missing_numbers=[], precedence=[])
        if company is not None:
            row["order_form_ok"] = company.order_form == INTERFACE_FORM
            row["order_form"] = str(ORDER_FORM_LABELS.get(company.order_form,
                                                          company.order_form))
            row["missing_numbers"] = [b for b in branches
                                      if not (company.customer_number_for(b.id) or "").strip()]
            row["precedence"] = _precedence(actor, company, branches, specific)
        row["ok"] = (company is not None and row["order_form_ok"]
                     and not row["missing_numbers"] and not row["precedence"])
        rows.append(row)
    return dict(rows=rows, fetched_at=stored.fetched_at, branches=branches,
                ready=sum(1 for row in rows if row["ok"]))


def _precedence(actor, company, branches, specific_service):
    """The active company-specific services that keep taking `company`'s orders instead of
    Audoora, each with the branches it does so in (or chain-wide when it is the chain's);
    `specific_service` is specific_services_at's lookup for `branches`."""
    held = {}
    for branch in branches:
        specific = specific_service(company.id, branch.id)
        if specific is None:
            continue
        entry = held.setdefault(specific.id, dict(
            service=specific, branches=[],
            interface=services.interface_name(catalogue.get_interface(specific.interface_key)),
            readable=services.may_read_service(actor, specific)))
        entry["branches"].append(branch)
    return list(held.values())


def panel(actor, service, action_key):
    """The partner check beside "Partnerliste abrufen"."""
    return "audoora/_partners.html", dict(
        partner_check=check(actor, service), may_create_company=is_admin(actor),
        interface_form=str(ORDER_FORM_LABELS[INTERFACE_FORM]))


RUNNER = actions.ActionRunner(kind=KIND, start=_start, panel=panel, summary=summary)


def register_runner():
    """Make "Partnerliste abrufen" of the Audoora type run here (called by the factory)."""
    actions.register_runner(INTERFACE, LOAD, RUNNER)
