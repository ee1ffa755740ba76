"""The base of every form, and the validators and filters the forms of every domain share."""
import re
import secrets

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .errors import Conflict
from .params import CONTROL, to_id, to_int

MARKUP = re.compile(r"[<>]")
# A multi-line text keeps its tabs and line breaks; no other control character belongs in
# any field: PostgreSQL refuses NUL, and the others hide text or garble exports and mails.
CONTROL_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DAMAGED = _l("The form is damaged. Please reload the page.")


def control_characters(text, multiline=False):
    """Whether `text` holds a control character (tab and line breaks are fine `multiline`)."""
    return bool((CONTROL_IN_LINES if multiline else CONTROL).search(text))


class NoControlCharacters:
    """Refuse control characters (NUL, ESC, …); every field of an AppForm has this first."""

    def __init__(self, multiline=False):
        self.multiline = multiline

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, (list, tuple)) else [field.data]
        if any(isinstance(value, str) and control_characters(value, self.multiline)
               for value in values):
            raise StopValidation(
                _l("Must not contain control characters (line breaks and tabs are fine).")
                if self.multiline else
                _l("Must not contain control characters such as tabs or line breaks."))


class AppForm(FlaskForm):
    """The base of every form here (tests/test_forms.py checks): each field refuses control
    characters, a text field missing from a post reads as empty, as a browser sends an empty
    input (a crafted post cannot put NULL into a NOT NULL column), and a hidden field's
    message shows above the form, where the user sees it."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            check = NoControlCharacters(multiline=isinstance(field, TextAreaField))
            field.validators = [check, *field.validators]
            return field

        def wrap_formdata(self, form, formdata):
            # Flask-WTF reads a JSON body as the form, and JSON puts numbers, lists and
            # objects where a field expects the strings a browser sends (len(1) failed in
            # Length: a 500). Our pages post forms only: a JSON body is a post of no field.
            if formdata is _Auto and request.is_json and not (request.form or request.files):
                return ImmutableMultiDict()
            return super().wrap_formdata(form, formdata)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        super().process(formdata, obj, data, extra_filters, **kwargs)
        for field in self:
            # raw_data is [] only for a field the post left out: read as an empty input.
            if (isinstance(field, StringField) and field.raw_data == [] and field.data is None
                    and not getattr(field, "unchecked_when_missing", False)):
                field.process_formdata([""])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, HiddenField):
                self.form_errors.extend(str(message) for message in field.errors
                                        if str(message) not in self.form_errors)
        return valid


class VersionField(HiddenField):
    """The version of the record the user loaded (optimistic locking): digits, or empty in
    a new record's form; anything else is a damaged form (422). Left out of a post it is
    None, which records.check_version does not check; an empty one it refuses."""

    unchecked_when_missing = True

    def pre_validate(self, form):
        if self.data not in (None, "") and to_int(self.data) is None:
            raise StopValidation(DAMAGED)


class VersionedForm(AppForm):
    # The version the user loaded; saving over a newer one is refused (409). A hidden field
    # shows no label, but one left to WTForms is made by translating its name through
    # WTForms' own catalogue, which is read for each form (~0.1 ms of every editor, issue 15).
    version = VersionField("Version")


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as checkboxes; the template puts them in a fieldset."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def optional_id(value):
    """A select's value as a record id; the empty option is None. Anything else that is no
    id (negative, beyond the id columns, not digits) is 'Not a valid choice', never a
    query."""
    if value in (None, "", "None"):
        return None
    found = to_id(value)
    if found is None:
        raise ValueError("not a record id")
    return found


def record_id(value):
    """A select's value as a record id (0 is the '— choose —' option); else ValueError."""
    found = to_int(value)
    if found is None:
        raise ValueError("not a record id")
    return found


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


def new_submission_token():
    return secrets.token_urlsafe(24)


SUBMISSION_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


class SubmissionField(HiddenField):
    """The one-time token of a form that creates a record (webapp/submissions.py): a new one
    each time the form is rendered empty. Missing or malformed, the form is refused as
    damaged (422), and the form shown again carries a fresh token."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("default", new_submission_token)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):
        # raw_data is empty when the post left the field out (data is then the default).
        if not (self.raw_data and isinstance(self.data, str)
                and SUBMISSION_TOKEN.fullmatch(self.data)):
            self.data = new_submission_token()
            raise StopValidation(DAMAGED)
