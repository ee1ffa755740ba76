from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from ..forms import AppForm, SubmissionField
from ..params import MAX_ID
from .chat import TEXT_LIMIT


class AnswerForm(AppForm):
    """An answer to a customer in the SiNNO chat."""
    text = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=TEXT_LIMIT)])
    # A double click or a resent post sends one message (webapp/submissions.py).
    submission = SubmissionField()


class ReadForm(AppForm):
    """The conversation was seen up to this message."""
    upto = IntegerField(_l("Up to"), validators=[DataRequired(), NumberRange(1, MAX_ID)])
