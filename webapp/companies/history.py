"""What the change log shows of companies (registered by create_app): labels, a link, the
order form in words, the per-branch customer numbers, and a branch's ear-mould lab by name."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import ORDER_FORM_LABELS, CompanyForm
from .models import Company
from .services import NUMBER_LOG_PREFIX


def register(log):
    """Companies in the change log `log`; branches (org, below) name their lab by name."""
    log.entity("company", _l("Company"), model=Company,
               link=page("companies.company_get", "company_id"),
               labels=form_labels(CompanyForm), field_label=_number_label,
               words={"order_form": lambda code: ORDER_FORM_LABELS.get(code, code)})
    log.reference("branch", "ear_mould_lab_id", "company")


def _number_label(name):
    """'Customer number Ulm' for the number at one branch, logged by the branch's name."""
    if name.startswith(NUMBER_LOG_PREFIX):
        return _("Customer number %(branch)s", branch=name[len(NUMBER_LOG_PREFIX):])
    return None
