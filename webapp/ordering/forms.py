"""The form of the 'Bestellservice' step: company (lab), supplier when the service names none,
and a note for the lab."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import Length

from ..companies.models import Company
from ..extensions import db
from ..forms import AppForm, optional_id, strip
from ..org.forms import lab_choices


def supplier_choices(form, field):
    """The companies with the supplier role."""
    query = (db.select(Company.id, Company.name).where(Company.is_supplier.is_(True))
             .order_by(func.lower(Company.name)))
    return [SelectChoice("", _l("— choose —"))] + [
        SelectChoice(company_id, name) for company_id, name in db.session.execute(query)]


class OrderForm(AppForm):
    # The choices are only offered: whether a company or supplier will do is the routing's
    # call (services.place_order), which says why in words, beside the field.
    company_id = SelectField(_l("Company (lab)"), coerce=optional_id, validate_choice=False,
                             choices=lab_choices)
    supplier_id = SelectField(_l("Supplier"), coerce=optional_id, validate_choice=False,
                              choices=supplier_choices)
    note = TextAreaField(_l("Note for the lab"), filters=[strip],
                         validators=[Length(max=500)], render_kw={"rows": 2})

