from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from ..forms import AppForm, CheckboxesField, NoMarkup, Phone, VersionedForm, strip
from ..i18n import role_label
from .models import ROLES
from .services import USERNAME_PATTERN, check_password_policy

POLICY_HINT = _l("At least 8 characters, with a lower- and an upper-case letter and a digit or "
                 "special character.")


def lower(value):
    return value.strip().lower() if isinstance(value, str) else value


class PreferencesForm(AppForm):
    """What every user sets for themselves on the account page (and admins in the editor)."""

    preferred_language = SelectField(_l("Language"), validators=[DataRequired()])
    notify_order_errors = BooleanField(_l("Errors in orders"))
    notify_order_delivered = BooleanField(_l("Order delivered"))
    notify_chat_messages = BooleanField(_l("Unread SiNNO chat messages"))
    notify_interface_failures = BooleanField(_l("Interface failures"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = [SelectChoice(code, label) for code, label
                                           in current_app.config["LANGUAGES"].items()]


class PasswordPolicy:
    def __call__(self, form, field):
        if not field.data:
            return
        problems = check_password_policy(field.data)
        if problems:
            raise ValidationError(_l("The password needs %(rules)s.",
                                     rules=", ".join(str(p) for p in problems)))


def _password_field(label, required, description=None):
    validators = [DataRequired()] if required else []
    # PasswordPolicy accepts an empty value; a blank-only one fails it and is never saved.
    return PasswordField(label, description=description,
                         validators=validators + [Length(max=256), PasswordPolicy()],
                         render_kw={"autocomplete": "new-password"})


class UserForm(VersionedForm, PreferencesForm):
    # autocomplete off: browsers would fill in the admin's own saved login here.
    username = StringField(_l("Username"), filters=[lower], render_kw={"autocomplete": "off"},
                           validators=[DataRequired(), Length(max=64),
                                       Regexp(USERNAME_PATTERN,
                                              message=_l("Letters, digits and . - _ @ only."))])
    name = StringField(_l("Name"), filters=[strip],
                       validators=[DataRequired(), Length(max=120), NoMarkup()])
    email = StringField(_l("E-mail"), filters=[strip],
                        validators=[Optional(), Length(max=254), Email(check_deliverability=False)])
    phone = StringField(_l("Phone"), filters=[strip], validators=[Length(max=40), Phone()])
    role = SelectField(_l("Role"), choices=[SelectChoice(role, role_label(role)) for role in ROLES],
                       validators=[DataRequired()])
    active = BooleanField(_l("Active (may log in)"))
    branch_ids = CheckboxesField(_l("Branches"), coerce=int)
    password = _password_field(_l("Set new password"), required=False,
                               description=_l("Leave empty to keep the current password."))


class NewUserForm(UserForm):
    password = _password_field(_l("Initial password"), required=True, description=POLICY_HINT)


class PasswordChangeForm(AppForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"),
                        validators=[DataRequired(), Length(max=256), PasswordPolicy()])
    repeat = PasswordField(_l("Repeat new password"),
                           validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))])
