from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import DataRequired, NumberRange

from ..forms import AppForm
from ..params import MAX_ID


class ReadAllForm(AppForm):
    """"Alle als gelesen markieren": up to the newest notification the list showed."""
    upto = IntegerField(_l("Up to"), validators=[DataRequired(), NumberRange(1, MAX_ID)])
