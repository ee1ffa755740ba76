"""Rules for the chain, branches, branch organisations and workstations."""
from collections import namedtuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, event, func, or_
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from .. import references
from ..permissions import (
    ADMIN, ALL, BRANCH_MANAGER, CREATE, DELETE, EDIT, NOTHING, admin_only, branch_scope,
    can_edit_branch, is_admin, reads_branch, require_admin, require_branch,
)
from ..changelog import services as changelog
from ..errors import DomainError, InUse
from ..extensions import db
from ..records import check_version, contains, flush_unique, read, save_changes, taken
from .models import Branch, BranchOrganisation, Chain, Workstation, branch_organisation_members

CHAIN_FIELDS = ("name", "timezone", "admins_may_view_secrets", "customers_by_branch",
                "health_check_time", "health_alert_after", "audoora_auto_refresh")
BRANCH_FIELDS = (
    "name", "short_code", "street", "postal_code", "city",
    "office_street", "office_postal_code", "office_city", "office_email", "office_phone",
    "ear_mould_lab_id",
)
WORKSTATION_FIELDS = ("name", "description", "branch_id")
ORGANISATION_FIELDS = ("name", "description")
# The change log's entity type of branch organisations (org.history registers it).
ORGANISATION = "branch_organisation"
ORGANISATION_NAME_TAKEN = _l("A branch organisation with this name already exists.")


def get_chain():
    """The chain row, created with defaults on first use. The session keeps it: its identity
    map holds rows only as long as something else does, and a page that asked for the chain
    twice (its time zone, its settings) read it twice (issue 15)."""
    chain = db.session.get(Chain, 1)
    if chain is None:
        chain = Chain(id=1, name="Filialkette", timezone="Europe/Berlin")
        db.session.add(chain)
        db.session.flush()
    db.session.info["chain"] = chain
    return chain


# Most pages need a setting of the chain (its time zone for dates and "today", whether
# customers are kept per branch) and nothing else: its columns as a row by a statement built
# once, on the session's connection, cost a fifth of loading the entity (~0.1 ms a page,
# issue 15). The login reads them with the user (users.sessions), which spares every page
# that statement too.
CHAIN_SETTINGS = tuple(Chain.__table__.c)
ChainSettings = namedtuple("ChainSettings", [column.key for column in CHAIN_SETTINGS])
_SETTINGS = db.select(*CHAIN_SETTINGS).where(Chain.id == 1)
_NOTED = "chain_settings"


def chain_settings():
    """The chain's columns, read-only, by name (chain_settings().customers_by_branch); None
    before the chain has a row. The chain this session holds already, changed or not,
    answers for itself; else what this transaction read of it."""
    info = db.session.info
    chain = info.get("chain")
    if chain is not None:
        return chain
    if _NOTED in info:
        return info[_NOTED]
    return read(_SETTINGS).first()


def note_chain_settings(values):
    """Keep the values of CHAIN_SETTINGS (all None before the chain has a row) that another
    statement of this transaction read with its own, for chain_settings()."""
    db.session.info[_NOTED] = ChainSettings(*values) if values[0] is not None else None


@event.listens_for(Session, "after_transaction_end")
def _forget_chain_settings(session, transaction):
    # Noted values hold for the transaction that read them; a test's requests may share one
    # session, whose next transaction must read anew.
    if transaction.parent is None:
        session.info.pop(_NOTED, None)


def chain_timezone():
    """The name of the chain's time zone (Europe/Berlin before one is set)."""
    settings = chain_settings()
    return (settings.timezone if settings is not None else None) or "Europe/Berlin"


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


# Built once and run on the connection (records.read): most pages run it, and building a
# statement, or running it through the session's ORM layers, costs more than SQLite does.
_BRANCH_NAMES = db.select(Branch.id, Branch.name).order_by(Branch.name)


def branch_names():
    """Every branch as a row of id and name, by name: what choices and filters show (a whole
    Branch per branch cost more than the query, issue 15)."""
    return read(_BRANCH_NAMES).all()


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
    _leave_organisations(actor, branch)
    changelog.record(actor, "delete", "branch", branch, branch=None)
    db.session.delete(branch)
    db.session.flush()


# --- branch organisations (Filialorganisationen) -------------------------------------------

def list_organisations():
    """Every branch organisation by name, each with its branches (by name) loaded:
    len(organisation.branches) is its member count. Two queries however many there are."""
    return db.session.scalars(
        db.select(BranchOrganisation).options(selectinload(BranchOrganisation.branches))
        .order_by(func.lower(BranchOrganisation.name), BranchOrganisation.id)).all()


def get_organisation(organisation_id):
    """The branch organisation, or None. Everyone reads them."""
    return db.session.get(BranchOrganisation, organisation_id)


