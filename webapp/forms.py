"""Validators and filters shared by the forms of every domain."""
import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from .errors import Conflict

MARKUP = re.compile(r"[<>]")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class NoMarkup:
    """Refuse angle brackets: names and addresses never need them, and they are the start
    of every script-injection attempt."""

    def __call__(self, form, field):
        if isinstance(field.data, str) and MARKUP.search(field.data):
            raise ValidationError(_l("Must not contain < or >."))


class PostalCode:
    def __call__(self, form, field):
        if field.data and not re.fullmatch(r"[0-9A-Za-z -]{3,10}", field.data):
            raise ValidationError(_l("Not a valid postal code."))


class Phone:
    def __call__(self, form, field):
        if field.data and not re.fullmatch(r"\+?[0-9 ()/-]{3,40}", field.data):
            raise ValidationError(_l("Not a valid phone number (digits, spaces, + ( ) / - only)."))


def apply_domain_error(form, error):
    """Show a service's refusal beside the field it names, or above the form. A conflict
    (someone saved meanwhile) marks the form so the view answers 409 instead of 422."""
    form.conflict = isinstance(error, Conflict)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors or []) + [str(error.message)]
    else:
        form.form_errors.append(str(error.message))
