"""What the change log shows of the chain, its branches, branch organisations and
workstations (registered by create_app): labels, links, and a workstation's branch by name
(an organisation's branches are logged by name)."""
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import BranchForm, BranchOrganisationForm, ChainForm, WorkstationForm
from .models import Branch, BranchOrganisation, Chain, Workstation
from .services import ORGANISATION
from .versions import BRANCH_VERSIONS, WORKSTATION_VERSIONS


def register(log):
    """Branches, branch organisations, workstations and the chain's settings in the change
    log `log`."""
    branch = form_labels(BranchForm)
    # The branch form has two "Street", "City" …: the business office's say so.
    office = _l("Business office")
    for name in [name for name in branch if name.startswith("office_")]:
        branch[name] = _Joined(office, branch[name])
    log.entity("branch", _l("Branch"), model=Branch, link=page("org.branch_get", "branch_id"),
               labels=branch, versions=BRANCH_VERSIONS)
    log.entity("workstation", _l("Workstation"), model=Workstation,
               link=page("org.workstation_get", "station_id"),
               labels=form_labels(WorkstationForm), versions=WORKSTATION_VERSIONS)
    log.reference("workstation", "branch_id", "branch")
    log.entity(ORGANISATION, _l("Branch organisation"), model=BranchOrganisation,
               link=page("org.organisation_get", "organisation_id"),
               labels=form_labels(BranchOrganisationForm))
    log.entity("chain", _l("Chain"), model=Chain, link=page("org.chain_get"),
               labels=form_labels(ChainForm))


class _Joined:
    """'Business office: Street' — two lazy labels joined when shown."""

    def __init__(self, *parts):
        self.parts = parts

    def __str__(self):
        return ": ".join(str(part) for part in self.parts)
