"""Audoora's partner companies (issue 12 part 4): the list the portal forwards orders to, as
last fetched for a service, which of our companies each partner is, and which service an
order for a company takes — a company-specific ordering interface that is active wins over
Audoora (seed 002: "wird weiterhin über diese bestellt")."""
from ..companies.models import Company
from ..extensions import db
from ..interfaces.resolver import resolve, resolve_for_company
from ..ordering import routing
from .models import AudooraPartnerList

INTERFACE = "audoora_order"
# Groups whose services serve named companies and so take precedence over Audoora for
# them: the labs' ear-mould ordering (company assignment) and the vendor portals beside
# Audoora (Sivantos, by its supplier). Audoora itself names no company, so never matches.
PRECEDENCE_GROUPS = (routing.GROUP, "other_ordering")


def normalised(name):
    """A company name as the portal's and ours are compared: case and spacing ignored."""
    return " ".join((name or "").split()).casefold()


def partner_list_of(service):
    return db.session.scalar(db.select(AudooraPartnerList)
                             .where(AudooraPartnerList.service_id == service.id))


def partners_of(service):
    """The partners [{id, name}] as last fetched for `service`; None when never fetched."""
    found = partner_list_of(service)
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


def audoora_service_for(branch_id, today=None):
    """The active Audoora service for branch `branch_id` (the branch's, else the chain's;
    None: the chain's only), or None."""
    found = resolve(INTERFACE, branch=branch_id, today=today)
    return found.service if found is not None else None