def branch_ids_of_organisation(organisation_id):
    """The ids of the organisation's branches, by branch name ([] once its last branch was
    deleted); a DomainError on `organisation_id` when there is no such organisation."""
    organisation = get_organisation(organisation_id)
    if organisation is None:
        raise DomainError(_l("Choose an existing branch organisation."), field="organisation_id")
    return [branch.id for branch in organisation.branches]


def organisation_actions(actor):
    """Administrators create, change and delete branch organisations; the others read."""
    return admin_only(actor)


def _organisation_branches(data, exclude_id=None):
    """Every rule of the organisation's editor; returns the branches chosen."""
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_l("Enter a name."), field="name")
    if taken(BranchOrganisation, "name", name, exclude_id):
        raise DomainError(ORGANISATION_NAME_TAKEN, field="name")
    ids = set(data.get("branch_ids") or ())
    if not ids:
        raise DomainError(_l("Choose at least one branch."), field="branch_ids")
    branches = db.session.scalars(db.select(Branch).where(Branch.id.in_(ids))).all()
    if len(branches) != len(ids):
        raise DomainError(_l("Choose existing branches only."), field="branch_ids")
    return branches


def _name_checked(save):
    """Run `save`; a name a concurrent save took after the check above (the database's
    refusal, records.flush_unique) reads as the check's own message."""
    try:
        return save()
    except DomainError as error:
        if error.field != "name":
            raise
        raise DomainError(ORGANISATION_NAME_TAKEN, field="name") from error


def _members(organisation):
    # Under the form field's name, as names: the log reads the same after a branch is gone.
    return {"branch_ids": sorted(branch.name for branch in organisation.branches)}


def create_organisation(actor, data):
    """A new branch organisation of `data` (name, description, branch_ids), logged."""
    require_admin(actor)
    branches = _organisation_branches(data)
    organisation = BranchOrganisation(name=data["name"].strip(),
                                      description=data.get("description") or "",
                                      branches=branches, updated_by=actor.name)
    db.session.add(organisation)
    _name_checked(lambda: flush_unique(organisation))
    after = {**changelog.snapshot(organisation, ORGANISATION_FIELDS), **_members(organisation)}
    changelog.record(actor, "create", ORGANISATION, organisation, changelog.diff({}, after))
    return organisation


def update_organisation(actor, organisation, data, version):
    """Save name, description and branches over the `version` the form was loaded at;
    True when something changed (then logged, the branches by name)."""
    require_admin(actor)
    check_version(organisation, version)
    branches = _organisation_branches(data, exclude_id=organisation.id)
    before = _members(organisation)
    organisation.branches = branches
    return _name_checked(lambda: save_changes(
        actor, organisation, ORGANISATION_FIELDS, data, version, ORGANISATION,
        extra_before=before, extra_after=_members(organisation)))


def delete_organisation(actor, organisation):
    """Delete the organisation (its memberships go with it), unless a domain above says
    something still refers to it."""
    require_admin(actor)
    refs = references.referring(ORGANISATION, organisation)
    if refs:
        raise InUse(_l("The branch organisation is still in use (%(refs)s).",
                       refs="; ".join(str(ref) for ref in refs)))
    changelog.record(actor, "delete", ORGANISATION, organisation)
    db.session.delete(organisation)
    db.session.flush()


def _leave_organisations(actor, branch):
    """A branch about to be deleted leaves its organisations, each change logged (the
    database's ON DELETE CASCADE would drop the rows without a word)."""
    organisations = db.session.scalars(
        db.select(BranchOrganisation).join(branch_organisation_members)
        .where(branch_organisation_members.c.branch_id == branch.id)).all()
    for organisation in organisations:
        before = _members(organisation)
        organisation.branches.remove(branch)
        changes = changelog.diff(before, _members(organisation))
        organisation.version += 1
        organisation.updated_by = actor.name
        changelog.record(actor, "update", ORGANISATION, organisation, changes)


# --- workstations ------------------------------------------------------------------------

def readable_branches(actor, branches=None):
    """The branches whose configuration the actor reads (all for administrators), as
    branch_names() gives them; among `branches` (such rows a caller read already) if given."""
    scope = branch_scope(actor)
    rows = branch_names() if branches is None else branches
    return [row for row in rows if scope is None or row.id in scope]


def get_workstation(actor, station_id):
    """The workstation with its branch, or None when it does not exist or lies outside what
    the actor reads. One statement, built once: the pages that show a workstation name its
    branch, which a lazy load read in a second one (issue 15)."""
    station = db.session.execute(_WORKSTATION, {"id": station_id}).scalar()
    return station if station is not None and reads_branch(actor, station.branch_id) else None


_WORKSTATION = (db.select(Workstation).options(joinedload(Workstation.branch))
                .where(Workstation.id == bindparam("id")))


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
