"""Rules for companies (Firmen) and their customer numbers (Kundennummern) per branch."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.orm import selectinload

from .. import references
from ..permissions import BRANCH_MANAGER, admin_only, can_edit_branch, is_admin, require_admin
from ..changelog import services as changelog
from ..errors import DomainError, InUse, PermissionDenied
from ..extensions import db
from ..org.models import Branch
from ..records import check_version, contains, flush_unique, save_changes
from .models import ORDER_FORMS, Company, CustomerNumber

COMPANY_FIELDS = (
    "name", "is_supplier", "is_manufacturer", "is_lab", "street", "postal_code", "city", "phone",
    "email", "ordering_active", "order_form", "order_email",
)
# Role filter value → column.
ROLES = {"supplier": "is_supplier", "manufacturer": "is_manufacturer", "lab": "is_lab"}
# A branch's customer number in the change log, by branch name so that entries stay
# readable after the branch is renamed or deleted.
NUMBER_LOG_PREFIX = "customer_number:"
UNKNOWN_BRANCHES = _l("Customer numbers were sent for branches that do not exist (any more). "
                      "Please reload the page.")


def rule_errors(data):
    """The rules that span several fields, as {field: message}; empty when all hold."""
    problems = {}
    if not any(data.get(column) for column in ROLES.values()):
        problems["is_supplier"] = _l("Choose at least one role.")
    if data.get("order_form") not in ORDER_FORMS:
        problems["order_form"] = _l("Not a valid choice.")
    elif data.get("ordering_active") and data["order_form"] == "document" and not data.get("order_email"):
        problems["order_email"] = _l("Enter the e-mail address that receives the orders.")
    return problems


def _check_rules(data, exclude_id=None):
    problems = rule_errors(data)
    if problems:
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)
    query = db.select(Company.id).where(func.lower(Company.name) == data["name"].lower())
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    if db.session.scalar(query) is not None:
        raise DomainError(_l("A company with this name already exists."), field="name")


# --- reading -----------------------------------------------------------------------------

def search_companies(q="", role=None, page=1, per_page=25):
    """Companies by name or city, optionally only those with a role (supplier, manufacturer, lab)."""
    query = db.select(Company).order_by(func.lower(Company.name), Company.id)
    if q:
        query = query.where(or_(contains(Company.name, q),
                                contains(Company.city, q)))
    if role in ROLES:
        query = query.where(getattr(Company, ROLES[role]).is_(True))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_company(company_id):
    """The company with its customer numbers loaded in the same round trip, or None."""
    return db.session.get(Company, company_id, options=[selectinload(Company.customer_numbers)])


def all_branches():
    return db.session.scalars(db.select(Branch).order_by(Branch.name)).all()


def company_actions(actor, company=None):
    """Companies are the administrators' (customer numbers: see may_edit_numbers)."""
    return admin_only(actor)


def may_edit_numbers(actor):
    """Administrators edit every branch's customer number, branch managers their branches'."""
    return is_admin(actor) or actor.role == BRANCH_MANAGER


def require_editor(actor):
    """Refuse users who may change nothing about companies (staff) before reading their input."""
    if not may_edit_numbers(actor):
        raise PermissionDenied(_l("Only administrators and branch managers may change companies."))


# --- writing -----------------------------------------------------------------------------

def _number_changes(actor, company, numbers, branches):
    """The customer numbers that differ from the stored ones, as (branch, old, new);
    refuses changes to branches the actor may not edit."""
    by_id = {branch.id: branch for branch in branches}
    stored = {entry.branch_id: entry.number for entry in company.customer_numbers}
    changes = []
    for branch_id, number in numbers.items():
        branch = by_id.get(branch_id)
        if branch is None:
            raise DomainError(UNKNOWN_BRANCHES)
        old = stored.get(branch_id, "")
        if number == old:
            continue
        if not can_edit_branch(actor, branch_id):
            raise PermissionDenied(_l("You may only change the customer numbers of your own branches."))
        changes.append((branch, old, number))
    return changes


def _apply_numbers(company, changes):
    entries = {entry.branch_id: entry for entry in company.customer_numbers}
    for branch, _old, new in changes:
        entry = entries.get(branch.id)
        if not new:
            company.customer_numbers.remove(entry)
        elif entry is None:
            company.customer_numbers.append(CustomerNumber(branch_id=branch.id, number=new))
        else:
            entry.number = new


