"""Comparing and restoring branches and workstations (changelog.versions, registered by
org.history): a past state passes the editor's form validation and is saved through
update_branch / update_workstation, with their version check and permissions. A branch or
ear-mould lab the state names that no longer exists refuses the restore, by its name."""
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice

from ..changelog.services import snapshot
from ..changelog.versions import Versions, gone_name
from ..errors import DomainError
from ..extensions import db
from ..permissions import EDIT, reads_branch
from . import services
from .forms import BranchForm, WorkstationForm
from .models import Branch


def restore_branch(actor, branch, state, secrets, version, entry):
    """Save `state` (BRANCH_FIELDS as the log stores them) like the branch editor does."""
    lab_id = state.get("ear_mould_lab_id")
    if lab_id is not None and lab_id != branch.ear_mould_lab_id \
            and lab_id not in dict(services.ear_mould_labs()):
        raise DomainError(_l("The ear-mould lab %(name)s of that state no longer exists or is "
                             "no longer a lab.", name=gone_name("company", lab_id)),
                          field="ear_mould_lab_id")
    form = _validated(BranchForm, state, services.BRANCH_FIELDS, version)
    return services.update_branch(actor, branch, form.data, version, restored_from=entry)


def restore_workstation(actor, station, state, secrets, version, entry):
    """Save `state` (WORKSTATION_FIELDS) like the workstation editor does."""
    branch_id = state.get("branch_id")
    if branch_id is None or db.session.get(Branch, branch_id) is None:
        raise DomainError(_l("The branch %(name)s of that state no longer exists.",
                             name=gone_name("branch", branch_id)), field="branch_id")

    def choices(form):
        form.branch_id.choices = [SelectChoice(b.id, b.name) for b in services.all_branches()]
    form = _validated(WorkstationForm, state, services.WORKSTATION_FIELDS, version, choices)
    return services.update_workstation(actor, station, form.data, version, restored_from=entry)


def _validated(form_class, state, fields, version, choices=None):
    """The editor's form filled with `state` as a browser would post it, validated: a value
    its rules no longer accept refuses the restore, naming the field."""
    posted = MultiDict({name: "" if state.get(name) is None else
                        ("y" if state[name] is True else str(state[name]))
                        for name in fields if state.get(name) is not False})
    posted["version"] = "" if version is None else str(version)
    form = form_class(formdata=posted, meta={"csrf": False})
    if choices is not None:
        choices(form)
    if not form.validate():
        problems = "; ".join(f"{form[name].label.text}: {' '.join(map(str, errors))}"
                             for name, errors in form.errors.items() if name in fields)
        raise DomainError(_l("That state can no longer be saved: %(problems)s",
                             problems=problems or "?"))
    return form


BRANCH_VERSIONS = Versions(
    find=lambda actor, branch_id: _readable_branch(actor, branch_id),
    values=lambda branch: snapshot(branch, services.BRANCH_FIELDS),
    restore=restore_branch,
    may_restore=lambda actor, branch: EDIT in services.branch_actions(actor, branch),
)
WORKSTATION_VERSIONS = Versions(
    find=services.get_workstation,
    values=lambda station: snapshot(station, services.WORKSTATION_FIELDS),
    restore=restore_workstation,
    may_restore=lambda actor, station: EDIT in services.workstation_actions(actor, station),
)


def _readable_branch(actor, branch_id):
    """The branch, when `actor` reads its change-log entries (theirs; all for admins)."""
    branch = services.get_branch(branch_id)
    return branch if branch is not None and reads_branch(actor, branch.id) else None
