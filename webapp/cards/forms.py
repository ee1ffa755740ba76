"""The card order form: the template (Vorlage) and the validity date."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..forms import AppForm, SubmissionField


class CardOrderForm(AppForm):
    # The choices are the templates of the service that applies; whether one will do is the
    # service's call (services.place), which says why beside the field.
    template = SelectField(_l("Template"), validate_choice=False)
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    # A double click or a resent post orders one card (webapp/submissions.py).
    submission = SubmissionField()
