"""Rules for the chain, branches and workstations."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_
from sqlalchemy.orm import contains_eager

from .. import references
from ..permissions import (
    ADMIN, ALL, BRANCH_MANAGER, CREATE, DELETE, EDIT, NOTHING, admin_only, branch_scope,
    can_edit_branch, is_admin, reads_branch, require_admin, require_branch,
)
from ..changelog import services as changelog
from ..errors import DomainError, InUse
from ..extensions import db
from ..records import check_version, contains, flush_unique, save_changes, taken
from .models import Branch, Chain, Workstation

CHAIN_FIELDS = ("name", "timezone", "admins_may_view_secrets", "customers_by_branch",
                "health_check_time", "health_alert_after", "audoora_auto_refresh")
BRANCH_FIELDS = (
    "name", "short_code", "street", "postal_code", "city",
    "office_street", "office_postal_code", "office_city", "office_email", "office_phone",
    "ear_mould_lab_id",
)
WORKSTATION_FIELDS = ("name", "description", "branch_id")


def get_chain():
    """The chain row, created with defaults on first use."""
    chain = db.session.get(Chain, 1)
    if chain is None:
        chain = Chain(id=1, name="Filialkette", timezone="Europe/Berlin")
        db.session.add(chain)
        db.session.flush()
    return chain


def update_chain(actor, data, version):
    require_admin(actor)
    chain = get_chain()
    return save_changes(actor, chain, CHAIN_FIELDS, data, version, "chain")


# --- branches ----------------------------------------------------------------------------

def search_branches(q="", page=1, per_page=25):
    query = db.select(Branch).order_by(func.lower(Branch.name), Branch.id)
    if q:
        query = query.where(or_(
            contains(Branch.name, q),
            contains(Branch.short_code, q),
            contains(Branch.city, q),
        ))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def all_branches():
    return db.session.scalars(db.select(Branch).order_by(Branch.name)).all()


def _check_branch_unique(data, exclude_id=None):
    if taken(Branch, "name", data["name"], exclude_id):
        raise DomainError(_l("A branch with this name already exists."), field="name")
    if taken(Branch, "short_code", data["short_code"], exclude_id):
        raise DomainError(_l("Another branch already uses this short code."), field="short_code")


# A branch names its predefined ear-mould lab, a company, and companies sit above org: the
# factory registers at start-up the function that lists the labs (companies.services.labs).
_lab_source = {}


def register_lab_choices(labs):
    """`labs(current_id)` → (id, name) of the companies with the lab role by name, plus the
    company `current_id` (None: no extra one)."""
    _lab_source["labs"] = labs


def ear_mould_labs(current_id=None):
    """(id, name) of the companies a branch may name as its ear-mould lab, plus `current_id`,
    the one it has now, so that a company that lost the role meanwhile does not block saving
    the branch."""
    labs = _lab_source.get("labs")
    return labs(current_id) if labs else []


def _check_lab(data, branch=None):
    """The predefined ear-mould lab must be a lab (one the branch already has may stay)."""
    lab_id = data.get("ear_mould_lab_id")
    if not lab_id or (branch is not None and lab_id == branch.ear_mould_lab_id):
        return
    if lab_id not in dict(ear_mould_labs()):
        raise DomainError(_l("Choose a company with the lab role."), field="ear_mould_lab_id")


def chain_actions(actor):
    """The chain's settings are the administrators'."""
    return admin_only(actor) - {CREATE, DELETE}


def branch_actions(actor, branch=None):
    """Administrators create and delete branches; managers edit their own."""
    if branch is None or can_edit_branch(actor, branch.id):
        return admin_only(actor) | ({EDIT} if branch is not None else NOTHING)
    return NOTHING


def workstation_actions(actor, station=None):
    """Administrators do everything; managers everything with their own branches'
    workstations (create: for one of their branches, which the form limits them to)."""
    if station is None:
        return ALL if actor.role in (ADMIN, BRANCH_MANAGER) else NOTHING
    return ALL if can_edit_branch(actor, station.branch_id) else NOTHING


def workstation_branches(actor):
    """The branches a workstation form offers: those the actor looks after (all of them for
    administrators; every branch if they look after none, so that a read-only form shows)."""
    branches = all_branches()
    if is_admin(actor):
        return branches
    return [b for b in branches if can_edit_branch(actor, b.id)] or branches


def create_branch(actor, data):
    require_admin(actor)
    _check_branch_unique(data)
    _check_lab(data)
    branch = Branch(**{name: data[name] for name in BRANCH_FIELDS}, updated_by=actor.name)
    db.session.add(branch)
    db.session.flush()
    changelog.record(actor, "create", "branch", branch,
                     changelog.diff({}, changelog.snapshot(branch, BRANCH_FIELDS)), branch=branch)
    flush_unique(branch)
    return branch


def update_branch(actor, branch, data, version, restored_from=None):
    """Save the branch's fields; `restored_from`: the change-log entry whose state this
    restores (see records.save_changes)."""
    require_branch(actor, branch.id)
    check_version(branch, version)
    _check_branch_unique(data, exclude_id=branch.id)
    _check_lab(data, branch)
    return save_changes(actor, branch, BRANCH_FIELDS, data, version, "branch", branch=branch,
                        restored_from=restored_from)


def branch_references(branch):
    """What still refers to a branch, as human-readable strings: its workstations, then what
    the domains above answer (users, customer numbers, services, customers, processes)."""
    stations = [w.name for w in branch.workstations]
    found = [_l("workstations: %(names)s", names=", ".join(stations))] if stations else []
    return found + references.referring("branch", branch)


def delete_branch(actor, branch):
    require_admin(actor)
    refs = branch_references(branch)
    if refs:
        raise InUse(_l("The branch is still in use (%(refs)s).", refs="; ".join(str(r) for r in refs)))
    changelog.record(actor, "delete", "branch", branch, branch=None)
    db.session.delete(branch)
    db.session.flush()


# --- workstations ------------------------------------------------------------------------

def readable_branches(actor):
    """The branches whose configuration the actor reads: all for administrators."""
    scope = branch_scope(actor)
    return [b for b in all_branches() if scope is None or b.id in scope]


def get_workstation(actor, station_id):
    """The workstation, or None when it does not exist or lies outside what the actor reads."""
    station = db.session.get(Workstation, station_id)
    return station if station is not None and reads_branch(actor, station.branch_id) else None


def get_branch(branch_id):
    return db.session.get(Branch, branch_id)


def search_workstations(q="", branch_id=None, page=1, per_page=25, reader=None):
    """Workstations by name or description, of one branch or all; with a `reader`, only those
    of the branches they read."""
    query = db.select(Workstation).join(Workstation.branch).order_by(func.lower(Branch.name), func.lower(Workstation.name), Workstation.id)
    query = query.options(contains_eager(Workstation.branch))
    if q:
        query = query.where(or_(contains(Workstation.name, q),
                                contains(Workstation.description, q)))
    if branch_id:
        query = query.where(Workstation.branch_id == branch_id)
    scope = branch_scope(reader) if reader is not None else None
    if scope is not None:
        query = query.where(Workstation.branch_id.in_(scope or {0}))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def _check_workstation(actor, data, exclude_id=None):
    if db.session.get(Branch, data["branch_id"]) is None:
        raise DomainError(_l("Choose an existing branch."), field="branch_id")
    require_branch(actor, data["branch_id"])
    if taken(Workstation, "name", data["name"], exclude_id):
        raise DomainError(_l("A workstation with this name already exists."), field="name")


def create_workstation(actor, data):
    _check_workstation(actor, data)
    station = Workstation(**{name: data[name] for name in WORKSTATION_FIELDS}, updated_by=actor.name)
    db.session.add(station)
    db.session.flush()
    changelog.record(actor, "create", "workstation", station,
                     changelog.diff({}, changelog.snapshot(station, WORKSTATION_FIELDS)),
                     branch=station.branch)
    flush_unique(station)
    return station


def update_workstation(actor, station, data, version, restored_from=None):
    """Save the workstation's fields; `restored_from` as for update_branch."""
    require_branch(actor, station.branch_id)
    check_version(station, version)
    _check_workstation(actor, data, exclude_id=station.id)
    return save_changes(actor, station, WORKSTATION_FIELDS, data, version, "workstation",
                        branch=db.session.get(Branch, data["branch_id"]),
                        restored_from=restored_from)


def workstation_references(station):
    """What still refers to a workstation: its own interface services (workstation settings)."""
    return references.referring("workstation", station)


def delete_workstation(actor, station):
    require_branch(actor, station.branch_id)
    refs = workstation_references(station)
    if refs:
        raise InUse(_l("The workstation is still in use (%(refs)s).",
                       refs="; ".join(str(ref) for ref in refs)))
    changelog.record(actor, "delete", "workstation", station, branch=station.branch)
    db.session.delete(station)
    db.session.flush()
