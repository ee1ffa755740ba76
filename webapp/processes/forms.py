"""Forms for process templates and their steps, a new process and ear-mould positions."""
from decimal import Decimal, InvalidOperation

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, StopValidation

from ..forms import AppForm, NoMarkup, VersionedForm, strip
from .labels import PROCESS_TYPE_LABELS, SIDE_LABELS, STEP_KIND_LABELS
from .services import POSITION_FIELDS, TEMPLATE_FIELDS, VENTING_MAX


def _choices(labels):
    return [SelectChoice(code, label) for code, label in labels.items()]


class TemplateForm(VersionedForm):
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    process_type = SelectField(_l("Process type"), validate_choice=True,
                               choices=_choices(PROCESS_TYPE_LABELS))
    active = BooleanField(_l("Active"), default=True,
                          description=_l("Only active templates are offered for new processes."))

    def template_data(self):
        return {name: self[name].data for name in TEMPLATE_FIELDS}


class TemplateStepForm(AppForm):
    """One step of a template: the add form (prefix "new-step") and each row's form
    (prefix "step-<id>"), so that ids stay unique on the page."""

    name = StringField(_l("Step"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    kind = SelectField(_l("Kind"), validate_choice=True, choices=_choices(STEP_KIND_LABELS))


class NewProcessForm(AppForm):
    # Choices: the active templates and the user's branches (set by the view).
    template_id = SelectField(_l("Process template"), coerce=int, validate_choice=True,
                              validators=[DataRequired(message=_l("Choose a process template."))])
    branch_id = SelectField(_l("Branch"), coerce=int, validate_choice=True,
                            validators=[DataRequired(message=_l("Choose a branch."))])
    title = StringField(_l("Title"), filters=[strip], validators=[Length(max=120), NoMarkup()],
                        description=_l("Empty: the name of the template."))


class DecimalCommaField(StringField):
    """A decimal number typed with a comma or a point (1,5 or 1.5), shown as the UI's
    language writes it; empty is None."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        raw = valuelist[0].strip().replace(" ", "")
        self.data = None
        if not raw:
            return
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError(_l("Enter a number, e.g. 1,5."))
        self.data = float(number)

    def pre_validate(self, form):
        # Not a number: that message alone, not also "between 0 and 4".
        if self.process_errors:
            raise StopValidation()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_decimal(self.data, format="0.##")


class PositionForm(VersionedForm):
    side = SelectField(_l("Side"), validate_choice=True, choices=_choices(SIDE_LABELS))
    style = StringField(_l("Style"), filters=[strip],
                        validators=[DataRequired(), Length(max=60), NoMarkup()])
    material = StringField(_l("Material"), filters=[strip],
                           validators=[DataRequired(), Length(max=60), NoMarkup()])
    venting = DecimalCommaField(
        _l("Venting (mm)"), validators=[Optional(), NumberRange(
            min=0, max=VENTING_MAX, message=_l("Between 0 and 4 mm."))],
        description=_l("Vent diameter, 0 to 4 mm; empty for none."))
    colour = StringField(_l("Colour"), filters=[strip], validators=[Length(max=40), NoMarkup()])
    impression_ref = StringField(_l("Impression / scan no."), filters=[strip],
                                 validators=[DataRequired(), Length(max=64), NoMarkup()])
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Length(max=500), NoMarkup()],
                          render_kw={"rows": 2})

    def position_data(self):
        return {name: self[name].data for name in POSITION_FIELDS}
