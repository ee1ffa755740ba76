"""The customer form (Stammdaten)."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..forms import NoMarkup, Phone, PostalCode, VersionedForm, record_id, strip
from .services import CUSTOMER_FIELDS

SALUTATION_LABELS = {
    "": _l("— none —"),
    "ms": _l("Ms"),
    "mr": _l("Mr"),
}


def salutation_label(code):
    return SALUTATION_LABELS.get(code, code) if code else ""


class CustomerForm(VersionedForm):
    salutation = SelectField(_l("Salutation"), validate_choice=True,
                             choices=[SelectChoice(code, label) for code, label in SALUTATION_LABELS.items()])
    first_name = StringField(_l("First name"), filters=[strip],
                             validators=[Length(max=80), NoMarkup()])
    last_name = StringField(_l("Last name"), filters=[strip],
                            validators=[DataRequired(), Length(max=80), NoMarkup()])
    street = StringField(_l("Street"), filters=[strip], validators=[Length(max=120), NoMarkup()])
    postal_code = StringField(_l("Postal code"), filters=[strip],
                              validators=[Length(max=10), PostalCode()])
    city = StringField(_l("City"), filters=[strip], validators=[Length(max=80), NoMarkup()])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40), Phone()])
    mobile = StringField(_l("Mobile phone"), filters=[strip], validators=[Length(max=40), Phone()])
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[Optional(), Length(max=254), Email(check_deliverability=False)])
    note = TextAreaField(_l("Remarks"), filters=[strip],
                         validators=[Length(max=1000), NoMarkup()], render_kw={"rows": 3})
    # Choices: the branches the user may look after customers of (views.branch_choices). Not
    # checked against them here: the service refuses another branch with a 403, not a message.
    branch_id = SelectField(_l("Branch"), coerce=record_id, validate_choice=False,
                            validators=[DataRequired(message=_l("Choose a branch."))])

    def customer_data(self):
        return {name: self[name].data for name in CUSTOMER_FIELDS}