def _number_log(changes):
    """Before/after values of the changed numbers for the change log."""
    before = {f"{NUMBER_LOG_PREFIX}{branch.name}": old for branch, old, _new in changes}
    after = {f"{NUMBER_LOG_PREFIX}{branch.name}": new for branch, _old, new in changes}
    return before, after


def create_company(actor, data, numbers=None):
    """A new company, with customer numbers for any branches; administrators only."""
    require_admin(actor)
    _check_rules(data)
    company = Company(**{name: data[name] for name in COMPANY_FIELDS}, updated_by=actor.name)
    changes = _number_changes(actor, company, numbers or {}, all_branches())
    db.session.add(company)
    _apply_numbers(company, changes)
    db.session.flush()
    _before, after = _number_log(changes)
    changelog.record(actor, "create", "company", company,
                     changelog.diff({}, {**changelog.snapshot(company, COMPANY_FIELDS), **after}))
    flush_unique(company)
    return company


def update_company(actor, company, data, numbers, version):
    """Save general data, order settings and customer numbers as one change. Administrators
    change everything; branch managers only their own branches' numbers. Returns False (and
    writes nothing) when nothing changed."""
    require_editor(actor)
    check_version(company, version)
    general_changed = bool(changelog.diff(changelog.snapshot(company, COMPANY_FIELDS),
                                          {name: data[name] for name in COMPANY_FIELDS}))
    if general_changed:
        require_admin(actor)
        _check_rules(data, exclude_id=company.id)
    changes = _number_changes(actor, company, numbers, all_branches())
    before, after = _number_log(changes)
    _apply_numbers(company, changes)
    # An entry that only changes one branch's number belongs to that branch's history too.
    branch = changes[0][0] if len(changes) == 1 and not general_changed else None
    return save_changes(actor, company, COMPANY_FIELDS, data, version, "company", branch=branch,
                        extra_before=before, extra_after=after)


def set_customer_number(actor, company, branch, number, rollout=None):
    """One branch's customer number at `company`, as a save of the company's numbers would
    change it (a roll-out enters it with the branch's service). `rollout`: named in the change
    log. Returns False (writing nothing) when it is the stored one."""
    require_editor(actor)
    changes = _number_changes(actor, company, {branch.id: number}, [branch])
    if not changes:
        return False
    before, after = _number_log(changes)
    _apply_numbers(company, changes)
    items = changelog.diff(before, after)
    if rollout is not None:
        items.insert(0, changelog.rolled_out(rollout))
    company.version += 1
    company.updated_by = actor.name
    changelog.record(actor, "update", "company", company, items, branch=branch)
    db.session.flush()
    return True


def company_references(company):
    """What still refers to a company, as human-readable strings. Customer numbers belong to
    the company and go with it; what the domains above answer (interface services naming it
    in a company or supplier field, orders for it as lab or supplier, processes that chose it
    at 'Bestellservice') and branches that preselect it as their ear-mould lab keep it."""
    found = references.referring("company", company)
    branches = db.session.scalars(
        db.select(Branch.name).where(Branch.ear_mould_lab_id == company.id)
        .order_by(Branch.name)).all()
    if branches:
        found.append(_l("predefined ear-mould lab of: %(names)s", names=", ".join(branches)))
    return found


def delete_company(actor, company):
    require_admin(actor)
    refs = company_references(company)
    if refs:
        raise InUse(_l("The company is still in use (%(refs)s).", refs="; ".join(str(r) for r in refs)))
    changelog.record(actor, "delete", "company", company)
    db.session.delete(company)
    db.session.flush()


# --- answers for the layers below (registered by the factory) ----------------------------

def labs(current_id=None):
    """(id, name) of the companies with the lab role by name, plus the company `current_id`
    (registered with org: the choices of a branch's predefined ear-mould lab)."""
    query = db.select(Company.id, Company.name).order_by(func.lower(Company.name))
    query = query.where(or_(Company.is_lab.is_(True), Company.id == current_id) if current_id
                        else Company.is_lab.is_(True))
    return db.session.execute(query).all()


def numbers_at_branch(branch):
    """The companies with a customer number at the branch: they keep it from being deleted."""
    names = db.session.scalars(
        db.select(Company.name).join(CustomerNumber).where(CustomerNumber.branch_id == branch.id)
    ).all()
    return [_l("customer numbers at: %(names)s", names=", ".join(sorted(names)))] if names else []
