"""Rules for customers (Kunden): who may change which customer, the customer number, and
when a customer may go."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from .. import references
from ..permissions import branch_scope, can_edit_branch, is_admin
from ..changelog import services as changelog
from ..errors import DomainError, InUse, PermissionDenied
from ..extensions import db
from ..org.models import Branch
from ..org.services import chain_settings
from ..records import check_version, contains, flush_unique, page_of, paged, read, save_changes
from .models import Customer

CUSTOMER_FIELDS = (
    "salutation", "first_name", "last_name", "street", "postal_code", "city", "phone", "mobile",
    "email", "note", "branch_id",
)
# Salutation codes; the form shows them as words (forms.SALUTATION_LABELS).
SALUTATIONS = ("", "ms", "mr")


# What the customer search looks in.
SEARCHED = (Customer.last_name, Customer.first_name, Customer.number, Customer.city,
            Customer.phone, Customer.mobile, Customer.email)


def customer_number(customer_id):
    """The Kundennummer of a customer id: K-000042."""
    return f"K-{customer_id:06d}"


# --- who may do what ---------------------------------------------------------------------

def may_edit_branch_customers(actor, branch_id):
    """Administrators change every customer; branch managers and staff those of their own
    branches."""
    return is_admin(actor) or branch_id in actor.branch_ids


def may_edit(actor, customer):
    return may_edit_branch_customers(actor, customer.branch_id)


def may_delete(actor, customer):
    """Deleting is for administrators and the managers of the customer's branch."""
    return can_edit_branch(actor, customer.branch_id)


def may_create_among(actor, branches):
    """Whether the actor may add a customer to one of `branches` (rows or records with an
    id: the list's branch filter, every branch), without reading the branches again."""
    return any(may_edit_branch_customers(actor, branch.id) for branch in branches)


def editable_branches(actor):
    """The branches the actor may look after customers of, by name."""
    query = db.select(Branch).order_by(func.lower(Branch.name), Branch.id)
    if not is_admin(actor):
        query = query.where(Branch.id.in_(actor.branch_ids or {0}))
    return db.session.scalars(query).all()


def require_editor(actor, customer=None):
    """Refuse users who may not change this customer (or, for a new one, any customer)
    before reading their input."""
    if customer is not None and not may_edit(actor, customer):
        raise PermissionDenied(_l("You may only change customers of your own branches."))
    if customer is None and not (is_admin(actor) or actor.branch_ids):
        raise PermissionDenied(_l("You may only change customers of your own branches."))


def _check_branch(actor, branch_id):
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise DomainError(_l("Choose an existing branch."), field="branch_id")
    if not may_edit_branch_customers(actor, branch.id):
        raise PermissionDenied(_l("You may only change customers of your own branches."))
    return branch


def _check_salutation(data):
    if data.get("salutation", "") not in SALUTATIONS:
        raise DomainError(_l("Not a valid choice."), field="salutation")


# --- reading -----------------------------------------------------------------------------

def customer_scope(actor):
    """Whose customers the actor reads: None for all (the default: customers are
    chain-wide), else the ids of their branches, when the chain restricts customers."""
    settings = chain_settings()
    return branch_scope(actor) if settings is not None and settings.customers_by_branch else None


def may_read(actor, customer):
    scope = customer_scope(actor)
    return scope is None or customer.branch_id in scope


# What a row of the customer list shows (besides its branch's name): rows of these columns,
# not entities, which cost several times as much to build (issue 15).
LISTED = (Customer.id, Customer.number, Customer.first_name, Customer.last_name,
          Customer.postal_code, Customer.city, Customer.phone, Customer.mobile)


def search_customers(q="", branch_id=None, page=1, per_page=25, reader=None):
    """Customers whose name, number, city, phone or mobile number or e-mail address contains
    every word of `q`, optionally of one branch, and of those `reader` reads; by name: rows
    of LISTED and branch_name. (A caller is found by the number they call from; the
    SiNNO-App names a mobile number or address as taken, and whoever may switch that app
    access off finds its customer here.)"""
    conditions = [or_(*(contains(column, word) for column in SEARCHED)) for word in q.split()]
    if branch_id:
        conditions.append(Customer.branch_id == branch_id)
    scope = customer_scope(reader) if reader is not None else None
    if scope is not None:
        conditions.append(Customer.branch_id.in_(scope or {0}))
    if not conditions:  # the list as it opens: statements built once (issue 15)
        return page_of(_LIST, _COUNT, {}, page, per_page)
    return page_of(_LIST.where(*conditions), _COUNT.where(*conditions), {}, page, per_page)


# The list's statement by name, and its count, without conditions. Every customer has its
# branch (a required reference): the count needs no join.
_LIST = paged(db.select(*LISTED, Branch.name.label("branch_name")).join(Customer.branch)
              .order_by(func.lower(Customer.last_name), func.lower(Customer.first_name),
                        Customer.id))
_COUNT = db.select(func.count()).select_from(Customer)


def get_customer(customer_id, reader=None):
    """The customer with its branch, or None — also when `reader` may not read them."""
    customer = db.session.get(Customer, customer_id, options=[joinedload(Customer.branch)])
    if customer is not None and reader is not None and not may_read(reader, customer):
        return None
    return customer


# Built once, run on the connection: the list runs it on every request (issue 15).
_BRANCHES = db.select(Branch.id, Branch.name).order_by(func.lower(Branch.name), Branch.id)


def all_branches():
    """Every branch as a row of id and name, by name: the list's filter needs no more."""
    return read(_BRANCHES).all()


# --- writing -----------------------------------------------------------------------------

def create_customer(actor, data):
    """A new customer of one of the actor's branches; the number follows from the id."""
    require_editor(actor)
    _check_salutation(data)
    branch = _check_branch(actor, data.get("branch_id"))
    customer = Customer(**{name: data[name] for name in CUSTOMER_FIELDS}, updated_by=actor.name)
    db.session.add(customer)
    db.session.flush()
    customer.number = customer_number(customer.id)
    changelog.record(actor, "create", "customer", customer,
                     changelog.diff({}, changelog.snapshot(customer, ("number", *CUSTOMER_FIELDS))),
                     branch=branch)
    flush_unique(customer)
    return customer


def update_customer(actor, customer, data, version):
    """Save the master data (Stammdaten). Moving a customer to another branch needs the
    right to both. Returns False (and writes nothing) when nothing changed."""
    require_editor(actor, customer)
    check_version(customer, version)
    _check_salutation(data)
    branch = _check_branch(actor, data.get("branch_id"))
    return save_changes(actor, customer, CUSTOMER_FIELDS, data, version, "customer", branch=branch)


def delete_customer(actor, customer):
    """Delete a customer who has no processes; administrators and the branch's managers."""
    if not may_delete(actor, customer):
        raise PermissionDenied(_l("Only administrators and the branch's managers may delete customers."))
    # Only processes refer to customers (the processes domain answers with their names); a
    # domain that comes to refer to them too changes this sentence.
    refs = references.referring("customer", customer)
    if refs:
        raise InUse(_l("The customer cannot be deleted while they have processes: %(names)s.",
                       names="; ".join(str(ref) for ref in refs)))
    changelog.record(actor, "delete", "customer", customer, branch=customer.branch)
    db.session.delete(customer)
    db.session.flush()


# --- answers for the layers below (registered by the factory) ----------------------------

def customers_at_branch(branch):
    """The branch's customers, counted (there may be thousands): they keep it."""
    count = db.session.scalar(db.select(func.count()).select_from(Customer)
                              .where(Customer.branch_id == branch.id))
    return [_l("customers: %(count)s", count=count)] if count else []
