import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


def check_password_policy(password):
    """The chain's policy: at least 8 characters, a lower- and an upper-case letter, and a
    digit or special character. Returns the list of unmet rules."""
    problems = []
    if len(password) < 8:
        problems.append(_l("at least 8 characters"))
    if not re.search(r"[a-zäöüß]", password):
        problems.append(_l("a lower-case letter"))
    if not re.search(r"[A-ZÄÖÜ]", password):
        problems.append(_l("an upper-case letter"))
    if not re.search(r"[^A-Za-zÄÖÜäöüß]", password):
        problems.append(_l("a digit or special character"))
    return problems


class PasswordPolicy:
    def __call__(self, form, field):
        if not field.data:
            return
        problems = check_password_policy(field.data)
        if problems:
            raise ValidationError(_l("The password needs %(rules)s.",
                                     rules=", ".join(str(p) for p in problems)))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"),
                        validators=[DataRequired(), Length(max=256), PasswordPolicy()])
    repeat = PasswordField(_l("Repeat new password"),
                           validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))])
