"""The company editor: general data, order settings and one customer number per branch."""
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import NoMarkup, Phone, PostalCode, VersionedForm, strip
from .services import COMPANY_FIELDS, UNKNOWN_BRANCHES, rule_errors

# A branch's customer-number field is named customer_number-<branch id>.
NUMBER_FIELD_PREFIX = "customer_number-"

ROLE_LABELS = {
    "supplier": _l("Supplier"),
    "manufacturer": _l("Manufacturer"),
    "lab": _l("Lab"),
}
ORDER_FORM_LABELS = {
    "document": _l("Print / fax / e-mail attachment"),
    "phone": _l("By phone"),
    "interface": _l("External interface"),
}


def number_field(branch_id):
    return f"{NUMBER_FIELD_PREFIX}{branch_id}"


class CompanyForm(VersionedForm):
    # Allgemein
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    is_supplier = BooleanField(ROLE_LABELS["supplier"])
    is_manufacturer = BooleanField(ROLE_LABELS["manufacturer"])
    is_lab = BooleanField(ROLE_LABELS["lab"])
    street = StringField(_l("Street"), filters=[strip], validators=[Length(max=120), NoMarkup()])
    postal_code = StringField(_l("Postal code"), filters=[strip],
                              validators=[Length(max=10), PostalCode()])
    city = StringField(_l("City"), filters=[strip], validators=[Length(max=80), NoMarkup()])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40), Phone()])
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[Optional(), Length(max=254), Email(check_deliverability=False)])
    # Bestellung/Lieferung
    ordering_active = BooleanField(_l("Ordering activated"))
    order_form = SelectField(
        _l("Order form"), validate_choice=True,
        choices=[SelectChoice(value, label) for value, label in ORDER_FORM_LABELS.items()],
        description=_l("The default; it can still be changed per order."),
    )
    order_email = StringField(
        _l("E-mail for orders"), filters=[strip],
        validators=[Optional(), Length(max=254), Email(check_deliverability=False)],
        description=_l("Required when ordering is activated with print / fax / e-mail attachment."),
    )

    # Set by company_form(): the branches in table order and posted numbers for unknown branches.
    branches = ()
    unknown_numbers = ()

    def number_rows(self):
        """(branch, its customer-number field) in table order."""
        return [(branch, self[number_field(branch.id)]) for branch in self.branches]

    def company_data(self):
        return {name: self[name].data for name in COMPANY_FIELDS}

    def customer_numbers(self):
        """{branch id: number} for the rows that were posted; rows a user could not edit are
        not posted and so stay as they are. An empty number removes it."""
        return {branch.id: field.data or "" for branch, field in self.number_rows() if field.raw_data}

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.unknown_numbers:
            # A branch deleted while the editor was open, or a crafted post.
            self.form_errors.append(UNKNOWN_BRANCHES)
            valid = False
        # The rules across fields, so every message shows at once; a field that already has
        # a message keeps just that one.
        for name, message in rule_errors(self.company_data()).items():
            if not self[name].errors:
                self[name].errors = [str(message)]
                valid = False
        return valid


def company_form(branches, company=None, formdata=None):
    """The editor form with one text field per branch, named `customer_number-<branch id>`.

    `formdata` is the posted data, or None to show `company` (or an empty new company).
    Only administrators get the general and order sections enabled; other editors post
    just the customer numbers, so a post without `name` keeps the company's current data."""
    fields = {
        number_field(branch.id): StringField(
            branch.name, filters=[strip], validators=[Length(max=40), NoMarkup()])
        for branch in branches
    }
    form_class = type("CompanyEditorForm", (CompanyForm,), fields)
    current = {}
    if company is not None:
        current = {number_field(entry.branch_id): entry.number for entry in company.customer_numbers}
    if formdata is None:
        form = form_class(formdata=None, obj=company,
                          version=company.version if company else None, **current)
    else:
        if company is not None and "name" not in formdata:
            formdata = _with_current_data(company, formdata)
        form = form_class(formdata=formdata, obj=company, **current)
        form.unknown_numbers = sorted(
            key for key in formdata if key.startswith(NUMBER_FIELD_PREFIX) and key not in form)
    form.branches = branches
    return form


def _with_current_data(company, formdata):
    """The posted data completed with the company's stored general data and order settings,
    in the shape a browser would post them (an unchecked box is absent)."""
    merged = MultiDict()
    for name in COMPANY_FIELDS:
        value = getattr(company, name)
        if value is True:
            merged.add(name, "y")
        elif value not in (False, None):
            merged.add(name, value)
    for key, value in formdata.items(multi=True):
        merged.add(key, value)
    return merged
