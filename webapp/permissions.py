"""Roles and the rules every domain builds its answers on. Every service calls these; views
and templates only read the answers services give (what an actor may do with a record), which
is a courtesy for the buttons, never the check. Core: it imports no domain."""
from flask_babel import lazy_gettext as _l

from .errors import PermissionDenied

ADMIN, BRANCH_MANAGER, STAFF = "admin", "branch_manager", "staff"
ROLES = (ADMIN, BRANCH_MANAGER, STAFF)


# What an actor may do with a record (or, with none, on a list): each domain's services answer
# with a set of these; views pass the set to templates as `may`, which show buttons by it.
CREATE, EDIT, DELETE = "create", "edit", "delete"
ALL = frozenset((CREATE, EDIT, DELETE))
NOTHING = frozenset()


def admin_only(actor):
    """Records only administrators create, change and delete."""
    return ALL if is_admin(actor) else NOTHING


def is_admin(actor):
    return actor.role == ADMIN


def branch_scope(actor):
    """Whose configuration the actor reads (interface services, workstations, effective
    configurations, orders): None for every branch (administrators), else their own
    branches' ids; the chain's records (no branch) everyone reads. docs/permissions.md."""
    return None if is_admin(actor) else set(actor.branch_ids)


def reads_branch(actor, branch_id):
    """Whether the actor reads a record of `branch_id` (None: chain-wide). A refused read is
    answered like a missing record (404), so it does not reveal that the record exists."""
    scope = branch_scope(actor)
    return branch_id is None or scope is None or branch_id in scope


def can_edit_branch(actor, branch_id):
    """Admins edit every branch's data; branch managers only their own branches'."""
    if actor.role == ADMIN:
        return True
    return actor.role == BRANCH_MANAGER and branch_id in actor.branch_ids


def require_admin(actor):
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators may do this."))


def require_branch(actor, branch_id):
    if not can_edit_branch(actor, branch_id):
        raise PermissionDenied(_l("You may only change data of your own branches."))
