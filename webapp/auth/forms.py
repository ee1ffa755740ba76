from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import AppForm


class LoginForm(AppForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


class LiftLockForm(AppForm):
    """One lock of the list: a username (none for an address lock) and the address."""
    username = HiddenField(validators=[Length(max=64)])
    address = HiddenField(validators=[DataRequired(), Length(max=45)])
