"""What the change log shows of customers (registered by create_app): labels, a link, the
salutation in words and the branch by name."""
from flask_babel import lazy_gettext as _l

from ..changelog.registry import form_labels, page
from .forms import CustomerForm, salutation_label
from .models import Customer


def register(log):
    """Customers in the change log `log`."""
    log.entity("customer", _l("Customer"), model=Customer,
               link=page("customers.customer_get", "customer_id"),
               labels={"number": _l("Customer no."), **form_labels(CustomerForm)},
               words={"salutation": salutation_label})
    log.reference("customer", "branch_id", "branch")
