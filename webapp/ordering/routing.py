"""Which service and supplier an ear-mould order uses — seed 001, rule by rule.

1. No company chosen at the process's 'Bestellservice' step → no order.
2. Company chosen → the active ordering service whose company assignment (Firmenbelegung)
   contains it: the process's branch first, then chain-wide (resolver.resolve_for_company).
   One process position works for every lab.
3. The service names a supplier → the order is for it.
4. It names none → the user must choose a supplier before the order is created.

`route()` answers with every step it took, so the routing preview can show *why*.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..companies.models import Company
from ..extensions import db
from ..interfaces.resolver import resolve_for_company
from ..interfaces.services import interface_name

GROUP = "ear_mould_ordering"


@dataclass
class Route:
    """The outcome of routing. `ok`: an order can be created as it stands. `problem` says
    why not and `problem_field` which input it belongs to ("company_id" or "supplier_id")."""

    company: Company | None = None
    resolution: object = None  # interfaces.resolver.Resolution of the chosen service
    supplier: Company | None = None
    supplier_from_service: bool = False
    problem: str | None = None
    problem_field: str | None = None
    reasons: list = field(default_factory=list)  # readable steps, in order

    @property
    def ok(self):
        return self.problem is None

    @property
    def service(self):
        return self.resolution.service if self.resolution is not None else None

    @property
    def interface(self):
        return self.resolution.interface if self.resolution is not None else None

    @property
    def needs_supplier(self):
        return self.resolution is not None and not self.supplier_from_service


def _company(company_id):
    return db.session.get(Company, company_id) if company_id else None


def route(process, company_id=None, supplier_id=None, today=None):
    """Route an order of `process` to a service and supplier. `company_id` / `supplier_id`
    default to what its 'Bestellservice' step holds."""
    step = process.order_step
    result = Route()
    if step is None:
        result.problem = _l("The process has no 'Bestellservice' step, so nothing can be "
                            "ordered from it.")
        return result
    company_id = company_id if company_id is not None else step.company_id
    supplier_id = supplier_id if supplier_id is not None else step.supplier_id
    result.company = _company(company_id)
    if result.company is None:
        result.problem = _l("No company is chosen, so no order is created. Choose the lab at "
                            "the step 'Bestellservice'.")
        result.problem_field = "company_id"
        return result
    result.resolution = resolve_for_company(GROUP, result.company.id, branch=process.branch_id,
                                            today=today)
    if result.resolution is None:
        result.problem = _l(
            "No active ear-mould ordering service of branch %(branch)s or of the chain has "
            "%(company)s in its company assignment. An administrator sets this up under "
            "Interfaces → Ear-mould ordering.",
            branch=process.branch.name, company=result.company.name)
        result.problem_field = "company_id"
        return result
    service = result.resolution.service
    where = (_l("of branch %(branch)s", branch=service.branch.name)
             if service.branch_id is not None else _l("of the chain"))
    result.reasons.append(_l(
        "%(company)s is in the company assignment of the service “%(service)s” "
        "(%(interface)s) %(where)s.",
        company=result.company.name, service=service.name,
        interface=interface_name(result.resolution.interface), where=where))
    named = _company(result.resolution.value("supplier"))
    if named is not None:
        result.supplier, result.supplier_from_service = named, True
        result.reasons.append(_l("The service names the supplier %(supplier)s: the order is "
                                 "for it.", supplier=named.name))
        return result
    result.reasons.append(_l("The service names no supplier: choose one before ordering."))
    chosen = _company(supplier_id)
    if chosen is None:
        result.problem = _l("Choose the supplier this order is for.")
        result.problem_field = "supplier_id"
    elif not chosen.is_supplier:
        result.problem = _l("%(company)s is not a supplier.", company=chosen.name)
        result.problem_field = "supplier_id"
    else:
        result.supplier = chosen
        result.reasons.append(_l("Chosen supplier: %(supplier)s.", supplier=chosen.name))
    return result
