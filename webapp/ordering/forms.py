"""The form of the 'Bestellservice' step (company (lab), supplier when the service names none,
and a note for the lab), and the article order of stock management (branch, supplier,
articles with quantities)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from wtforms import (FieldList, FormField, IntegerField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import Length, NumberRange, Optional

from ..companies.models import Company
from ..extensions import db
from ..forms import AppForm, SubmissionField, optional_id, strip
from ..org.forms import lab_choices
from .models import MAX_LINES

NEW_LINES = 3  # empty rows a new article order starts with; "Weitere Zeile" adds one


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



# --- an article order, written in stock management ---------------------------------------

class LineForm(AppForm):
    """One article: its number and/or name as the supplier knows it, and the quantity."""

    class Meta:
        csrf = False  # a part of ArticleOrderForm, which has the token

    article_number = StringField(_l("Article no."), filters=[strip],
                                 validators=[Length(max=40)])
    name = StringField(_l("Article"), filters=[strip], validators=[Length(max=120)])
    quantity = IntegerField(_l("Quantity"), validators=[Optional(),
                                                        NumberRange(min=1, max=9999)])

    @property
    def filled(self):
        return bool(self.article_number.data or self.name.data)


class ArticleOrderForm(AppForm):
    branch_id = SelectField(_l("Ordering branch"), coerce=optional_id, validate_choice=False)
    supplier_id = SelectField(_l("Supplier"), coerce=optional_id, validate_choice=False,
                              choices=supplier_choices)
    note = TextAreaField(_l("Note for the supplier"), filters=[strip],
                         validators=[Length(max=500)], render_kw={"rows": 2})
    lines = FieldList(FormField(LineForm), min_entries=NEW_LINES, max_entries=MAX_LINES)
    # A double click or a resent post creates one order (webapp/submissions.py).
    submission = SubmissionField()

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        filled = [line for line in self.lines if line.form.filled]
        for line in self.lines:
            if line.form.filled and line.form.quantity.data is None \
                    and not line.form.quantity.errors:
                line.form.quantity.errors.append(_l("Enter the quantity."))
                valid = False
            elif not line.form.filled and line.form.quantity.data is not None:
                line.form.article_number.errors.append(
                    _l("Enter the article number or the article."))
                valid = False
        if not filled:
            self.lines[0].form.article_number.errors.append(
                _l("Enter at least one article."))
            valid = False
        return valid
